/// An isolated function as the `@Isolated` macro ships it: its source, how the worker calls it,
/// and where it is declared.
public struct FunctionSource: Sendable, Hashable, Codable {
    /// The function's name.
    public var name: String
    /// The declaration, as the worker compiles it at top level.
    public var source: String
    /// Statements that call the function with `invocation`'s arguments and return its encoded result.
    public var entry: String
    /// The file that declares it; compiler diagnostics point here.
    public var file: String
    /// The line `source` starts on in `file`.
    public var line: Int

    /// Creates a function source.
    public init(name: String, source: String, entry: String, file: String, line: Int) {
        self.name = name
        self.source = source
        self.entry = entry
        self.file = file
        self.line = line
    }

    /// The function's name and location.
    public var reference: FunctionReference { FunctionReference(name: name, file: file, line: line) }
}

/// One call: the function, where and how it runs, and its encoded arguments.
public struct InvocationRequest: Sendable, Hashable, Codable {
    /// The function.
    public var function: FunctionSource
    /// The packages its environment needs.
    public var requirements: [Requirement]
    /// The machine type to run on.
    public var machineType: MachineType
    /// Seconds the runner stays warm after the call.
    public var keepAlive: Int
    /// Each argument, encoded with ``PayloadCoding``.
    public var arguments: [[UInt8]]

    /// Creates a request.
    public init(function: FunctionSource, requirements: [Requirement], machineType: MachineType, keepAlive: Int, arguments: [[UInt8]]) {
        self.function = function
        self.requirements = requirements
        self.machineType = machineType
        self.keepAlive = keepAlive
        self.arguments = arguments
    }
}
