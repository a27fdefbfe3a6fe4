import Foundation
package import IsolatedCore
package import Logging
import Synchronization

/// Gives calls runners: a warm one of their pool, or a new one from the launcher when
/// ``Admission`` allows, or a place in the queue until one comes free. It also keeps runners
/// alive for their keep-alive, watches their heartbeats and deadlines (``Supervision``), keeps
/// each pool's warm minimum, and stops them all when the engine stops.
///
/// It knows nothing of functions, environments or compiling: a runner is a ``RunnerHandle``
/// for a ``WorkerExecutable``. Its state is a ``RunnerPool``, re-checked after every suspension.
package actor RunnerScheduler {
    typealias Job = @Sendable () async -> Void

    /// What a call needs a runner for.
    package struct Request: Sendable {
        package var key: RunnerPool.Key
        package var machine: MachineTypeSpec
        package var function: FunctionReference
        package var keepAlive: Duration
        package var maxConcurrency: Int?

        package init(key: RunnerPool.Key, machine: MachineTypeSpec, function: FunctionReference, keepAlive: Duration, maxConcurrency: Int?) {
            self.key = key
            self.machine = machine
            self.function = function
            self.keepAlive = keepAlive
            self.maxConcurrency = maxConcurrency
        }
    }

    /// A runner given to one call until ``finish(_:keepAlive:served:warmMinimum:)``.
    package struct Lease: Sendable {
        package var runnerID: String
        package var key: RunnerPool.Key
        package var handle: any RunnerHandle
        package var processID: Int32?
        /// Whether it was idle (warm) rather than started for this call.
        package var warm: Bool
        /// When the call must end, on the scheduler's clock.
        package var deadline: Duration
    }

    private enum State {
        case accepting
        case stopped
    }

    private let configuration: EngineConfiguration
    private let launcher: any Launcher
    private let admission: Admission
    private let supervision: Supervision
    private let clock: EngineClock
    private let logger: Logger
    private let metrics: EngineMetrics
    private var state = State.accepting
    private var pool = RunnerPool()
    /// Pools whose last call asked for `minWarm` runners, and how to start one.
    private var warmMinimums: [RunnerPool.Key: (count: Int, request: Request)] = [:]
    /// Runners whose keep-alive timer is running.
    private var keepAliveTimers: Set<String> = []
    private var nextRunnerNumber = 1
    private let jobs: AsyncStream<Job>
    private nonisolated let jobsContinuation: AsyncStream<Job>.Continuation
    /// Calls waiting for a runner to come free, by arrival, with the pool each waits on. A runner
    /// released warm wakes the first call waiting on its pool; anything else wakes them all.
    private nonisolated let waiters = Mutex(Waiters())
    /// The deadline the queue's one timeout timer is armed for, if it is.
    private var queueTimerDeadline: Duration?

    private struct Waiters {
        var next: UInt64 = 0
        var waiting: [UInt64: Waiter] = [:]
        /// Each waiting call's pool key's hash, searched first: it holds no references to copy.
        var keyHashes: [UInt64: Int] = [:]

        mutating func removeAll() -> [Waiter] {
            defer {
                waiting.removeAll()
                keyHashes.removeAll()
            }
            return Array(waiting.values)
        }

        mutating func remove(_ id: UInt64) -> Waiter? {
            keyHashes.removeValue(forKey: id)
            return waiting.removeValue(forKey: id)
        }
    }

    private struct Waiter {
        var key: RunnerPool.Key
        var continuation: CheckedContinuation<Void, Never>
    }

    package init(
        configuration: EngineConfiguration,
        launcher: any Launcher,
        capacity: HostCapacity,
        clock: EngineClock,
        logger: Logger,
        metrics: EngineMetrics = .none
    ) {
        self.metrics = metrics
        self.configuration = configuration
        self.launcher = launcher
        self.admission = Admission(capacity: capacity)
        self.supervision = Supervision(interval: configuration.heartbeatInterval, timeout: configuration.heartbeatTimeout)
        self.clock = clock
        self.logger = logger
        (jobs, jobsContinuation) = AsyncStream.makeStream(of: Job.self)
    }

    /// Runs heartbeats and the scheduler's timers until ``stopAll()``.
    package func run() async {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.heartbeats() }
            for await job in jobs { group.addTask { await job() } }
            group.cancelAll()
        }
    }

    private nonisolated func enqueue(_ job: @escaping Job) {
        jobsContinuation.yield(job)
    }

    // MARK: - Leases

    /// A runner for `request`: a warm one, or a new one, waiting (the `queue` phase) while the
    /// function has `maxConcurrency` runners or the machine has no room, up to the queue timeout.
    /// Its call must end by `timeout` from now, or `callerDeadline` if that is sooner.
    package func acquire(
        _ request: Request,
        timeout: Duration,
        callerDeadline: Duration?,
        report: inout CallReport,
        events: @escaping @Sendable (InvocationEvent) -> Void
    ) async throws(IsolatedError) -> Lease {
        var waitStarted: ContinuousClock.Instant?
        var queueDeadline = Duration.zero
        // The queue phase ends when the call gets its place, or fails waiting.
        func endWait() {
            guard let started = waitStarted else { return }
            waitStarted = nil
            let timing = CallReport.Timing(phase: .queue, duration: ContinuousClock.now - started)
            report.phases.append(timing)
            events(.phaseFinished(timing))
        }
        defer { endWait() }
        while true {
            guard case .accepting = state else {
                throw IsolatedError(code: .engineUnavailable, message: "the engine stopped while the call waited for a runner")
            }
            let decision = admission.decide(request.key, machine: request.machine, maxConcurrency: request.maxConcurrency, in: pool)
            if case .wait = decision {} else { endWait() }
            switch decision {
            case .reuse(let id):
                _ = pool.take(id)
                publishRunners()
                report.warm = true
                return lease(id, warm: true, timeout: timeout, callerDeadline: callerDeadline)
            case .start(let evicting):
                for id in evicting {
                    logger.debug("stopping an idle runner to make room", metadata: ["runner": "\(id)", "for": "\(request.machine.name)"])
                    stop(id)
                }
                let started = ContinuousClock.now
                events(.phaseStarted(.start, detail: "starting a runner on machine type \(request.machine.name)"))
                let (clock, queueTimeout) = (self.clock, configuration.queueTimeout)
                let wait = ClusterQueueWait(events: events) { [weak self] wait in
                    self?.enqueue {
                        try? await clock.sleep(clock.now() + queueTimeout)
                        wait.expire()
                    }
                }
                let id: String
                do {
                    id = try await startRunner(request, reservation: pool.reserve(request.key, machine: request.machine), wait: wait)
                } catch {
                    if let timing = wait.timing { report.phases.append(timing) }
                    if case (true, let reason) = wait.timedOut {
                        throw IsolatedError(
                            code: .queueTimedOut,
                            message: "waited \(queueTimeout) for the cluster to run a machine of type \(request.machine.name)"
                                + (reason.map { " (\($0))" } ?? "") + "; its job was cancelled. Choose a smaller machine type, "
                                + "free the cluster, or raise EngineConfiguration.queueTimeout")
                    }
                    throw error
                }
                let queued = wait.timing
                if let queued { report.phases.append(queued) }
                let timing = CallReport.Timing(phase: .start, duration: ContinuousClock.now - started - (queued?.duration ?? .zero), outcome: "cold")
                report.phases.append(timing)
                events(.phaseFinished(timing))
                return lease(id, warm: false, timeout: timeout, callerDeadline: callerDeadline)
            case .wait(let reason):
                if waitStarted == nil {
                    waitStarted = ContinuousClock.now
                    queueDeadline = clock.now() + configuration.queueTimeout
                    let detail =
                        switch reason {
                        case .maxConcurrency(let limit): "waiting for one of the \(limit) runners of \(request.function.name)() (maxConcurrency)"
                        case .capacity: "waiting for a machine of type \(request.machine.name)"
                        }
                    events(.phaseStarted(.queue, detail: detail))
                } else if clock.now() >= queueDeadline {
                    // It may have been woken for a runner it will not take.
                    notifyWaiters()
                    throw queueTimeout(request, reason: reason)
                }
                armQueueTimer(queueDeadline)
                await nextChange(request.key)
                if Task.isCancelled {
                    notifyWaiters()
                    throw IsolatedError(code: .cancelled, message: "the call was cancelled while it waited for a runner")
                }
            }
        }
    }

    private func lease(_ id: String, warm: Bool, timeout: Duration, callerDeadline: Duration?) -> Lease {
        let deadline = min(clock.now() + timeout, callerDeadline ?? .seconds(Int64.max))
        pool.setDeadline(id, deadline)
        let runner = pool[id]!
        return Lease(runnerID: id, key: runner.key, handle: runner.handle, processID: runner.processID, warm: warm, deadline: deadline)
    }

    /// The call on `lease` ended: its runner stays warm for `keepAlive`, or stops. `warmMinimum`
    /// is the pool's `minWarm` as this call set it; the pool starts what it lacks.
    package func finish(_ lease: Lease, keepAlive: Duration, served: Bool = true, warmMinimum: (count: Int, request: Request)?) {
        let key = lease.key
        // The minimum first, so the runner that served the call counts toward it.
        warmMinimums[key] = warmMinimum.flatMap { $0.count > 0 ? $0 : nil }
        release(lease.runnerID, keepAlive: keepAlive, served: served)
        if warmMinimums[key] != nil { fillWarm(key) }
    }

    /// The runner on `id` started (true) or stopped waiting for a nested call; meanwhile its CPU is free.
    package func nestedCall(of id: String, started: Bool) {
        pool.nestedCall(of: id, started: started)
        if started { notifyWaiters() }
    }

    /// When the call on runner `id` must end, or nil once it has.
    package func deadline(of id: String) -> Duration? { pool[id]?.deadline }

    // MARK: - Runners

    /// Stops a runner: at once when idle, after its current call when busy. False when there is no such runner.
    package func stopRunner(_ id: String) -> Bool {
        guard pool[id] != nil else { return false }
        stop(id)
        return true
    }

    /// The runners alive now.
    package func snapshots() -> [RunnerSnapshot] {
        pool.runners.values.map { runner in
            let state: RunnerSnapshot.State =
                switch runner.phase {
                case .starting: .starting
                case .busy: .busy
                case .idle: .idle
                case .stopping: .stopping
                }
            return RunnerSnapshot(
                id: runner.id,
                function: runner.function,
                processID: runner.processID,
                machineType: runner.key.machineType,
                state: state,
                calls: runner.calls,
                keepAlive: Int(runner.keepAlive.components.seconds),
                startedAt: runner.launchedAt,
                node: runner.handle.placement?.node,
                job: runner.handle.placement.flatMap { $0.job.isEmpty ? nil : $0.job }
            )
        }
        .sorted { $0.id < $1.id }
    }

    /// Launches a runner for `request` in the place `reservation` holds; it is busy once ready.
    private func startRunner(
        _ request: Request, reservation: RunnerPool.Reservation, wait: ClusterQueueWait? = nil
    ) async throws(IsolatedError) -> String {
        let id = "r\(nextRunnerNumber)-\(String(UInt32.random(in: 0...UInt32.max), radix: 36))"
        nextRunnerNumber += 1
        let (logger, function) = (self.logger, request.function.name)
        let handle: any RunnerHandle
        do {
            handle = try await launcher.launch(
                LaunchRequest(
                    runnerID: id,
                    worker: request.key.worker,
                    function: function,
                    machineType: request.machine,
                    network: request.key.network,
                    onIdleLog: { stream, text in
                        logger.debug("runner output between calls", metadata: ["runner": "\(id)", "function": "\(function)", "\(stream)": "\(text)"])
                    },
                    onExit: { [weak self] termination in
                        guard let scheduler = self else { return }
                        scheduler.enqueue { await scheduler.runnerExited(id, termination) }
                    },
                    onQueued: { reason in wait?.update(reason) }
                )
            )
        } catch {
            pool.cancel(reservation)
            notifyWaiters()
            throw error
        }
        wait?.attach(handle)
        guard case .accepting = state else {
            handle.kill()
            throw IsolatedError(code: .engineUnavailable, message: "the engine stopped while a runner was starting")
        }
        pool.launched(
            reservation,
            RunnerPool.Runner(
                id: id, key: request.key, machine: request.machine, function: request.function, handle: handle, keepAlive: request.keepAlive)
        )
        let processID: Int32
        do {
            processID = try await handle.waitUntilReady()
        } catch {
            pool.remove(id)
            notifyWaiters()
            throw IsolatedError(
                code: .runnerStartFailed,
                message: "the runner for \(request.function) \(error.termination) before it was ready",
                logTail: error.tail
            )
        }
        guard case .accepting = state else {
            handle.kill()
            throw IsolatedError(code: .engineUnavailable, message: "the engine stopped while a runner was starting")
        }
        guard pool.ready(id, processID: processID) else {
            throw IsolatedError(code: .runnerStartFailed, message: "the runner for \(request.function) was stopped or ended as it became ready")
        }
        logger.debug("runner started", metadata: ["runner": "\(id)", "pid": "\(processID)", "function": "\(function)"])
        publishRunners()
        return id
    }

    private func release(_ id: String, keepAlive: Duration, served: Bool) {
        var keepAlive = keepAlive
        if keepAlive == .zero, let key = pool[id]?.key, let minimum = warmMinimums[key]?.count, pool.alive(in: key) <= minimum {
            // Kept for minWarm alone: without a keep-alive of its own it would stop and be
            // replaced at once, over and over. It is checked again at every heartbeat interval.
            keepAlive = configuration.heartbeatInterval
        }
        let keep: Duration? = if case .accepting = state { keepAlive } else { nil }
        switch pool.release(id, at: clock.now(), keepAlive: keep, served: served) {
        case .kept:
            if keepAliveTimers.insert(id).inserted { enqueue { await self.keepAliveTimer(id) } }
            publishRunners()
            notifyWaiters(for: pool[id]?.key)
        case .stop:
            stop(id)
            publishRunners()
        case .unknown:
            publishRunners()
            notifyWaiters()
        }
    }

    /// Stops runner `id` once it has been idle for its keep-alive; the window restarts at every call.
    private func keepAliveTimer(_ id: String) async {
        defer { keepAliveTimers.remove(id) }
        while true {
            let warmMinimum = pool[id].flatMap { warmMinimums[$0.key]?.count }
            switch supervision.keepAlive(of: id, at: clock.now(), in: pool, warmMinimum: warmMinimum) {
            case .wake(let instant):
                do {
                    try await clock.sleep(instant)
                } catch {
                    return
                }
            case .expire:
                logger.debug("keep-alive ended", metadata: ["runner": "\(id)"])
                stop(id)
                return
            case .done:
                return
            }
        }
    }

    private func stop(_ id: String) {
        guard let handle = pool.beginStopping(id) else { return }
        publishRunners()
        notifyWaiters()
        handle.stop()
        let (clock, grace) = (self.clock, configuration.stopGracePeriod)
        enqueue {
            try? await clock.sleep(clock.now() + grace)
            if !handle.hasExited { handle.kill() }
        }
    }

    private func runnerExited(_ id: String, _ termination: ChildProcess.Termination) {
        guard pool.remove(id) != nil else { return }
        logger.debug("runner exited", metadata: ["runner": "\(id)", "termination": "\(termination)"])
        publishRunners()
        notifyWaiters()
        // A runner that ends is replaced where a pool's minWarm needs it, and capacity allows.
        for key in warmMinimums.keys { fillWarm(key) }
    }

    // MARK: - Warm minimums

    /// Starts runners until the pool has its minimum, as far as free capacity allows: a warm
    /// minimum never stops another runner to make room.
    private func fillWarm(_ key: RunnerPool.Key) {
        guard case .accepting = state, let minimum = warmMinimums[key] else { return }
        var missing = minimum.count - pool.alive(in: key)
        while missing > 0, admission.hasRoom(for: minimum.request.machine, in: pool) {
            missing -= 1
            // Reserved at once, so capacity and maxConcurrency see it coming.
            let reservation = pool.reserve(key, machine: minimum.request.machine)
            enqueue { await self.startWarm(minimum.request, reservation: reservation) }
        }
    }

    private func startWarm(_ request: Request, reservation: RunnerPool.Reservation) async {
        do throws(IsolatedError) {
            let id = try await startRunner(request, reservation: reservation)
            release(id, keepAlive: request.keepAlive, served: false)
        } catch {
            logger.debug("cannot start a warm runner", metadata: ["function": "\(request.function.name)", "error": "\(error.code)"])
        }
    }

    // MARK: - Supervision

    private func heartbeats() async {
        while !Task.isCancelled {
            do {
                try await clock.sleep(clock.now() + configuration.heartbeatInterval)
            } catch {
                return
            }
            for action in supervision.heartbeat(at: clock.now(), &pool) {
                switch action {
                case .ping(let id, let sequence):
                    pool[id]?.handle.ping(sequence)
                case .killUnresponsive(let id):
                    logger.debug("runner unresponsive", metadata: ["runner": "\(id)"])
                    pool[id]?.handle.killUnresponsive()
                case .killTimedOut(let id):
                    logger.debug("call past its deadline", metadata: ["runner": "\(id)"])
                    pool[id]?.handle.killTimedOut()
                }
            }
        }
    }

    /// Refuses new leases, stops every runner (busy ones killed, the rest asked to stop and
    /// killed after the grace period) and ends ``run()``.
    package func stopAll() async {
        state = .stopped
        jobsContinuation.finish()
        notifyWaiters()
        for runner in pool.runners.values {
            if runner.phase == .busy {
                runner.handle.kill()
            } else if let handle = pool.beginStopping(runner.id) {
                handle.stop()
            }
        }
        let handles = pool.removeAll().map(\.handle)
        let deadline = ContinuousClock.now + configuration.stopGracePeriod
        while handles.contains(where: { !$0.hasExited }), ContinuousClock.now < deadline {
            do {
                try await Task.sleep(for: .milliseconds(10))
            } catch {
                break
            }
        }
        for handle in handles where !handle.hasExited { handle.kill() }
    }

    // MARK: - Waiting

    private func queueTimeout(_ request: Request, reason: Admission.Reason) -> IsolatedError {
        let waited = "waited \(configuration.queueTimeout) for "
        switch reason {
        case .maxConcurrency(let limit):
            return IsolatedError(
                code: .queueTimedOut,
                message: waited + "one of the \(limit) runners its maxConcurrency allows; they were all busy. "
                    + "Raise maxConcurrency or EngineConfiguration.queueTimeout"
            )
        case .capacity:
            let capacity = admission.capacity
            return IsolatedError(
                code: .queueTimedOut,
                message: waited + "a machine of type \(request.machine.name); this machine's capacity "
                    + String(format: "(%g CPUs, %d MiB, %d GPUs)", capacity.cpus, capacity.memory >> 20, capacity.gpus)
                    + " was taken by \(pool.activeCount) busy runners. Choose a smaller machine type or raise EngineConfiguration.queueTimeout"
            )
        }
    }

    /// Wakes every waiting call at `deadline`, unless the timer already wakes them sooner: one
    /// timer serves the whole queue, where one per waiting call cost a timer and a task per call.
    /// The woken calls that have not timed out arm it again for their own deadlines.
    private func armQueueTimer(_ deadline: Duration) {
        if let armed = queueTimerDeadline, armed <= deadline { return }
        queueTimerDeadline = deadline
        let clock = self.clock
        enqueue { [weak self] in
            try? await clock.sleep(deadline)
            await self?.queueTimerFired(deadline)
        }
    }

    private func queueTimerFired(_ deadline: Duration) {
        if queueTimerDeadline == deadline { queueTimerDeadline = nil }
        notifyWaiters()
    }

    /// Returns after the next change that may let a call waiting on pool `key` go on, or when the task is cancelled.
    private func nextChange(_ key: RunnerPool.Key) async {
        let keyHash = key.hashValue
        let id = waiters.withLock { waiters in
            defer { waiters.next += 1 }
            return waiters.next
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow = waiters.withLock { waiters in
                    if Task.isCancelled { return true }
                    waiters.waiting[id] = Waiter(key: key, continuation: continuation)
                    waiters.keyHashes[id] = keyHash
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            waiters.withLock { $0.remove(id) }?.continuation.resume()
        }
    }

    /// Records how many runners are in each phase.
    private func publishRunners() {
        guard metrics.isRecording else { return }
        var (starting, busy, idle, stopping) = (0, 0, 0, 0)
        for runner in pool.runners.values {
            switch runner.phase {
            case .starting: starting += 1
            case .busy: busy += 1
            case .idle: idle += 1
            case .stopping: stopping += 1
            }
        }
        metrics.runners(starting: starting, busy: busy, idle: idle, stopping: stopping)
    }

    /// Wakes the first call waiting on pool `key`, which a runner just released warm can serve,
    /// or every waiting call when none waits on it or `key` is nil: capacity may have come free.
    private nonisolated func notifyWaiters(for key: RunnerPool.Key? = nil) {
        let waiting = waiters.withLock { waiters in
            if let key {
                let keyHash = key.hashValue
                var first: UInt64?
                for (id, hash) in waiters.keyHashes where hash == keyHash && id < (first ?? .max) { first = id }
                if let candidate = first, waiters.waiting[candidate]?.key != key {
                    // Another pool's key with the same hash: compare keys.
                    first = waiters.waiting.filter { $0.value.key == key }.keys.min()
                }
                if let first, let waiter = waiters.remove(first) { return [waiter] }
            }
            return waiters.removeAll()
        }
        for waiter in waiting { waiter.continuation.resume() }
    }
}
