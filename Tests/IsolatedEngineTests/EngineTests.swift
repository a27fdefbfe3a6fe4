import Foundation
import IsolatedCore
import IsolatedEngine
import Synchronization
import Testing

/// Engine-level tests: they call `Engine.invoke` directly to see every event a call produces.
@Suite("Engine", .serialized, .timeLimit(.minutes(15)))
struct EngineTests {
    static let home: String = {
        if let home = ProcessInfo.processInfo.environment["ISOLATED_TEST_HOME"] { return home }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/isolated-test-home").path
    }()

    static func request(_ name: String, _ body: String, arguments: [[UInt8]] = [], keepAlive: Int = 10) -> InvocationRequest {
        InvocationRequest(
            function: FunctionSource(
                name: name,
                source: "func \(name)(_ count: Int) async throws -> Int {\n\(body)\n}",
                entry: "return try await invocation.result(\(name)(invocation.argument(0, as: Int.self)))",
                file: #filePath,
                line: 1
            ),
            requirements: [],
            machineType: "XS",
            keepAlive: keepAlive,
            arguments: arguments
        )
    }

    static func withEngine<Value: Sendable>(_ body: @Sendable (Engine) async throws -> Value) async throws -> Value {
        let engine = Engine(configuration: EngineConfiguration(home: home))
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await engine.run() }
            await engine.untilRunning()
            defer { engine.shutdown() }
            return try await body(engine)
        }
    }

    @Test("each line a function prints reaches the caller attributed to its call, before the result")
    func logsAreAttributed() async throws {
        let events = Mutex<[InvocationEvent]>([])
        let request = Self.request(
            "chatty",
            """
                for index in 0..<count { print("out \\(index)") }
                FileHandle.standardError.write(Data("err line\\n".utf8))
                print("no newline", terminator: "")
                return count
            """,
            // More than a pipe holds, so the last lines are still in the pipe when the result arrives.
            arguments: [Array("8000".utf8)]
        )
        let results = try await Self.withEngine { engine in
            var results: [InvocationResult] = []
            for _ in 0..<3 {
                results.append(try await engine.invoke(request) { event in events.withLock { $0.append(event) } })
            }
            return results
        }
        let lines = events.withLock { $0 }.compactMap { event -> LogLine? in
            if case .log(let line) = event { return line }
            return nil
        }
        for result in results {
            let mine = lines.filter { $0.callID == result.report.callID }
            #expect(mine.filter { $0.stream == .stdout }.map(\.text) == (0..<8000).map { "out \($0)" } + ["no newline"])
            #expect(mine.filter { $0.stream == .stderr }.map(\.text) == ["err line"])
            #expect(mine.allSatisfy { $0.function == "chatty" })
        }
        #expect(results[1].report.warm && results[2].report.warm)
    }

    @Test("a function that needs no Foundation runs without it loaded, one that needs its essentials with only them, one that needs more with all")
    func foundationOnlyWhenNeeded() async throws {
        try await Self.withEngine { engine in
            // Kept warm past the three compiles the last one needs (none, essentials, all), which take seconds on a loaded machine.
            let none = Self.request("noFoundation", "    count + Int(getpid() > 0 ? 1 : 0)", arguments: [try PayloadCoding.encode(3)], keepAlive: 120)
            let light = Self.request(
                "lightFoundation", "    Data(repeating: 1, count: count).count + Int(getpid() > 0 ? 1 : 0)", arguments: [try PayloadCoding.encode(3)],
                keepAlive: 120)
            let full = Self.request("fullFoundation", "    NSLock().withLock { count * 2 }", arguments: [try PayloadCoding.encode(3)], keepAlive: 120)
            #expect(try PayloadCoding.decode(Int.self, from: try await engine.invoke(none).payload) == 4)
            #expect(try PayloadCoding.decode(Int.self, from: try await engine.invoke(light).payload) == 4)
            #expect(try PayloadCoding.decode(Int.self, from: try await engine.invoke(full).payload) == 6)
            func maps(_ name: String) async throws -> String {
                let runner = try #require(await engine.runnerSnapshots().first { $0.function.name == name })
                // Read to the end: /proc reports a size of zero, which a one-shot read trusts.
                let processID = try #require(runner.processID)
                let handle = try #require(FileHandle(forReadingAtPath: "/proc/\(processID)/maps"))
                defer { try? handle.close() }
                return String(decoding: try handle.readToEnd() ?? Data(), as: UTF8.self)
            }
            #expect(try await !maps("noFoundation").contains("libFoundation"))
            #expect(try await maps("lightFoundation").contains("libFoundationEssentials.so"))
            #expect(try await !maps("lightFoundation").contains("libFoundation.so"))
            #expect(try await maps("fullFoundation").contains("libFoundation.so"))
        }
    }

    @Test("a call's phases are reported with their outcomes")
    func phasesAreReported() async throws {
        let request = Self.request("phases", "    count * 2", arguments: [Array("21".utf8)], keepAlive: 5)
        let (first, second) = try await Self.withEngine { engine in
            (try await engine.invoke(request), try await engine.invoke(request))
        }
        #expect(try PayloadCoding.decode(Int.self, from: first.payload) == 42)
        #expect(first.report.phases.map(\.phase) == [.environment, .compile, .start, .run])
        #expect(first.report.phases.first { $0.phase == .start }?.outcome == "cold")
        #expect(second.report.warm)
        #expect(second.report.phases.map(\.phase) == [.environment, .compile, .run])
        #expect(second.report.phases.prefix(2).allSatisfy { $0.outcome == "cached" })
    }

    @Test("an argument the worker cannot decode is a coding error, and the runner stays usable")
    func argumentDecodingFailure() async throws {
        let request = Self.request("decodes", "    count", arguments: [Array("\"not an int\"".utf8)])
        try await Self.withEngine { engine in
            let error = await #expect(throws: IsolatedError.self) { try await engine.invoke(request) }
            #expect(error?.code == .codingFailed)
            #expect(error?.remote?.stage == .argumentDecoding)
            var good = request
            good.arguments = [Array("3".utf8)]
            let result = try await engine.invoke(good)
            #expect(result.report.warm)
        }
    }

    @Test("calls are refused, with the reason, when the engine is not running")
    func notRunning() async throws {
        let engine = Engine(configuration: EngineConfiguration(home: Self.home))
        let error = await #expect(throws: IsolatedError.self) { try await engine.invoke(Self.request("f", "    0")) }
        #expect(error?.code == .engineUnavailable)
    }
}
