public import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A process the tests or the benchmark start (a CLI, a client, `swift build`, a server,
/// isolate's script), waited for without blocking a thread: tests run on a cooperative pool as
/// small as the machine's core count, and a test blocked on a child that waits for this
/// process's own engine would deadlock the run. Output goes to a file, not a pipe, so a
/// descendant that keeps it open cannot make a reader wait forever. Foundation's `Process`
/// makes the child the leader of a new process group, which ``signalGroup(_:)`` reaches.
public final class ExternalProcess: Sendable {
    /// The process did not end in time; it and its process group have been killed.
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
    /// The file that receives the process's standard error, and its standard output unless
    /// that was given a file of its own.
    public let outputPath: String

    /// The process's id, which is also its process group's.
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

    /// Starts `executable` with this process's environment plus `environment`. Its output goes
    /// to `outputPath` (a new temporary file by default); its standard output alone goes to
    /// `standardOutputPath` when that is given.
    public static func start(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String] = [:],
        directory: String? = nil,
        outputPath: String? = nil,
        standardOutputPath: String? = nil
    ) throws -> ExternalProcess {
        let path = outputPath ?? temporaryFile()
        let output = try createFile(path)
        defer { try? output.close() }
        let standardOutput = try standardOutputPath.map(createFile) ?? output
        defer { try? standardOutput.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.currentDirectoryURL = directory.map { URL(fileURLWithPath: $0) }
        process.standardOutput = standardOutput
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

    /// A new path in the temporary directory.
    public static func temporaryFile() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("isolated-\(UUID().uuidString).log").path
    }

    private static func createFile(_ path: String) throws -> FileHandle {
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        return try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    }

    /// Sends `signal` to the process.
    public func signal(_ signal: Int32) {
        kill(process.processIdentifier, signal)
    }

    /// Sends `signal` to the process's group: the process, if it still runs, and whatever it
    /// started and left in its group.
    public func signalGroup(_ signal: Int32) {
        kill(-process.processIdentifier, signal)
    }

    /// Waits for the process to end and returns its exit status (or terminating signal),
    /// passing what it prints meanwhile to `progress`. If it outlives `timeout`, or the waiting
    /// task is cancelled, its group is killed.
    @discardableResult
    public func wait(timeout: Duration = .seconds(600), progress: ((Data) -> Void)? = nil) async throws -> Int32 {
        let deadline = ContinuousClock.now + timeout
        var shown = 0
        func showNew() {
            guard let progress, let data = FileManager.default.contents(atPath: outputPath), data.count > shown else { return }
            progress(data.dropFirst(shown))
            shown = data.count
        }
        do {
            while process.isRunning {
                showNew()
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
        showNew()
        return process.terminationStatus
    }

    private func killAndReap() {
        signalGroup(SIGKILL)
        // Reaped by Foundation's own monitor; waiting for that keeps terminationStatus valid.
        for _ in 0..<250 where process.isRunning { usleep(20_000) }
    }
}
