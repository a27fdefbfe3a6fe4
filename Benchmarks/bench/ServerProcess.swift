import Foundation

/// `isolated serve` as a separate process on a free loopback port, with a throwaway database
/// and a key, for the scenarios that go through the server.
struct ServerProcess {
    let process: Process
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
        let log = "\(database).log"
        FileManager.default.createFile(atPath: log, contents: nil)
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        let key = try createKey(home: home, database: database)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["serve", "--port", "0", "--home", home, "--database", database, "--log-level", "warning"]
        process.standardOutput = output
        process.standardError = output
        try process.run()
        for _ in 0..<600 {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("isolated: serving on ") }),
                let address = line.split(separator: " ").dropFirst(3).first, let url = URL(string: String(address))
            {
                return ServerProcess(process: process, url: url, key: key, database: database)
            }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        process.terminate()
        throw StartFailure(description: "isolated serve did not start: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
    }

    private static func createKey(home: String, database: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["keys", "create", "bench", "--home", home, "--database", database]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0, let key = text.split(separator: "\n").first(where: { $0.hasPrefix("isk_") }) else {
            throw StartFailure(description: "isolated keys create failed: \(text)")
        }
        return String(key)
    }

    /// Stops the server (SIGTERM, then its runners stop) and removes its database.
    func stop() {
        process.terminate()
        process.waitUntilExit()
        for suffix in ["", "-wal", "-shm", ".log"] { try? FileManager.default.removeItem(atPath: database + suffix) }
    }
}
