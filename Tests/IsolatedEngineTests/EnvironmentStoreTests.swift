import Foundation
import IsolatedCore
import IsolatedEngine
import Logging
import Testing

@Suite("The environment cache", .serialized, .timeLimit(.minutes(15)))
struct EnvironmentStoreTests {
    @Test("a .path requirement is shipped into an environment that `envs` lists, removes and collects, and a removed one is rebuilt")
    func localPackageEnvironment() async throws {
        // Its own home, so removing environments cannot disturb other tests.
        let home = EngineTests.home + "-maintenance"
        let request = InvocationRequest(
            function: FunctionSource(
                name: "greet",
                source: "func greet(_ name: String) async throws -> String {\n    greeting(for: name)\n}",
                entry: "return try await invocation.result(greet(invocation.argument(0, as: String.self)))",
                file: #filePath,
                line: 1
            ),
            requirements: [.path("Tests/Fixtures/Greeting")],
            machineType: "XS",
            keepAlive: 0,
            arguments: [try PayloadCoding.encode("Ada")]
        )
        let engine = Engine(configuration: EngineConfiguration(home: home))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await engine.run() }
            await engine.untilRunning()
            defer { engine.shutdown() }
            let result = try await engine.invoke(request)
            #expect(try PayloadCoding.decode(String.self, from: result.payload) == "Hello, Ada, from a local package")

            let store = engine.environments
            let summary = try #require(await store.summaries().first { $0.requirements == [#".path("Tests/Fixtures/Greeting")"#] })
            #expect(summary.functions.contains { $0.hasPrefix("greet (") })
            #expect(summary.bytes > 0)

            #expect(try await store.collectGarbage(unusedFor: 3600).isEmpty)
            #expect(await store.summaries().contains { $0.key == summary.key })

            // Removed from outside the engine, as a local `isolated envs rm` beside a server does:
            // the next call builds both again instead of starting a worker whose files are gone.
            let outside = EnvironmentStore(configuration: EngineConfiguration(home: home), logger: Logger(label: "test"))
            #expect(try await outside.remove(prefixes: [String(summary.key.prefix(10))]) == [summary.key])
            #expect(await !store.summaries().contains { $0.key == summary.key })
            #expect(!FileManager.default.fileExists(atPath: "\(home)/environments/\(summary.key)"))
            let again = try await engine.invoke(request)
            #expect(try PayloadCoding.decode(String.self, from: again.payload) == "Hello, Ada, from a local package")
            #expect(again.report.phases.filter { $0.phase == .environment || $0.phase == .compile }.map(\.outcome) == ["built", "compiled"])

            await #expect(throws: (any Error).self) { try await store.remove(prefixes: ["no-such-key"]) }
        }
    }
}
