import Foundation
import IsolatedEngine
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The CPU group the sandbox helper makes for a cluster runner's `--cpu-quota`.
@Suite("The sandbox helper's CPU groups")
struct SandboxCPUGroupTests {
    /// Where the helper makes its group: under this process's own group of the v1 CPU controller.
    static let parent: String? = {
        guard let groups = try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8) else { return nil }
        for line in groups.split(separator: "\n") {
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3, fields[1].split(separator: ",").contains("cpu") else { continue }
            let path = "/sys/fs/cgroup/\(fields[1])\(fields[2] == "/" ? "" : fields[2])"
            return access(path, W_OK) == 0 ? path : nil
        }
        return nil
    }()

    @Test(
        "a helper killed outright leaves its group, and the next helper removes it, keeping groups of live processes and other names",
        .enabled(if: parent != nil && getuid() == 0, "needs root and a writable cgroup v1 CPU controller")
    )
    func staleGroupsRemoved() async throws {
        let parent = try #require(Self.parent)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sandbox-cpu-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let helper = "\(directory)/isolated-sandbox"
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Sources/IsolatedSandbox/main.c")
            .standardizedFileURL.path
        let compiled = try await Toolchain.locate(in: nil).compileC(["-O2", "-o", helper, source])
        #expect(compiled.succeeded, "\(compiled.output)")

        func start(_ command: [String]) throws -> Process {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: helper)
            process.arguments = ["--cpu-quota", "50000:100000", "--"] + command
            try process.run()
            return process
        }

        let killed = try start(["/bin/sleep", "60"])
        let killedGroup = "\(parent)/isolated-cpu-\(killed.processIdentifier)"
        try await Self.eventually("the helper made its group") { FileManager.default.fileExists(atPath: killedGroup) }
        kill(killed.processIdentifier, SIGKILL)
        killed.waitUntilExit()
        // Its runner dies with it (the namespace's init goes on its parent's death), emptying the group.
        try await Self.eventually("the killed helper's group is empty") {
            (try? String(contentsOfFile: "\(killedGroup)/cgroup.procs", encoding: .utf8))?.isEmpty == true
        }
        #expect(FileManager.default.fileExists(atPath: killedGroup))

        let live = "\(parent)/isolated-cpu-\(getpid())"
        let otherName = "\(parent)/isolated-cpu-\(killed.processIdentifier)-kept"
        for kept in [live, otherName] { try FileManager.default.createDirectory(atPath: kept, withIntermediateDirectories: false) }
        defer { for kept in [live, otherName] { rmdir(kept) } }

        let next = try start(["/bin/true"])
        next.waitUntilExit()
        #expect(next.terminationStatus == 0)
        #expect(!FileManager.default.fileExists(atPath: killedGroup))
        #expect(!FileManager.default.fileExists(atPath: "\(parent)/isolated-cpu-\(next.processIdentifier)"))
        #expect(FileManager.default.fileExists(atPath: live))
        #expect(FileManager.default.fileExists(atPath: otherName))
    }

    private static func eventually(_ what: String, _ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while !condition() {
            guard ContinuousClock.now < deadline else {
                Issue.record("timed out waiting until \(what)")
                return
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }
}
