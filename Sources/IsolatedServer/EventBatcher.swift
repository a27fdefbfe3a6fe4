import ServiceLifecycle
import Synchronization

/// Sends the progress events of every call at most one batching delay after they were written:
/// one task and one timer for all calls, which sleeps only while some call has events waiting.
/// A call that ends within the delay does not wait for it: its outcome goes out at once, with
/// the events before it, in one write.
///
/// Each ``CallOutput`` holding events not yet due asks to be flushed (``flush(_:)``); the
/// batcher wakes once per delay while any has asked, and makes their events due.
package final class EventBatcher: Service, Sendable {
    private struct State {
        var waiting: [ObjectIdentifier: CallOutput] = [:]
        /// The loop, waiting for a call's events.
        var sleeper: CheckedContinuation<Bool, Never>?
        var stopping = false
    }

    private let delay: Duration
    private let clock: any Clock<Duration>
    private let state = Mutex(State())

    /// A batcher that sends events at most `delay` after they were written, timed by `clock`.
    package init(delay: Duration, clock: any Clock<Duration> = ContinuousClock()) {
        self.delay = delay
        self.clock = clock
    }

    /// Makes `output`'s waiting events due within the delay.
    func flush(_ output: CallOutput) {
        let sleeper = state.withLock { state in
            state.waiting[ObjectIdentifier(output)] = output
            return state.sleeper.take()
        }
        sleeper?.resume(returning: true)
    }

    /// Flushes the calls' events once per delay while any are waiting, until graceful shutdown
    /// (once the calls have ended, as the server's services stop in reverse order) or cancellation.
    package func run() async {
        await withGracefulShutdownHandler {
            while await somethingWaiting() {
                do {
                    try await clock.sleep(for: delay)
                } catch {
                    return
                }
                let outputs = state.withLock { state in
                    defer { state.waiting = [:] }
                    return state.waiting.values
                }
                for output in outputs { output.makeDue() }
            }
        } onGracefulShutdown: {
            self.state.withLock { state in
                state.stopping = true
                return state.sleeper.take()
            }?.resume(returning: false)
        }
    }

    /// Waits until some call's events wait: `false` when stopping with none, or on cancellation.
    private func somethingWaiting() async -> Bool {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let answer: Bool? = state.withLock { state in
                    if !state.waiting.isEmpty { return true }
                    if state.stopping || Task.isCancelled { return false }
                    state.sleeper = continuation
                    return nil
                }
                if let answer { continuation.resume(returning: answer) }
            }
        } onCancel: {
            state.withLock { $0.sleeper.take() }?.resume(returning: false)
        }
    }
}
