/// A Python callable as its caller's client serialized it.
package struct SerializedCallable: Sendable, Hashable {
    /// The module whose `loads` and `dumps` read and write it: `dill` for fal-serverless.
    package var method: String
    /// Its bytes.
    package var definition: [UInt8]

    package init(method: String, definition: [UInt8]) {
        self.method = method
        self.definition = definition
    }
}

/// One call of a Python function, as the fal-serverless client makes it: a callable with its
/// arguments already bound, to run in an environment of the caller's Python version with these
/// requirements. The result comes back serialized with the callable's own method.
package struct PythonCall: Sendable {
    package var function: SerializedCallable
    /// Run once per runner process; its result is the function's first argument.
    package var setup: SerializedCallable?
    /// The caller's major and minor version, like `3.11`: the environment's must match.
    package var pythonVersion: String
    /// PEP 508 requirement strings.
    package var requirements: [String]
    package var machineType: MachineType
    /// Seconds the runner stays warm after the call.
    package var keepAlive: Int
    /// Seconds the call may run; nil for the engine's default.
    package var timeout: Int?
    /// The most runners this function may have at once; nil for no limit.
    package var maxConcurrency: Int?
    /// How reports and errors name the function: the client does not send its name.
    package var reference: FunctionReference
    /// Variables the runner's process gets besides the engine's own few: what the client inside
    /// it needs to make nested calls back to the server that received this one.
    package var runnerEnvironment: [String: String]
    /// Directories the runner reads besides its environment's, even when sandboxed: where
    /// ``runnerEnvironment`` points (the front door's TLS roots).
    package var runnerReadableDirectories: [String]
    /// The caller's name for this call (the server's invocation id): a nested call made while it
    /// runs learns it as its parent's.
    package var tag: String?

    package init(
        function: SerializedCallable,
        setup: SerializedCallable? = nil,
        pythonVersion: String,
        requirements: [String],
        machineType: MachineType,
        keepAlive: Int,
        timeout: Int? = nil,
        maxConcurrency: Int? = nil,
        reference: FunctionReference,
        runnerEnvironment: [String: String] = [:],
        runnerReadableDirectories: [String] = [],
        tag: String? = nil
    ) {
        self.function = function
        self.setup = setup
        self.pythonVersion = pythonVersion
        self.requirements = requirements
        self.machineType = machineType
        self.keepAlive = keepAlive
        self.timeout = timeout
        self.maxConcurrency = maxConcurrency
        self.reference = reference
        self.runnerEnvironment = runnerEnvironment
        self.runnerReadableDirectories = runnerReadableDirectories
        self.tag = tag
    }
}
