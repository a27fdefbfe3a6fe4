import ArgumentParser
import Foundation
import IsolatedClient
import IsolatedCore
import IsolatedEngine

/// `isolated runners`: a server's runners.
struct Runners: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List and stop a server's runners (runners belong to a running engine: give --server or ISOLATED_SERVER).",
        subcommands: [List.self, Stop.self],
        defaultSubcommand: List.self
    )

    static func client(_ options: HomeOptions) throws -> ServerClient {
        guard let client = try options.client() else {
            throw ValidationError("runners belong to a running engine: give --server URL or set ISOLATED_SERVER (and ISOLATED_KEY)")
        }
        return client
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List runners: function, machine type, state, calls, and on a cluster their node and job.")

        @OptionGroup var options: HomeOptions

        func run() async throws {
            let runners = try await Runners.client(options).runners()
            if options.json { return try printJSON(runners) }
            printTable(
                ["ID", "FUNCTION", "MACHINE", "STATE", "CALLS", "KEEP-ALIVE", "PID", "NODE", "JOB"],
                runners.map {
                    [
                        $0.id, $0.function.name, $0.machineType, $0.state.rawValue, "\($0.calls)", "\($0.keepAlive) s",
                        $0.processID.map(String.init) ?? "-", $0.node ?? "-", $0.job ?? "-",
                    ]
                }
            )
        }
    }

    struct Stop: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop runners: at once when idle, after their call when busy.")

        @OptionGroup var options: HomeOptions

        @Argument(help: "Runner ids, as `isolated runners list` shows them.")
        var ids: [String]

        func run() async throws {
            let client = try Runners.client(options)
            for id in ids {
                print("stopping \(try await client.stopRunner(id).joined(separator: ", "))")
            }
        }
    }
}
