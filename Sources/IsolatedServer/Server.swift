import Foundation
public import Hummingbird
package import IsolatedClient
package import IsolatedCore
package import IsolatedEngine
package import IsolatedStore
package import Logging
import NIOCore

/// `isolated serve`: an ``Engine`` behind an HTTP API, with API keys and durable history.
///
/// Every route but `GET /healthz` needs `Authorization: Bearer <key>`. The routes are described
/// by `openapi.json`, next to this file, served at `GET /openapi.json`.
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
        self.engine = engine
        self.store = store
        self.configuration = configuration
        self.metrics = metrics
        self.logger = logger
    }

    /// The HTTP application; `onRunning` receives the bound port once it listens. Running it
    /// also runs the engine, and graceful shutdown stops the listener first, lets calls in
    /// flight finish, then stops the engine and every runner.
    public func application(onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        Application(
            router: router(),
            configuration: ApplicationConfiguration(address: .hostname(configuration.host, port: configuration.port), serverName: "isolated"),
            services: [engine],
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) },
            logger: logger
        )
    }

    /// Every route, with its middleware.
    public func router() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        let routes = RouteTable()
        router.add(middleware: ErrorMiddleware(routes: routes, metrics: metrics))
        router.get("healthz") { _, _ in HealthStatus(status: "ok") }
        let authenticated = router.group()
            .add(middleware: KeyMiddleware(store: store, metrics: metrics, allowKeyless: configuration.allowKeylessLoopback))
        authenticated.get("openapi.json") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: Self.openAPIDocument)))
        }
        authenticated.get("metrics") { _, _ in self.renderMetrics() }
        addInvocationRoutes(to: authenticated)
        addManagementRoutes(to: authenticated)
        routes.set(router.routes.map { ($0.method.rawValue, $0.path.description) })
        return router
    }

    private func renderMetrics() -> Response {
        Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: metrics.render())))
    }

    /// The OpenAPI document, read from the package's sources (like the runner runtime's).
    static let openAPIDocument: String = {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("openapi.json").path
        return (try? String(contentsOfFile: path, encoding: .utf8)) ?? "{}"
    }()
}

/// `GET /healthz`'s body.
struct HealthStatus: ResponseCodable {
    var status: String
}

extension IsolatedError: ResponseEncodable {}
extension RunnerSnapshot: ResponseEncodable {}
extension MachineTypeCatalog: ResponseEncodable {}
extension InvocationInfo: ResponseEncodable {}
extension KeyInfo: ResponseEncodable {}
extension CreatedKey: ResponseEncodable {}
extension EnvironmentInfo: ResponseEncodable {}
extension Removed: ResponseEncodable {}
