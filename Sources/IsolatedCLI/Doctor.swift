import ArgumentParser
import Foundation
import IsolatedClient
import IsolatedCore
import IsolatedEngine
import Logging

/// `isolated doctor`: what this machine (or a server's) offers runners, and what the engine enforces.
struct Doctor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Check the toolchain, the cache and what this machine can enforce.")

    @OptionGroup var options: HomeOptions

    func run() async throws {
        let checks: [MachineCheck]
        if let client = try options.client() {
            checks = try await client.doctor()
        } else {
            let configuration = options.engineConfiguration
            checks = await MachineCheck.all(
                configuration: configuration,
                store: EnvironmentStore(configuration: configuration, logger: Logger(label: "isolated.doctor"))
            )
        }
        if options.json {
            try printJSON(checks)
        } else {
            printTable(["CHECK", "STATUS", "DETAIL"], checks.map { [$0.name, $0.status, $0.detail] })
        }
        if checks.contains(where: { $0.status == "error" }) { throw ExitCode.failure }
    }
}
