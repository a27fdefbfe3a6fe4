public import CoreMetrics
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
///
/// The engine coordinates; the work is done by its parts: the ``EnvironmentStore`` builds
/// environments and compiled workers, the ``RunnerScheduler`` gives each call a runner (its
/// ``RunnerPool``, ``Admission`` and ``Supervision``), and a ``Launcher`` starts runners.
public actor Engine: Service {
    /// The configuration the engine was created with.
    public nonisolated let configuration: EngineConfiguration
    let logger: Logger
    let clock: EngineClock
    let store: EnvironmentStore
    let scheduler: RunnerScheduler
    let resources: ResourceControl
    let capacity: HostCapacity
    let metrics: EngineMetrics
    let launcher: any Launcher
    /// Machine types the launcher says can never run, with the reason: found when the engine starts.
    nonisolated let unplaceable = Mutex<[String: String]>([:])
    /// The keys of runners that call the server back, for the server to recognize them.
    package nonisolated let runnerCredentials: RunnerCredentials
    private nonisolated let jobs = Mutex<AsyncStream<Job>.Continuation?>(nil)

    typealias Job = @Sendable () async -> Void

    private enum State {
        case created
        /// The launcher is checking what it needs (a cluster's nodes).
        case starting
        case running
        case stopped
    }

    /// The scheduler's executor: the engine and its scheduler take turns on one serial executor,
    /// so a call crossing between them (twice on the warm path) switches no thread.
    public nonisolated var unownedExecutor: UnownedSerialExecutor { scheduler.unownedExecutor }

    private var state = State.created
    private var runningWaiters: [CheckedContinuation<Void, Never>] = []
    /// Compiled workers by function version, so the warm path finds its executable without
    /// touching the disk; a call's settings are not part of the key.
    var versions: [FunctionVersion: WorkerExecutable] = [:]
    /// Python workers by Python version and requirements, like ``versions``.
    var pythonWorkers: [PythonEnvironmentKey: WorkerExecutable] = [:]
    /// The tag of the Python call each busy runner is running, for its nested calls' records.
    var runningTags: [String: String] = [:]
    private var nextCallID: UInt64 = 1

    /// Creates an engine; `clock` drives keep-alive, heartbeats, timeouts and the queue. Its
    /// metrics (calls by outcome, cold and warm starts, phase durations, environment builds,
    /// runners and environments) go to `metricsFactory`: by default the backend the process
    /// bootstrapped with `MetricsSystem.bootstrap`, if any.
    public init(
        configuration: EngineConfiguration = .init(),
        clock: some Clock<Duration> = ContinuousClock(),
        logger: Logger = Logger(label: "isolated.engine"),
        metricsFactory: any MetricsFactory = MetricsSystem.factory
    ) {
        self.init(
            configuration: configuration, launcher: nil, environmentBuilder: SwiftPMEnvironmentBuilder(), clock: clock, logger: logger,
            metricsFactory: metricsFactory)
    }

    /// Creates an engine whose runners come from `launcher` (by default child processes of this
    /// one, ``LocalLauncher``) and whose environments come from `environmentBuilder`.
    package init(
        configuration: EngineConfiguration,
        launcher: (any Launcher)?,
        environmentBuilder: any EnvironmentBuilder,
        capacity: HostCapacity? = nil,
        clock: some Clock<Duration>,
        logger: Logger,
        metricsFactory: any MetricsFactory = MetricsSystem.factory
    ) {
        let clock = EngineClock(clock)
        let store = EnvironmentStore(configuration: configuration, builder: environmentBuilder, logger: logger)
        let resources = configuration.enforceLimits ? ResourceControl.detect() : ResourceControl(unavailable: "disabled by configuration")
        self.configuration = configuration
        self.clock = clock
        self.logger = logger
        self.store = store
        self.resources = resources
        let base = launcher ?? Self.launcher(configuration: configuration, store: store, resources: resources)
        // A cluster's capacity and queue are its scheduler's: the engine counts nothing of its own.
        let capacity = capacity ?? (base is SlurmLauncher ? .unbounded : .detect())
        self.capacity = capacity
        let metrics = EngineMetrics(factory: metricsFactory)
        self.metrics = metrics
        let credentials = RunnerCredentials()
        self.runnerCredentials = credentials
        let credentialed = CredentialedLauncher(base: base, credentials: credentials)
        self.launcher = credentialed
        self.scheduler = RunnerScheduler(
            configuration: configuration,
            launcher: credentialed,
            capacity: capacity,
            clock: clock,
            logger: logger,
            metrics: metrics
        )
    }

    private static func launcher(configuration: EngineConfiguration, store: EnvironmentStore, resources: ResourceControl) -> any Launcher {
        let sandboxes = SingleFlight<String, Sandbox>()
        let sandbox: @Sendable () async -> Sandbox = {
            do {
                let helper = try await store.runtime().runtime.sandbox
                return try await sandboxes.value(for: helper) {
                    await Sandbox.detect(helper: helper, home: configuration.home, configuration: configuration.sandbox)
                }
            } catch {
                return Sandbox(mode: .unavailable("\(error)"), home: configuration.home, configuration: configuration.sandbox)
            }
        }
        switch configuration.launcher {
        case .local:
            return LocalLauncher(
                home: configuration.home, resources: resources, maxOutputBytesPerCall: configuration.maxOutputBytesPerCall, sandbox: sandbox)
        case .slurm(let slurm):
            return SlurmLauncher(
                configuration: slurm, home: configuration.home, maxOutputBytesPerCall: configuration.maxOutputBytesPerCall, sandbox: sandbox)
        }
    }

    /// Serves calls until cancelled or shut down gracefully; then stops every runner.
    public func run() async throws {
        guard case .created = state else {
            throw IsolatedError(code: .engineUnavailable, message: "this engine has already run; create a new one")
        }
        state = .starting
        do {
            let found = try await launcher.prepare(machineTypes: configuration.machineTypes.types)
            unplaceable.withLock { $0 = found }
        } catch {
            state = .stopped
            for waiter in runningWaiters { waiter.resume() }
            runningWaiters.removeAll()
            throw error
        }
        guard case .starting = state else { return }
        let (stream, continuation) = AsyncStream.makeStream(of: Job.self)
        jobs.withLock { $0 = continuation }
        state = .running
        for waiter in runningWaiters { waiter.resume() }
        runningWaiters.removeAll()
        environmentsChanged()
        logger.debug("engine running", metadata: ["home": "\(configuration.home)"])
        let scheduler = self.scheduler
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                group.addTask { await scheduler.run() }
                for await job in stream { group.addTask { await job() } }
                await self.stop()
                group.cancelAll()
            }
        } onGracefulShutdown: {
            self.finishJobs()
        }
    }

    private func stop() async {
        state = .stopped
        finishJobs()
        await scheduler.stopAll()
        await launcher.shutdown()
        resources.removeEngineGroups()
    }

    /// Returns once ``run()`` has started (or the engine has already stopped).
    public func untilRunning() async {
        switch state {
        case .created, .starting: break
        case .running, .stopped: return
        }
        await withCheckedContinuation { runningWaiters.append($0) }
    }

    /// Stops accepting calls and ends ``run()``.
    public nonisolated func shutdown() { finishJobs() }

    private nonisolated func finishJobs() {
        jobs.withLock { $0?.finish() }
    }

    nonisolated func enqueue(_ job: @escaping Job) {
        jobs.withLock { _ = $0?.yield(job) }
    }

    /// The engine's environment cache, for listing and removing environments.
    package nonisolated var environments: EnvironmentStore { store }

    /// Stops a runner: at once when idle, after its current call when busy. Returns false when
    /// there is no such runner.
    package func stopRunner(_ id: String) async -> Bool {
        await scheduler.stopRunner(id)
    }

    /// The runners alive now.
    public func runnerSnapshots() async -> [RunnerSnapshot] {
        await scheduler.snapshots()
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
    /// `callerDeadline` at the latest. Failures of the machinery are tried again on a new
    /// runner, after a growing pause, as often as the call's `retries` allow.
    func invoke(
        _ request: InvocationRequest,
        events: @escaping @Sendable (InvocationEvent) -> Void,
        callers: [FunctionReference],
        callerDeadline: Duration?
    ) async throws(IsolatedError) -> InvocationResult {
        let callID = newCallID()
        var report = CallReport(callID: callID, function: request.function.reference)
        do throws(IsolatedError) {
            try await checkRunning()
            let machine = try validate(request, callers: callers)
            let worker = try await workerExecutable(for: request, report: &report, events: events)
            report.environmentKey = worker.environmentKey
            var attempt = 1
            while true {
                do throws(IsolatedError) {
                    let result = try await run(
                        request, machine: machine, worker: worker, callID: callID, report: &report, events: events, callers: callers,
                        callerDeadline: callerDeadline)
                    callFinished(runtime: "swift", report: result.report, error: nil)
                    return result
                } catch let failure where attempt <= (request.retries ?? 0) && Self.isRetryable(failure) && !Task.isCancelled {
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
            callFinished(runtime: "swift", report: report, error: error)
            logger.debug("call failed", metadata: Self.metadata(report).merging(["error": "\(error.code)"]) { $1 })
            throw error
        }
    }

    /// Records a call's end in the metrics; an environment it built changes the cache's figures.
    func callFinished(runtime: String, report: CallReport, error: IsolatedError?) {
        let outcome = error == nil ? "succeeded" : error?.code == .cancelled ? "cancelled" : "failed"
        metrics.callFinished(runtime: runtime, outcome: outcome, report: report)
        if report.phases.contains(where: { $0.phase == .environment && $0.outcome == "built" }) { environmentsChanged() }
    }

    /// Measures the environment cache again for the metrics, after it changed, so a scrape
    /// never walks the disk. The walk runs on a thread of its own: it must not hold one of the
    /// few cooperative threads calls run on. Nothing is measured when nothing records.
    package nonisolated func environmentsChanged() {
        guard metrics.isRecording else { return }
        let (directory, metrics) = (store.environmentsDirectory, self.metrics)
        DispatchQueue.global(qos: .utility).async {
            let (count, bytes) = EnvironmentStore.measure(environmentsDirectory: directory)
            metrics.environments(count: count, bytes: bytes)
        }
    }

    /// A new call's id, unique in this engine.
    func newCallID() -> UInt64 {
        defer { nextCallID += 1 }
        return nextCallID
    }

    /// Refuses calls unless the engine runs; a call made while it starts (its launcher checks a
    /// cluster) waits for it first.
    func checkRunning() async throws(IsolatedError) {
        if case .starting = state { await untilRunning() }
        guard case .running = state else {
            throw IsolatedError(code: .engineUnavailable, message: "the engine is not running; start it with run() before calling")
        }
    }

    /// One attempt at a Swift call whose worker is ready; its nested calls are bound to the call.
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
        let runnerRequest = RunnerScheduler.Request(
            key: RunnerPool.Key(worker: worker, machineType: machine.name, network: request.network),
            machine: machine,
            function: request.function.reference,
            keepAlive: .seconds(request.keepAlive),
            maxConcurrency: request.maxConcurrency
        )
        let scope = CallScope()
        // Nested calls still running when the call ends are cancelled.
        defer { scope.end() }
        return try await attempt(
            runnerRequest, arguments: request.arguments, requestedTimeout: request.timeout, warmMinimum: request.minWarm,
            callerDeadline: callerDeadline, callID: callID, report: &report, events: events
        ) { lease in
            let nested = NestedCallContext(caller: request.template, lease: lease, scope: scope, callers: callers + [request.function.reference])
            return { [weak self] id, function, arguments in
                guard let engine = self else { return }
                engine.enqueue { await engine.serveNestedCall(id, of: function, arguments, in: nested, events: events) }
            }
        }
    }

    /// One attempt at a call of any runtime: a runner from the scheduler, one invocation there as
    /// the `run` phase, the runner given back, the outcome as the call's result or error.
    func attempt(
        _ runnerRequest: RunnerScheduler.Request,
        arguments: [[UInt8]],
        requestedTimeout: Int?,
        warmMinimum: Int?,
        callerDeadline: Duration?,
        callID: UInt64,
        report: inout CallReport,
        events: @escaping @Sendable (InvocationEvent) -> Void,
        onNestedCall: (RunnerScheduler.Lease) -> @Sendable (_ id: UInt64, _ function: String, _ arguments: [[UInt8]]) -> Void
    ) async throws(IsolatedError) -> InvocationResult {
        let timeout = requestedTimeout.map { Duration.seconds($0) } ?? configuration.defaultTimeout
        let lease = try await scheduler.acquire(runnerRequest, timeout: timeout, callerDeadline: callerDeadline, report: &report, events: events)
        report.runnerID = lease.runnerID
        report.processID = lease.processID
        report.node = lease.handle.placement?.node

        let started = ContinuousClock.now
        events(.phaseStarted(.run, detail: nil))
        let (handle, name) = (lease.handle, runnerRequest.function.name)
        let nestedCall = onNestedCall(lease)
        let outcome = await withTaskCancellationHandler {
            await handle.invoke(id: callID, arguments: arguments) { stream, text in
                events(.log(LogLine(callID: callID, function: name, stream: stream, text: text)))
            } onNestedCall: { id, function, arguments in
                nestedCall(id, function, arguments)
            }
        } onCancel: {
            handle.kill()
        }
        let timing = CallReport.Timing(phase: .run, duration: ContinuousClock.now - started)
        report.phases.append(timing)
        events(.phaseFinished(timing))

        // A Python runner names the function only once it has read it.
        let function = handle.calledFunction ?? runnerRequest.function
        report.function = function
        // Read before the runner is released: how it ended is the handle's to say.
        let failure = failure(
            of: outcome, function: function, requestedTimeout: requestedTimeout, machine: runnerRequest.machine, timeout: timeout,
            callerDeadline: callerDeadline, lease: lease)
        await scheduler.finish(lease, keepAlive: runnerRequest.keepAlive, warmMinimum: warmMinimum.map { (count: $0, request: runnerRequest) })
        if let failure { throw failure }
        guard case .returned(let payload) = outcome else { preconditionFailure("every other outcome is a failure") }
        logger.debug("call finished", metadata: Self.metadata(report))
        return InvocationResult(payload: payload, report: report)
    }
}
