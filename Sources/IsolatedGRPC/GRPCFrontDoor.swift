import GRPCCore
import GRPCNIOTransportHTTP2Posix
package import IsolatedEngine
package import IsolatedStore
package import Logging
import ServiceLifecycle

/// The gRPC front door: `controller.IsolateController` for the fal-serverless client, over the
/// same engine and store as the HTTP API, run as a `Service`. On a loopback address it listens
/// on IPv6 loopback too, at the same port: the client's `api.localhost` resolves to `::1` first.
package struct GRPCFrontDoor: Service {
    private let engine: Engine
    private let store: Store
    private let configuration: GRPCConfiguration
    private let logger: Logger
    private let onListening: @Sendable (Int) -> Void

    /// `onListening` receives the port once the server listens.
    package init(
        engine: Engine,
        store: Store,
        configuration: GRPCConfiguration,
        logger: Logger,
        onListening: @escaping @Sendable (Int) -> Void = { _ in }
    ) {
        self.engine = engine
        self.store = store
        self.configuration = configuration
        self.logger = logger
        self.onListening = onListening
    }

    package func run() async throws {
        let service = ControllerService(
            engine: engine, store: store, configuration: configuration, runnerEnvironment: Self.runnerEnvironment, logger: logger)
        let primary = GRPCServer(
            transport: .http2NIOPosix(
                address: .ipv4(host: configuration.host, port: configuration.port), transportSecurity: .plaintext, config: transportConfig()),
            services: [service]
        )
        // Each server stops at the group's graceful shutdown, or when the group is cancelled.
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { try await primary.serve() }
            group.addTask {
                try? await gracefulShutdown()
                primary.beginGracefulShutdown()
            }
            guard let port = try await primary.listeningAddress?.ipv4?.port else {
                throw RPCError(code: .unavailable, message: "the gRPC server did not start listening on \(configuration.host)")
            }
            if configuration.host == "127.0.0.1" {
                let secondary = GRPCServer(
                    transport: .http2NIOPosix(address: .ipv6(host: "::1", port: port), transportSecurity: .plaintext, config: transportConfig()),
                    services: [service]
                )
                let logger = self.logger
                group.addTask {
                    do {
                        try await secondary.serve()
                    } catch {
                        // A machine without IPv6 loopback still serves on 127.0.0.1.
                        logger.debug("not serving gRPC on [::1]", metadata: ["error": "\(error)"])
                    }
                }
                group.addTask {
                    try? await gracefulShutdown()
                    secondary.beginGracefulShutdown()
                }
            }
            onListening(port)
        }
    }

    /// Nested calls from a Python function reach this server through the fal-serverless client
    /// inside its runner, at the address its caller used (in the pickle). The client reads at
    /// import whether to speak plaintext: the only way this server speaks.
    private static let runnerEnvironment = ["ISOLATE_TEST_MODE": "1"]

    private func transportConfig() -> HTTP2ServerTransport.Posix.Config {
        .defaults { config in
            config.rpc.maxRequestPayloadSize = configuration.maxRequestBytes
            // The client pings every 30 s, calls or not; the default policy would close its connection.
            config.connection.keepalive.clientBehavior.minPingIntervalWithoutCalls = .seconds(10)
            config.connection.keepalive.clientBehavior.allowWithoutCalls = true
        }
    }
}
