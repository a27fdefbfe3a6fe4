package import Foundation
package import IsolatedCore

/// Every runner the engine has, by pool and phase: the one place their state changes.
///
/// A value type with no clock and no processes: each transition takes the time it happens at,
/// so it is tested alone. A runner's life is starting → busy ⇄ idle → stopping → removed; it
/// can be removed from any phase (it died). Runners being launched exist first as reservations,
/// which count against capacity and `maxConcurrency` before the launcher returns.
package struct RunnerPool {
    /// Runners that can serve each other's calls: the same compiled function, machine type and network.
    package struct Key: Hashable, Sendable {
        package var worker: WorkerExecutable
        package var machineType: String
        package var network: NetworkAccess

        package init(worker: WorkerExecutable, machineType: String, network: NetworkAccess) {
            self.worker = worker
            self.machineType = machineType
            self.network = network
        }
    }

    /// What a runner is doing.
    package enum Phase: Equatable {
        case starting
        case busy
        case idle(since: Duration)
        case stopping
    }

    /// One runner.
    package struct Runner {
        package var id: String
        package var key: Key
        package var machine: MachineTypeSpec
        package var function: FunctionReference
        package var handle: any RunnerHandle
        package var processID: Int32?
        package var phase = Phase.starting
        /// How long it stays warm after its call, as that call asked.
        package var keepAlive: Duration
        package var calls = 0
        /// Nested calls it is waiting for; meanwhile it needs no CPU, so it reserves none.
        package var nestedCalls = 0
        /// Heartbeats sent since it last became idle or busy.
        package var pingsSent: UInt64 = 0
        /// When the call it serves must end.
        package var deadline: Duration?
        /// When it was launched, on the wall clock: for people, never for timing.
        package var launchedAt = Date()

        /// A runner just launched, starting.
        package init(id: String, key: Key, machine: MachineTypeSpec, function: FunctionReference, handle: any RunnerHandle, keepAlive: Duration) {
            self.id = id
            self.key = key
            self.machine = machine
            self.function = function
            self.handle = handle
            self.keepAlive = keepAlive
        }
    }

    /// A runner being launched, counted before it exists.
    package struct Reservation: Hashable, Sendable {
        fileprivate var number: UInt64
    }

    /// What releasing a runner after its call did.
    package enum Release: Equatable {
        /// It is idle until `until`, unless another call takes it.
        case kept(until: Duration)
        /// It must stop: it may not stay warm, or it already ended or was killed.
        case stop
        /// It is not in the pool, or not busy.
        case unknown
    }

    /// The CPUs, memory and GPUs runners hold.
    package struct Usage: Equatable {
        package var cpus: Double
        package var memory: Int
        package var gpus: Int

        package init(cpus: Double = 0, memory: Int = 0, gpus: Int = 0) {
            self.cpus = cpus
            self.memory = memory
            self.gpus = gpus
        }
    }

    package private(set) var runners: [String: Runner] = [:]
    /// Idle runners of each pool, most recently used last.
    private var idle: [Key: [String]] = [:]
    private var reservations: [Reservation: (key: Key, machine: MachineTypeSpec)] = [:]
    private var nextReservation: UInt64 = 0

    package init() {}

    package subscript(id: String) -> Runner? { runners[id] }

    // MARK: - Transitions

    /// Counts a runner about to be launched for `key`.
    package mutating func reserve(_ key: Key, machine: MachineTypeSpec) -> Reservation {
        let reservation = Reservation(number: nextReservation)
        nextReservation += 1
        reservations[reservation] = (key, machine)
        return reservation
    }

    /// The launch failed: the reservation no longer counts.
    package mutating func cancel(_ reservation: Reservation) {
        reservations[reservation] = nil
    }

    /// The launcher returned `runner`, which takes the reservation's place, starting.
    package mutating func launched(_ reservation: Reservation, _ runner: Runner) {
        reservations[reservation] = nil
        var runner = runner
        runner.phase = .starting
        runners[runner.id] = runner
    }

    /// A starting runner said hello: it is busy with the call it was started for. False when it
    /// is no longer starting (it died, or is being stopped).
    package mutating func ready(_ id: String, processID: Int32) -> Bool {
        guard var runner = runners[id], runner.phase == .starting else { return false }
        runner.processID = processID
        runner.phase = .busy
        runners[id] = runner
        return true
    }

    /// An idle runner takes a call: it is busy. False when it is not idle.
    package mutating func take(_ id: String) -> Bool {
        guard var runner = runners[id], case .idle = runner.phase else { return false }
        removeIdle(id, of: runner.key)
        runner.phase = .busy
        runners[id] = runner
        return true
    }

    /// A busy runner's call ended at `now`. With a keep-alive it becomes idle, unless its handle
    /// says it ended or was killed; without one (nil or zero) it must stop.
    package mutating func release(_ id: String, at now: Duration, keepAlive: Duration?, served: Bool) -> Release {
        guard var runner = runners[id], runner.phase == .busy else { return .unknown }
        if served { runner.calls += 1 }
        runner.deadline = nil
        guard let keepAlive, keepAlive > .zero, !runner.handle.hasExited, !runner.handle.wasUnresponsive, !runner.handle.wasTimedOut else {
            runners[id] = runner
            return .stop
        }
        runner.phase = .idle(since: now)
        runner.keepAlive = keepAlive
        runner.pingsSent = runner.handle.lastPong
        runners[id] = runner
        idle[runner.key, default: []].append(id)
        return .kept(until: now + keepAlive)
    }

    /// Marks a runner stopping and returns its handle, so the caller can tell it to stop; nil
    /// when it is not in the pool or already stopping.
    package mutating func beginStopping(_ id: String) -> (any RunnerHandle)? {
        guard var runner = runners[id], runner.phase != .stopping else { return nil }
        removeIdle(id, of: runner.key)
        runner.phase = .stopping
        runners[id] = runner
        return runner.handle
    }

    /// Forgets a runner that ended, in whatever phase it was.
    @discardableResult
    package mutating func remove(_ id: String) -> Runner? {
        guard let runner = runners.removeValue(forKey: id) else { return nil }
        removeIdle(id, of: runner.key)
        return runner
    }

    /// Forgets every runner and reservation, returning the runners.
    package mutating func removeAll() -> [Runner] {
        defer {
            runners.removeAll()
            idle.removeAll()
            reservations.removeAll()
        }
        return Array(runners.values)
    }

    /// The runner started or stopped waiting for a nested call.
    package mutating func nestedCall(of id: String, started: Bool) {
        runners[id]?.nestedCalls += started ? 1 : -1
    }

    /// Sets when the call a busy runner serves must end.
    package mutating func setDeadline(_ id: String, _ deadline: Duration?) {
        runners[id]?.deadline = deadline
    }

    /// Records that a heartbeat was sent; returns its sequence number.
    package mutating func recordPing(_ id: String) -> UInt64 {
        runners[id]?.pingsSent += 1
        return runners[id]?.pingsSent ?? 0
    }

    private mutating func removeIdle(_ id: String, of key: Key) {
        idle[key]?.removeAll { $0 == id }
        if idle[key]?.isEmpty == true { idle[key] = nil }
    }

    // MARK: - Questions

    /// The pool's runners that are not stopping, those being launched included.
    package func alive(in key: Key) -> Int {
        reservations.values.count { $0.key == key } + runners.values.count { $0.key == key && $0.phase != .stopping }
    }

    /// The most recently used idle runner of `key`: the one whose caches are warmest.
    package func newestIdle(in key: Key) -> String? { idle[key]?.last }

    /// What runners that are not stopping hold, reservations included. A runner waiting for a
    /// nested call holds its memory and GPUs but no CPU.
    package var usage: Usage {
        var usage = Usage()
        for runner in runners.values where runner.phase != .stopping {
            if runner.nestedCalls == 0 { usage.cpus += runner.machine.cpus }
            usage.memory += runner.machine.memory
            usage.gpus += runner.machine.gpus
        }
        for (_, machine) in reservations.values {
            usage.cpus += machine.cpus
            usage.memory += machine.memory
            usage.gpus += machine.gpus
        }
        return usage
    }

    /// Idle runners, least recently used first.
    package var idleByAge: [Runner] {
        runners.values.filter { if case .idle = $0.phase { true } else { false } }
            .sorted { lhs, rhs in
                guard case .idle(let left) = lhs.phase, case .idle(let right) = rhs.phase else { return false }
                return (left, lhs.id) < (right, rhs.id)
            }
    }

    /// Runners that are not stopping.
    package var activeCount: Int { runners.values.count { $0.phase != .stopping } }
}
