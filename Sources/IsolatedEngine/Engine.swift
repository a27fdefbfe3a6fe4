import Foundation
public import IsolatedCore
public import Logging
public import ServiceLifecycle
import Synchronization

/// Builds environments, compiles functions, and runs calls on warm or new runners.
///
/// An engine is a `Service`: its keep-alive timers and heartbeats run inside ``run()``, and
/// calls are refused until it runs. Runners are its child processes; they exit when the engine
/// stops or its process dies.
public actor Engine: Service {
    /// The configuration the engine was created with.
    public nonisolated let configuration: EngineConfiguration
    let logger: Logger
    let clock: EngineClock
    let store: EnvironmentStore
    let launcher: any Launcher
    let resources: ResourceControl
    let capacity = HostCapacity.detect()
    /// Calls waiting for a runner to come free; resumed whenever a runner is released or ends.
    private nonisolated let runnerWaiters = Mutex<[UInt64: CheckedContinuation<Void, Never>]>([:])
    private nonisolated let jobs = Mutex<AsyncStream<Job>.Continuation?>(nil)

    typealias Job = @Sendable () async -> Void

    private enum State {
        case created
        case running
        case stopped
    }

    private struct PoolKey: Hashable {
        var worker: WorkerExecutable
        var machineType: String
        var network: NetworkAccess
    }

    /// What `minWarm` keeps alive in a pool: how many runners, and the call they are started for.
    private struct WarmMinimum {
        var count: Int
        var template: CallTemplate
        var machine: MachineTypeSpec
    }

    private struct Runner {
        enum Phase {
            case starting
            case busy
            case idle(since: Duration)
            case stopping
        }

        var id: String
        var pool: PoolKey
        var machine: MachineTypeSpec
        /// Nested calls it is waiting for; meanwhile it needs no CPU, so it reserves none.
        var nestedCalls = 0
        var function: FunctionReference
        var connection: RunnerConnection
        var processID: Int32?
        var phase: Phase
        var keepAlive: Duration
        var calls = 0
        var pingsSent: UInt64 = 0
        var monitored = false
        /// When the call it serves must end, on the engine's clock; checked at each heartbeat.
        var deadline: Duration?
    }

    private var state = State.created
    private var runningWaiters: [CheckedContinuation<Void, Never>] = []
    /// Compiled workers by function version, so the warm path finds its executable without
    /// touching the disk; a call's settings are not part of the key.
    private var versions: [FunctionVersion: WorkerExecutable] = [:]
    private var runners: [String: Runner] = [:]
    private var idle: [PoolKey: [String]] = [:]
    private var starting: [PoolKey: Int] = [:]
    /// Machine types of runners being started, which already hold their share of capacity.
    private var startingMachines: [UInt64: MachineTypeSpec] = [:]
    /// Pools whose last call asked for `minWarm` runners, and how to start one.
    private var warmMinimums: [PoolKey: WarmMinimum] = [:]
    private var nextCallID: UInt64 = 1
    private var nextRunnerNumber = 1
    private var nextWaiterID: UInt64 = 0

    /// Creates an engine; `clock` drives keep-alive and heartbeats.
    public init(
        configuration: EngineConfiguration = .init(),
        clock: some Clock<Duration> = ContinuousClock(),
        logger: Logger = Logger(label: "isolated.engine")
    ) {
        self.configuration = configuration
        self.clock = EngineClock(clock)
        self.logger = logger
        self.store = EnvironmentStore(configuration: configuration, logger: logger)
        self.resources = configuration.enforceLimits ? ResourceControl.detect() : ResourceControl(unavailable: "disabled by configuration")
        let store = self.store
        let sandboxes = SingleFlight<String, Sandbox>()
        self.launcher = LocalLauncher(
            home: configuration.home,
            resources: resources,
            maxOutputBytesPerCall: configuration.maxOutputBytesPerCall
        ) {
            do {
                let helper = try await store.runtime().runtime.sandbox
                return try await sandboxes.value(for: helper) {
                    await Sandbox.detect(helper: helper, home: configuration.home, configuration: configuration.sandbox)
                }
            } catch {
                return Sandbox(mode: .unavailable("\(error)"), home: configuration.home, configuration: configuration.sandbox)
            }
        }
    }

    /// Serves calls until cancelled or shut down gracefully; then stops every runner.
    public func run() async throws {
        guard case .created = state else {
            throw IsolatedError(code: .engineUnavailable, message: "this engine has already run; create a new one")
        }
        let (stream, continuation) = AsyncStream.makeStream(of: Job.self)
        jobs.withLock { $0 = continuation }
        state = .running
        for waiter in runningWaiters { waiter.resume() }
        runningWaiters.removeAll()
        logger.debug("engine running", metadata: ["home": "\(configuration.home)"])
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                group.addTask { await self.heartbeats() }
                for await job in stream { group.addTask { await job() } }
                group.cancelAll()
            }
        } onGracefulShutdown: {
            self.finishJobs()
        }
        finishJobs()
        await stopAll()
    }

    /// Returns once ``run()`` has started (or the engine has already stopped).
    public func untilRunning() async {
        guard case .created = state else { return }
        await withCheckedContinuation { runningWaiters.append($0) }
    }

    /// Stops accepting calls and ends ``run()``.
    public nonisolated func shutdown() { finishJobs() }

    private nonisolated func finishJobs() {
        jobs.withLock { $0?.finish() }
    }

    private nonisolated func enqueue(_ job: @escaping Job) {
        jobs.withLock { _ = $0?.yield(job) }
    }

    /// The engine's environment cache, for listing and removing environments.
    package nonisolated var environments: EnvironmentStore { store }

    /// Stops a runner: at once when idle, after its current call when busy. Returns false when
    /// there is no such runner.
    package func stopRunner(_ id: String) -> Bool {
        guard runners[id] != nil else { return false }
        stop(id)
        return true
    }

    /// The runners alive now.
    public func runnerSnapshots() -> [RunnerSnapshot] {
        runners.values.map { runner in
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
                machineType: runner.pool.machineType,
                state: state,
                calls: runner.calls,
                keepAlive: Int(runner.keepAlive.components.seconds)
            )
        }
        .sorted { $0.id < $1.id }
    }

    // MARK: - Calls

    /// Runs one call: finds or builds the environment, finds or compiles the function version,
    /// reuses a warm runner or starts one, and runs the function there. `events` receives the
    /// phases, build progress and every line the function prints, as they happen.
    public func invoke(
        _ request: InvocationRequest,
        events: @escaping @Sendable (InvocationEvent) -> Void = { _ in }
    ) async throws(IsolatedError) -> InvocationResult {
        try await invoke(request, events: events, callers: [], callerDeadline: nil)
    }

    /// Runs a call made by `callers` (outermost first) from inside their workers, ending by
    /// `callerDeadline` at the latest.
    private func invoke(
        _ request: InvocationRequest,
        events: @escaping @Sendable (InvocationEvent) -> Void,
        callers: [FunctionReference],
        callerDeadline: Duration?
    ) async throws(IsolatedError) -> InvocationResult {
        let callID = nextCallID
        nextCallID += 1
        var report = CallReport(callID: callID, function: request.function.reference)
        do throws(IsolatedError) {
            guard case .running = state else {
                throw IsolatedError(code: .engineUnavailable, message: "the engine is not running; start it with run() before calling")
            }
            guard callers.count < configuration.maxNestingDepth else {
                let path = (callers + [request.function.reference]).map { "\($0.name)()" }.joined(separator: " → ")
                throw IsolatedError(
                    code: .nestingTooDeep,
                    message: "isolated calls nested \(callers.count + 1) deep (\(path)), past the limit of "
                        + "\(configuration.maxNestingDepth): a cycle or runaway recursion? Raise EngineConfiguration.maxNestingDepth if it is intended"
                )
            }
            guard request.keepAlive >= 0 else {
                throw IsolatedError(code: .invalidSetting, message: "keepAlive must be 0 or more seconds, not \(request.keepAlive)")
            }
            if let timeout = request.timeout, timeout < 1 {
                throw IsolatedError(code: .invalidSetting, message: "timeout must be 1 or more seconds, not \(timeout)")
            }
            if let retries = request.retries, retries < 0 {
                throw IsolatedError(code: .invalidSetting, message: "retries must be 0 or more, not \(retries)")
            }
            if let minWarm = request.minWarm {
                guard minWarm >= 0 else { throw IsolatedError(code: .invalidSetting, message: "minWarm must be 0 or more, not \(minWarm)") }
                if let limit = request.maxConcurrency, minWarm > limit {
                    throw IsolatedError(code: .invalidSetting, message: "minWarm (\(minWarm)) is more than maxConcurrency (\(limit)) allows")
                }
            }
            let machine = try configuration.machineTypes.spec(for: request.machineType)
            if let shortfall = capacity.shortfall(of: machine) {
                let usable = configuration.machineTypes.types.filter { capacity.shortfall(of: $0) == nil }.map(\.name)
                throw IsolatedError(
                    code: .machineTypeUnavailable,
                    message: "machine type \(machine.name) needs \(shortfall), so it can never run here; "
                        + "types this machine can run: \(usable.joined(separator: ", "))"
                )
            }
            if let limit = request.maxConcurrency, limit < 1 {
                throw IsolatedError(code: .invalidSetting, message: "maxConcurrency must be 1 or more, not \(limit)")
            }
            let worker = try await workerExecutable(for: request, report: &report, events: events)
            var attempt = 1
            while true {
                do throws(IsolatedError) {
                    return try await run(
                        request, machine: machine, worker: worker, callID: callID, report: &report, events: events, callers: callers,
                        callerDeadline: callerDeadline)
                } catch let failure where attempt <= (request.retries ?? 0) && Self.isRetryable(failure) && !Task.isCancelled {
                    // The machinery failed, not the function: again on a new runner, after a growing pause.
                    let backoff = configuration.retryBackoff * (1 << min(attempt - 1, 6))
                    attempt += 1
                    events(.phaseStarted(.retry, detail: "attempt \(attempt) of \((request.retries ?? 0) + 1), after \(failure.code)"))
                    let started = ContinuousClock.now
                    try? await clock.sleep(clock.now() + backoff)
                    let timing = CallReport.Timing(phase: .retry, duration: ContinuousClock.now - started, outcome: failure.code.rawValue)
                    report.phases.append(timing)
                    report.warm = false
                    events(.phaseFinished(timing))
                }
            }
        } catch {
            var error = error
            error.function = error.function ?? request.function.reference
            // A nested call's failure already carries its chain, from the outermost caller down.
            if error.chain.isEmpty { error.chain = callers + [request.function.reference] }
            error.report = report
            logger.debug("call failed", metadata: Self.metadata(report).merging(["error": "\(error.code)"]) { $1 })
            throw error
        }
    }

    /// One attempt at a call whose worker is ready: a warm or new runner, the run, its outcome.
    private func run(
        _ request: InvocationRequest,
        machine: MachineTypeSpec,
        worker: WorkerExecutable,
        callID: UInt64,
        report: inout CallReport,
        events: @escaping @Sendable (InvocationEvent) -> Void,
        callers: [FunctionReference],
        callerDeadline: Duration?
    ) async throws(IsolatedError) -> InvocationResult {
        let pool = PoolKey(worker: worker, machineType: machine.name, network: request.network)
        let runnerID = try await acquireRunner(for: request, machine: machine, pool: pool, report: &report, events: events)
        guard let runner = runners[runnerID] else {
            throw IsolatedError(code: .runnerCrashed, message: "the runner for \(request.function.reference) exited before the call began")
        }
        report.runnerID = runnerID
        report.processID = runner.processID
        let timeout = request.timeout.map { Duration.seconds($0) } ?? configuration.defaultTimeout
        let deadline = min(clock.now() + timeout, callerDeadline ?? .seconds(Int64.max))
        runners[runnerID]?.deadline = deadline

        let started = ContinuousClock.now
        events(.phaseStarted(.run, detail: nil))
        let name = request.function.name
        let connection = runner.connection
        let nestedCallers = callers + [request.function.reference]
        let scope = CallScope()
        let outcome = await withTaskCancellationHandler {
            await connection.invoke(id: callID, arguments: request.arguments) { stream, text in
                events(.log(LogLine(callID: callID, function: name, stream: stream, text: text)))
            } onNestedCall: { [weak self] id, function, arguments in
                guard let engine = self else { return }
                let template = request.template
                engine.enqueue {
                    await engine.serveNestedCall(
                        id, of: function, arguments, caller: template, scope: scope, on: connection, runner: runnerID, callers: nestedCallers,
                        events: events)
                }
            }
        } onCancel: {
            connection.kill()
        }
        scope.end()
        let timing = CallReport.Timing(phase: .run, duration: ContinuousClock.now - started)
        report.phases.append(timing)
        events(.phaseFinished(timing))

        let unresponsive = connection.wasUnresponsive
        let timedOut = connection.wasTimedOut
        let outOfMemory = connection.confinement?.outOfMemory ?? false
        release(runnerID, keepAlive: request.keepAlive)
        keepWarm(pool, as: request, machine: machine)
        switch outcome {
        case .returned(let payload):
            logger.debug("call finished", metadata: Self.metadata(report))
            return InvocationResult(payload: payload, report: report)
        case .threw(let remote):
            throw Self.error(for: remote, function: request.function.reference)
        case .failed(let error):
            throw error
        case .printedTooMuch(let limit, let tail):
            throw IsolatedError(
                code: .outputLimitExceeded,
                message: "\(request.function.reference) printed more than \(ByteCount.describe(limit)) in one call, "
                    + "the engine's limit (EngineConfiguration.maxOutputBytesPerCall), and was stopped; "
                    + "return large data as the result or write it to a file instead",
                logTail: tail
            )
        case .crashed(let termination, let tail):
            if Task.isCancelled {
                throw IsolatedError(code: .cancelled, message: "the call to \(request.function.reference) was cancelled; its runner was stopped")
            }
            if outOfMemory {
                throw outOfMemoryError(request, machine: machine, tail: tail)
            }
            if timedOut {
                throw timedOutError(request, timeout: timeout, callerDeadline: callerDeadline, deadline: deadline, tail: tail)
            }
            if unresponsive {
                throw IsolatedError(
                    code: .runnerUnresponsive,
                    message: "the runner for \(request.function.reference) stopped answering heartbeats for "
                        + "\(configuration.heartbeatTimeout) and was killed; the next call gets a new runner",
                    logTail: tail
                )
            }
            throw IsolatedError(
                code: .runnerCrashed,
                message: "the runner for \(request.function.reference) crashed: \(termination); the next call gets a new runner",
                logTail: tail
            )
        }
    }

    /// Whether a failure is of the machinery rather than of the function: worth another
    /// attempt on a new runner when the call allows retries. Thrown errors, compile errors,
    /// `outOfMemory` and `timedOut` never are.
    static func isRetryable(_ error: IsolatedError) -> Bool {
        // A failure with a chain came from a nested call, which retries on its own terms.
        error.chain.isEmpty && [.runnerCrashed, .runnerStartFailed, .runnerUnresponsive].contains(error.code)
    }

    /// A warm runner of `pool`, or a new one, waiting while the function has `maxConcurrency` runners.
    private func acquireRunner(
        for request: InvocationRequest,
        machine: MachineTypeSpec,
        pool: PoolKey,
        report: inout CallReport,
        events: @escaping @Sendable (InvocationEvent) -> Void
    ) async throws(IsolatedError) -> String {
        var waitStarted: ContinuousClock.Instant?
        var queueDeadline = Duration.zero
        defer {
            if let waitStarted {
                let timing = CallReport.Timing(phase: .queue, duration: ContinuousClock.now - waitStarted)
                report.phases.append(timing)
                events(.phaseFinished(timing))
            }
        }
        while true {
            guard case .running = state else {
                throw IsolatedError(code: .engineUnavailable, message: "the engine stopped while the call waited for a runner")
            }
            if let warm = takeIdleRunner(in: pool) {
                report.warm = true
                return warm
            }
            let active = alive(in: pool)
            let limited = request.maxConcurrency.map { active >= $0 } ?? false
            if limited || !makeRoom(for: machine) {
                if waitStarted == nil {
                    waitStarted = ContinuousClock.now
                    queueDeadline = clock.now() + configuration.queueTimeout
                    let detail =
                        limited
                        ? "waiting for one of the \(request.maxConcurrency ?? 0) runners of \(request.function.name)() (maxConcurrency)"
                        : "waiting for a machine of type \(machine.name)"
                    events(.phaseStarted(.queue, detail: detail))
                    let (clock, deadline) = (self.clock, queueDeadline)
                    enqueue { [weak self] in
                        try? await clock.sleep(deadline)
                        self?.notifyRunnerChange()
                    }
                } else if clock.now() >= queueDeadline {
                    throw queueTimeout(machine: machine, limited: limited, maxConcurrency: request.maxConcurrency)
                }
                await runnerChange()
                if Task.isCancelled { throw IsolatedError(code: .cancelled, message: "the call was cancelled while it waited for a runner") }
                continue
            }
            let started = ContinuousClock.now
            events(.phaseStarted(.start, detail: "starting a runner on machine type \(machine.name)"))
            // Counted before the launch suspends, so concurrent calls see the runner coming.
            starting[pool, default: 0] += 1
            let reservation = nextWaiterID
            nextWaiterID += 1
            startingMachines[reservation] = machine
            defer {
                starting[pool, default: 0] -= 1
                startingMachines[reservation] = nil
                notifyRunnerChange()
            }
            let id = try await startRunner(for: request, machine: machine, pool: pool)
            let timing = CallReport.Timing(phase: .start, duration: ContinuousClock.now - started, outcome: "cold")
            report.phases.append(timing)
            events(.phaseFinished(timing))
            return id
        }
    }

    /// The pool's runners that are not stopping, those starting included.
    private func alive(in pool: PoolKey) -> Int {
        starting[pool, default: 0]
            + runners.values.count { runner in
                guard runner.pool == pool else { return false }
                if case .stopping = runner.phase { return false }
                return true
            }
    }

    /// Whether a runner of `machine` fits in what the machine has left, stopping idle runners
    /// (least recently used first) to make room when it would not.
    private func makeRoom(for machine: MachineTypeSpec) -> Bool {
        while !hasRoom(for: machine) {
            let idleRunners = runners.values.compactMap { runner -> (String, Duration)? in
                if case .idle(let since) = runner.phase { return (runner.id, since) }
                return nil
            }
            guard let oldest = idleRunners.min(by: { $0.1 < $1.1 }) else { return false }
            logger.debug("stopping an idle runner to make room", metadata: ["runner": "\(oldest.0)", "for": "\(machine.name)"])
            stop(oldest.0)
        }
        return true
    }

    /// Whether a runner of `machine` fits in what the machine has left now.
    private func hasRoom(for machine: MachineTypeSpec) -> Bool {
        var cpus = 0.0
        var memory = 0
        var gpus = 0
        for runner in runners.values {
            if case .stopping = runner.phase { continue }
            if runner.nestedCalls == 0 { cpus += runner.machine.cpus }
            memory += runner.machine.memory
            gpus += runner.machine.gpus
        }
        for reserved in startingMachines.values {
            cpus += reserved.cpus
            memory += reserved.memory
            gpus += reserved.gpus
        }
        return cpus + machine.cpus <= capacity.cpus + 0.001 && memory + machine.memory <= capacity.memory && gpus + machine.gpus <= capacity.gpus
    }

    private func queueTimeout(machine: MachineTypeSpec, limited: Bool, maxConcurrency: Int?) -> IsolatedError {
        let waited = "waited \(configuration.queueTimeout) for "
        if limited {
            return IsolatedError(
                code: .queueTimedOut,
                message: waited + "one of the \(maxConcurrency ?? 0) runners its maxConcurrency allows; they were all busy. "
                    + "Raise maxConcurrency or EngineConfiguration.queueTimeout"
            )
        }
        let busy = runners.values.filter { if case .stopping = $0.phase { false } else { true } }
        return IsolatedError(
            code: .queueTimedOut,
            message: waited + "a machine of type \(machine.name); this machine's capacity "
                + String(format: "(%g CPUs, %d MiB, %d GPUs)", capacity.cpus, capacity.memory >> 20, capacity.gpus)
                + " was taken by \(busy.count) busy runners. Choose a smaller machine type or raise EngineConfiguration.queueTimeout"
        )
    }

    /// Returns after the next runner release or exit, or when the task is cancelled.
    private func runnerChange() async {
        let id = nextWaiterID
        nextWaiterID += 1
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                runnerWaiters.withLock { $0[id] = continuation }
                if Task.isCancelled { runnerWaiters.withLock { $0.removeValue(forKey: id) }?.resume() }
            }
        } onCancel: {
            runnerWaiters.withLock { $0.removeValue(forKey: id) }?.resume()
        }
    }

    private nonisolated func notifyRunnerChange() {
        let waiters = runnerWaiters.withLock { waiters in
            defer { waiters.removeAll() }
            return Array(waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    private func workerExecutable(
        for request: InvocationRequest,
        report: inout CallReport,
        events: @escaping @Sendable (InvocationEvent) -> Void
    ) async throws(IsolatedError) -> WorkerExecutable {
        let key = FunctionVersion(request.template)
        if let worker = versions[key] {
            if FileManager.default.isExecutableFile(atPath: worker.path) {
                report.phases.append(CallReport.Timing(phase: .environment, duration: .zero, outcome: "cached"))
                report.phases.append(CallReport.Timing(phase: .compile, duration: .zero, outcome: "cached"))
                return worker
            }
            // Removed since (`isolated envs rm` or `gc`, here or from another process): build it again.
            versions[key] = nil
            await store.forgetRemoved()
        }
        var started = ContinuousClock.now
        let detail = request.requirements.isEmpty ? "no requirements" : request.requirements.map(\.description).joined(separator: ", ")
        events(.phaseStarted(.environment, detail: detail))
        let toolchain = try await store.toolchain()
        let spec = try EnvironmentSpec(
            requirements: request.requirements,
            callerFile: request.function.file,
            toolchain: toolchain,
            configuration: configuration.buildConfiguration
        )
        let (environment, built) = try await store.environment(for: spec) { events(.progress(.environment, $0)) }
        var timing = CallReport.Timing(phase: .environment, duration: ContinuousClock.now - started, outcome: built ? "built" : "cached")
        report.phases.append(timing)
        events(.phaseFinished(timing))

        started = ContinuousClock.now
        events(.phaseStarted(.compile, detail: request.function.name))
        let (worker, compiled) = try await store.worker(for: key, in: environment)
        timing = CallReport.Timing(phase: .compile, duration: ContinuousClock.now - started, outcome: compiled ? "compiled" : "cached")
        report.phases.append(timing)
        events(.phaseFinished(timing))
        versions[key] = worker
        return worker
    }

    /// Runs a nested call a worker made and sends the outcome back on its channel. The call
    /// names the function; its settings are the ones `caller` was called with.
    private func serveNestedCall(
        _ id: UInt64,
        of function: String,
        _ arguments: [[UInt8]],
        caller: CallTemplate,
        scope: CallScope,
        on connection: RunnerConnection,
        runner: String,
        callers: [FunctionReference],
        events: @escaping @Sendable (InvocationEvent) -> Void
    ) async {
        runners[runner]?.nestedCalls += 1
        notifyRunnerChange()
        defer {
            runners[runner]?.nestedCalls -= 1
        }
        let reply: RunnerMessage
        let outcome: Result<InvocationResult, IsolatedError>
        if let template = caller.nestedCall(function) {
            let request = template.request(arguments: arguments)
            let deadline = runners[runner]?.deadline
            // Cancelled if the call that made it ends first.
            outcome = await scope.bound {
                do throws(IsolatedError) {
                    return .success(try await self.invoke(request, events: events, callers: callers, callerDeadline: deadline))
                } catch {
                    return .failure(error)
                }
            }
        } else {
            outcome = .failure(
                IsolatedError(
                    code: .invalidShipment,
                    message: "\(caller.function.reference) called \(function)(), which it does not ship; list it in uses:"
                ))
        }
        switch outcome {
        case .success(let result): reply = .callReturned(id: id, result: result.payload)
        case .failure(let error): reply = .callFailed(id: id, error: (try? PayloadCoding.encode(error)) ?? [])
        }
        connection.reply(reply)
    }

    private func timedOutError(_ request: InvocationRequest, timeout: Duration, callerDeadline: Duration?, deadline: Duration, tail: [String])
        -> IsolatedError
    {
        let limit = "\(timeout.components.seconds) s"
        if let callerDeadline, callerDeadline == deadline {
            return IsolatedError(
                code: .timedOut,
                message: "\(request.function.reference) was still running when the call that made it reached its own timeout; "
                    + "its runner was stopped. Raise the outer function's timeout:",
                logTail: tail
            )
        }
        let source =
            request.timeout == nil ? "the engine's default timeout of \(limit) (EngineConfiguration.defaultTimeout)" : "its timeout of \(limit)"
        return IsolatedError(
            code: .timedOut,
            message: "\(request.function.reference) ran longer than \(source) and was stopped; "
                + "the next call gets a new runner. Raise timeout: if it needs longer",
            logTail: tail
        )
    }

    private func outOfMemoryError(_ request: InvocationRequest, machine: MachineTypeSpec, tail: [String]) -> IsolatedError {
        let larger = configuration.machineTypes.types.filter { $0.memory > machine.memory && $0.gpus == 0 }
            .map { "\($0.name) (\(ByteCount.describe($0.memory)))" }
        return IsolatedError(
            code: .outOfMemory,
            message: "\(request.function.reference) used more than the \(ByteCount.describe(machine.memory)) of memory machine type "
                + "\(machine.name) allows and was killed"
                + (larger.isEmpty ? "" : "; choose a larger machine type: \(larger.joined(separator: ", "))"),
            logTail: tail
        )
    }

    private static func error(for remote: RemoteError, function: FunctionReference) -> IsolatedError {
        switch remote.stage {
        case .function:
            IsolatedError(code: .functionThrew, message: "\(function) threw \(remote)", function: function, remote: remote)
        default:
            IsolatedError(code: .codingFailed, message: "\(function): \(remote.message)", function: function, remote: remote)
        }
    }

    private static func metadata(_ report: CallReport) -> Logger.Metadata {
        var metadata: Logger.Metadata = [
            "call": "\(report.callID)", "function": "\(report.function.name)", "warm": "\(report.warm)",
        ]
        if let runner = report.runnerID { metadata["runner"] = "\(runner)" }
        for timing in report.phases { metadata["phase.\(timing.phase)"] = "\(timing.duration)\(timing.outcome.map { " (\($0))" } ?? "")" }
        return metadata
    }

    // MARK: - Runners

    private func takeIdleRunner(in pool: PoolKey) -> String? {
        guard var ids = idle[pool], let id = ids.popLast() else { return nil }
        idle[pool] = ids.isEmpty ? nil : ids
        runners[id]?.phase = .busy
        return id
    }

    private func startRunner(for request: InvocationRequest, machine: MachineTypeSpec, pool: PoolKey) async throws(IsolatedError) -> String {
        let id = "r\(nextRunnerNumber)-\(String(UInt32.random(in: 0...UInt32.max), radix: 36))"
        nextRunnerNumber += 1
        let logger = self.logger
        let function = request.function.name
        let connection = try await launcher.launch(
            LaunchRequest(
                runnerID: id,
                worker: pool.worker,
                function: function,
                machineType: machine,
                network: pool.network,
                onIdleLog: { stream, text in
                    logger.debug("runner output between calls", metadata: ["runner": "\(id)", "function": "\(function)", "\(stream)": "\(text)"])
                },
                onExit: { [weak self] termination in
                    guard let engine = self else { return }
                    engine.enqueue { await engine.runnerExited(id, termination) }
                }
            )
        )
        runners[id] = Runner(
            id: id,
            pool: pool,
            machine: machine,
            function: request.function.reference,
            connection: connection,
            phase: .starting,
            keepAlive: .seconds(request.keepAlive)
        )
        let processID: Int32
        do {
            processID = try await connection.waitUntilReady()
        } catch let failure as RunnerConnection.StartFailure {
            runners[id] = nil
            throw IsolatedError(
                code: .runnerStartFailed,
                message: "the runner for \(request.function.reference) \(failure.termination) before it was ready",
                logTail: failure.tail
            )
        } catch {
            runners[id] = nil
            throw IsolatedError(code: .runnerStartFailed, message: "the runner for \(request.function.reference) did not start: \(error)")
        }
        guard case .running = state, runners[id] != nil else {
            connection.kill()
            throw IsolatedError(code: .engineUnavailable, message: "the engine stopped while a runner was starting")
        }
        runners[id]?.processID = processID
        runners[id]?.phase = .busy
        logger.debug("runner started", metadata: ["runner": "\(id)", "pid": "\(processID)", "function": "\(function)"])
        return id
    }

    private func release(_ id: String, keepAlive: Int, served: Bool = true) {
        guard var runner = runners[id] else { return }
        if served { runner.calls += 1 }
        runner.deadline = nil
        guard case .busy = runner.phase, !runner.connection.hasExited, !runner.connection.wasUnresponsive else {
            runners[id] = runner
            return
        }
        guard case .running = state, keepAlive > 0 else {
            runners[id] = runner
            stop(id)
            return
        }
        runner.phase = .idle(since: clock.now())
        runner.keepAlive = .seconds(keepAlive)
        runner.pingsSent = runner.connection.lastPong
        let needsMonitor = !runner.monitored
        runner.monitored = true
        runners[id] = runner
        idle[runner.pool, default: []].append(id)
        notifyRunnerChange()
        if needsMonitor { enqueue { await self.monitorKeepAlive(id) } }
    }

    /// Stops the runner once it has been idle for its keep-alive; the timer restarts at every call.
    private func monitorKeepAlive(_ id: String) async {
        while let deadline = keepAliveDeadline(id) {
            do {
                try await clock.sleep(deadline)
            } catch {
                return
            }
        }
    }

    private func keepAliveDeadline(_ id: String) -> Duration? {
        guard let runner = runners[id] else { return nil }
        switch runner.phase {
        case .idle(let since):
            let deadline = since + runner.keepAlive
            if clock.now() >= deadline, let minimum = warmMinimums[runner.pool], alive(in: runner.pool) <= minimum.count {
                // Needed for the pool's minWarm: kept, and checked again a keep-alive later.
                return clock.now() + runner.keepAlive
            }
            guard clock.now() < deadline else {
                logger.debug("keep-alive ended", metadata: ["runner": "\(id)"])
                stop(id)
                return nil
            }
            return deadline
        case .busy, .starting:
            return clock.now() + runner.keepAlive
        case .stopping:
            return nil
        }
    }

    private func stop(_ id: String) {
        guard var runner = runners[id] else { return }
        if case .stopping = runner.phase { return }
        idle[runner.pool]?.removeAll { $0 == id }
        if idle[runner.pool]?.isEmpty == true { idle[runner.pool] = nil }
        runner.phase = .stopping
        runners[id] = runner
        notifyRunnerChange()
        let connection = runner.connection
        connection.stop()
        let grace = configuration.stopGracePeriod
        let clock = self.clock
        enqueue {
            try? await clock.sleep(clock.now() + grace)
            if !connection.hasExited { connection.kill() }
        }
    }

    private func runnerExited(_ id: String, _ termination: ChildProcess.Termination) {
        guard let runner = runners.removeValue(forKey: id) else { return }
        idle[runner.pool]?.removeAll { $0 == id }
        if idle[runner.pool]?.isEmpty == true { idle[runner.pool] = nil }
        logger.debug("runner exited", metadata: ["runner": "\(id)", "termination": "\(termination)"])
        notifyRunnerChange()
        // A runner that ends is replaced where a pool's minWarm needs it, and capacity allows.
        for pool in warmMinimums.keys { fillWarm(pool) }
    }

    // MARK: - Warm minimums

    /// Records the pool's `minWarm` as its last call set it, and starts what it lacks.
    private func keepWarm(_ pool: PoolKey, as request: InvocationRequest, machine: MachineTypeSpec) {
        guard let count = request.minWarm, count > 0 else {
            warmMinimums[pool] = nil
            return
        }
        warmMinimums[pool] = WarmMinimum(count: count, template: request.template, machine: machine)
        fillWarm(pool)
    }

    /// Starts runners until the pool has its minimum, as far as free capacity allows: a warm
    /// minimum never stops another runner to make room.
    private func fillWarm(_ pool: PoolKey) {
        guard case .running = state, let minimum = warmMinimums[pool] else { return }
        var missing = minimum.count - alive(in: pool)
        while missing > 0, hasRoom(for: minimum.machine) {
            missing -= 1
            // Counted at once, like a call's runner, so capacity and maxConcurrency see it coming.
            starting[pool, default: 0] += 1
            let reservation = nextWaiterID
            nextWaiterID += 1
            startingMachines[reservation] = minimum.machine
            enqueue { await self.startWarm(pool, minimum, reservation: reservation) }
        }
    }

    private func startWarm(_ pool: PoolKey, _ minimum: WarmMinimum, reservation: UInt64) async {
        let request = minimum.template.request(arguments: [])
        defer {
            starting[pool, default: 0] -= 1
            startingMachines[reservation] = nil
            notifyRunnerChange()
        }
        do throws(IsolatedError) {
            let id = try await startRunner(for: request, machine: minimum.machine, pool: pool)
            release(id, keepAlive: request.keepAlive, served: false)
        } catch {
            logger.debug("cannot start a warm runner", metadata: ["function": "\(request.function.name)", "error": "\(error.code)"])
        }
    }

    private func heartbeats() async {
        let interval = configuration.heartbeatInterval
        let allowed = max(1, UInt64((configuration.heartbeatTimeout / interval).rounded(.up)))
        while !Task.isCancelled {
            do {
                try await clock.sleep(clock.now() + interval)
            } catch {
                return
            }
            checkHeartbeats(allowedMisses: allowed)
        }
    }

    private func checkHeartbeats(allowedMisses: UInt64) {
        let now = clock.now()
        for (id, runner) in runners {
            guard case .busy = runner.phase, !runner.connection.wasUnresponsive, !runner.connection.wasTimedOut else { continue }
            if let deadline = runner.deadline, now >= deadline {
                logger.debug("call past its deadline", metadata: ["runner": "\(id)"])
                runner.connection.killTimedOut()
                continue
            }
            let answered = runner.connection.lastPong
            if runner.pingsSent >= answered + allowedMisses {
                logger.debug("runner unresponsive", metadata: ["runner": "\(id)"])
                runner.connection.killUnresponsive()
            } else {
                runners[id]?.pingsSent += 1
                runner.connection.ping(runner.pingsSent + 1)
            }
        }
    }

    private func stopAll() async {
        state = .stopped
        notifyRunnerChange()
        for (id, runner) in runners {
            if case .busy = runner.phase { runner.connection.kill() } else { stop(id) }
        }
        // Runners told to stop exit at once; anything still alive after the grace period is killed.
        let deadline = ContinuousClock.now + configuration.stopGracePeriod
        while runners.values.contains(where: { !$0.connection.hasExited }), ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        for runner in runners.values where !runner.connection.hasExited { runner.connection.kill() }
        runners.removeAll()
        idle.removeAll()
        resources.removeEngineGroups()
    }
}
