import ArgumentParser
import Foundation
import IsolatedClient
import IsolatedEngine
import IsolatedServer
import Logging

/// `isolated envs`: the built environments in the cache.
struct Environments: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "envs",
        abstract: "List, remove and garbage-collect built environments.",
        subcommands: [List.self, Remove.self, CollectGarbage.self],
        defaultSubcommand: List.self
    )

    static func store(_ options: HomeOptions) -> EnvironmentStore {
        EnvironmentStore(configuration: EngineConfiguration(home: options.home), logger: Logger(label: "isolated.envs"))
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List environments: size, last use and the functions built in them.")

        @OptionGroup var options: HomeOptions

        func run() async throws {
            let summaries: [EnvironmentInfo]
            if let client = try options.client() {
                summaries = try await client.environments()
            } else {
                summaries = await Environments.store(options).summaries().map(EnvironmentInfo.init)
            }
            if options.json {
                try printJSON(summaries)
                return
            }
            let rows = summaries.map { summary in
                [
                    String(summary.key.prefix(12)),
                    summary.runtime,
                    summary.requirements.joined(separator: ", "),
                    formatBytes(summary.bytes),
                    summary.lastUsed.formatted(date: .abbreviated, time: .shortened),
                    summary.functions.isEmpty ? "-" : summary.functions.joined(separator: ", "),
                ]
            }
            printTable(["KEY", "RUNTIME", "REQUIREMENTS", "SIZE", "LAST USED", "FUNCTIONS"], rows)
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove environments by key (a unique prefix is enough).")

        @OptionGroup var options: HomeOptions

        @Argument(help: "Keys or unique key prefixes, as `isolated envs list` shows them.")
        var keys: [String] = []

        @Flag(help: "Remove every environment.")
        var all = false

        func validate() throws {
            guard all != !keys.isEmpty else { throw ValidationError("name the environments to remove, or pass --all") }
        }

        func run() async throws {
            if let client = try options.client() {
                let prefixes = all ? try await client.environments().map(\.key) : keys
                for prefix in prefixes {
                    for key in try await client.removeEnvironment(prefix) { print("removed \(key)") }
                }
                return
            }
            let store = Environments.store(options)
            let prefixes = all ? await store.summaries().map(\.key) : keys
            do {
                for key in try await store.remove(prefixes: prefixes) { print("removed \(key)") }
            } catch {
                throw ValidationError(error.localizedDescription)
            }
        }
    }

    struct CollectGarbage: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "gc",
            abstract: "Remove environments unused for a while, half-built ones, and functions left without an environment."
        )

        @OptionGroup var options: HomeOptions

        @Option(help: "Remove environments not used for this many days.")
        var unusedForDays: Double = 7

        func run() async throws {
            let removed: [String]
            if let client = try options.client() {
                removed = try await client.collectEnvironmentGarbage(unusedForDays: unusedForDays)
            } else {
                removed = try await Environments.store(options).collectGarbage(unusedFor: unusedForDays * 86_400)
            }
            print(removed.isEmpty ? "nothing to remove" : removed.map { "removed \($0)" }.joined(separator: "\n"))
        }
    }
}
