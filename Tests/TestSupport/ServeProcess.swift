public import Foundation

/// `isolated serve` as a separate process on a free loopback port, for the tests and the
/// benchmark that need a real server.
public struct ServeProcess: Sendable {
    /// The server process; its output is the server's log.
    public let process: ExternalProcess
    /// Where it listens.
    public let url: URL

    /// The server did not start; its output says why.
    public struct StartFailure: Error, CustomStringConvertible {
        /// What the server printed.
        public var output: String
        /// The end of what it printed.
        public var description: String { "isolated serve did not start:\n\(output.suffix(3000))" }
    }

    /// Starts `executable serve --port 0` with `arguments` added, its log in `log`, and waits
    /// until it says where it listens.
    public static func start(executable: String, arguments: [String], log: String) async throws -> ServeProcess {
        let process = try await ExternalProcess.start(executable, ["serve", "--port", "0"] + arguments, outputPath: log)
        for _ in 0..<600 {
            if let line = process.output.split(separator: "\n").first(where: { $0.hasPrefix("isolated: serving on ") }),
                let address = line.split(separator: " ").dropFirst(3).first, let url = URL(string: String(address))
            {
                return ServeProcess(process: process, url: url)
            }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        process.signalGroup(SIGKILL)
        throw StartFailure(output: process.output)
    }

    /// Sends `signal` and returns the server's exit status once it has ended.
    public func stop(_ signal: Int32) async throws -> Int32 {
        process.signal(signal)
        return try await process.wait(timeout: .seconds(60))
    }
}
