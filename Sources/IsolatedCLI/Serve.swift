import ArgumentParser
import Foundation
import IsolatedCore
import IsolatedEngine
import IsolatedGRPC
import IsolatedServer
import IsolatedStore
import Logging
import ServiceLifecycle
import UnixSignals

/// `isolated serve`: the engine behind the HTTP API.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the engine as a server: calls from every client share its warm runners; keys and history in SQLite."
    )

    @Option(help: "The engine's home directory (default: $ISOLATED_HOME or ~/.cache/isolated).")
    var home: String?

    @Option(help: "The database of keys and history (default: isolated.sqlite in the home).")
    var database: String?

    @Option(help: "The address to listen on; anything but loopback is reachable from other machines.")
    var host = "127.0.0.1"

    @Option(help: "The port to listen on (0 picks a free one).")
    var port = 8080

    @Option(help: "Serve HTTPS with this certificate chain (PEM), with --tls-key; needed to listen on an address other machines reach.")
    var tlsCert: String?

    @Option(help: "The private key (PEM) of --tls-cert.")
    var tlsKey: String?

    @Flag(help: "Serve plain HTTP on a non-loopback --host, for a server behind a proxy that terminates TLS.")
    var insecureHttp = false

    @Option(help: "Seconds a connection may sit without a request in progress (and a request's head may take to arrive) before it is closed.")
    var idleTimeout = 60.0

    @Option(help: "Seconds a request's body may take to arrive after its head before the connection is closed.")
    var requestBodyTimeout = 60.0

    @Option(help: "Also serve the fal-serverless client over gRPC on this port (0 picks a free one), on the same address.")
    var grpcPort: Int?

    @Option(help: "Serve gRPC over TLS with this certificate chain (PEM), for clients on other machines; with --grpc-tls-key.")
    var grpcTLSCert: String?

    @Option(help: "The private key (PEM) of --grpc-tls-cert.")
    var grpcTLSKey: String?

    @Option(help: "A machine-type catalog (JSON) replacing the standard one; `isolated machine-types --file` checks one.")
    var machineTypes: String?

    @Option(help: "Where runners run: local (child processes of this server) or slurm (jobs on the Slurm cluster SLURM_CONF names).")
    var launcher = "local"

    @Option(
        help:
            "With --launcher slurm: where runners on the cluster's nodes connect back to, host:port, an address of this machine they reach (default: --host, any free port)."
    )
    var runnerAddress: String?

    @Flag(
        help:
            "With --launcher slurm: the cluster's nodes do not mount this server's home, so what each runner needs of it is staged to its node with sbcast."
    )
    var noSharedHome = false

    @Flag(
        inversion: .prefixedNo,
        help:
            "Link each function without requirements or Foundation again, in the background, into one static executable, which new local runners start from: an idle runner then holds about 6 MB instead of 9.6."
    )
    var linkWorkersStatically = true

    @Option(help: "The largest request body accepted (a call's arguments), in bytes.")
    var maxRequestBytes = 64 << 20

    @Option(help: "The largest result a call may send back, in bytes.")
    var maxResultBytes = 1 << 30

    @Option(help: "The most output kept per recorded call, in bytes.")
    var maxLogBytes = 1 << 20

    @Option(help: "Seconds calls in flight get to finish after SIGTERM or SIGINT.")
    var shutdownGracePeriod = 30

    @Flag(help: "Serve requests without a key. Only on a loopback address; for development on one machine.")
    var allowKeylessLoopback = false

    @Option(help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel = "info"

    func validate() throws {
        if let grpcPort, !(0...65535).contains(grpcPort) {
            throw ValidationError("--grpc-port must be a port number, 0 to 65535")
        }
        guard (tlsCert == nil) == (tlsKey == nil) else {
            throw ValidationError("--tls-cert and --tls-key go together: give both for HTTPS, or neither for plain HTTP on loopback")
        }
        guard idleTimeout > 0, requestBodyTimeout > 0 else {
            throw ValidationError("--idle-timeout and --request-body-timeout must be positive numbers of seconds")
        }
        guard (grpcTLSCert == nil) == (grpcTLSKey == nil) else {
            throw ValidationError("--grpc-tls-cert and --grpc-tls-key go together: give both, or neither for plain gRPC on loopback")
        }
        for file in [tlsCert, tlsKey, grpcTLSCert, grpcTLSKey].compactMap(\.self) where !FileManager.default.isReadableFile(atPath: file) {
            throw ValidationError("cannot read \(file); --tls-cert, --tls-key, --grpc-tls-cert and --grpc-tls-key take PEM files")
        }
        if grpcPort != nil, grpcTLSCert == nil, !(host.hasPrefix("127.") || host == "::1") {
            throw ValidationError(
                "plain gRPC is served only on loopback, and --host \(host) is not: give --grpc-tls-cert and --grpc-tls-key to serve "
                    + "the fal-serverless client to other machines over TLS")
        }
        guard ["local", "slurm"].contains(launcher) else {
            throw ValidationError("--launcher is local or slurm, not \(launcher)")
        }
        if runnerAddress != nil || noSharedHome, launcher != "slurm" {
            throw ValidationError("--runner-address and --no-shared-home are for --launcher slurm: local runners share the server's machine")
        }
        guard maxRequestBytes > 0, maxResultBytes > 0 else {
            throw ValidationError("--max-request-bytes and --max-result-bytes must be positive numbers of bytes")
        }
    }

    func run() async throws {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = Logger.Level(rawValue: logLevel) ?? .info
            return handler
        }
        let logger = Logger(label: "isolated.serve")
        var configuration = EngineConfiguration(home: home, linksWorkersStatically: linkWorkersStatically)
        if let machineTypes {
            configuration.machineTypes = try MachineTypeCatalog(contentsOf: machineTypes)
        }
        if launcher == "slurm" {
            let listenHost = ["0.0.0.0", "::"].contains(host) ? ProcessInfo.processInfo.hostName : host
            configuration.launcher = .slurm(
                SlurmConfiguration(
                    runnerAddress: runnerAddress ?? "\(listenHost.contains(":") ? "[\(listenHost)]" : listenHost):0", sharedHome: !noSharedHome))
        }
        let store = try await Store(
            path: database ?? "\(configuration.home)/isolated.sqlite",
            configuration: StoreConfiguration(maxLogBytes: maxLogBytes),
            logger: logger
        )
        let metrics = ServerMetrics()
        let engine = Engine(configuration: configuration, logger: logger, metricsFactory: metrics.factory)
        let server = try Server(
            engine: engine,
            store: store,
            configuration: ServerConfiguration(
                host: host,
                port: port,
                maxRequestBytes: maxRequestBytes,
                maxResultBytes: maxResultBytes,
                allowKeylessLoopback: allowKeylessLoopback,
                idleTimeout: .seconds(idleTimeout),
                requestBodyTimeout: .seconds(requestBodyTimeout),
                tls: tlsCert.map { TLSFiles(certificateChain: $0, privateKey: tlsKey ?? "") },
                insecureHTTP: insecureHttp
            ),
            metrics: metrics,
            logger: logger
        )
        if allowKeylessLoopback {
            logger.warning("KEYLESS ACCESS IS ON: anyone on this machine can run code through this server without a key (--allow-keyless-loopback)")
        }
        let host = self.host
        let home = configuration.home
        let scheme = tlsCert == nil ? "http" : "https"
        let application = server.application { port in
            // Printed for people and for scripts waiting for the server to listen.
            FileHandle.standardOutput.write(Data("isolated: serving on \(scheme)://\(host):\(port) (home \(home))\n".utf8))
        }
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: application)]
        if let grpcPort {
            let frontDoor = GRPCFrontDoor(
                engine: engine,
                store: store,
                configuration: GRPCConfiguration(
                    host: host, port: grpcPort, allowKeyless: allowKeylessLoopback, maxRequestBytes: maxRequestBytes,
                    tls: grpcTLSCert.map { GRPCConfiguration.TLSFiles(certificateChain: $0, privateKey: grpcTLSKey ?? "") }),
                logger: logger
            ) { port in
                // The client's FAL_HOST must start with "api"; api.localhost reaches loopback.
                let address = host == "127.0.0.1" ? "api.localhost:\(port)" : "\(host):\(port)"
                FileHandle.standardOutput.write(Data("isolated: serving gRPC on \(address) (fal-serverless: FAL_HOST=\(address))\n".utf8))
            }
            services.append(.init(service: frontDoor))
        }
        var groupConfiguration = ServiceGroupConfiguration(
            services: services,
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        )
        groupConfiguration.maximumGracefulShutdownDuration = .seconds(shutdownGracePeriod)
        let group = ServiceGroup(configuration: groupConfiguration)
        try await group.run()
        try await store.close()
    }
}
