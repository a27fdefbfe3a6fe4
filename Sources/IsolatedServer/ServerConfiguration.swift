public import IsolatedCore

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
    /// How long a connection may sit without a request in progress, and so how long a request's
    /// head may take to arrive, before the server closes it.
    public var idleTimeout: Duration
    /// The certificate and key to serve HTTPS with; nil serves plain HTTP, which a server on a
    /// non-loopback address refuses unless ``insecureHTTP`` is set.
    public var tls: TLSFiles?
    /// Whether plain HTTP may be served on a non-loopback address, for a server behind a proxy
    /// that terminates TLS; keys and calls otherwise cross the network in the clear.
    public var insecureHTTP: Bool
    /// How long a request's body may take to arrive after its head before the server closes
    /// the connection: a client that sends slowly holds a connection no longer than this.
    public var requestBodyTimeout: Duration
    /// How long a call's progress events (phases, log lines) may wait for the ones after them,
    /// so that they go out together: a call that ends within it is answered in one write. Its
    /// outcome never waits.
    public var eventBatchingDelay: Duration

    /// Creates a configuration; every value has a default.
    public init(
        host: String = "127.0.0.1",
        port: Int = 8080,
        maxRequestBytes: Int = 64 << 20,
        maxResultBytes: Int = 1 << 30,
        allowKeylessLoopback: Bool = false,
        idleTimeout: Duration = .seconds(60),
        requestBodyTimeout: Duration = .seconds(60),
        tls: TLSFiles? = nil,
        insecureHTTP: Bool = false,
        eventBatchingDelay: Duration = .milliseconds(2)
    ) {
        self.host = host
        self.port = port
        self.maxRequestBytes = maxRequestBytes
        self.maxResultBytes = maxResultBytes
        self.allowKeylessLoopback = allowKeylessLoopback
        self.idleTimeout = idleTimeout
        self.requestBodyTimeout = requestBodyTimeout
        self.tls = tls
        self.insecureHTTP = insecureHTTP
        self.eventBatchingDelay = eventBatchingDelay
    }

    /// Whether ``host`` only accepts connections from this machine.
    public var isLoopback: Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }
}
