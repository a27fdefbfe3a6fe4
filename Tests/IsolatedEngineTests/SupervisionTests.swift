import IsolatedCore
import IsolatedEngine
import Testing

@Suite("Supervision: heartbeats, deadlines and keep-alive timers")
struct SupervisionTests {
    let supervision = Supervision(interval: .seconds(1), timeout: .seconds(3))

    @Test("the allowed misses are the heartbeats that fit in the timeout, at least one")
    func allowedMisses() {
        #expect(supervision.allowedMisses == 3)
        #expect(Supervision(interval: .seconds(2), timeout: .seconds(1)).allowedMisses == 1)
    }

    @Test("busy runners are pinged with increasing numbers; idle runners are not")
    func pings() {
        var pool = RunnerPool()
        let busy = RunnerPoolTests.busyRunner("busy", of: "f", in: &pool)
        _ = RunnerPoolTests.busyRunner("idle", of: "f", in: &pool)
        _ = pool.release("idle", at: .zero, keepAlive: .seconds(5), served: true)
        let first = supervision.heartbeat(at: .seconds(1), &pool)
        #expect(first == [.ping("busy", sequence: 1)])
        busy.ping(1)
        let second = supervision.heartbeat(at: .seconds(2), &pool)
        #expect(second == [.ping("busy", sequence: 2)])
    }

    @Test("a busy runner that misses the allowed heartbeats is killed as unresponsive")
    func unresponsive() {
        var pool = RunnerPool()
        let runner = RunnerPoolTests.busyRunner("a", of: "f", in: &pool)
        runner.stopAnsweringHeartbeats()
        var actions: [Supervision.Action] = []
        for second in 1...4 {
            actions = supervision.heartbeat(at: .seconds(second), &pool)
            for case .ping(_, let sequence) in actions { runner.ping(sequence) }
        }
        #expect(actions == [.killUnresponsive("a")])
    }

    @Test("a busy runner past its call's deadline is killed as timed out, even while it answers heartbeats")
    func deadline() {
        var pool = RunnerPool()
        _ = RunnerPoolTests.busyRunner("a", of: "f", in: &pool)
        pool.setDeadline("a", .seconds(5))
        let before = supervision.heartbeat(at: .seconds(4), &pool)
        let at = supervision.heartbeat(at: .seconds(5), &pool)
        #expect(before == [.ping("a", sequence: 1)])
        #expect(at == [.killTimedOut("a")])
    }

    @Test("an idle runner's keep-alive timer wakes at the end of its window, which restarts at every call, then expires")
    func keepAliveRestarts() {
        var pool = RunnerPool()
        _ = RunnerPoolTests.busyRunner("a", of: "f", in: &pool)
        _ = pool.release("a", at: .zero, keepAlive: .seconds(10), served: true)
        #expect(supervision.keepAlive(of: "a", at: .seconds(6), in: pool, warmMinimum: nil) == .wake(at: .seconds(10)))
        let taken = pool.take("a")
        #expect(taken)
        #expect(
            supervision.keepAlive(of: "a", at: .seconds(6), in: pool, warmMinimum: nil) == .wake(at: .seconds(16)),
            "a busy runner is checked a window later")
        _ = pool.release("a", at: .seconds(7), keepAlive: .seconds(10), served: true)
        #expect(supervision.keepAlive(of: "a", at: .seconds(10), in: pool, warmMinimum: nil) == .wake(at: .seconds(17)))
        #expect(supervision.keepAlive(of: "a", at: .seconds(17), in: pool, warmMinimum: nil) == .expire)
        _ = pool.beginStopping("a")
        #expect(supervision.keepAlive(of: "a", at: .seconds(18), in: pool, warmMinimum: nil) == .done)
        #expect(supervision.keepAlive(of: "gone", at: .seconds(18), in: pool, warmMinimum: nil) == .done)
    }

    @Test("a runner the pool's warm minimum still needs outlives its keep-alive")
    func warmMinimum() {
        var pool = RunnerPool()
        _ = RunnerPoolTests.busyRunner("a", of: "f", in: &pool)
        _ = RunnerPoolTests.busyRunner("b", of: "f", in: &pool)
        _ = pool.release("a", at: .zero, keepAlive: .seconds(10), served: true)
        #expect(supervision.keepAlive(of: "a", at: .seconds(10), in: pool, warmMinimum: 2) == .wake(at: .seconds(20)))
        #expect(supervision.keepAlive(of: "a", at: .seconds(10), in: pool, warmMinimum: 1) == .expire)
    }
}
