/// An isolated function as the `@Isolated` macro ships it: its source, how the worker calls it,
/// and where it is declared.
public struct FunctionSource: Sendable, Hashable, Codable {
    /// The function's name.
    public var name: String
    /// The declaration, as the worker compiles it at top level.
    public var source: String
    /// Statements that call the function with `invocation`'s arguments and return its encoded result.
    public var entry: String
    /// A declaration with the function's own name and signature whose body makes a nested
    /// isolated call: shipped into workers that call this function, its own included.
    public var stub: String
    /// The file that declares it; compiler diagnostics point here.
    public var file: String
    /// The line `source` starts on in `file`.
    public var line: Int
    /// The declarations its `uses:` ships with it.
    public var dependencies: [ShippedSource]

    /// Creates a function source.
    public init(name: String, source: String, entry: String, stub: String = "", file: String, line: Int, dependencies: [ShippedSource] = []) {
        self.name = name
        self.source = source
        self.entry = entry
        self.stub = stub
        self.file = file
        self.line = line
        self.dependencies = dependencies
    }

    /// The function's name and location.
    public var reference: FunctionReference { FunctionReference(name: name, file: file, line: line) }

    private enum CodingKeys: String, CodingKey {
        case name, source, entry, stub, file, line, dependencies
    }

    /// Decodes a function source; `stub` and `dependencies` may be left out, for a function that
    /// no other isolated function calls and that ships nothing with it.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        source = try container.decode(String.self, forKey: .source)
        entry = try container.decode(String.self, forKey: .entry)
        stub = try container.decodeIfPresent(String.self, forKey: .stub) ?? ""
        file = try container.decode(String.self, forKey: .file)
        line = try container.decode(Int.self, forKey: .line)
        dependencies = try container.decodeIfPresent([ShippedSource].self, forKey: .dependencies) ?? []
    }
}

/// Everything about a call but its arguments: what a worker needs to call an isolated function
/// it depends on.
public struct CallTemplate: Sendable, Hashable, Codable {
    /// The function.
    public var function: FunctionSource
    /// The packages its environment needs.
    public var requirements: [Requirement]
    /// The machine type to run on.
    public var machineType: MachineType
    /// Seconds the runner stays warm after the call.
    public var keepAlive: Int
    /// The most runners this function may have at once; nil for no limit.
    public var maxConcurrency: Int?
    /// Whether its runners can reach the network.
    public var network: NetworkAccess
    /// Seconds one call may run; nil for the engine's default.
    public var timeout: Int?
    /// How many more times a call is tried when the machinery fails; nil for none.
    public var retries: Int?
    /// How many runners of the function to keep warm between calls; nil for none.
    public var minWarm: Int?

    /// Creates a template.
    public init(
        function: FunctionSource,
        requirements: [Requirement],
        machineType: MachineType,
        keepAlive: Int,
        maxConcurrency: Int? = nil,
        network: NetworkAccess = .enabled,
        timeout: Int? = nil,
        retries: Int? = nil,
        minWarm: Int? = nil
    ) {
        self.function = function
        self.requirements = requirements
        self.machineType = machineType
        self.keepAlive = keepAlive
        self.maxConcurrency = maxConcurrency
        self.network = network
        self.timeout = timeout
        self.retries = retries
        self.minWarm = minWarm
    }

    /// The call with these arguments.
    public func request(arguments: [[UInt8]]) -> InvocationRequest {
        InvocationRequest(
            function: function,
            requirements: requirements,
            machineType: machineType,
            keepAlive: keepAlive,
            maxConcurrency: maxConcurrency,
            network: network,
            timeout: timeout,
            retries: retries,
            minWarm: minWarm,
            arguments: arguments
        )
    }
}

/// A declaration shipped with a function because its `uses:` lists it.
public struct ShippedSource: Sendable, Hashable, Codable {
    /// What kind of declaration.
    public enum Kind: String, Sendable, Hashable, Codable {
        /// An isolated function: the worker gets its stub, which makes nested isolated calls.
        case isolated
        /// A `@Cached` function, memoized for the worker's lifetime.
        case cached
        /// A function or type marked `@Shippable`, shipped as written.
        case shippable
    }

    /// What kind of declaration.
    public var kind: Kind
    /// The declaration's name.
    public var name: String
    /// The source the worker compiles.
    public var source: String
    /// The file that declares it.
    public var file: String
    /// The line `source` starts on.
    public var line: Int
    /// For an isolated function: how to call it.
    public var call: CallTemplate?

    /// Creates a shipped source.
    public init(kind: Kind, name: String, source: String, file: String, line: Int, call: CallTemplate? = nil) {
        self.kind = kind
        self.name = name
        self.source = source
        self.file = file
        self.line = line
        self.call = call
    }
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
    /// The most runners this function may have at once; nil for no limit.
    public var maxConcurrency: Int?
    /// Whether its runners can reach the network.
    public var network: NetworkAccess
    /// Seconds the call may run; nil for the engine's default.
    public var timeout: Int?
    /// How many more times the call is tried when the machinery fails; nil for none.
    public var retries: Int?
    /// How many runners of the function to keep warm between calls; nil for none.
    public var minWarm: Int?
    /// Each argument, encoded with ``PayloadCoding``.
    public var arguments: [[UInt8]]

    /// The call without its arguments.
    public var template: CallTemplate {
        CallTemplate(
            function: function,
            requirements: requirements,
            machineType: machineType,
            keepAlive: keepAlive,
            maxConcurrency: maxConcurrency,
            network: network,
            timeout: timeout,
            retries: retries,
            minWarm: minWarm
        )
    }

    /// Creates a request.
    public init(
        function: FunctionSource,
        requirements: [Requirement],
        machineType: MachineType,
        keepAlive: Int,
        maxConcurrency: Int? = nil,
        network: NetworkAccess = .enabled,
        timeout: Int? = nil,
        retries: Int? = nil,
        minWarm: Int? = nil,
        arguments: [[UInt8]]
    ) {
        self.function = function
        self.requirements = requirements
        self.machineType = machineType
        self.keepAlive = keepAlive
        self.maxConcurrency = maxConcurrency
        self.network = network
        self.timeout = timeout
        self.retries = retries
        self.minWarm = minWarm
        self.arguments = arguments
    }
}
