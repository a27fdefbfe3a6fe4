/// How an engine runs its runners on a Slurm cluster: each runner is a job sized from its
/// machine type, on a node that has it, connecting back to the engine over TCP.
///
/// The engine's home must be on a file system every node mounts at the same path (environments
/// and compiled workers are read from there); the engine checks that when it starts.
public struct SlurmConfiguration: Sendable {
    /// Where runners connect back to the engine, `host:port`: an address of this machine the
    /// nodes reach. Port 0 takes any free port.
    public var runnerAddress: String
    /// The cluster's client configuration (`SLURM_CONF`); by default the engine's own
    /// `SLURM_CONF`, or the system's.
    public var configurationFile: String?
    /// The directory holding `srun`, `sbatch`, `scancel` and `sinfo`; by default the first on `PATH`.
    public var commandsDirectory: String?

    /// Creates a configuration; every value but the runner address has a default.
    public init(runnerAddress: String, configurationFile: String? = nil, commandsDirectory: String? = nil) {
        self.runnerAddress = runnerAddress
        self.configurationFile = configurationFile
        self.commandsDirectory = commandsDirectory
    }
}
