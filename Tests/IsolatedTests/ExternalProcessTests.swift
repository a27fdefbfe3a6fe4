import Foundation
import TestSupport
import Testing

/// The helper every test that starts a child process relies on to never hang the run.
@Suite("Child processes in tests: awaited, and killed with their group on timeout")
struct ExternalProcessTests {
    @Test("a child that outlives its timeout is killed with what it started, and the error carries its output")
    func timeoutKillsTheGroup() async throws {
        let child = try await ExternalProcess.start("/bin/sh", ["-c", "sleep 60 & echo $!; wait"])
        defer { try? FileManager.default.removeItem(atPath: child.outputPath) }
        let error = try await #require(throws: ExternalProcess.TimedOut.self) { try await child.wait(timeout: .seconds(1)) }
        let background = try #require(Int32(error.output.trimmingCharacters(in: .whitespacesAndNewlines)), "\(error.output)")
        #expect(!child.isRunning)
        var gone = false
        for _ in 0..<100 where !gone {
            try await Task.sleep(for: .milliseconds(20))
            gone = !processExists(background)
        }
        #expect(gone, "the child's background process \(background) outlived the timeout")
    }

    @Test("a child that ends in time gives its exit status and output")
    func run() async throws {
        let (status, output) = try await ExternalProcess.run("/bin/sh", ["-c", "echo out; echo err >&2; exit 3"], timeout: .seconds(60))
        #expect(status == 3)
        #expect(output.contains("out") && output.contains("err"))
    }
}
