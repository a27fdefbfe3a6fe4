import Foundation
import Isolated
import IsolatedEngine

/// Engines for tests: all share one cache for the whole run (so each environment is built
/// once), under `.build/isolated-test-home` unless `ISOLATED_TEST_HOME` says otherwise.
enum TestEngine {
    static let home: String = {
        if let home = ProcessInfo.processInfo.environment["ISOLATED_TEST_HOME"] { return home }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/isolated-test-home").path
    }()

    /// Whether runners can be sandboxed here: the tests run as root where namespaces work.
    static let canSandbox: Bool = {
        guard geteuid() == 0 else { return false }
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        probe.arguments = ["--mount", "--pid", "--ipc", "--uts", "--net", "--fork", "/bin/true"]
        guard (try? probe.run()) != nil else { return false }
        probe.waitUntilExit()
        return probe.terminationStatus == 0
    }()

    /// Runs `body` with a running engine that every isolated call inside it uses; stops the
    /// engine and all its runners afterwards.
    static func with<Value: Sendable>(
        clock: some Clock<Duration> = ContinuousClock(),
        configure: (inout EngineConfiguration) -> Void = { _ in },
        _ body: @Sendable (Engine) async throws -> Value
    ) async throws -> Value {
        var configuration = EngineConfiguration(home: home)
        configure(&configuration)
        let engine = Engine(configuration: configuration, clock: clock)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await engine.run() }
            await engine.untilRunning()
            let result: Result<Value, any Error>
            do {
                result = .success(try await Isolation.withEngine(engine) { try await body(engine) })
            } catch {
                result = .failure(error)
            }
            engine.shutdown()
            try await group.waitForAll()
            return try result.get()
        }
    }
}

/// Whether a process with this id is alive (a zombie waiting to be reaped counts as gone).
func processExists(_ processID: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(processID)/stat", encoding: .utf8),
        let state = stat.split(separator: ")").last?.split(separator: " ").first
    else { return false }
    return state != "Z" && state != "X"
}
