package import IsolatedCore

/// How the gRPC front door serves the fal-serverless client.
package struct GRPCConfiguration: Sendable {
    /// The address to listen on.
    package var host: String
    /// The port; 0 picks a free one.
    package var port: Int
    /// Whether calls without a key are served (loopback development only, like the HTTP API).
    package var allowKeyless: Bool
    /// How often a call that prints nothing still sends a message, so the client's pings and
    /// proxies see a live stream.
    package var heartbeatInterval: Duration
    /// The largest request (the pickled function and its arguments) accepted, in bytes.
    package var maxRequestBytes: Int
    /// The certificate chain and private key (PEM files) to serve TLS with; nil serves plain
    /// gRPC, which only loopback clients get.
    package var tls: TLSFiles?

    /// PEM files for TLS.
    package typealias TLSFiles = IsolatedCore.TLSFiles

    package init(
        host: String = "127.0.0.1",
        port: Int = 0,
        allowKeyless: Bool = false,
        heartbeatInterval: Duration = .seconds(20),
        maxRequestBytes: Int = 64 << 20,
        tls: TLSFiles? = nil
    ) {
        self.host = host
        self.port = port
        self.allowKeyless = allowKeyless
        self.heartbeatInterval = heartbeatInterval
        self.maxRequestBytes = maxRequestBytes
        self.tls = tls
    }
}
