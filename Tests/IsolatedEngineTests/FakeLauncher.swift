import IsolatedCore
import IsolatedEngine
import Synchronization

/// A launcher whose runners are objects in the test process: no compiler, no processes. A test
/// decides when each runner becomes ready, what its calls return, and when it dies.
final class FakeLauncher: Launcher {
    private struct State {
        var runners: [FakeRunner] = []
        var requests: [LaunchRequest] = []
        var readyAtOnce = true
    }

    private let state = Mutex(State())

    /// Whether new runners say hello as soon as they are launched; when false, a test calls ``FakeRunner/becomeReady()``.
    var readyAtOnce: Bool {
        get { state.withLock { $0.readyAtOnce } }
        set { state.withLock { $0.readyAtOnce = newValue } }
    }

    /// Every runner launched, in order.
    var runners: [FakeRunner] { state.withLock { $0.runners } }
    /// What each was launched with, in order.
    var requests: [LaunchRequest] { state.withLock { $0.requests } }

    func runner(_ id: String) -> FakeRunner? { runners.first { $0.id == id } }

    func launch(_ request: LaunchRequest) async throws(IsolatedError) -> any RunnerHandle {
        let runner = FakeRunner(id: request.runnerID, processID: Int32(1000 + runners.count), onExit: request.onExit)
        let readyAtOnce = state.withLock { state in
            state.runners.append(runner)
            state.requests.append(request)
            return state.readyAtOnce
        }
        if readyAtOnce { runner.becomeReady() }
        return runner
    }
}

/// A runner that lives in memory: it answers heartbeats until told not to, returns what a test
/// gives it, and ends when stopped, killed or crashed, reporting its exit like a process would.
final class FakeRunner: RunnerHandle {
    private struct State {
        var ready: CheckedContinuation<Result<Int32, RunnerStartFailure>, Never>?
        var isReady = false
        var call: CheckedContinuation<RunOutcome, Never>?
        var termination: ChildProcess.Termination?
        var lastPong: UInt64 = 0
        var answersHeartbeats = true
        var unresponsive = false
        var timedOut = false
        var stopRequested = false
        var calls = 0
    }

    let id: String
    let processID: Int32
    private let onExit: @Sendable (ChildProcess.Termination) -> Void
    private let state = Mutex(State())

    init(id: String, processID: Int32, onExit: @escaping @Sendable (ChildProcess.Termination) -> Void) {
        self.id = id
        self.processID = processID
        self.onExit = onExit
    }

    /// Says hello.
    func becomeReady() {
        let ready = state.withLock { state in
            state.isReady = true
            defer { state.ready = nil }
            return state.ready
        }
        ready?.resume(returning: .success(processID))
    }

    /// Ends the runner as if it crashed: a pending start or call sees it.
    func crash() { exit(.signaled(11)) }

    /// Completes the call it is running; a runner told to stop meanwhile then exits.
    func complete(_ outcome: RunOutcome) {
        let (call, stopRequested) = state.withLock { state in
            defer { state.call = nil }
            return (state.call, state.stopRequested)
        }
        call?.resume(returning: outcome)
        if stopRequested { exit(.exited(0)) }
    }

    /// Stops answering heartbeats, as a runner stuck outside the engine's reach would.
    func stopAnsweringHeartbeats() { state.withLock { $0.answersHeartbeats = false } }

    var isRunningCall: Bool { state.withLock { $0.call != nil } }
    var stopRequested: Bool { state.withLock { $0.stopRequested } }
    var callsRun: Int { state.withLock { $0.calls } }

    func waitUntilReady() async throws(RunnerStartFailure) -> Int32 {
        try await withCheckedContinuation { (continuation: CheckedContinuation<Result<Int32, RunnerStartFailure>, Never>) in
            let now: Result<Int32, RunnerStartFailure>? = state.withLock { state in
                if state.isReady { return .success(processID) }
                if let termination = state.termination { return .failure(RunnerStartFailure(termination: termination, tail: ["fake runner died"])) }
                state.ready = continuation
                return nil
            }
            if let now { continuation.resume(returning: now) }
        }.get()
    }

    func invoke(
        id: UInt64,
        arguments: [[UInt8]],
        onLog: @escaping @Sendable (LogLine.Stream, String) -> Void,
        onNestedCall: @escaping @Sendable (UInt64, String, [[UInt8]]) -> Void
    ) async -> RunOutcome {
        await withCheckedContinuation { continuation in
            let crashed: RunOutcome? = state.withLock { state in
                if let termination = state.termination { return .crashed(termination, tail: []) }
                state.calls += 1
                state.call = continuation
                return nil
            }
            if let crashed { continuation.resume(returning: crashed) }
        }
    }

    func reply(_ message: RunnerMessage) {}

    var calledFunction: FunctionReference? { nil }

    func ping(_ sequence: UInt64) {
        state.withLock { state in
            if state.answersHeartbeats { state.lastPong = sequence }
        }
    }

    var lastPong: UInt64 { state.withLock { $0.lastPong } }
    var hasExited: Bool { state.withLock { $0.termination != nil } }

    func stop() {
        let idle = state.withLock { state in
            state.stopRequested = true
            return state.call == nil
        }
        if idle { exit(.exited(0)) }
    }

    func kill() { exit(.signaled(9)) }

    func killUnresponsive() {
        state.withLock { $0.unresponsive = true }
        kill()
    }

    var wasUnresponsive: Bool { state.withLock { $0.unresponsive } }

    func killTimedOut() {
        state.withLock { $0.timedOut = true }
        kill()
    }

    var wasTimedOut: Bool { state.withLock { $0.timedOut } }
    var ranOutOfMemory: Bool { false }

    private func exit(_ termination: ChildProcess.Termination) {
        let (ready, call, first) = state.withLock {
            state -> (CheckedContinuation<Result<Int32, RunnerStartFailure>, Never>?, CheckedContinuation<RunOutcome, Never>?, Bool) in
            guard state.termination == nil else { return (nil, nil, false) }
            state.termination = termination
            defer {
                state.ready = nil
                state.call = nil
            }
            return (state.ready, state.call, true)
        }
        guard first else { return }
        ready?.resume(returning: .failure(RunnerStartFailure(termination: termination, tail: ["fake runner died"])))
        call?.resume(returning: .crashed(termination, tail: []))
        onExit(termination)
    }
}
