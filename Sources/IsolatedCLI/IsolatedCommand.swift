import ArgumentParser

/// `isolated`: inspect and maintain the engine's machine and cache.
@main
struct IsolatedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "isolated",
        abstract: "Serverless isolated functions for Swift: inspect the machine and the environment cache.",
        subcommands: [Doctor.self, Environments.self, MachineTypes.self]
    )
}

/// Options every command that reads the cache shares.
struct HomeOptions: ParsableArguments {
    @Option(help: "The engine's home directory (default: $ISOLATED_HOME or ~/.cache/isolated).")
    var home: String?

    @Flag(help: "Print JSON instead of a table.")
    var json = false
}
