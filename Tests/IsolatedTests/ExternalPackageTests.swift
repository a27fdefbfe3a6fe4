import Foundation
import TestSupport
import Testing

/// A package outside this repository, as a new user would write it: it depends on Isolated and
/// declares an isolated function whose requirement it does not depend on itself.
@Suite("A package that depends on Isolated", .serialized, .timeLimit(.minutes(30)))
struct ExternalPackageTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let manifest = """
        // swift-tools-version: 6.0
        import PackageDescription

        let package = Package(
            name: "Consumer",
            platforms: [.macOS(.v15)],
            dependencies: [.package(path: "\(repository.path)")],
            targets: [
                .executableTarget(name: "Consumer", dependencies: [.product(name: "Isolated", package: "\(repository.lastPathComponent.lowercased())")]),
                .executableTarget(name: "Unshippable", dependencies: [.product(name: "Isolated", package: "\(repository.lastPathComponent.lowercased())")]),
            ]
        )
        """

    static let source = """
        import Foundation
        import Isolated

        @Isolated(requirements: ["apple/swift-algorithms@1.2.0"], machineType: "XS", keepAlive: 10)
        func chunked(_ values: [Int], size: Int) async throws -> [[Int]] {
            values.chunks(ofCount: size).map(Array.init)
        }

        @Isolated(keepAlive: 60)
        func warmUp() async throws {}

        @Isolated(keepAlive: 60)
        func whichRunner() async throws -> String {
            ProcessInfo.processInfo.environment["ISOLATED_RUNNER_ID"] ?? "?"
        }

        /// `count` bytes in which every 8-byte word differs, so a lost, repeated or misplaced chunk shows.
        @Shippable
        func pattern(_ count: Int) -> Data {
            var data = Data(count: count)
            data.withUnsafeMutableBytes { bytes in
                var state: UInt64 = 0x9E37_79B9_7F4A_7C15
                for offset in stride(from: 0, to: count - count % 8, by: 8) {
                    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                    bytes.storeBytes(of: state, toByteOffset: offset, as: UInt64.self)
                }
            }
            return data
        }

        @Isolated(machineType: "S", keepAlive: 60, uses: [pattern])
        func patternBytes(_ count: Int) async throws -> Data {
            pattern(count)
        }

        @Isolated(machineType: "S", keepAlive: 60)
        func echo(_ data: Data) async throws -> Data {
            data
        }

        /// This process's peak resident memory, in bytes (VmHWM).
        func peakMemory() -> Int {
            let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
            let line = status.split(separator: "\\n").first { $0.hasPrefix("VmHWM:") } ?? ""
            return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
        }

        let arguments = CommandLine.arguments
        if arguments.count > 2, arguments[1] == "hold" {
            // Start a warm worker, say where it is, then wait to be killed.
            let (_, reports) = try await Isolation.withCallReports { try await warmUp() }
            let worker = reports.first?.processID ?? 0
            try "\\(worker)".write(toFile: arguments[2], atomically: true, encoding: .utf8)
            try await Task.sleep(for: .seconds(600))
        } else if arguments.count > 3, arguments[1] == "payload", let mebibytes = Int(arguments[3]) {
            // A large result, or a large argument echoed back; checked byte for byte, with the
            // growth of this process's peak memory during the call.
            let expected = pattern(mebibytes << 20)
            let before = peakMemory()
            do {
                let received = arguments[2] == "echo" ? try await echo(expected) : try await patternBytes(expected.count)
                print("payload: \\(received == expected ? "identical" : "DIFFERENT"), \\(received.count) bytes")
                print("peak memory growth: \\(peakMemory() - before) bytes")
            } catch {
                print("payload error: \\(error)")
                exit(3)
            }
        } else if arguments.count > 1, arguments[1] == "runner" {
            print("runner: \\(try await whichRunner())")
        } else {
            let result = try await chunked([1, 2, 3, 4, 5], size: 2)
            print("result: \\(result)")
        }
        """

    /// Lists a helper that is not marked, which must not compile.
    static let unshippable = """
        import Isolated

        func helper() -> Int { 1 }

        @Isolated(uses: [helper])
        func usesUnmarkedHelper() async throws -> Int {
            helper()
        }

        print(try await usesUnmarkedHelper())
        """

    static let root = repository.appendingPathComponent(".build/consumer-package")

    /// Builds the consumer once per test run, in a build directory kept across runs. From a
    /// fresh clone that build compiles swift-syntax beside the rest of the suite: minutes, hence
    /// the longer time limit of the suites that wait for it.
    static func executable() async throws -> String {
        try await ConsumerBuild.shared.executable()
    }

    /// The one build of the consumer that every test waiting for it shares.
    private actor ConsumerBuild {
        static let shared = ConsumerBuild()
        private var build: Task<String, any Error>?

        func executable() async throws -> String {
            if let build { return try await build.value }
            let build = Task { try await ExternalPackageTests.buildConsumer() }
            self.build = build
            return try await build.value
        }
    }

    private static func buildConsumer() async throws -> String {
        for target in ["Consumer", "Unshippable"] {
            try FileManager.default.createDirectory(at: root.appendingPathComponent("Sources/\(target)"), withIntermediateDirectories: true)
        }
        try manifest.write(to: root.appendingPathComponent("Package.swift"), atomically: true, encoding: .utf8)
        try source.write(to: root.appendingPathComponent("Sources/Consumer/main.swift"), atomically: true, encoding: .utf8)
        try unshippable.write(to: root.appendingPathComponent("Sources/Unshippable/main.swift"), atomically: true, encoding: .utf8)
        let (status, output) = try await ExternalProcess.run(
            "/usr/bin/env", ["swift", "build", "--package-path", root.path, "--product", "Consumer"], timeout: .seconds(1800))
        guard status == 0 else { throw BuildFailure(output: output) }
        return root.appendingPathComponent(".build/debug/Consumer").path
    }

    struct BuildFailure: Error, CustomStringConvertible {
        var output: String
        var description: String { "the consumer package did not build:\n\(output.suffix(3000))" }
    }

    @Test("its isolated function returns the right result, computed with a requirement only the worker has")
    func externalPackageCallsIsolatedFunction() async throws {
        let executable = try await Self.executable()
        let (status, output) = try await ExternalProcess.run(executable, [], environment: ["ISOLATED_HOME": TestEngine.home])
        #expect(status == 0, "\(output)")
        #expect(output.contains("result: [[1, 2], [3, 4], [5]]"))
        let manifest = try String(
            contentsOfFile: Self.repository.appendingPathComponent(".build/consumer-package/Package.swift").path, encoding: .utf8)
        #expect(!manifest.contains("swift-algorithms"))
    }

    @Test("a 'uses:' entry that is not marked fails to compile, with a message that says how to mark it")
    func unmarkedUsesEntryDoesNotCompile() async throws {
        _ = try await Self.executable()
        let (status, output) = try await ExternalProcess.run(
            "/usr/bin/env", ["swift", "build", "--package-path", Self.root.path, "--product", "Unshippable"], timeout: .seconds(1200))
        #expect(status != 0)
        #expect(output.contains("Sources/Unshippable/main.swift:"), "\(output.suffix(2000))")
        #expect(output.contains("this 'uses:' entry cannot be shipped: mark the function or type with @Shippable"))
    }

    @Test("killing the calling process with SIGKILL leaves no worker behind")
    func noOrphansAfterSIGKILL() async throws {
        let executable = try await Self.executable()
        let marker = FileManager.default.temporaryDirectory.appendingPathComponent("isolated-worker-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: marker) }
        let process = try await ExternalProcess.start(executable, ["hold", marker], environment: ["ISOLATED_HOME": TestEngine.home])
        defer { try? FileManager.default.removeItem(atPath: process.outputPath) }
        var worker: Int32?
        for _ in 0..<600 where worker == nil {
            try await Task.sleep(for: .milliseconds(100))
            worker = (try? String(contentsOfFile: marker, encoding: .utf8)).flatMap { Int32($0) }
        }
        let workerID = try #require(worker, "the consumer never reported its worker:\n\(process.output)")
        #expect(processExists(workerID))
        process.signal(SIGKILL)
        try await process.wait(timeout: .seconds(30))
        var gone = false
        for _ in 0..<100 where !gone {
            try await Task.sleep(for: .milliseconds(50))
            gone = !processExists(workerID)
        }
        #expect(gone, "worker \(workerID) outlived its caller")
    }
}
