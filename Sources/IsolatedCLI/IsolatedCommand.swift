import ArgumentParser
import Foundation
import IsolatedClient
import IsolatedEngine
import IsolatedStore
import Logging

/// `isolated`: inspect and maintain the engine's machine and cache.
@main
struct IsolatedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "isolated",
        abstract: "Serverless isolated functions for Swift: run the server, inspect the machine, the cache, runners, calls and keys.",
        subcommands: [
            Serve.self, Doctor.self, Environments.self, Runners.self, MachineTypes.self, Invocations.self, Logs.self, Keys.self,
        ]
    )
}

/// Options every command that reads the cache shares.
struct HomeOptions: ParsableArguments {
    @Option(help: "The engine's home directory (default: $ISOLATED_HOME or ~/.cache/isolated).")
    var home: String?

    @Option(help: "The server's database (default: isolated.sqlite in the home).")
    var database: String?

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    @Option(help: "An `isolated serve` server to ask instead of this machine's files (default: $ISOLATED_SERVER); the key comes from $ISOLATED_KEY.")
    var server: String?

    /// The server to ask, when `--server` or `ISOLATED_SERVER` names one.
    func client() throws -> ServerClient? {
        var environment = ProcessInfo.processInfo.environment
        if let server { environment["ISOLATED_SERVER"] = server }
        return try ServerClient.fromEnvironment(environment)
    }

    /// The engine configuration for this machine's files.
    var engineConfiguration: EngineConfiguration { EngineConfiguration(home: home) }

    /// The server's database in this machine's home, opened beside a server that may be running.
    func openStore() async throws -> Store {
        try await Store(
            path: database ?? "\(engineConfiguration.home)/isolated.sqlite",
            configuration: StoreConfiguration(interruptsRunningInvocations: false),
            logger: Logger(label: "isolated.cli")
        )
    }
}
