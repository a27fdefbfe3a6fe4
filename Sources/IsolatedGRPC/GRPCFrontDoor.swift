import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import IsolatedCore
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
        let callBack = try runnerCallBack()
        let service = ControllerService(
            engine: engine, store: store, configuration: configuration, runnerEnvironment: callBack.environment,
            runnerReadableDirectories: callBack.directories, logger: logger)
        let primary = GRPCServer(
            transport: .http2NIOPosix(
                address: configuration.host.contains(":")
                    ? .ipv6(host: configuration.host, port: configuration.port) : .ipv4(host: configuration.host, port: configuration.port),
                transportSecurity: transportSecurity(),
                config: transportConfig()),
            services: [service, UnsupportedMethods()]
        )
        // Each server stops at the group's graceful shutdown, or when the group is cancelled.
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { try await primary.serve() }
            group.addTask {
                try? await gracefulShutdown()
                primary.beginGracefulShutdown()
            }
            let address = try await primary.listeningAddress
            guard let port = address?.ipv4?.port ?? address?.ipv6?.port else {
                throw RPCError(code: .unavailable, message: "the gRPC server did not start listening on \(configuration.host)")
            }
            if configuration.host == "127.0.0.1" {
                let secondary = GRPCServer(
                    transport: .http2NIOPosix(
                        address: .ipv6(host: "::1", port: port), transportSecurity: transportSecurity(), config: transportConfig()),
                    services: [service, UnsupportedMethods()]
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

    /// What a runner's client needs to call this server back. Nested calls from a Python
    /// function go through the fal-serverless client inside its runner, to the address its caller
    /// used (in the pickle); the client reads at import whether to speak plaintext
    /// (`ISOLATE_TEST_MODE`) or TLS, trusting the roots in `GRPC_DEFAULT_SSL_ROOTS_FILE_PATH`:
    /// the system's and this server's own certificates, written where the runner may read them.
    private func runnerCallBack() throws -> (environment: [String: String], directories: [String]) {
        guard let tls = configuration.tls else { return (["ISOLATE_TEST_MODE": "1"], []) }
        var roots = (try? Data(contentsOf: URL(fileURLWithPath: "/etc/ssl/certs/ca-certificates.crt"))) ?? Data()
        do {
            roots.append(contentsOf: "\n".utf8)
            roots.append(try Data(contentsOf: URL(fileURLWithPath: tls.certificateChain)))
        } catch {
            throw RPCError(
                code: .unavailable, message: "cannot read the TLS certificate chain \(tls.certificateChain): \(error.localizedDescription)")
        }
        let directory = "\(engine.configuration.home)/grpc"
        let path = "\(directory)/tls-roots-\(SHA256.hex(String(decoding: roots, as: UTF8.self)).prefix(16)).pem"
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try roots.write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw RPCError(code: .unavailable, message: "cannot write the TLS roots for runners to \(path): \(error.localizedDescription)")
        }
        return (["GRPC_DEFAULT_SSL_ROOTS_FILE_PATH": path], [directory])
    }

    private func transportSecurity() -> HTTP2ServerTransport.Posix.TransportSecurity {
        guard let tls = configuration.tls else { return .plaintext }
        return .tls(certificateChain: [.file(path: tls.certificateChain, format: .pem)], privateKey: .file(path: tls.privateKey, format: .pem))
    }

    private func transportConfig() -> HTTP2ServerTransport.Posix.Config {
        .defaults { config in
            config.rpc.maxRequestPayloadSize = configuration.maxRequestBytes
            // The client pings every 30 s, calls or not; the default policy would close its connection.
            config.connection.keepalive.clientBehavior.minPingIntervalWithoutCalls = .seconds(10)
            config.connection.keepalive.clientBehavior.allowWithoutCalls = true
        }
    }
}
