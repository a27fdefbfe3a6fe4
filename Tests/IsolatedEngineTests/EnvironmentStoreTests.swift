import Foundation
import IsolatedCore
import IsolatedEngine
import Logging
import Testing

@Suite("The environment cache", .serialized)
struct EnvironmentStoreTests {
    @Test("a .path requirement is shipped into an environment that `envs` lists, removes and collects")
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
        let result = try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await engine.run() }
            await engine.untilRunning()
            defer { engine.shutdown() }
            return try await engine.invoke(request)
        }
        #expect(try PayloadCoding.decode(String.self, from: result.payload) == "Hello, Ada, from a local package")

        let store = EnvironmentStore(configuration: EngineConfiguration(home: home), logger: Logger(label: "test"))
        let summary = try #require(await store.summaries().first { $0.requirements == [#".path("Tests/Fixtures/Greeting")"#] })
        #expect(summary.functions.contains { $0.hasPrefix("greet (") })
        #expect(summary.bytes > 0)

        #expect(try await store.collectGarbage(unusedFor: 3600).isEmpty)
        #expect(await store.summaries().contains { $0.key == summary.key })

        #expect(try await store.remove(prefixes: [String(summary.key.prefix(10))]) == [summary.key])
        #expect(await !store.summaries().contains { $0.key == summary.key })
        #expect(!FileManager.default.fileExists(atPath: "\(home)/environments/\(summary.key)"))
        await #expect(throws: (any Error).self) { try await store.remove(prefixes: ["no-such-key"]) }
    }
}
