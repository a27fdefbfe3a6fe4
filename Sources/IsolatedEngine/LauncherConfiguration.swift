/// Where an engine runs its runners.
public enum LauncherConfiguration: Sendable {
    /// As child processes of the engine, on its own machine: the default.
    case local
    /// As jobs of a Slurm cluster, each on a node that has its machine type.
    case slurm(SlurmConfiguration)
}

extension LauncherConfiguration {
    /// Whether runners run on a cluster's nodes rather than the engine's machine.
    package var isCluster: Bool {
        if case .slurm = self { return true }
        return false
    }
}
