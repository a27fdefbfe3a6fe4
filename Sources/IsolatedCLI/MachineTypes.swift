import ArgumentParser
import Foundation
import IsolatedClient
import IsolatedCore
import IsolatedEngine

/// `isolated machine-types`: what each machine type provides, and whether its limits are enforced here.
struct MachineTypes: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "machine-types", abstract: "List the machine types and their limits.")

    @OptionGroup var options: HomeOptions

    @Option(help: "A catalog file to check and show instead of the standard types (JSON; see the README).")
    var file: String?

    func run() async throws {
        let client = try options.client()
        var catalog = EngineConfiguration(home: options.home).machineTypes
        if let client, file == nil {
            catalog = try await client.machineTypes()
        }
        if let file {
            do {
                catalog = try MachineTypeCatalog(contentsOf: file)
            } catch {
                throw ValidationError(error.message)
            }
        }
        if options.json {
            try printJSON(catalog.types)
            return
        }
        let rows = catalog.types.map { type in
            [
                type.name, String(format: "%g", type.cpus), ByteCountFormatter.string(fromByteCount: Int64(type.memory), countStyle: .memory),
                "\(type.processes)", "\(type.gpus)",
            ]
        }
        printTable(["NAME", "CPUS", "MEMORY", "PROCESSES", "GPUS"], rows)
        guard client == nil else {
            print("\nLimits: `isolated doctor` on the server's machine says what it enforces")
            return
        }
        let resources = ResourceControl.detect()
        print("\nLimits: \(resources.summary)")
    }
}
