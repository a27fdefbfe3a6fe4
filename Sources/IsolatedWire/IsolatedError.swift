/// The one error an isolated call throws.
///
/// ``code`` says what kind of failure it was; ``message`` says what happened and what to do.
/// Failures of the user's own code carry their details: compiler diagnostics, the remote error,
/// the signal and the last lines of the runner's output.
public struct IsolatedError: Error, Sendable, Codable, CustomStringConvertible {
    /// What kind of failure; extensible, compare with the static members.
    public struct Code: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
        /// The code's stable name.
        public var rawValue: String
        /// Creates a code.
        public init(rawValue: String) { self.rawValue = rawValue }

        /// A requirement is malformed.
        public static let invalidRequirement = Code(rawValue: "invalidRequirement")
        /// The machine type is not in the catalog.
        public static let noSuchMachineType = Code(rawValue: "noSuchMachineType")
        /// A machine-type catalog file is malformed.
        public static let invalidMachineTypes = Code(rawValue: "invalidMachineTypes")
        /// The machine type needs more than this machine has (a GPU on a machine without one).
        public static let machineTypeUnavailable = Code(rawValue: "machineTypeUnavailable")
        /// The environment's packages could not be resolved or built.
        public static let environmentBuildFailed = Code(rawValue: "environmentBuildFailed")
        /// The function's source did not compile.
        public static let compilationFailed = Code(rawValue: "compilationFailed")
        /// The function threw; ``IsolatedError/remote`` has its type and message.
        public static let functionThrew = Code(rawValue: "functionThrew")
        /// The runner process died during the call.
        public static let runnerCrashed = Code(rawValue: "runnerCrashed")
        /// The function used more memory than its machine type allows and was killed.
        public static let outOfMemory = Code(rawValue: "outOfMemory")
        /// The call waited longer than the engine's queue timeout for a runner.
        public static let queueTimedOut = Code(rawValue: "queueTimedOut")
        /// The call ran longer than its timeout; its runner was killed.
        public static let timedOut = Code(rawValue: "timedOut")
        /// A setting of the call is out of range: a negative `keepAlive`, a `timeout` or
        /// `maxConcurrency` below 1.
        public static let invalidSetting = Code(rawValue: "invalidSetting")
        /// The runner stopped answering heartbeats and was killed.
        public static let runnerUnresponsive = Code(rawValue: "runnerUnresponsive")
        /// The runner's machine went away, or the cluster's scheduler ended its job (a node that
        /// failed, a job cancelled by an operator); the message names the node and the reason.
        public static let runnerLost = Code(rawValue: "runnerLost")
        /// The runner could not be started.
        public static let runnerStartFailed = Code(rawValue: "runnerStartFailed")
        /// An argument or the result could not be encoded or decoded.
        public static let codingFailed = Code(rawValue: "codingFailed")
        /// The engine is not running: it was never started, or it has stopped.
        public static let engineUnavailable = Code(rawValue: "engineUnavailable")
        /// `swiftc`, `swift` or the C compiler the engine needs cannot be found or run.
        public static let toolchainUnavailable = Code(rawValue: "toolchainUnavailable")
        /// The Python version a call asks for is not installed on the engine's machine, or uv,
        /// which builds Python environments, cannot be found or installed.
        public static let pythonUnavailable = Code(rawValue: "pythonUnavailable")
        /// The runner runtime every worker links cannot be built: its sources are missing or do
        /// not compile with this toolchain.
        public static let runtimeUnavailable = Code(rawValue: "runtimeUnavailable")
        /// A setting of the SDK, the server or the engine is malformed: an environment variable,
        /// a flag, a configuration value.
        public static let invalidConfiguration = Code(rawValue: "invalidConfiguration")
        /// The server cannot be reached, answered something unexpected, or closed a call's
        /// stream before its result.
        public static let serverUnavailable = Code(rawValue: "serverUnavailable")
        /// The server stopped while the call ran, so its result is unknown.
        public static let interrupted = Code(rawValue: "interrupted")
        /// The call was cancelled.
        public static let cancelled = Code(rawValue: "cancelled")
        /// The engine's own files could not be read or written.
        public static let storageFailed = Code(rawValue: "storageFailed")
        /// A record the request names (an API key, an invocation) does not exist.
        public static let notFound = Code(rawValue: "notFound")
        /// Isolated calls nested deeper than the engine allows: a cycle or runaway recursion.
        public static let nestingTooDeep = Code(rawValue: "nestingTooDeep")
        /// A declaration that only exists inside workers was called outside one.
        public static let notInWorker = Code(rawValue: "notInWorker")
        /// The function printed more than the engine allows in one call, and was stopped.
        public static let outputLimitExceeded = Code(rawValue: "outputLimitExceeded")
        /// The function needs the runner sandbox (for `network: .disabled`) and the engine has none.
        public static let sandboxUnavailable = Code(rawValue: "sandboxUnavailable")
        /// A request to the server is malformed: its body, a field or a parameter.
        public static let invalidRequest = Code(rawValue: "invalidRequest")
        /// The request carried no valid API key.
        public static let unauthorized = Code(rawValue: "unauthorized")
        /// The request's API key is valid but lacks the scope the request needs.
        public static let forbidden = Code(rawValue: "forbidden")
        /// The request's body is larger than the server accepts.
        public static let requestTooLarge = Code(rawValue: "requestTooLarge")
        /// The call's result is larger than the server sends or the client accepts.
        public static let resultTooLarge = Code(rawValue: "resultTooLarge")
        /// The declarations shipped with a function do not fit together.
        public static let invalidShipment = Code(rawValue: "invalidShipment")

        /// The raw value.
        public var description: String { rawValue }
    }

    /// What kind of failure.
    public var code: Code
    /// What happened and what to do, in a sentence or two.
    public var message: String
    /// The function the call was for, when known.
    public var function: FunctionReference?
    /// The isolated functions the failure passed through, outermost first, ending with the one
    /// that failed; a single entry when no nested call was involved.
    public var chain: [FunctionReference]
    /// The error the function threw in the worker, for ``Code/functionThrew``.
    public var remote: RemoteError?
    /// Compiler diagnostics or the relevant lines of a build log.
    public var details: [String]
    /// The last lines the runner printed, for crashes.
    public var logTail: [String]
    /// The call's phases up to the failure, when the call got that far.
    public var report: CallReport?
    /// The lower-level error that caused this one.
    public var underlying: (any Error & Sendable)?

    /// Creates an error.
    public init(
        code: Code,
        message: String,
        function: FunctionReference? = nil,
        chain: [FunctionReference] = [],
        remote: RemoteError? = nil,
        details: [String] = [],
        logTail: [String] = [],
        report: CallReport? = nil,
        underlying: (any Error & Sendable)? = nil
    ) {
        self.code = code
        self.message = message
        self.function = function
        self.chain = chain
        self.remote = remote
        self.details = details
        self.logTail = logTail
        self.report = report
        self.underlying = underlying
    }

    /// The message, then the details and log tail, each indented.
    public var description: String {
        var text = "\(code): \(message)"
        if chain.count > 1 {
            text += "\n  call chain: " + chain.map { "\($0.name)()" }.joined(separator: " → ")
        }
        if let function { text += "\n  in \(function)" }
        if !details.isEmpty { text += "\n" + details.map { "  | \($0)" }.joined(separator: "\n") }
        if !logTail.isEmpty { text += "\n  last output:\n" + logTail.map { "  | \($0)" }.joined(separator: "\n") }
        return text
    }
}

extension IsolatedError {
    private enum CodingKeys: String, CodingKey {
        case code, message, function, chain, remote, details, logTail, report
    }

    /// Decodes everything but ``underlying``, which does not travel.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            code: try container.decode(Code.self, forKey: .code),
            message: try container.decode(String.self, forKey: .message),
            function: try container.decodeIfPresent(FunctionReference.self, forKey: .function),
            chain: try container.decodeIfPresent([FunctionReference].self, forKey: .chain) ?? [],
            remote: try container.decodeIfPresent(RemoteError.self, forKey: .remote),
            details: try container.decodeIfPresent([String].self, forKey: .details) ?? [],
            logTail: try container.decodeIfPresent([String].self, forKey: .logTail) ?? [],
            report: try container.decodeIfPresent(CallReport.self, forKey: .report)
        )
    }

    /// Encodes everything but ``underlying``.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(code, forKey: .code)
        try container.encode(message, forKey: .message)
        try container.encodeIfPresent(function, forKey: .function)
        try container.encode(chain, forKey: .chain)
        try container.encodeIfPresent(remote, forKey: .remote)
        try container.encode(details, forKey: .details)
        try container.encode(logTail, forKey: .logTail)
        try container.encodeIfPresent(report, forKey: .report)
    }
}

/// A function as its user wrote it: its name and where it is declared.
public struct FunctionReference: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The function's name.
    public var name: String
    /// The file that declares it.
    public var file: String
    /// The line its declaration starts on.
    public var line: Int

    /// Creates a reference.
    public init(name: String, file: String, line: Int) {
        self.name = name
        self.file = file
        self.line = line
    }

    /// `name() at file:line`.
    public var description: String { "\(name)() at \(file):\(line)" }
}
