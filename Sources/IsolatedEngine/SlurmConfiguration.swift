/// How an engine runs its runners on a Slurm cluster: each runner is a job sized from its
/// machine type, on a node that has it, connecting back to the engine over TCP.
///
/// By default the engine's home must be on a file system every node mounts at the same path
/// (environments and compiled workers are read from there); the engine checks that when it
/// starts. Without one (``sharedHome`` false), what each runner needs of the home is staged to
/// its node with `sbcast`.
public struct SlurmConfiguration: Sendable {
    /// Where runners connect back to the engine, `host:port`: an address of this machine the
    /// nodes reach. Port 0 takes any free port.
    public var runnerAddress: String
    /// The cluster's client configuration (`SLURM_CONF`); by default the engine's own
    /// `SLURM_CONF`, or the system's.
    public var configurationFile: String?
    /// The directory holding Slurm's commands (`srun`, `salloc`, `sbcast`, `sbatch`, `scancel`,
    /// `sinfo`, `squeue`); by default the first on `PATH`.
    public var commandsDirectory: String?
    /// Whether every node mounts the engine's home at the same path. When false, each runner's
    /// job first receives, with `sbcast`, the directories of the home its worker needs that its
    /// node lacks (its version, environment and runtime, each archived once), and keeps them for
    /// later runners; what lies outside the home (a Python interpreter) must be on the nodes.
    public var sharedHome: Bool

    /// Creates a configuration; every value but the runner address has a default.
    public init(runnerAddress: String, configurationFile: String? = nil, commandsDirectory: String? = nil, sharedHome: Bool = true) {
        self.runnerAddress = runnerAddress
        self.configurationFile = configurationFile
        self.commandsDirectory = commandsDirectory
        self.sharedHome = sharedHome
    }
}
