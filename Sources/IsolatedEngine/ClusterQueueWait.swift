import IsolatedCore
import Synchronization

/// A new runner's wait in a cluster's queue, as its launcher reports it from `srun`'s output:
/// the call shows it as its `queue` phase with the scheduler's reason, and the wait ends at the
/// engine's queue timeout, when the scheduler cancels the job.
final class ClusterQueueWait: Sendable {
    private struct State {
        var since: ContinuousClock.Instant?
        var reason: String?
        var waited = Duration.zero
        var timerStarted = false
        var timedOut = false
        var handle: (any RunnerHandle)?
    }

    private let state = Mutex(State())
    private let events: @Sendable (InvocationEvent) -> Void
    private let startTimer: @Sendable (ClusterQueueWait) -> Void

    /// - Parameter startTimer: Starts the queue-timeout timer, which calls ``expire()``; called
    ///   once, at the first wait.
    init(events: @escaping @Sendable (InvocationEvent) -> Void, startTimer: @escaping @Sendable (ClusterQueueWait) -> Void) {
        self.events = events
        self.startTimer = startTimer
    }

    /// The launcher's report: waiting, for this reason, or (nil) given its resources.
    func update(_ reason: String?) {
        let (event, timer): (InvocationEvent?, Bool) = state.withLock { state in
            switch (reason, state.since) {
            case (let reason?, nil):
                state.since = .now
                state.reason = reason
                defer { state.timerStarted = true }
                return (.phaseStarted(.queue, detail: reason), !state.timerStarted)
            case (nil, let since?):
                state.waited += ContinuousClock.now - since
                state.since = nil
                return (.phaseFinished(CallReport.Timing(phase: .queue, duration: state.waited)), false)
            default:
                return (nil, false)
            }
        }
        if let event { events(event) }
        if timer { startTimer(self) }
    }

    /// The runner whose wait this is, for ``expire()`` to cancel.
    func attach(_ handle: any RunnerHandle) {
        state.withLock { $0.handle = handle }
    }

    /// At the queue timeout: a runner still waiting counts as timed out, and its job is cancelled.
    func expire() {
        let handle: (any RunnerHandle)? = state.withLock { state in
            guard state.since != nil else { return nil }
            state.timedOut = true
            return state.handle
        }
        handle?.kill()
    }

    /// Whether the wait reached the queue timeout, and Slurm's last reason.
    var timedOut: (Bool, reason: String?) { state.withLock { ($0.timedOut, $0.reason) } }

    /// The queue phase for the call's report, when the runner waited.
    var timing: CallReport.Timing? {
        state.withLock { state in
            let waited = state.waited + (state.since.map { ContinuousClock.now - $0 } ?? .zero)
            return state.reason == nil ? nil : CallReport.Timing(phase: .queue, duration: waited, outcome: state.timedOut ? "timedOut" : nil)
        }
    }
}
