import Synchronization

/// The life of one call on a runner, which the nested calls it makes cannot outlive: when the
/// call ends (it returned, failed, timed out, or its caller was cancelled), the nested calls it
/// left running are cancelled, and with them their own runners' work.
final class CallScope: Sendable {
    private struct State {
        var ended = false
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter: UInt64 = 0
    }

    private let state = Mutex(State())

    /// Ends the call: every operation running in ``bound(_:)`` is cancelled.
    func end() {
        let waiters = state.withLock { state in
            state.ended = true
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Runs `operation`, cancelling it if the call ends first; returns its value either way.
    func bound<Value: Sendable>(_ operation: @escaping @Sendable () async -> Value) async -> Value {
        await withTaskGroup(of: Value?.self) { group in
            group.addTask { await operation() }
            group.addTask {
                await self.ended()
                return nil
            }
            var value: Value?
            while let next = await group.next() {
                // The first to finish cancels the other: the call's end cancels the operation,
                // which still returns its value (its cancellation error); its value stops the wait.
                group.cancelAll()
                if let next { value = next }
            }
            return value!
        }
    }

    /// Returns once the call has ended, or when the waiting task is cancelled.
    private func ended() async {
        let id = state.withLock { state in
            defer { state.nextWaiter += 1 }
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state in
                    guard !state.ended, !Task.isCancelled else { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }
}
