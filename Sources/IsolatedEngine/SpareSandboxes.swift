import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// One sandbox per machine type, started before a runner needs it.
///
/// A sandbox's first act is to join its runner's cgroups, and on cgroup v1 moving a process into
/// a cgroup waits for an RCU grace period: 8–12 ms on this project's machines, most of what a new
/// runner cost. A spare has done that already and waits (`isolated-sandbox --wait`) for its
/// runner's options, executable and environment on its channel. ``LocalLauncher`` takes the
/// spare of a launch's machine type, or starts one on the spot, and leaves a new one in its place.
final class SpareSandboxes: Sendable {
    /// A started sandbox in its cgroups, waiting for its runner.
    struct Spare: Sendable {
        let process: ChildProcess
        let confinement: Confinement?

        /// Kills the sandbox and removes its cgroups.
        func discard() {
            process.signalGroup(SIGKILL)
            _ = process.waitForTermination()
            for descriptor in [process.standardOutput, process.standardError] + (process.channel.map { [$0] } ?? []) {
                close(descriptor)
            }
            confinement?.release()
        }
    }

    private struct State {
        var spares: [String: Spare] = [:]
        var closed = false
    }

    private let state = Mutex(State())

    /// The spare of `machineType`, if there is one; it is no longer kept.
    func take(_ machineType: String) -> Spare? {
        state.withLock { $0.spares.removeValue(forKey: machineType) }
    }

    /// Keeps `spare` for `machineType`'s next runner, or discards it if one is kept already or
    /// the launcher has shut down.
    func keep(_ spare: Spare, for machineType: String) {
        let kept = state.withLock { state in
            guard !state.closed, state.spares[machineType] == nil else { return false }
            state.spares[machineType] = spare
            return true
        }
        if !kept { spare.discard() }
    }

    /// Discards every spare, and every one kept from now on.
    func discardAll() {
        let spares = state.withLock { state in
            state.closed = true
            defer { state.spares = [:] }
            return Array(state.spares.values)
        }
        for spare in spares { spare.discard() }
    }
}
