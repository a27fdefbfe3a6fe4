import Foundation
import IsolatedCore
import IsolatedEngine
import Logging
import Synchronization
import TestSupport
import Testing

/// The scheduler with a fake launcher and a manual clock: no compiler, no processes, no waiting
/// for real time to pass.
@Suite("Runner scheduler: leases, keep-alive, the queue and runners dying, with a fake launcher")
struct RunnerSchedulerTests {
    struct Harness {
        let scheduler: RunnerScheduler
        let launcher: FakeLauncher
        let clock: ManualClock

        func acquire(_ request: RunnerScheduler.Request, events: @escaping @Sendable (InvocationEvent) -> Void = { _ in })
            async throws(IsolatedError) -> (RunnerScheduler.Lease, CallReport)
        {
            var report = CallReport(callID: 1, function: request.function)
            let lease = try await scheduler.acquire(request, timeout: .seconds(60), callerDeadline: nil, report: &report, events: events)
            return (lease, report)
        }

        /// Runs a call to its end on a runner of `request`'s pool; returns the runner's id.
        func call(_ request: RunnerScheduler.Request, warmMinimum: Int? = nil) async throws -> String {
            let (lease, _) = try await acquire(request)
            try #require(launcher.runner(lease.runnerID) != nil)
            await scheduler.finish(lease, keepAlive: request.keepAlive, warmMinimum: warmMinimum.map { ($0, request) })
            return lease.runnerID
        }

        /// Waits, in real time but briefly, for something the scheduler does in the background.
        func eventually(_ what: Comment, _ condition: () async -> Bool) async {
            let deadline = ContinuousClock.now + .seconds(5)
            while ContinuousClock.now < deadline {
                if await condition() { return }
                try? await Task.sleep(for: .milliseconds(2))
            }
            Issue.record("never happened: \(what)")
        }

        func state(of id: String) async -> RunnerSnapshot.State? {
            await scheduler.snapshots().first { $0.id == id }?.state
        }
    }

    static func withScheduler(
        capacity: HostCapacity = Fixtures.capacity(cpus: 8),
        configure: (inout EngineConfiguration) -> Void = { _ in },
        metrics: EngineMetrics = .none,
        _ body: (Harness) async throws -> Void
    ) async throws {
        var configuration = EngineConfiguration(home: "/nonexistent/isolated-scheduler-tests")
        configure(&configuration)
        let clock = ManualClock()
        let launcher = FakeLauncher()
        let scheduler = RunnerScheduler(
            configuration: configuration,
            launcher: launcher,
            capacity: capacity,
            clock: EngineClock(clock),
            logger: Logger(label: "test"),
            metrics: metrics
        )
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await scheduler.run() }
            do {
                try await body(Harness(scheduler: scheduler, launcher: launcher, clock: clock))
            } catch {
                await scheduler.stopAll()
                throw error
            }
            await scheduler.stopAll()
            try await group.waitForAll()
        }
        let allEnded = launcher.runners.allSatisfy(\.hasExited)
        #expect(allEnded, "no runner outlives the scheduler")
    }

    @Test("a warm runner serves the next call of its pool; another pool gets its own runner")
    func reuse() async throws {
        try await Self.withScheduler { harness in
            let first = try await harness.call(Fixtures.request("f"))
            let (lease, report) = try await harness.acquire(Fixtures.request("f"))
            #expect(lease.runnerID == first)
            #expect(lease.warm && report.warm)
            #expect(report.phases.isEmpty, "a warm lease has no start or queue phase")
            let other = try await harness.call(Fixtures.request("g"))
            #expect(other != first)
            #expect(harness.launcher.runners.count == 2)
        }
    }

    @Test("a new runner's lease shows the start phase, and the runner is busy")
    func coldStart() async throws {
        try await Self.withScheduler { harness in
            let events = Mutex<[InvocationEvent]>([])
            let (lease, report) = try await harness.acquire(Fixtures.request("f")) { event in events.withLock { $0.append(event) } }
            #expect(!lease.warm)
            #expect(lease.processID == 1000)
            #expect(report.phases.map(\.phase) == [.start])
            #expect(events.withLock { $0.count } == 2)
            #expect(await harness.state(of: lease.runnerID) == .busy)
        }
    }

    @Test("the keep-alive window restarts at every call, and the runner stops when it ends")
    func keepAliveRestarts() async throws {
        try await Self.withScheduler { harness in
            let request = Fixtures.request("f", keepAlive: .seconds(10))
            let id = try await harness.call(request)
            harness.clock.advance(by: .seconds(6))
            #expect(try await harness.call(request) == id)
            harness.clock.advance(by: .seconds(6))
            // 12 s after the first call, 6 s after the second: still warm.
            try await Task.sleep(for: .milliseconds(20))
            #expect(await harness.state(of: id) == .idle)
            harness.clock.advance(by: .seconds(4))
            await harness.eventually("the runner stops 10 s after its last call") { await harness.state(of: id) == nil }
            #expect(harness.launcher.runner(id)?.stopRequested == true)
            #expect(try await harness.call(request) != id, "the next call starts a new runner")
        }
    }

    @Test("a runner released with no keep-alive stops at once")
    func noKeepAlive() async throws {
        try await Self.withScheduler { harness in
            let id = try await harness.call(Fixtures.request("f", keepAlive: .zero))
            await harness.eventually("the runner stops") { await harness.state(of: id) == nil }
            #expect(harness.launcher.runner(id)?.hasExited == true)
        }
    }

    @Test("a call past maxConcurrency waits in the queue and takes the runner released first")
    func queueForMaxConcurrency() async throws {
        try await Self.withScheduler { harness in
            let request = Fixtures.request("f", maxConcurrency: 1)
            let (first, _) = try await harness.acquire(request)
            let events = Mutex<[InvocationEvent]>([])
            let waiting = Task { try await harness.acquire(request) { event in events.withLock { $0.append(event) } } }
            await harness.eventually("the second call queues") { events.withLock { !$0.isEmpty } }
            guard case .phaseStarted(.queue, let detail) = events.withLock({ $0.first }) else {
                Issue.record("the first event is not the queue phase")
                return
            }
            #expect(detail?.contains("maxConcurrency") == true)
            #expect(harness.launcher.runners.count == 1)
            await harness.scheduler.finish(first, keepAlive: .seconds(10), warmMinimum: nil)
            let (second, report) = try await waiting.value
            #expect(second.runnerID == first.runnerID)
            #expect(report.phases.map(\.phase) == [.queue])
        }
    }

    @Test("calls waiting on one pool get its released runner one at a time, in the order they came", .timeLimit(.minutes(1)))
    func queueIsFirstComeFirstServed() async throws {
        try await Self.withScheduler { harness in
            let request = Fixtures.request("f", maxConcurrency: 1)
            let (first, _) = try await harness.acquire(request)
            var waiting: [Task<(RunnerScheduler.Lease, CallReport), any Error>] = []
            for _ in 0..<3 {
                let queued = Mutex(false)
                waiting.append(Task { try await harness.acquire(request) { _ in queued.withLock { $0 = true } } })
                await harness.eventually("the call queues") { queued.withLock { $0 } }
            }
            var lease = first
            for task in waiting {
                await harness.scheduler.finish(lease, keepAlive: .seconds(10), warmMinimum: nil)
                (lease, _) = try await task.value
                #expect(lease.runnerID == first.runnerID)
            }
        }
    }

    @Test("a call that waits longer than the queue timeout fails with queueTimedOut, naming the limit it waited for")
    func queueTimeout() async throws {
        try await Self.withScheduler(configure: { $0.queueTimeout = .seconds(30) }) { harness in
            let request = Fixtures.request("f", maxConcurrency: 1)
            _ = try await harness.acquire(request)
            let queued = Mutex(false)
            let waiting = Task { try await harness.acquire(request) { _ in queued.withLock { $0 = true } } }
            await harness.eventually("the second call queues") { queued.withLock { $0 } }
            harness.clock.advance(by: .seconds(29))
            try await Task.sleep(for: .milliseconds(20))
            harness.clock.advance(by: .seconds(1))
            let error = await #expect(throws: IsolatedError.self) { try await waiting.value }
            #expect(error?.code == .queueTimedOut)
            #expect(error?.message.contains("maxConcurrency") == true)
        }
    }

    @Test("calls that queued at different times each fail at their own queue timeout", .timeLimit(.minutes(1)))
    func queueTimeoutsOfSeveralCalls() async throws {
        try await Self.withScheduler(configure: { $0.queueTimeout = .seconds(30) }) { harness in
            let request = Fixtures.request("f", maxConcurrency: 1)
            _ = try await harness.acquire(request)
            let firstEvents = Mutex<[InvocationEvent]>([])
            let first = Task { try await harness.acquire(request) { event in firstEvents.withLock { $0.append(event) } } }
            await harness.eventually("the first call queues") { firstEvents.withLock { !$0.isEmpty } }
            harness.clock.advance(by: .seconds(10))
            try await Task.sleep(for: .milliseconds(20))
            let secondEvents = Mutex<[InvocationEvent]>([])
            let second = Task { try await harness.acquire(request) { event in secondEvents.withLock { $0.append(event) } } }
            await harness.eventually("the second call queues") { secondEvents.withLock { !$0.isEmpty } }
            // 30 s after the first queued: it fails, and the second, queued 10 s later, still waits.
            harness.clock.advance(by: .seconds(20))
            let firstError = await #expect(throws: IsolatedError.self) { try await first.value }
            #expect(firstError?.code == .queueTimedOut)
            harness.clock.advance(by: .seconds(9))
            try await Task.sleep(for: .milliseconds(50))
            // Its queue phase has started and not finished.
            #expect(secondEvents.withLock { $0.count } == 1)
            harness.clock.advance(by: .seconds(1))
            let secondError = await #expect(throws: IsolatedError.self) { try await second.value }
            #expect(secondError?.code == .queueTimedOut)
        }
    }

    @Test("a call cancelled while it waits in the queue ends with cancelled and leaves the pool as it was")
    func cancelledWhileQueued() async throws {
        try await Self.withScheduler { harness in
            let request = Fixtures.request("f", maxConcurrency: 1)
            let (first, _) = try await harness.acquire(request)
            let queued = Mutex(false)
            let waiting = Task { try await harness.acquire(request) { _ in queued.withLock { $0 = true } } }
            await harness.eventually("the second call queues") { queued.withLock { $0 } }
            waiting.cancel()
            let error = await #expect(throws: IsolatedError.self) { try await waiting.value }
            #expect(error?.code == .cancelled)
            await harness.scheduler.finish(first, keepAlive: .seconds(10), warmMinimum: nil)
            #expect(await harness.scheduler.snapshots().map(\.state) == [.idle])
            #expect(harness.launcher.runners.count == 1)
        }
    }

    @Test("idle runners of other pools give way to a call the machine has no room for")
    func capacityGivesWay() async throws {
        try await Self.withScheduler(capacity: Fixtures.capacity(cpus: 2)) { harness in
            let idle = try await harness.call(Fixtures.request("f", machine: Fixtures.large, keepAlive: .seconds(60)))
            let (lease, _) = try await harness.acquire(Fixtures.request("g", machine: Fixtures.large))
            #expect(lease.runnerID != idle)
            #expect(harness.launcher.runner(idle)?.hasExited == true)
            await harness.eventually("the idle runner is forgotten") { await harness.state(of: idle) == nil }
        }
    }

    @Test("a call waits for capacity a busy runner holds, and starts once that runner ends")
    func capacityQueue() async throws {
        try await Self.withScheduler(capacity: Fixtures.capacity(cpus: 2)) { harness in
            let (busy, _) = try await harness.acquire(Fixtures.request("f", machine: Fixtures.large))
            let events = Mutex<[InvocationEvent]>([])
            let waiting = Task {
                try await harness.acquire(Fixtures.request("g", machine: Fixtures.large)) { event in events.withLock { $0.append(event) } }
            }
            await harness.eventually("the second call queues") { events.withLock { !$0.isEmpty } }
            guard case .phaseStarted(.queue, let detail) = events.withLock({ $0.first }) else {
                Issue.record("the first event is not the queue phase")
                return
            }
            #expect(detail == "waiting for a machine of type L")
            harness.launcher.runner(busy.runnerID)?.complete(.returned([]))
            await harness.scheduler.finish(busy, keepAlive: .zero, warmMinimum: nil)
            let (lease, report) = try await waiting.value
            #expect(lease.runnerID != busy.runnerID)
            #expect(report.phases.map(\.phase) == [.queue, .start])
        }
    }

    @Test("a runner that dies while starting fails its call with runnerStartFailed and gives its place back")
    func diesWhileStarting() async throws {
        try await Self.withScheduler(capacity: Fixtures.capacity(cpus: 1)) { harness in
            harness.launcher.readyAtOnce = false
            let starting = Task { try await harness.acquire(Fixtures.request("f")) }
            await harness.eventually("the runner is launched") { !harness.launcher.runners.isEmpty }
            #expect(await harness.scheduler.snapshots().map(\.state) == [.starting])
            harness.launcher.runners[0].crash()
            let error = await #expect(throws: IsolatedError.self) { try await starting.value }
            #expect(error?.code == .runnerStartFailed)
            #expect(error?.logTail == ["fake runner died"])
            #expect(await harness.scheduler.snapshots().isEmpty)
            harness.launcher.readyAtOnce = true
            _ = try await harness.call(Fixtures.request("f"))
        }
    }

    @Test("a runner that dies while busy is forgotten, not kept warm, and the next call starts another")
    func diesWhileBusy() async throws {
        try await Self.withScheduler { harness in
            let (lease, _) = try await harness.acquire(Fixtures.request("f"))
            harness.launcher.runner(lease.runnerID)?.crash()
            await harness.eventually("the runner is forgotten") { await harness.state(of: lease.runnerID) == nil }
            await harness.scheduler.finish(lease, keepAlive: .seconds(10), warmMinimum: nil)
            #expect(try await harness.call(Fixtures.request("f")) != lease.runnerID)
        }
    }

    @Test("a runner that dies while idle is forgotten, and the next call starts another")
    func diesWhileIdle() async throws {
        try await Self.withScheduler { harness in
            let id = try await harness.call(Fixtures.request("f"))
            harness.launcher.runner(id)?.crash()
            await harness.eventually("the runner is forgotten") { await harness.state(of: id) == nil }
            #expect(try await harness.call(Fixtures.request("f")) != id)
        }
    }

    @Test("a busy runner told to stop finishes its call, then is forgotten when it exits")
    func diesWhileStopping() async throws {
        try await Self.withScheduler { harness in
            let (lease, _) = try await harness.acquire(Fixtures.request("f"))
            #expect(await harness.scheduler.stopRunner(lease.runnerID))
            #expect(await harness.state(of: lease.runnerID) == .stopping)
            harness.launcher.runner(lease.runnerID)?.complete(.returned([]))
            await harness.eventually("the runner is forgotten") { await harness.state(of: lease.runnerID) == nil }
            await harness.scheduler.finish(lease, keepAlive: .seconds(10), warmMinimum: nil)
            #expect(!(await harness.scheduler.stopRunner(lease.runnerID)))
        }
    }

    @Test("a busy runner past its deadline is killed as timed out at the next heartbeat")
    func deadline() async throws {
        try await Self.withScheduler { harness in
            var report = CallReport(callID: 1, function: Fixtures.request("f").function)
            let lease = try await harness.scheduler.acquire(
                Fixtures.request("f"), timeout: .seconds(3), callerDeadline: nil, report: &report, events: { _ in })
            #expect(lease.deadline == .seconds(3))
            for _ in 0..<3 {
                try await Task.sleep(for: .milliseconds(5))
                harness.clock.advance(by: .seconds(1))
            }
            await harness.eventually("the runner is killed") { lease.handle.wasTimedOut }
        }
    }

    @Test("a nested call's lease ends by its caller's deadline when that comes first")
    func callerDeadline() async throws {
        try await Self.withScheduler { harness in
            var report = CallReport(callID: 1, function: Fixtures.request("f").function)
            let lease = try await harness.scheduler.acquire(
                Fixtures.request("f"), timeout: .seconds(60), callerDeadline: .seconds(5), report: &report, events: { _ in })
            #expect(lease.deadline == .seconds(5))
        }
    }

    @Test("a busy runner that stops answering heartbeats is killed as unresponsive")
    func unresponsive() async throws {
        try await Self.withScheduler(configure: { $0.heartbeatTimeout = .seconds(2) }) { harness in
            let (lease, _) = try await harness.acquire(Fixtures.request("f"))
            harness.launcher.runner(lease.runnerID)?.stopAnsweringHeartbeats()
            for _ in 0..<4 {
                try await Task.sleep(for: .milliseconds(5))
                harness.clock.advance(by: .seconds(1))
            }
            await harness.eventually("the runner is killed") { lease.handle.wasUnresponsive }
        }
    }

    @Test("minWarm keeps that many runners of the pool, and replaces one that dies")
    func warmMinimum() async throws {
        try await Self.withScheduler { harness in
            let request = Fixtures.request("f", keepAlive: .seconds(5))
            _ = try await harness.call(request, warmMinimum: 2)
            await harness.eventually("a second runner is started") {
                await harness.scheduler.snapshots().filter { $0.state == .idle }.count == 2
            }
            harness.clock.advance(by: .seconds(30))
            try await Task.sleep(for: .milliseconds(20))
            #expect(await harness.scheduler.snapshots().count == 2, "kept past their keep-alive")
            harness.launcher.runners[0].crash()
            await harness.eventually("the dead runner is replaced") {
                await harness.scheduler.snapshots().filter { $0.state == .idle }.count == 2 && harness.launcher.runners.count == 3
            }
            // A call without minWarm lets them go at the end of their keep-alive.
            _ = try await harness.call(request)
            harness.clock.advance(by: .seconds(30))
            await harness.eventually("both runners stop") { await harness.scheduler.snapshots().isEmpty }
        }
    }

    @Test("minWarm with keepAlive: 0 keeps the runner that served the call, instead of stopping and replacing it over and over")
    func warmMinimumWithoutKeepAlive() async throws {
        try await Self.withScheduler { harness in
            let request = Fixtures.request("f", keepAlive: .zero)
            let id = try await harness.call(request, warmMinimum: 1)
            for _ in 0..<5 {
                harness.clock.advance(by: .seconds(10))
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(await harness.state(of: id) == .idle)
            #expect(harness.launcher.runners.count == 1, "no runner was started to replace it")
        }
    }

    @Test("after stopAll no lease is given, and every runner has ended")
    func stopAll() async throws {
        try await Self.withScheduler { harness in
            _ = try await harness.call(Fixtures.request("f"))
            _ = try await harness.acquire(Fixtures.request("g"))
            await harness.scheduler.stopAll()
            let allEnded = harness.launcher.runners.allSatisfy(\.hasExited)
            #expect(allEnded)
            let error = await #expect(throws: IsolatedError.self) { try await harness.acquire(Fixtures.request("f")) }
            #expect(error?.code == .engineUnavailable)
        }
    }
}
