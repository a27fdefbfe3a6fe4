import Foundation

/// `isolated serve` as a separate process on a free loopback port, with a throwaway database
/// and a key, for the scenarios that go through the server.
struct ServerProcess {
    let server: Child
    let url: URL
    let key: String
    private let database: String

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
        let server = try Child.start(
            executable, ["serve", "--port", "0", "--home", home, "--database", database, "--log-level", "warning"], outputPath: "\(database).log")
        for _ in 0..<600 {
            if let line = server.output.split(separator: "\n").first(where: { $0.hasPrefix("isolated: serving on ") }),
                let address = line.split(separator: " ").dropFirst(3).first, let url = URL(string: String(address))
            {
                return ServerProcess(server: server, url: url, key: key, database: database)
            }
            guard server.process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        _ = await server.wait(timeout: .zero)
        throw StartFailure(description: "isolated serve did not start: \(server.output)")
    }

    private static func createKey(home: String, database: String) async throws -> String {
        let child = try Child.start(executable, ["keys", "create", "bench", "--home", home, "--database", database])
        defer { try? FileManager.default.removeItem(atPath: child.outputPath) }
        let status = await child.wait(timeout: .seconds(60))
        guard status == 0, let key = child.output.split(separator: "\n").first(where: { $0.hasPrefix("isk_") }) else {
            throw StartFailure(description: "isolated keys create failed: \(child.output)")
        }
        return String(key)
    }

    /// Stops the server (SIGTERM; it stops its runners within its grace period) and removes its database.
    func stop() async {
        kill(server.process.processIdentifier, SIGTERM)
        _ = await server.wait(timeout: .seconds(60))
        for suffix in ["", "-wal", "-shm", ".log"] { try? FileManager.default.removeItem(atPath: database + suffix) }
    }
}
