import Foundation
import Isolated
import IsolatedEngine
import Synchronization
import Testing

/// Runs only where the engine can sandbox runners (as root, with namespaces), as on this
/// project's machines; elsewhere `isolated doctor` says runners are not sandboxed.
@Suite(
    "The runner sandbox: namespaces, a hidden engine home, a read-only system, no root",
    .serialized,
    .timeLimit(.minutes(15)),
    .enabled(if: TestEngine.canSandbox)
)
struct SandboxTests {
    @Test("a runner has its own PID namespace and host name, runs as nobody, and sees only the documented variables")
    func runnerView() async throws {
        setenv("ISOLATED_TEST_SECRET", "must not reach a function", 1)
        defer { unsetenv("ISOLATED_TEST_SECRET") }
        let (view, reports) = try await TestEngine.with { _ in try await Isolation.withCallReports { try await sandboxView() } }
        let report = try #require(reports.first)
        #expect(view["user"] == "65534" && view["group"] == "65534")
        #expect(view["process"] == "2")
        #expect(view["processes"] == "1,2")
        #expect(view["hostName"] == "isolated-\(report.runnerID ?? "")")
        #expect(view["directory"] == "\(TestEngine.home)/runners/\(report.runnerID ?? "")")
        #expect(view["temporary"] == "/tmp")
        let documented: Set = [
            "PATH", "HOME", "TMPDIR", "ISOLATED_RUNNER_FD", "ISOLATED_RUNNER_ID", "ISOLATED_FUNCTION", "ISOLATED_MACHINE_TYPE", "SWIFT_BACKTRACE",
            "GLIBC_TUNABLES",
            "LANG", "LC_ALL", "TZ",
        ]
        let seen = Set((view["environment"] ?? "").split(separator: ",").map(String.init))
        #expect(seen.isSubset(of: documented), "undocumented variables: \(seen.subtracting(documented))")
        // The engine sees the runner's real process, not the namespace's 2.
        #expect(report.processID != 2)
    }

    @Test("an engine whose home is under /tmp runs sandboxed calls: the runner's private /tmp does not hide the home")
    func homeUnderTemporaryDirectory() async throws {
        let home = "/tmp/isolated-test-home-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: home) }
        // The runtime is content-addressed: a copy of the test home's, when there is one, saves
        // building it again (a copy taken mid-build has no `ready` mark and is rebuilt).
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        try? FileManager.default.copyItem(atPath: "\(TestEngine.home)/runtime", toPath: "\(home)/runtime")
        let (view, reports) = try await TestEngine.with(configure: { $0.home = home }) { _ in
            try await Isolation.withCallReports { try await sandboxView() }
        }
        #expect(view["directory"] == "\(home)/runners/\(reports.first?.runnerID ?? "")")
        #expect(view["temporary"] == "/tmp")
    }

    @Test("a function cannot read the engine's state: its files and other environments' records")
    func engineStateIsHidden() async throws {
        let secret = "\(TestEngine.home)/engine-secret-for-sandbox-test"
        try "the engine's secret".write(toFile: secret, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: secret) }
        let environments = ((try? FileManager.default.contentsOfDirectory(atPath: "\(TestEngine.home)/environments")) ?? [])
            .filter { $0.hasSuffix(".json") }.map { "\(TestEngine.home)/environments/\($0)" }
        let paths = [secret] + environments.prefix(2)
        let results = try await TestEngine.with { _ in
            let results = try await tryToRead(paths)
            #expect(try await healthy() == "still serving")
            return results
        }
        #expect(results == Array(repeating: "No such file or directory", count: paths.count), "\(zip(paths, results).map { "\($0): \($1)" })")
    }

    @Test("a function cannot read another runner's directory or /tmp, though that runner is alive and its files exist")
    func otherRunnersAreHidden() async throws {
        try await TestEngine.with { _ in
            let secrets = try await leavesSecrets()
            #expect(FileManager.default.fileExists(atPath: secrets[0]), "the first runner's file is on the host")
            #expect(try await tryToRead(secrets) == ["No such file or directory", "No such file or directory"])
            #expect(try await healthy() == "still serving")
        }
    }

    @Test("a function cannot write outside its own directory and /tmp")
    func writesOutsideFail() async throws {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().path
        let outside = [
            "/etc/isolated-escape", "/opt/isolated-escape", "\(repository)/isolated-escape", "\(TestEngine.home)/isolated-escape",
            "/var/tmp/isolated-escape",
        ]
        let results = try await TestEngine.with { _ in
            let results = try await tryToWrite(outside + ["inside", "/tmp/inside"])
            #expect(try await healthy() == "still serving")
            return results
        }
        // A path under /tmp (a checkout there) is not even visible: the sandbox's /tmp is its own.
        let refusals: Set = ["Read-only file system", "Permission denied", "No such file or directory"]
        for (path, result) in zip(outside, results) {
            #expect(refusals.contains(result), "\(path): \(result)")
            #expect(!FileManager.default.fileExists(atPath: path))
        }
        #expect(results.suffix(2) == ["written", "written"])
    }

    @Test("a function that prints without end is stopped at the output limit, the engine keeps only the limit, and serves the next call")
    func printingGigabytes() async throws {
        let received = Atomic<Int>(0)
        try await TestEngine.with(configure: { $0.maxOutputBytesPerCall = 16 << 20 }) { _ in
            let error = try await #require(throws: IsolatedError.self) {
                try await Isolation.withEventHandler({ event in
                    if case .log(let line) = event { received.add(line.text.utf8.count, ordering: .relaxed) }
                }) { _ = try await printsForever() }
            }
            #expect(error.code == .outputLimitExceeded)
            #expect(error.message.contains("printsForever") && error.message.contains("printed more than 16 MiB in one call"))
            #expect(try await healthy() == "still serving")
        }
        #expect(received.load(ordering: .relaxed) <= 16 << 20)
        #expect(received.load(ordering: .relaxed) >= 8 << 20)
    }

    @Test("network: .disabled leaves a function only its own loopback; by default it reaches the host's")
    func networkSwitch() async throws {
        let listener = try LoopbackListener()
        defer { listener.close() }
        let (with, without) = try await TestEngine.with { _ in
            (try await connectsWithNetwork(port: listener.port), try await connectsWithoutNetwork(port: listener.port))
        }
        #expect(with == "connected")
        #expect(without == "Connection refused")
    }
}

/// A TCP socket listening on 127.0.0.1; connections complete in its backlog, never accepted.
struct LoopbackListener {
    let descriptor: Int32
    let port: Int

    init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = in_addr_t(0x7f00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0 }
        }
        guard descriptor >= 0, bound, listen(descriptor, 16) == 0 else { throw POSIXError(.EADDRNOTAVAIL) }
        self.descriptor = descriptor
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    func close() { Glibc.close(descriptor) }
}
