import Foundation
import Hummingbird
import IsolatedClient
import IsolatedEngine
import IsolatedServer
import IsolatedStore
import Logging
import ServiceLifecycle

/// A server on a free loopback port for one test, with its own database, sharing the test
/// run's environment cache.
struct TestServer {
    static let home: String = {
        if let home = ProcessInfo.processInfo.environment["ISOLATED_TEST_HOME"] { return home }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/isolated-test-home").path
    }()

    let url: URL
    let store: Store
    let engine: Engine

    /// A fresh database file under the test home.
    static func databasePath() -> String {
        "\(home)/servers/\(UUID().uuidString).sqlite"
    }

    /// Runs `body` with a server listening; stops it (and its runners) afterwards.
    static func with<Value: Sendable>(
        database: String = databasePath(),
        configuration: ServerConfiguration = ServerConfiguration(port: 0),
        _ body: @Sendable (TestServer) async throws -> Value
    ) async throws -> Value {
        let logger = Logger(label: "test.server")
        let store = try await Store(path: database, logger: logger)
        let metrics = ServerMetrics()
        let engine = Engine(configuration: EngineConfiguration(home: home), metricsFactory: metrics.factory)
        let server = try Server(engine: engine, store: store, configuration: configuration, metrics: metrics, logger: logger)
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let application = server.application { continuation.yield($0) }
        let group = ServiceGroup(services: [application], gracefulShutdownSignals: [], logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            let port = await iterator.next() ?? 0
            let result: Result<Value, any Error>
            do {
                result = .success(try await body(TestServer(url: URL(string: "http://127.0.0.1:\(port)")!, store: store, engine: engine)))
            } catch {
                result = .failure(error)
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            try await store.close()
            return try result.get()
        }
    }

    /// A client with a new key, an admin key unless `scope` says otherwise.
    func client(scope: KeyScope = .admin) async throws -> ServerClient {
        let (_, secret) = try await store.createKey(name: "test", scope: scope)
        return ServerClient(baseURL: url, key: secret)
    }
}
