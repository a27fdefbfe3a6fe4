import IsolatedCore
import IsolatedEngine
import Testing

@Suite("Admission: reuse, maxConcurrency, capacity and idle runners giving way")
struct AdmissionTests {
    @Test("an idle runner of the call's pool is reused before anything is started")
    func reuse() {
        var pool = RunnerPool()
        _ = RunnerPoolTests.busyRunner("a", of: "f", in: &pool)
        _ = pool.release("a", at: .zero, keepAlive: .seconds(5), served: true)
        let admission = Admission(capacity: Fixtures.capacity(cpus: 1))
        #expect(admission.decide(Fixtures.key("f"), machine: Fixtures.small, maxConcurrency: 1, in: pool) == .reuse("a"))
    }

    @Test("a call whose function has maxConcurrency runners, none idle, waits; below the limit it starts one")
    func maxConcurrency() {
        var pool = RunnerPool()
        _ = RunnerPoolTests.busyRunner("a", of: "f", in: &pool)
        let admission = Admission(capacity: Fixtures.capacity(cpus: 8))
        #expect(admission.decide(Fixtures.key("f"), machine: Fixtures.small, maxConcurrency: 1, in: pool) == .wait(.maxConcurrency(1)))
        #expect(admission.decide(Fixtures.key("f"), machine: Fixtures.small, maxConcurrency: 2, in: pool) == .start(evicting: []))
        // A reservation counts as a runner.
        _ = pool.reserve(Fixtures.key("f"), machine: Fixtures.small)
        #expect(admission.decide(Fixtures.key("f"), machine: Fixtures.small, maxConcurrency: 2, in: pool) == .wait(.maxConcurrency(2)))
    }

    @Test("when busy runners fill the machine a call waits for capacity")
    func capacityWait() {
        var pool = RunnerPool()
        _ = RunnerPoolTests.busyRunner("a", of: "f", machine: Fixtures.large, in: &pool)
        let admission = Admission(capacity: Fixtures.capacity(cpus: 2))
        #expect(admission.decide(Fixtures.key("g"), machine: Fixtures.small, maxConcurrency: nil, in: pool) == .wait(.capacity))
        #expect(!admission.hasRoom(for: Fixtures.small, in: pool))
    }

    @Test("idle runners of other pools give way, least recently used first, and only as many as needed")
    func idleRunnersGiveWay() {
        var pool = RunnerPool()
        for (index, id) in ["old", "middle", "new"].enumerated() {
            _ = RunnerPoolTests.busyRunner(id, of: "other\(index)", in: &pool)
            _ = pool.release(id, at: .seconds(Int64(index)), keepAlive: .seconds(60), served: true)
        }
        let admission = Admission(capacity: Fixtures.capacity(cpus: 3))
        #expect(
            admission.decide(Fixtures.key("f", machine: Fixtures.large), machine: Fixtures.large, maxConcurrency: nil, in: pool)
                == .start(evicting: ["old", "middle"]))
        // A warm minimum never displaces anyone.
        #expect(!admission.hasRoom(for: Fixtures.large, in: pool))
    }

    @Test("memory and GPUs are counted like CPUs")
    func memoryAndGPUs() {
        var pool = RunnerPool()
        _ = RunnerPoolTests.busyRunner("a", of: "f", machine: Fixtures.gpu, in: &pool)
        let admission = Admission(capacity: Fixtures.capacity(cpus: 8, memory: 3 << 30, gpus: 1))
        #expect(admission.decide(Fixtures.key("g", machine: Fixtures.gpu), machine: Fixtures.gpu, maxConcurrency: nil, in: pool) == .wait(.capacity))
        #expect(
            admission.decide(Fixtures.key("h", machine: Fixtures.large), machine: Fixtures.large, maxConcurrency: nil, in: pool) == .wait(.capacity))
        #expect(admission.decide(Fixtures.key("h"), machine: Fixtures.small, maxConcurrency: nil, in: pool) == .start(evicting: []))
    }

    @Test("a runner waiting for a nested call leaves its CPU to the call it made")
    func nestedCallLeavesCPU() {
        var pool = RunnerPool()
        _ = RunnerPoolTests.busyRunner("outer", of: "f", in: &pool)
        let admission = Admission(capacity: Fixtures.capacity(cpus: 1))
        #expect(admission.decide(Fixtures.key("inner"), machine: Fixtures.small, maxConcurrency: nil, in: pool) == .wait(.capacity))
        pool.nestedCall(of: "outer", started: true)
        #expect(admission.decide(Fixtures.key("inner"), machine: Fixtures.small, maxConcurrency: nil, in: pool) == .start(evicting: []))
    }
}
