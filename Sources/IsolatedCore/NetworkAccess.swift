/// Whether an isolated function's runner can reach the network.
public enum NetworkAccess: String, Sendable, Hashable, Codable, CustomStringConvertible {
    /// The machine's network, as the engine has it.
    case enabled
    /// No network: the runner gets a network namespace of its own, with only a loopback
    /// interface. Needs the sandbox (`isolated doctor` says whether this machine has it).
    case disabled

    /// The raw value.
    public var description: String { rawValue }
}
