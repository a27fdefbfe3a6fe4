import Foundation
import TestSupport

/// `isolated serve` as a separate process on a free loopback port, with a throwaway database
/// and a key, for the scenarios that go through the server.
struct ServerProcess {
    let server: ServeProcess
    let key: String
    /// The key's id: the fal-serverless client sends it beside the secret (`FAL_KEY_ID`).
    let keyID: String
    /// Where its gRPC front door listens for the fal-serverless client (`FAL_HOST`), when started with one.
    let grpcAddress: String?
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

    /// Starts the server with `arguments` added; with `grpc`, also its gRPC front door for the
    /// fal-serverless client, on a free port.
    static func start(home: String, grpc: Bool = false, arguments extra: [String] = []) async throws -> ServerProcess {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw StartFailure(description: "no \(executable): build it beside the benchmark (scripts/bench.sh does)")
        }
        let database = "\(home)/bench-\(ProcessInfo.processInfo.processIdentifier)\(grpc ? "-grpc" : "")-\(UInt16.random(in: 0...UInt16.max)).sqlite"
        let (key, keyID) = try await createKey(home: home, database: database)
        let arguments = ["--home", home, "--database", database, "--log-level", "warning"] + (grpc ? ["--grpc-port", "0"] : []) + extra
        let server = try await ServeProcess.start(executable: executable, arguments: arguments, log: "\(database).log")
        var grpcAddress: String?
        if grpc {
            // Printed before the HTTP address, which ServeProcess waited for.
            guard let line = server.process.output.split(separator: "\n").first(where: { $0.hasPrefix("isolated: serving gRPC on ") }),
                let address = line.split(separator: " ").dropFirst(4).first
            else {
                server.process.signalGroup(SIGKILL)
                throw StartFailure(description: "isolated serve did not say where it serves gRPC:\n\(server.process.output.suffix(3000))")
            }
            grpcAddress = String(address)
        }
        return ServerProcess(server: server, key: key, keyID: keyID, grpcAddress: grpcAddress, database: database)
    }

    private static func createKey(home: String, database: String) async throws -> (secret: String, id: String) {
        let (status, output) = try await ExternalProcess.run(
            executable, ["keys", "create", "bench", "--scope", "admin", "--home", home, "--database", database], timeout: .seconds(60))
        let lines = output.split(separator: "\n")
        guard status == 0, let key = lines.first(where: { $0.hasPrefix("isk_") }),
            let id = lines.first(where: { $0.hasPrefix("export FAL_KEY_ID=") })?.dropFirst("export FAL_KEY_ID=".count)
        else {
            throw StartFailure(description: "isolated keys create failed: \(output)")
        }
        return (String(key), String(id))
    }

    /// Stops the server (SIGTERM; it stops its runners within its grace period) and removes its database.
    func stop() async {
        _ = try? await server.stop(SIGTERM)
        for suffix in ["", "-wal", "-shm", ".log"] { try? FileManager.default.removeItem(atPath: database + suffix) }
    }
}
