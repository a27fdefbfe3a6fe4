import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A process a test starts (a CLI, a client, `swift build`), waited for without blocking a
/// thread: tests run on a cooperative pool as small as the machine's core count, and a test
/// blocked on a child that waits for this process's own engine would deadlock the run.
public final class ExternalProcess: Sendable {
    /// The process did not end in time; it has been killed.
    public struct TimedOut: Error, CustomStringConvertible {
        /// The command line that was run.
        public var command: String
        /// How long it was given.
        public var timeout: Duration
        /// What it printed before it was killed.
        public var output: String
        /// The command, its time and the end of its output.
        public var description: String { "\(command) did not end within \(timeout) and was killed; its output:\n\(output.suffix(3000))" }
    }

    private let process: Process
    private let command: String
    /// The file that receives the process's standard output and error, interleaved.
    public let outputPath: String

    /// The process's id.
    public var processID: Int32 { process.processIdentifier }
    /// Whether the process has not ended yet.
    public var isRunning: Bool { process.isRunning }
    /// What the process has printed so far.
    public var output: String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }

    private init(process: Process, command: String, outputPath: String) {
        self.process = process
        self.command = command
        self.outputPath = outputPath
    }

    /// Starts `executable` with this process's environment plus `environment`, its output
    /// going to `outputPath` (a new temporary file by default). A file, not a pipe: a
    /// descendant that keeps it open cannot make a reader wait forever.
    public static func start(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String] = [:],
        outputPath: String? = nil
    ) throws -> ExternalProcess {
        let path = outputPath ?? FileManager.default.temporaryDirectory.appendingPathComponent("isolated-test-\(UUID().uuidString).log").path
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? output.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = output
        process.standardError = output
        try process.run()
        return ExternalProcess(process: process, command: ([executable] + arguments).joined(separator: " "), outputPath: path)
    }

    /// Runs `executable` to its end and returns its exit status and output.
    public static func run(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String] = [:],
        timeout: Duration = .seconds(600)
    ) async throws -> (status: Int32, output: String) {
        let process = try start(executable, arguments, environment: environment)
        defer { try? FileManager.default.removeItem(atPath: process.outputPath) }
        let status = try await process.wait(timeout: timeout)
        return (status, process.output)
    }

    /// Sends `signal` to the process.
    public func signal(_ signal: Int32) {
        kill(process.processIdentifier, signal)
    }

    /// Waits for the process to end and returns its exit status (or terminating signal); kills
    /// it if it outlives `timeout` or the waiting task is cancelled.
    @discardableResult
    public func wait(timeout: Duration = .seconds(600)) async throws -> Int32 {
        let deadline = ContinuousClock.now + timeout
        do {
            while process.isRunning {
                guard ContinuousClock.now < deadline else {
                    killAndReap()
                    throw TimedOut(command: command, timeout: timeout, output: output)
                }
                try await Task.sleep(for: .milliseconds(20))
            }
        } catch is CancellationError {
            killAndReap()
            throw CancellationError()
        }
        return process.terminationStatus
    }

    private func killAndReap() {
        kill(process.processIdentifier, SIGKILL)
        // Reaped by Foundation's own monitor; waiting for that keeps terminationStatus valid.
        for _ in 0..<250 where process.isRunning { usleep(20_000) }
    }
}
