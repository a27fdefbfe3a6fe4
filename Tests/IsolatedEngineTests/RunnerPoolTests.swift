import IsolatedCore
import IsolatedEngine
import Testing

@Suite("Runner pool: the state machine of runners")
struct RunnerPoolTests {
    /// A pool with runner `id` of `function` launched and ready (busy).
    static func busyRunner(
        _ id: String,
        of function: String,
        machine: MachineTypeSpec = Fixtures.small,
        in pool: inout RunnerPool
    ) -> FakeRunner {
        let handle = FakeRunner(id: id, processID: 1, onExit: { _ in })
        let reservation = pool.reserve(Fixtures.key(function, machine: machine), machine: machine)
        pool.launched(
            reservation,
            RunnerPool.Runner(
                id: id,
                key: Fixtures.key(function, machine: machine),
                machine: machine,
                function: FunctionReference(name: function, file: "f.swift", line: 1),
                handle: handle,
                keepAlive: .seconds(10)
            )
        )
        let ready = pool.ready(id, processID: 42)
        #expect(ready)
        return handle
    }

    @Test("a reservation counts toward its pool and the machine's usage until it is launched or cancelled")
    func reservations() {
        var pool = RunnerPool()
        let reservation = pool.reserve(Fixtures.key("f"), machine: Fixtures.large)
        #expect(pool.alive(in: Fixtures.key("f")) == 1)
        #expect(pool.usage == RunnerPool.Usage(cpus: 2, memory: 4 << 30, gpus: 0))
        pool.cancel(reservation)
        #expect(pool.alive(in: Fixtures.key("f")) == 0)
        #expect(pool.usage == RunnerPool.Usage())
    }

    @Test("a launched runner replaces its reservation, counted once, and is busy once ready")
    func launchAndReady() {
        var pool = RunnerPool()
        _ = Self.busyRunner("a", of: "f", in: &pool)
        #expect(pool.alive(in: Fixtures.key("f")) == 1)
        #expect(pool.usage.cpus == 1)
        #expect(pool["a"]?.phase == .busy)
        #expect(pool["a"]?.processID == 42)
        let readyAgain = pool.ready("a", processID: 43)
        #expect(!readyAgain, "only a starting runner becomes ready")
    }

    @Test("a released runner is idle until its keep-alive ends, and the newest idle runner is taken first")
    func releaseAndTake() {
        var pool = RunnerPool()
        _ = Self.busyRunner("a", of: "f", in: &pool)
        _ = Self.busyRunner("b", of: "f", in: &pool)
        let releasedA = pool.release("a", at: .seconds(1), keepAlive: .seconds(10), served: true)
        let releasedB = pool.release("b", at: .seconds(2), keepAlive: .seconds(10), served: true)
        #expect(releasedA == .kept(until: .seconds(11)))
        #expect(releasedB == .kept(until: .seconds(12)))
        #expect(pool["a"]?.calls == 1)
        #expect(pool.newestIdle(in: Fixtures.key("f")) == "b")
        #expect(pool.newestIdle(in: Fixtures.key("g")) == nil)
        #expect(pool.idleByAge.map(\.id) == ["a", "b"])
        let taken = pool.take("b")
        #expect(taken)
        #expect(pool.newestIdle(in: Fixtures.key("f")) == "a")
        let takenTwice = pool.take("b")
        #expect(!takenTwice, "a busy runner cannot be taken")
        let releasedIdle = pool.release("a", at: .seconds(3), keepAlive: .seconds(10), served: true)
        #expect(releasedIdle == .unknown, "only a busy runner is released")
    }

    @Test("a runner without keep-alive, or whose process ended or was killed, must stop when released")
    func releaseThatStops() {
        var pool = RunnerPool()
        _ = Self.busyRunner("a", of: "f", in: &pool)
        let withZero = pool.release("a", at: .zero, keepAlive: .zero, served: true)
        #expect(withZero == .stop)
        let withNone = pool.release("a", at: .zero, keepAlive: nil, served: true)
        #expect(withNone == .stop)
        let crashed = Self.busyRunner("b", of: "f", in: &pool)
        crashed.crash()
        let afterCrash = pool.release("b", at: .zero, keepAlive: .seconds(5), served: true)
        #expect(afterCrash == .stop)
        let timedOut = Self.busyRunner("c", of: "f", in: &pool)
        timedOut.killTimedOut()
        let afterTimeout = pool.release("c", at: .zero, keepAlive: .seconds(5), served: true)
        #expect(afterTimeout == .stop)
        #expect(pool.newestIdle(in: Fixtures.key("f")) == nil)
    }

    @Test("a stopping runner no longer counts, is not idle, and cannot be stopped twice")
    func stopping() {
        var pool = RunnerPool()
        _ = Self.busyRunner("a", of: "f", in: &pool)
        _ = pool.release("a", at: .zero, keepAlive: .seconds(5), served: true)
        let first = pool.beginStopping("a")
        let second = pool.beginStopping("a")
        #expect(first != nil)
        #expect(second == nil)
        #expect(pool.alive(in: Fixtures.key("f")) == 0)
        #expect(pool.usage == RunnerPool.Usage())
        #expect(pool.newestIdle(in: Fixtures.key("f")) == nil)
        let taken = pool.take("a")
        #expect(!taken)
    }

    @Test("a runner that dies is forgotten from every phase, its idle place included")
    func diesInEachPhase() {
        var pool = RunnerPool()
        let key = Fixtures.key("f")
        // Starting.
        let reservation = pool.reserve(key, machine: Fixtures.small)
        pool.launched(
            reservation,
            RunnerPool.Runner(
                id: "starting", key: key, machine: Fixtures.small, function: FunctionReference(name: "f", file: "f.swift", line: 1),
                handle: FakeRunner(id: "starting", processID: 1, onExit: { _ in }), keepAlive: .seconds(1)))
        #expect(pool["starting"]?.phase == .starting)
        // Busy, idle, stopping.
        _ = Self.busyRunner("busy", of: "f", in: &pool)
        _ = Self.busyRunner("idle", of: "f", in: &pool)
        _ = pool.release("idle", at: .zero, keepAlive: .seconds(5), served: true)
        _ = Self.busyRunner("stopping", of: "f", in: &pool)
        _ = pool.beginStopping("stopping")
        #expect(pool.alive(in: key) == 3)
        for id in ["starting", "busy", "idle", "stopping"] {
            let removed = pool.remove(id)
            #expect(removed?.id == id)
            #expect(pool[id] == nil)
        }
        let removedTwice = pool.remove("idle")
        #expect(removedTwice == nil)
        #expect(pool.alive(in: key) == 0)
        #expect(pool.newestIdle(in: key) == nil)
        #expect(pool.runners.isEmpty)
        let ready = pool.ready("starting", processID: 1)
        #expect(!ready, "a runner that died while starting never becomes ready")
    }

    @Test("a runner waiting for a nested call holds its memory but frees its CPU")
    func nestedCallsFreeCPU() {
        var pool = RunnerPool()
        _ = Self.busyRunner("a", of: "f", machine: Fixtures.large, in: &pool)
        pool.nestedCall(of: "a", started: true)
        #expect(pool.usage == RunnerPool.Usage(cpus: 0, memory: 4 << 30, gpus: 0))
        pool.nestedCall(of: "a", started: false)
        #expect(pool.usage.cpus == 2)
    }
}
