import Foundation
package import IsolatedCore

/// Slurm's client commands (`srun`, `salloc`, `sbcast`, `sbatch`, `scancel`, `sinfo`, `squeue`), found once, with the
/// environment that names the cluster (`SLURM_CONF`) and nothing else of the engine's.
package struct SlurmCommands: Sendable {
    package var srun: String
    package var sbatch: String
    package var scancel: String
    package var sinfo: String
    package var squeue: String
    package var salloc: String
    package var sbcast: String
    /// `SLURM_CONF` when one is named; what every command runs with.
    package var environment: [String: String]

    /// Finds the commands in `configuration.commandsDirectory` or on `PATH`.
    package init(configuration: SlurmConfiguration) throws(IsolatedError) {
        let directories =
            configuration.commandsDirectory.map { [$0] }
            ?? (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map(String.init)
        func find(_ name: String) throws(IsolatedError) -> String {
            for directory in directories where FileManager.default.isExecutableFile(atPath: "\(directory)/\(name)") {
                return "\(directory)/\(name)"
            }
            throw IsolatedError(
                code: .invalidConfiguration,
                message: "Slurm's \(name) is not in \(directories.joined(separator: ":")); install Slurm's client commands "
                    + "(Debian: apt-get install slurm-client) or name their directory in SlurmConfiguration.commandsDirectory"
            )
        }
        srun = try find("srun")
        sbatch = try find("sbatch")
        scancel = try find("scancel")
        sinfo = try find("sinfo")
        squeue = try find("squeue")
        salloc = try find("salloc")
        sbcast = try find("sbcast")
        var environment = ["PATH": "/usr/local/bin:/usr/bin:/bin"]
        if let file = configuration.configurationFile ?? ProcessInfo.processInfo.environment["SLURM_CONF"] {
            environment["SLURM_CONF"] = file
        }
        self.environment = environment
    }

    /// Runs one command to its end.
    package func run(_ executable: String, _ arguments: [String]) async throws(IsolatedError) -> Command.Result {
        do {
            return try await Command.run(executable, arguments, environment: environment)
        } catch {
            throw IsolatedError(code: .invalidConfiguration, message: "cannot run \(executable): \(error)")
        }
    }

    /// The options that size and place a job for `machine`: CPUs rounded up (Slurm allocates
    /// whole ones), memory in MiB, GPUs as the `gpu` GRES, and the type's partition, node
    /// features, account and quality of service.
    package static func sizing(of machine: MachineTypeSpec) -> [String] {
        var options = [
            "--nodes=1", "--ntasks=1", "--cpus-per-task=\(Int(machine.cpus.rounded(.up)))",
            "--mem=\(max(1, (machine.memory + (1 << 20) - 1) >> 20))M",
        ]
        if machine.gpus > 0 { options.append("--gres=gpu:\(machine.gpus)") }
        if let partition = machine.cluster.partition { options.append("--partition=\(partition)") }
        if let constraint = machine.cluster.constraint { options.append("--constraint=\(constraint)") }
        if let account = machine.cluster.account { options.append("--account=\(account)") }
        if let qos = machine.cluster.qos { options.append("--qos=\(qos)") }
        return options
    }
}
