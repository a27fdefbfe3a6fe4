package import IsolatedCore

/// Decides whether a call gets a runner now: a warm one, a new one (stopping idle runners of
/// other pools to make room), or none yet because its `maxConcurrency` or the machine's
/// capacity says wait.
///
/// A value type over a ``RunnerPool``; it changes nothing itself.
package struct Admission: Sendable {
    /// What a call may do now.
    package enum Decision: Equatable {
        /// Take this idle runner of its pool.
        case reuse(String)
        /// Start a runner, after stopping these idle runners (least recently used first) to make room.
        case start(evicting: [String])
        /// Wait for a runner to come free or end.
        case wait(Reason)
    }

    /// Why a call waits.
    package enum Reason: Equatable {
        /// Its function already has `maxConcurrency` runners, none idle.
        case maxConcurrency(Int)
        /// The machine has no room for its machine type, even with every idle runner stopped.
        case capacity
    }

    /// What runners may hold in all.
    package var capacity: HostCapacity

    package init(capacity: HostCapacity) {
        self.capacity = capacity
    }

    /// What a call of `key` on `machine` may do now.
    package func decide(_ key: RunnerPool.Key, machine: MachineTypeSpec, maxConcurrency: Int?, in pool: RunnerPool) -> Decision {
        if let id = pool.newestIdle(in: key) { return .reuse(id) }
        if let maxConcurrency, pool.alive(in: key) >= maxConcurrency { return .wait(.maxConcurrency(maxConcurrency)) }
        var usage = pool.usage
        var evicting: [String] = []
        var candidates = pool.idleByAge[...]
        while !fits(machine, in: usage) {
            guard let oldest = candidates.popFirst() else { return .wait(.capacity) }
            evicting.append(oldest.id)
            if oldest.nestedCalls == 0 { usage.cpus -= oldest.machine.cpus }
            usage.memory -= oldest.machine.memory
            usage.gpus -= oldest.machine.gpus
        }
        return .start(evicting: evicting)
    }

    /// Whether a runner of `machine` fits beside what the pool holds now, stopping nothing: how
    /// warm minimums grow, since they never displace another runner.
    package func hasRoom(for machine: MachineTypeSpec, in pool: RunnerPool) -> Bool {
        fits(machine, in: pool.usage)
    }

    private func fits(_ machine: MachineTypeSpec, in usage: RunnerPool.Usage) -> Bool {
        usage.cpus + machine.cpus <= capacity.cpus + 0.001 && usage.memory + machine.memory <= capacity.memory
            && usage.gpus + machine.gpus <= capacity.gpus
    }
}
