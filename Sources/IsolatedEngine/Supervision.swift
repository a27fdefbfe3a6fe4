/// Decides what happens to runners as time passes: heartbeats for busy runners, a call past
/// its deadline, an idle runner whose keep-alive ended.
///
/// A value type: the scheduler calls it at each heartbeat and keep-alive timer with the time,
/// and carries out what it returns.
package struct Supervision: Sendable {
    /// What to do to one runner.
    package enum Action: Equatable {
        /// Send heartbeat number `sequence`.
        case ping(String, sequence: UInt64)
        /// It missed too many heartbeats: kill it as unresponsive.
        case killUnresponsive(String)
        /// Its call ran past its deadline: kill it as timed out.
        case killTimedOut(String)
    }

    /// What an idle runner's keep-alive timer should do.
    package enum KeepAlive: Equatable {
        /// Check again at this time.
        case wake(at: Duration)
        /// Its keep-alive ended: stop it.
        case expire
        /// It is gone or stopping: the timer ends.
        case done
    }

    /// Heartbeats a busy runner may leave unanswered before it is killed.
    package var allowedMisses: UInt64

    /// Allows as many misses as fit in `timeout` at one heartbeat every `interval`, at least one.
    package init(interval: Duration, timeout: Duration) {
        allowedMisses = max(1, UInt64((timeout / interval).rounded(.up)))
    }

    /// One heartbeat at `now`: every busy runner is pinged, or killed when past its deadline or
    /// silent for too long. Records the pings in `pool`.
    package func heartbeat(at now: Duration, _ pool: inout RunnerPool) -> [Action] {
        var actions: [Action] = []
        for (id, runner) in pool.runners.sorted(by: { $0.key < $1.key }) {
            guard runner.phase == .busy, !runner.handle.wasUnresponsive, !runner.handle.wasTimedOut else { continue }
            if let deadline = runner.deadline, now >= deadline {
                actions.append(.killTimedOut(id))
            } else if runner.pingsSent >= runner.handle.lastPong + allowedMisses {
                actions.append(.killUnresponsive(id))
            } else {
                actions.append(.ping(id, sequence: pool.recordPing(id)))
            }
        }
        return actions
    }

    /// The keep-alive timer of runner `id` at `now`. A busy or starting runner's timer checks
    /// again a keep-alive later (its window restarts when its call ends); an idle runner still
    /// needed for its pool's warm minimum of `warmMinimum` is kept a keep-alive longer.
    package func keepAlive(of id: String, at now: Duration, in pool: RunnerPool, warmMinimum: Int?) -> KeepAlive {
        guard let runner = pool[id] else { return .done }
        switch runner.phase {
        case .idle(let since):
            let deadline = since + runner.keepAlive
            if now < deadline { return .wake(at: deadline) }
            if let warmMinimum, pool.alive(in: runner.key) <= warmMinimum { return .wake(at: now + runner.keepAlive) }
            return .expire
        case .busy, .starting:
            return .wake(at: now + runner.keepAlive)
        case .stopping:
            return .done
        }
    }
}
