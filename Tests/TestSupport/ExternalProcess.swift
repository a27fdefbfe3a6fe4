public import Foundation
import Subprocess
import Synchronization
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// A process the tests or the benchmark start (a CLI, a client, `swift build`, a server,
/// isolate's script), waited for without blocking a thread: tests run on a cooperative pool as
/// small as the machine's core count, and a test blocked on a child that waits for this
/// process's own engine would deadlock the run. It runs through swift-subprocess, whose
/// monitor reaps it, as the leader of a new process group, which ``signalGroup(_:)`` reaches.
/// Output goes to a file, not a pipe, so a descendant that keeps it open cannot make a reader
/// wait forever.
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

    private struct State {
        var processID: Int32 = 0
        var status: Int32?
    }

    private let state = Mutex(State())
    private let command: String
    /// The file that receives the process's standard error, and its standard output unless
    /// that was given a file of its own.
    public let outputPath: String

    /// The process's id, which is also its process group's.
    public var processID: Int32 { state.withLock { $0.processID } }
    /// Whether the process has not ended yet.
    public var isRunning: Bool { state.withLock { $0.status == nil } }
    /// What the process has printed so far.
    public var output: String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }

    private init(command: String, outputPath: String) {
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
    ) async throws -> ExternalProcess {
        let path = outputPath ?? temporaryFile()
        let output = try createFile(path)
        let standardOutput = try standardOutputPath.map(createFile)
        let process = ExternalProcess(command: ([executable] + arguments).joined(separator: " "), outputPath: path)
        var options = PlatformOptions()
        options.processGroupID = 0
        var overrides: [Subprocess.Environment.Key: String?] = [:]
        for (name, value) in environment {
            if let key = Subprocess.Environment.Key(rawValue: name) { overrides[key] = value }
        }
        let configuration = Configuration(
            executable: .path(FilePath(executable)),
            arguments: Arguments(arguments),
            environment: .inherit.updating(overrides),
            workingDirectory: directory.map { FilePath($0) },
            platformOptions: options
        )
        // The process outlives this call, as a started process does: its run is a task of its own,
        // which ends when swift-subprocess has reaped it.
        let (started, startedContinuation) = AsyncStream.makeStream(of: Result<Int32, any Error>.self)
        Task {
            do {
                let status =
                    if let standardOutput {
                        try await run(configuration, output: standardOutput, error: .fileDescriptor(output, closeAfterSpawningProcess: true)) {
                            startedContinuation.yield(.success($0))
                        }
                    } else {
                        try await run(configuration, output: output, error: .combinedWithOutput) { startedContinuation.yield(.success($0)) }
                    }
                process.state.withLock { state in
                    state.status =
                        switch status {
                        case .exited(let code): code
                        case .signaled(let signal): signal
                        }
                }
            } catch {
                startedContinuation.yield(.failure(error))
            }
            startedContinuation.finish()
        }
        for await outcome in started {
            let processID = try outcome.get()
            process.state.withLock { $0.processID = processID }
            return process
        }
        preconditionFailure("swift-subprocess neither started the process nor failed")
    }

    private static func run<ErrorOutput: ErrorOutputProtocol>(
        _ configuration: Configuration,
        output: FileDescriptor,
        error: ErrorOutput,
        started: (Int32) -> Void
    ) async throws -> TerminationStatus {
        try await Subprocess.run(
            configuration,
            input: .none,
            output: .fileDescriptor(output, closeAfterSpawningProcess: true),
            error: error
        ) { execution in
            started(execution.processIdentifier.value)
        }.terminationStatus
    }

    /// Runs `executable` to its end and returns its exit status and output.
    public static func run(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String] = [:],
        timeout: Duration = .seconds(600)
    ) async throws -> (status: Int32, output: String) {
        let process = try await start(executable, arguments, environment: environment)
        defer { try? FileManager.default.removeItem(atPath: process.outputPath) }
        let status = try await process.wait(timeout: timeout)
        return (status, process.output)
    }

    /// A new path in the temporary directory.
    public static func temporaryFile() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("isolated-\(UUID().uuidString).log").path
    }

    private static func createFile(_ path: String) throws -> FileDescriptor {
        try FileDescriptor.open(FilePath(path), .writeOnly, options: [.create, .truncate], permissions: [.ownerReadWrite, .groupRead, .otherRead])
    }

    /// Sends `signal` to the process.
    public func signal(_ signal: Int32) {
        kill(processID, signal)
    }

    /// Sends `signal` to the process's group: the process, if it still runs, and whatever it
    /// started and left in its group.
    public func signalGroup(_ signal: Int32) {
        kill(-processID, signal)
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
            while isRunning {
                showNew()
                guard ContinuousClock.now < deadline else {
                    await killAndReap()
                    throw TimedOut(command: command, timeout: timeout, output: output)
                }
                try await Task.sleep(for: .milliseconds(20))
            }
        } catch is CancellationError {
            await killAndReap()
            throw CancellationError()
        }
        showNew()
        return state.withLock { $0.status } ?? -1
    }

    /// Kills the group and waits, up to 5 s, for swift-subprocess to reap the process. Sleeping
    /// here ignores the waiting task's cancellation: the process must be gone before it returns.
    private func killAndReap() async {
        signalGroup(SIGKILL)
        let deadline = ContinuousClock.now + .seconds(5)
        while isRunning, ContinuousClock.now < deadline {
            await withCheckedContinuation { continuation in
                DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(20)) { continuation.resume() }
            }
        }
    }
}
