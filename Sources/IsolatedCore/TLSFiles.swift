/// A server's certificate chain and private key, as PEM files: what `isolated serve` needs to
/// serve HTTPS (`--tls-cert`, `--tls-key`) or gRPC over TLS (`--grpc-tls-cert`, `--grpc-tls-key`).
public struct TLSFiles: Sendable, Hashable {
    /// The server's certificate, then any intermediates.
    public var certificateChain: String
    /// The certificate's private key.
    public var privateKey: String

    /// The files at these paths.
    public init(certificateChain: String, privateKey: String) {
        self.certificateChain = certificateChain
        self.privateKey = privateKey
    }
}
