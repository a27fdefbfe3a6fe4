import Foundation
import IsolatedCore
import IsolatedEngine
import Testing

@Suite("Workers linked statically in the background", .serialized, .timeLimit(.minutes(10)))
struct StaticWorkerTests {
    /// A running engine that links workers statically, on the tests' shared home.
    static func withEngine<Value: Sendable>(_ body: @Sendable (Engine) async throws -> Value) async throws -> Value {
        let engine = Engine(configuration: EngineConfiguration(home: EngineTests.home, linksWorkersStatically: true))
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await engine.run() }
            await engine.untilRunning()
            defer { engine.shutdown() }
            return try await body(engine)
        }
    }

    /// The executable, and the libraries it maps, of the runner of `name`.
    static func runner(of name: String, in engine: Engine) async throws -> (executable: String, maps: String) {
        let runner = try #require(await engine.runnerSnapshots().first { $0.function.name == name && $0.state == .idle })
        let processID = try #require(runner.processID)
        let handle = try #require(FileHandle(forReadingAtPath: "/proc/\(processID)/maps"))
        defer { try? handle.close() }
        // Read to the end: /proc reports a size of zero, which a one-shot read trusts.
        let maps = String(decoding: try handle.readToEnd() ?? Data(), as: UTF8.self)
        return (try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(processID)/exe"), maps)
    }

    @Test("a function without requirements or Foundation first runs from its dynamically linked worker, then new runners start from its static one")
    func newRunnersStartStatic() async throws {
        try await Self.withEngine { engine in
            let request = EngineTests.request("linkedStatically", "    count * 3", arguments: [try PayloadCoding.encode(14)], keepAlive: 600)
            let first = try await engine.invoke(request)
            #expect(try PayloadCoding.decode(Int.self, from: first.payload) == 42)
            let (dynamic, dynamicMaps) = try await Self.runner(of: "linkedStatically", in: engine)
            let staticWorker = (dynamic as NSString).deletingLastPathComponent + "/worker-static"
            // The first link compiles the runtime's static archives too (about 40 s of one core).
            for _ in 0..<1200 where !FileManager.default.fileExists(atPath: staticWorker) {
                #expect(!FileManager.default.fileExists(atPath: staticWorker + ".failed"), "the static link failed")
                try await Task.sleep(for: .milliseconds(250))
            }
            #expect(
                dynamic.hasSuffix("/worker") || dynamic == staticWorker, "a runner started before the static link finished runs the dynamic worker")
            if dynamic.hasSuffix("/worker") { #expect(dynamicMaps.contains("libswiftCore.so")) }
            #expect(await engine.stopRunner(try #require(first.report.runnerID)))

            let second = try await engine.invoke(request)
            #expect(try PayloadCoding.decode(Int.self, from: second.payload) == 42)
            #expect(second.report.runnerID != first.report.runnerID)
            let (executable, maps) = try await Self.runner(of: "linkedStatically", in: engine)
            #expect(executable == staticWorker)
            #expect(!maps.contains("libswiftCore.so") && !maps.contains("libIsolatedRunner.so"), "\(maps)")
            // Where the toolchain has lld, a static PIE (ELF type ET_DYN, no interpreter), whose
            // unwind tables are found through its header rather than sorted as it starts.
            if try await Toolchain.locate(in: nil).hasLLD {
                let handle = try #require(FileHandle(forReadingAtPath: staticWorker))
                defer { try? handle.close() }
                let header = [UInt8](try handle.read(upToCount: 18) ?? Data())
                #expect(header.count == 18 && header[16] == 3 && header[17] == 0, "worker-static is not a position-independent executable")
                #expect(!maps.contains("ld-linux"), "\(maps)")
            }
        }
    }

    @Test("a function that needed Foundation is not linked statically, and runs from its dynamic worker")
    func foundationStaysDynamic() async throws {
        try await Self.withEngine { engine in
            let plain = EngineTests.request("staticPlain", "    count + 1", arguments: [try PayloadCoding.encode(5)], keepAlive: 600)
            let request = EngineTests.request(
                "staticNeedsFoundation", "    Data(repeating: 1, count: count).count", arguments: [try PayloadCoding.encode(5)], keepAlive: 600)
            #expect(try PayloadCoding.decode(Int.self, from: try await engine.invoke(plain).payload) == 6)
            #expect(try PayloadCoding.decode(Int.self, from: try await engine.invoke(request).payload) == 5)
            let (plainExecutable, _) = try await Self.runner(of: "staticPlain", in: engine)
            let (executable, _) = try await Self.runner(of: "staticNeedsFoundation", in: engine)
            #expect(executable.hasSuffix("/worker"))
            // What decides it: the marker the compile that needed Foundation left for the function.
            #expect(FunctionCompiler.startsWithoutFoundation(plain.function, in: (plainExecutable as NSString).deletingLastPathComponent))
            #expect(!FunctionCompiler.startsWithoutFoundation(request.function, in: (executable as NSString).deletingLastPathComponent))
        }
    }
}
