/// How `isolated serve` listens and what it accepts.
public struct ServerConfiguration: Sendable {
    /// The address to bind; `127.0.0.1` by default, so the server is reachable only from this machine.
    public var host: String
    /// The port; `0` picks a free one.
    public var port: Int
    /// The largest request body accepted; larger ones get `413 Content Too Large`.
    public var maxRequestBytes: Int
    /// The largest result a call sends back; a larger one fails the call with `resultTooLarge`.
    public var maxResultBytes: Int
    /// Whether requests without a key are served. Only allowed when ``host`` is a loopback
    /// address; meant for development on one machine.
    public var allowKeylessLoopback: Bool

    /// Creates a configuration; every value has a default.
    public init(
        host: String = "127.0.0.1",
        port: Int = 8080,
        maxRequestBytes: Int = 64 << 20,
        maxResultBytes: Int = 1 << 30,
        allowKeylessLoopback: Bool = false
    ) {
        self.host = host
        self.port = port
        self.maxRequestBytes = maxRequestBytes
        self.maxResultBytes = maxResultBytes
        self.allowKeylessLoopback = allowKeylessLoopback
    }

    /// Whether ``host`` only accepts connections from this machine.
    public var isLoopback: Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }
}
