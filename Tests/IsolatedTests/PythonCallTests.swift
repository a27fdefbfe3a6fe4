import Foundation
import IsolatedCore
import IsolatedEngine
import Synchronization
import TestSupport
import Testing

/// Python calls through the engine, as the gRPC front door will make them: a callable pickled
/// with dill by a real interpreter, run by the Python runner in an environment uv built.
@Suite("Python functions on the engine", .serialized, .timeLimit(.minutes(15)))
struct PythonCallTests {
    static let reference = FunctionReference(name: "function", file: "test.py", line: 1)

    /// `source` must define `function()`; returns it pickled by value, as fal-serverless does.
    static func pickle(_ source: String, version: String, engine: Engine) async throws -> [UInt8] {
        let interpreter = try await engine.environments.pythonToolchain().interpreters.interpreter(for: version)
        let runner = try await engine.environments.pythonRunner(for: interpreter)
        let output = ExternalProcess.temporaryFile()
        defer { try? FileManager.default.removeItem(atPath: output) }
        let script = """
            import sys
            sys.path.append(\(String(reflecting: "\(runner)/packages")))
            import dill
            dill.settings["recurse"] = True
            \(source)
            open(\(String(reflecting: output)), "wb").write(dill.dumps(function))
            """
        let (status, log) = try await ExternalProcess.run(interpreter.path, ["-I", "-c", script], timeout: .seconds(60))
        try #require(status == 0, "pickling failed: \(log)")
        return try [UInt8](Data(contentsOf: URL(fileURLWithPath: output)))
    }

    /// The `repr` of a pickled object.
    static func unpickle(_ bytes: [UInt8], version: String, engine: Engine) async throws -> String {
        let interpreter = try await engine.environments.pythonToolchain().interpreters.interpreter(for: version)
        let runner = try await engine.environments.pythonRunner(for: interpreter)
        let input = ExternalProcess.temporaryFile()
        defer { try? FileManager.default.removeItem(atPath: input) }
        try Data(bytes).write(to: URL(fileURLWithPath: input))
        let script = """
            import sys
            sys.path.append(\(String(reflecting: "\(runner)/packages")))
            import dill
            print(repr(dill.loads(open(\(String(reflecting: input)), "rb").read())))
            """
        let (status, output) = try await ExternalProcess.run(interpreter.path, ["-I", "-c", script], timeout: .seconds(60))
        try #require(status == 0, "unpickling failed: \(output)")
        return output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func call(
        _ source: String,
        requirements: [String] = [],
        version: String = "3.11",
        keepAlive: Int = 10,
        timeout: Int? = nil,
        engine: Engine,
        events: @escaping @Sendable (InvocationEvent) -> Void = { _ in }
    ) async throws -> InvocationResult {
        let definition = try await pickle(source, version: version, engine: engine)
        let call = PythonCall(
            function: SerializedCallable(method: "dill", definition: definition),
            pythonVersion: version,
            requirements: requirements,
            machineType: "XS",
            keepAlive: keepAlive,
            timeout: timeout,
            reference: reference
        )
        return try await engine.invoke(python: call, events: events)
    }

    @Test("a Python function runs in an environment uv built from its requirements; its prints reach the caller; its result comes back pickled")
    func runs() async throws {
        try await TestEngine.with { engine in
            let lines = Mutex<[String]>([])
            let result = try await Self.call(
                """
                def function():
                    import sys, pyjokes
                    print("thinking of a joke")
                    print("to stderr", file=sys.stderr)
                    return ("joke", len(pyjokes.get_joke()) > 0, sys.version_info[:2])
                """,
                requirements: ["pyjokes"], engine: engine
            ) { event in
                if case .log(let line) = event { lines.withLock { $0.append("\(line.stream):\(line.text)") } }
            }
            #expect(try await Self.unpickle(result.payload, version: "3.11", engine: engine) == "('joke', True, (3, 11))")
            #expect(lines.withLock { $0 }.sorted() == ["stderr:to stderr", "stdout:thinking of a joke"])
            #expect(result.report.phases.map(\.phase) == [.environment, .start, .run])
        }
    }

    @Test("an environment removed under the engine, as another process's `isolated envs rm` does, is built again by the next call")
    func removedEnvironmentIsRebuilt() async throws {
        try await TestEngine.with { engine in
            // An always-true marker makes the requirement set this test's own.
            let requirements = ["six ; sys_platform != 'removed-under-the-engine'"]
            let source = "def function():\n    import six\n    return six.__name__\n"
            _ = try await Self.call(source, requirements: requirements, keepAlive: 0, engine: engine)
            let environment = try #require(await engine.environments.summaries().first { $0.requirements == requirements })
            let directory = "\(engine.environments.environmentsDirectory)/\(environment.key)"
            try FileManager.default.removeItem(atPath: directory)
            try FileManager.default.removeItem(atPath: "\(directory).json")
            let again = try await Self.call(source, requirements: requirements, keepAlive: 0, engine: engine)
            #expect(try await Self.unpickle(again.payload, version: "3.11", engine: engine) == "'six'")
            #expect(again.report.phases.contains { $0.phase == .environment && $0.outcome == "built" })
        }
    }

    @Test("the next call reuses the warm runner, its process state intact (where @cached keeps its memo); keepAlive 0 gives a fresh one")
    func warmReuse() async throws {
        try await TestEngine.with { engine in
            let counter = """
                def function():
                    import isolate
                    isolate.calls = getattr(isolate, "calls", 0) + 1
                    return isolate.calls
                """
            let first = try await Self.call(counter, engine: engine)
            let second = try await Self.call(counter, engine: engine)
            #expect(try await Self.unpickle(first.payload, version: "3.11", engine: engine) == "1")
            #expect(try await Self.unpickle(second.payload, version: "3.11", engine: engine) == "2")
            #expect(second.report.warm)
            #expect(second.report.runnerID == first.report.runnerID)
            let cold = try await Self.call(counter, keepAlive: 0, engine: engine)
            let colder = try await Self.call(counter, keepAlive: 0, engine: engine)
            #expect(try await Self.unpickle(colder.payload, version: "3.11", engine: engine) == "1")
            #expect(cold.report.runnerID != colder.report.runnerID)
        }
    }

    @Test("an exception the function raises comes back with its type, message, traceback, and itself pickled")
    func raises() async throws {
        try await TestEngine.with { engine in
            let error = await #expect(throws: IsolatedError.self) {
                try await Self.call(
                    """
                    def function():
                        raise ValueError("the input is empty")
                    """, engine: engine)
            }
            #expect(error?.code == .functionThrew)
            #expect(error?.remote?.typeName == "ValueError")
            #expect(error?.remote?.message == "the input is empty")
            #expect(error?.remote?.traceback?.contains("ValueError: the input is empty") == true)
            #expect(error?.remote?.traceback?.contains("isolated_runner") == false, "the runner's own frame is left out")
            let serialized = try #require(error?.remote?.serialized)
            #expect(try await Self.unpickle(serialized, version: "3.11", engine: engine) == "ValueError('the input is empty')")
        }
    }

    @Test("a function that ends its process, or outlives its timeout, fails as a Swift one does, and the engine serves the next call")
    func crashAndTimeout() async throws {
        try await TestEngine.with { engine in
            let crash = await #expect(throws: IsolatedError.self) {
                try await Self.call(
                    """
                    def function():
                        import os
                        print("about to exit")
                        os._exit(7)
                    """, engine: engine)
            }
            #expect(crash?.code == .runnerCrashed)
            #expect(crash?.message.contains("exited with status 7") == true)
            #expect(crash?.logTail.contains("about to exit") == true)
            let slow = await #expect(throws: IsolatedError.self) {
                try await Self.call(
                    """
                    def function():
                        import time
                        time.sleep(120)
                    """, timeout: 2, engine: engine)
            }
            #expect(slow?.code == .timedOut)
            let result = try await Self.call("def function(): return 42", engine: engine)
            #expect(try await Self.unpickle(result.payload, version: "3.11", engine: engine) == "42")
        }
    }

    @Test("a Python version the machine lacks, and a requirement uv cannot install, fail with the reason")
    func buildFailures() async throws {
        try await TestEngine.with { engine in
            let call = PythonCall(
                function: SerializedCallable(method: "dill", definition: []), pythonVersion: "3.4", requirements: [], machineType: "XS",
                keepAlive: 0, reference: Self.reference)
            let missing = await #expect(throws: IsolatedError.self) { try await engine.invoke(python: call) }
            #expect(missing?.code == .pythonUnavailable)
            #expect(missing?.message.contains("Python 3.4 is not installed") == true)
            #expect(missing?.message.contains("3.11") == true)

            let unknown = await #expect(throws: IsolatedError.self) {
                try await Self.call("def function(): return 1", requirements: ["isolated-no-such-package-xyz==1.0"], engine: engine)
            }
            #expect(unknown?.code == .environmentBuildFailed)
            #expect(unknown?.message.contains("isolated-no-such-package-xyz") == true)
            #expect(unknown?.details.isEmpty == false)
        }
    }

    @Test("an environment of another Python version runs that interpreter")
    func secondVersion() async throws {
        try await TestEngine.with { engine in
            let interpreters = try await engine.environments.pythonToolchain().interpreters
            let other = try #require(interpreters.all.map(\.minorVersion).first { $0 != "3.11" }, "this machine has a second Python 3")
            let result = try await Self.call("def function():\n    import sys\n    return sys.version_info[:2]", version: other, engine: engine)
            let parts = other.split(separator: ".")
            #expect(try await Self.unpickle(result.payload, version: other, engine: engine) == "(\(parts[0]), \(parts[1]))")
        }
    }
}
