import Foundation
public import Hummingbird
import HummingbirdCore
import HummingbirdTLS
package import IsolatedClient
package import IsolatedCore
package import IsolatedEngine
package import IsolatedStore
package import Logging
import NIOCore
import NIOSSL

/// `isolated serve`: an ``Engine`` behind an HTTP API, with API keys and durable history.
///
/// Every route but `GET /healthz` needs `Authorization: Bearer <key>`. The routes are described
/// by `openapi.json`, next to this file, embedded in the binary (`OpenAPIDocument.swift`) and
/// served at `GET /openapi.json`.
public struct Server: Sendable {
    /// The engine that runs the calls.
    package let engine: Engine
    /// Keys and history.
    package let store: Store
    /// How the server listens and what it accepts.
    public let configuration: ServerConfiguration
    /// Its metrics; an engine created with ``ServerMetrics/factory`` records into them.
    package let metrics: ServerMetrics
    let logger: Logger
    /// Where calls run, so each outlives its response and graceful shutdown waits for it.
    let calls = CallSupervisor()
    /// Sends the running calls' progress events within the batching delay.
    let batcher: EventBatcher
    /// The header lines of binary calls, decoded, by their bytes before `argumentBytes`.
    let headers = InvocationBody.DecodedHeaders(capacity: 256)
    /// HTTP/1.1 with the configuration's timeouts, over TLS when it names a certificate: made
    /// with the server, so a missing or malformed file stops it before it listens.
    private let httpServer: HTTPServerBuilder

    /// A server for `engine`, keeping keys and history in `store`. Create the engine with
    /// `metrics.factory` for `/metrics` to carry its figures.
    package init(
        engine: Engine,
        store: Store,
        configuration: ServerConfiguration,
        metrics: ServerMetrics = ServerMetrics(),
        logger: Logger
    ) throws(IsolatedError) {
        if configuration.allowKeylessLoopback, !configuration.isLoopback {
            throw IsolatedError(
                code: .invalidConfiguration,
                message: "keyless access is only allowed on a loopback address, and the server would listen on \(configuration.host); "
                    + "bind to 127.0.0.1 or create a key with `isolated keys create`"
            )
        }
        if configuration.tls == nil, !configuration.insecureHTTP, !configuration.isLoopback {
            throw IsolatedError(
                code: .invalidConfiguration,
                message: "the server would serve plain HTTP on \(configuration.host), which other machines reach, so API keys and calls "
                    + "would cross the network in the clear: give --tls-cert and --tls-key to serve HTTPS, or --insecure-http when a "
                    + "proxy in front of the server terminates TLS"
            )
        }
        let http = HTTP1Channel.Configuration(
            additionalChannelHandlers: [
                RequestBodyTimeout(timeout: TimeAmount(configuration.requestBodyTimeout)) { metrics.recordRejection("slowBody") }
            ],
            idleTimeout: TimeAmount(configuration.idleTimeout)
        )
        if let files = configuration.tls {
            let tls = try Self.tlsConfiguration(files)
            do {
                httpServer = try .tls(.http1(configuration: http), tlsConfiguration: tls)
            } catch {
                throw IsolatedError(
                    code: .invalidConfiguration,
                    message: "the certificate \(files.certificateChain) and key \(files.privateKey) cannot serve TLS together: \(error); "
                        + "check that the key is the certificate's",
                    underlying: error)
            }
        } else {
            httpServer = .http1(configuration: http)
        }
        self.engine = engine
        self.store = store
        self.configuration = configuration
        self.batcher = EventBatcher(delay: configuration.eventBatchingDelay)
        self.metrics = metrics
        self.logger = logger
    }

    /// The HTTP application; `onRunning` receives the bound port once it listens. Running it
    /// also runs the engine, and graceful shutdown stops the listener first, lets calls in
    /// flight finish, then stops the engine and every runner.
    public func application(onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        Application(
            router: router(),
            server: httpServer,
            configuration: ApplicationConfiguration(address: .hostname(configuration.host, port: configuration.port), serverName: "isolated"),
            // Stopped in reverse order: calls end before the batcher that sends their events stops.
            services: [engine, batcher, calls],
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) },
            logger: logger
        )
    }

    /// Every route of `openapi.json`, from the generated code, with the middleware that
    /// authenticates, limits bodies, checks scopes and turns failures into the documented errors.
    public func router() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        let routes = RouteTable()
        router.add(middleware: ErrorMiddleware(routes: routes, metrics: metrics))
        router.add(middleware: KeyMiddleware(store: store, metrics: metrics, allowKeyless: configuration.allowKeylessLoopback))
        router.add(middleware: BodyLimitMiddleware(maxCallBytes: configuration.maxRequestBytes))
        // The paths are the document's own, so registering cannot fail.
        try! APIHandler(server: self, calls: calls).registerHandlers(
            on: RouterTransport(router: router), middlewares: [ScopeMiddleware(metrics: metrics)])
        routes.set(router.routes.map { ($0.method.rawValue, $0.path.description) })
        return router
    }

    /// The largest response body sent whole, in one write; a longer one streams, so it is never held twice.
    static var wholeBodyLimit: Int { 1 << 20 }

    /// `requestTooLarge` for a call's body over `limit` bytes.
    static func callTooLarge(limit: Int) -> IsolatedError {
        IsolatedError(
            code: .requestTooLarge,
            message: "the call's body is larger than this server's limit of \(ByteCount.describe(limit)) "
                + "(isolated serve --max-request-bytes); pass large data another way, or raise the limit"
        )
    }

    /// The TLS settings for `files`; an error naming the file that cannot be read or used.
    private static func tlsConfiguration(_ files: TLSFiles) throws(IsolatedError) -> TLSConfiguration {
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(files.certificateChain)
        } catch {
            throw IsolatedError(
                code: .invalidConfiguration,
                message: "cannot read the certificate chain \(files.certificateChain) (--tls-cert): \(error); it must be a PEM file",
                underlying: error)
        }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: files.privateKey, format: .pem)
        } catch {
            throw IsolatedError(
                code: .invalidConfiguration,
                message: "cannot read the private key \(files.privateKey) (--tls-key): \(error); it must be an unencrypted PEM file",
                underlying: error)
        }
        guard !chain.isEmpty else {
            throw IsolatedError(
                code: .invalidConfiguration, message: "\(files.certificateChain) (--tls-cert) holds no certificate; it must be a PEM file")
        }
        return TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
    }
}
