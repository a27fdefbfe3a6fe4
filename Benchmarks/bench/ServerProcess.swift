import Foundation
import TestSupport

/// `isolated serve` as a separate process on a free loopback port, with a throwaway database
/// and a key, for the scenarios that go through the server.
struct ServerProcess {
    let server: ServeProcess
    let key: String
    private let database: String

    var url: URL { server.url }
    var processID: Int32 { server.process.processID }

    struct StartFailure: Error, CustomStringConvertible {
        var description: String
    }

    /// The `isolated` executable built beside this benchmark (`swift build -c release --product isolated`).
    static var executable: String {
        let benchmark = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: benchmark).deletingLastPathComponent().appendingPathComponent("isolated").path
    }

    static func start(home: String) async throws -> ServerProcess {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw StartFailure(description: "no \(executable): build it beside the benchmark (scripts/bench.sh does)")
        }
        let database = "\(home)/bench-\(ProcessInfo.processInfo.processIdentifier).sqlite"
        let key = try await createKey(home: home, database: database)
        let server = try await ServeProcess.start(
            executable: executable, arguments: ["--home", home, "--database", database, "--log-level", "warning"], log: "\(database).log")
        return ServerProcess(server: server, key: key, database: database)
    }

    private static func createKey(home: String, database: String) async throws -> String {
        let (status, output) = try await ExternalProcess.run(
            executable, ["keys", "create", "bench", "--home", home, "--database", database], timeout: .seconds(60))
        guard status == 0, let key = output.split(separator: "\n").first(where: { $0.hasPrefix("isk_") }) else {
            throw StartFailure(description: "isolated keys create failed: \(output)")
        }
        return String(key)
    }

    /// Stops the server (SIGTERM; it stops its runners within its grace period) and removes its database.
    func stop() async {
        _ = try? await server.stop(SIGTERM)
        for suffix in ["", "-wal", "-shm", ".log"] { try? FileManager.default.removeItem(atPath: database + suffix) }
    }
}
