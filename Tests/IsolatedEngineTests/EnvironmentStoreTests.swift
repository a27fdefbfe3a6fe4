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

    @Test("an environment starts from the built products of one that shares its packages, and compiles only the rest")
    func sharedProducts() async throws {
        // A home of its own, emptied: which environment seeds which depends on what is built.
        let home = EngineTests.home + "-seeding"
        try? FileManager.default.removeItem(atPath: home)
        func request(_ name: String, _ expression: String, _ requirements: [Requirement]) -> InvocationRequest {
            InvocationRequest(
                function: FunctionSource(
                    name: name,
                    source: "func \(name)() async throws -> Int {\n    \(expression)\n}",
                    entry: "return try await invocation.result(\(name)())",
                    file: #filePath,
                    line: 1
                ),
                requirements: requirements,
                machineType: "XS",
                keepAlive: 0,
                arguments: []
            )
        }
        let numerics = request("one", "Int(Double.exp(0))", ["apple/swift-numerics@1.1.1"])
        let both = request(
            "two", "[1, 2, 3].chunks(ofCount: 2).count + Int(Double.exp(0))", ["apple/swift-numerics@1.1.1", "apple/swift-algorithms@1.2.1"])
        let engine = Engine(configuration: EngineConfiguration(home: home))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await engine.run() }
            await engine.untilRunning()
            defer { engine.shutdown() }
            let store = engine.environments
            let holdsAlgorithms = { (summary: EnvironmentSummary) in summary.requirements.contains { $0.hasSuffix("/swift-algorithms@1.2.1") } }

            #expect(try PayloadCoding.decode(Int.self, from: try await engine.invoke(numerics).payload) == 1)
            let seed = try #require(await store.summaries().first { $0.requirements == ["https://github.com/apple/swift-numerics@1.1.1"] })
            let result = try await engine.invoke(both)
            #expect(try PayloadCoding.decode(Int.self, from: result.payload) == 3)

            let built = try #require(await store.summaries().first(where: holdsAlgorithms))
            let log = try String(contentsOfFile: "\(home)/environments/\(built.key)/build.log", encoding: .utf8)
            #expect(log.contains("Reusing the built swift-numerics of environment \(seed.key.prefix(12))"))
            #expect(log.contains("Compiling Algorithms"))
            #expect(!log.contains("Compiling RealModule"))
            // The library products were read once, when the first environment was built.
            #expect(!log.contains("Reading the products of https://github.com/apple/swift-numerics"))

            // Two new environments at once take turns at the build path, both seeded, both whole.
            let alone = request("three", "[1, 2, 3].chunks(ofCount: 1).count", ["apple/swift-algorithms@1.2.1"])
            let real = request(
                "four", "Int(Double.exp(0)) * 4",
                [.package(url: "https://github.com/apple/swift-numerics", from: "1.1.1", products: ["RealModule"])]
            )
            async let three = engine.invoke(alone)
            async let four = engine.invoke(real)
            #expect(try PayloadCoding.decode(Int.self, from: try await three.payload) == 3)
            #expect(try PayloadCoding.decode(Int.self, from: try await four.payload) == 4)
            let logs = try await store.summaries().filter { $0.key != seed.key && $0.key != built.key }.map {
                try String(contentsOfFile: "\(home)/environments/\($0.key)/build.log", encoding: .utf8)
            }
            #expect(logs.count == 2)
            #expect(logs.filter { $0.contains("waiting for another environment build") }.count == 1)
            #expect(logs.allSatisfy { $0.contains("Reusing the built") })

            // The seed stays whole: its functions still compile and run after the second build.
            _ = try await store.remove(prefixes: [built.key])
            #expect(!FileManager.default.fileExists(atPath: "\(home)/environments/\(SwiftPMEnvironmentBuilder.slotName)"))
            let again = request("uno", "Int(Double.exp(0)) + 1", ["apple/swift-numerics@1.1.1"])
            #expect(try PayloadCoding.decode(Int.self, from: try await engine.invoke(again).payload) == 2)
        }
    }
}
