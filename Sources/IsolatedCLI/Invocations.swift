import ArgumentParser
import Foundation
import IsolatedClient
import IsolatedCore
import IsolatedServer
import IsolatedStore

/// `isolated invocations`: recorded calls.
struct Invocations: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the calls a server recorded, newest first, with their phases.")

    @OptionGroup var options: HomeOptions

    @Option(help: "How many to list.")
    var limit = 20

    @Option(help: "Only calls of this function.")
    var function: String?

    func run() async throws {
        let invocations: [InvocationInfo]
        if let client = try options.client() {
            invocations = try await client.invocations(limit: limit, function: function)
        } else {
            let store = try await options.openStore()
            let records = try await store.invocations(limit: limit, function: function)
            try await store.close()
            invocations = records.map(InvocationInfo.init)
        }
        if options.json { return try printJSON(invocations) }
        printTable(
            ["ID", "PARENT", "FUNCTION", "MACHINE", "STARTED", "OUTCOME", "PHASES"],
            invocations.map { invocation in
                [
                    String(invocation.id.prefix(8)),
                    invocation.parentID.map { String($0.prefix(8)) } ?? "-",
                    invocation.function,
                    invocation.machineType,
                    invocation.startedAt.formatted(date: .abbreviated, time: .standard),
                    invocation.outcome + (invocation.error.map { " (\($0.code))" } ?? ""),
                    invocation.phases.map { "\($0.phase) \(formatSeconds($0.seconds))" }.joined(separator: ", "),
                ]
            }
        )
    }
}

/// `isolated logs ID`: what one call printed.
struct Logs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print what one recorded call printed.")

    @OptionGroup var options: HomeOptions

    @Argument(help: "The call's id (`isolated invocations` lists them; a unique prefix is enough locally).")
    var id: String

    func run() async throws {
        if let client = try options.client() {
            print(try await client.logs(id: id), terminator: "")
            return
        }
        let store = try await options.openStore()
        defer { Task { try? await store.close() } }
        let matches = try await store.invocations(limit: 10_000).filter { $0.id.hasPrefix(id) }
        guard matches.count == 1, let logs = try await store.logs(id: matches[0].id) else {
            throw ValidationError(
                matches.isEmpty
                    ? "no recorded call has the id \(id); see `isolated invocations`" : "\(id) matches \(matches.count) calls; give more of the id")
        }
        print(logs, terminator: "")
    }
}

/// `0.15 ms`, `1.2 s`.
func formatSeconds(_ seconds: Double) -> String {
    seconds < 1 ? String(format: "%.2f ms", seconds * 1000) : String(format: "%.1f s", seconds)
}
