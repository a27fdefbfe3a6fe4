import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A process the benchmark starts, its output in a file, waited for by polling: nothing it
/// leaves behind can hold the benchmark's own output open, and a deadline ends it together
/// with everything it started (Foundation's `Process` makes it the leader of a new process group).
struct Child {
    let process: Process
    let outputPath: String

    var output: String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }

    /// Starts `executable`; its standard output goes to `standardOutputPath` when given, and
    /// otherwise, like its standard error, to `outputPath`.
    static func start(
        _ executable: String,
        _ arguments: [String],
        directory: URL? = nil,
        outputPath: String = temporaryFile(),
        standardOutputPath: String? = nil
    ) throws -> Child {
        let output = try createFile(outputPath)
        defer { try? output.close() }
        let standardOutput = try standardOutputPath.map(createFile) ?? output
        defer { try? standardOutput.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.standardOutput = standardOutput
        process.standardError = output
        try process.run()
        return Child(process: process, outputPath: outputPath)
    }

    static func temporaryFile() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("bench-\(UUID().uuidString).log").path
    }

    private static func createFile(_ path: String) throws -> FileHandle {
        FileManager.default.createFile(atPath: path, contents: nil)
        return try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    }

    /// Waits for the child to end, passing what it prints meanwhile to `progress`. Past
    /// `timeout` its whole group gets SIGTERM, then SIGKILL, and the result is nil.
    func wait(timeout: Duration, progress: (Data) -> Void = { _ in }) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        var shown = 0
        func showNew() {
            guard let data = FileManager.default.contents(atPath: outputPath), data.count > shown else { return }
            progress(data.dropFirst(shown))
            shown = data.count
        }
        while process.isRunning, ContinuousClock.now < deadline {
            showNew()
            try? await Task.sleep(for: .milliseconds(100))
        }
        showNew()
        let finished = !process.isRunning
        // Whatever the group still holds (the child itself on timeout, or strays it left) goes too.
        for signal in [SIGTERM, SIGKILL] {
            kill(-process.processIdentifier, signal)
            for _ in 0..<100 where process.isRunning { try? await Task.sleep(for: .milliseconds(50)) }
        }
        return finished ? process.terminationStatus : nil
    }
}
