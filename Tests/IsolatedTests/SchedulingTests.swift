import Foundation
import Isolated
import IsolatedEngine
import Testing

@Suite("Scheduling: machine availability and maxConcurrency", .serialized, .timeLimit(.minutes(15)))
struct SchedulingTests {
    @Test(
        "a machine type this machine can never provide fails at once, with the reason and the types it can run",
        .timeLimit(.minutes(1))
    )
    func unavailableMachineType() async throws {
        try #require(HostCapacity.detect().gpus == 0, "this test needs a machine without GPUs")
        let error = try await #require(throws: IsolatedError.self) {
            try await TestEngine.with { _ in try await needsAGPU() }
        }
        #expect(error.code == .machineTypeUnavailable)
        #expect(error.message.contains("machine type GPU needs a GPU, and this machine has none"))
        #expect(error.message.contains("types this machine can run: XS, S"))
        // Refused before anything was built, compiled or queued.
        #expect(error.report?.phases.isEmpty ?? true)
    }

    @Test("20 concurrent calls to a function with maxConcurrency 4 run on at most 4 runners at once, and all 20 come back")
    func maxConcurrency() async throws {
        let (results, reports) = try await TestEngine.with { _ in
            try await Isolation.withCallReports {
                try await withThrowingTaskGroup(of: String.self) { group in
                    for index in 0..<20 { group.addTask { try await boundedRunnerID(index) } }
                    var results: [String] = []
                    for try await result in group { results.append(result) }
                    return results
                }
            }
        }
        #expect(results.count == 20)
        // A runner may be replaced (one that misses its heartbeats on a loaded machine is), so
        // what is bounded is how many served calls at the same time: at most 4 runners' spans
        // from their first call's start to their last call's end overlap at any instant.
        var spans: [String: (first: Double, last: Double)] = [:]
        for result in results {
            let fields = result.split(separator: " ")
            let (runner, started, ended) = (String(fields[0]), Double(fields[1]) ?? 0, Double(fields[2]) ?? 0)
            let span = spans[runner] ?? (started, ended)
            spans[runner] = (min(span.first, started), max(span.last, ended))
        }
        let mostAtOnce = spans.values.map { span in spans.values.filter { $0.first <= span.first && span.first < $0.last }.count }.max() ?? 0
        #expect(mostAtOnce <= 4, "\(spans)")
        #expect(reports.contains { $0.phases.contains { $0.phase == .queue } })
    }

    /// The standard catalog plus "HALF": half of this machine's CPUs, so two fill it.
    static func halfMachine(_ configuration: inout EngineConfiguration) {
        let half = MachineTypeSpec(name: "HALF", cpus: HostCapacity.detect().cpus / 2, memory: 256 << 20, processes: 64)
        configuration.machineTypes = MachineTypeCatalog(types: MachineTypeCatalog.standard.types + [half])
    }

    @Test("calls beyond the machine's capacity wait, shown as the queue phase, and all complete")
    func capacityQueue() async throws {
        let (results, reports) = try await TestEngine.with(configure: Self.halfMachine) { _ in
            try await Isolation.withCallReports {
                try await withThrowingTaskGroup(of: String.self) { group in
                    for _ in 0..<3 { group.addTask { try await occupiesHalfTheMachine(milliseconds: 600) } }
                    var results: [String] = []
                    for try await result in group { results.append(result) }
                    return results
                }
            }
        }
        #expect(results.count == 3)
        #expect(reports.contains { $0.phases.contains { $0.phase == .queue } })
    }

    @Test("a call that waits for capacity longer than the queue timeout fails with a clear error")
    func queueTimeout() async throws {
        let outcomes = try await TestEngine.with(configure: {
            Self.halfMachine(&$0)
            $0.queueTimeout = .milliseconds(300)
        }) { _ in
            await withTaskGroup(of: Result<String, IsolatedError>.self) { group in
                for _ in 0..<3 {
                    group.addTask {
                        do {
                            return .success(try await occupiesHalfTheMachine(milliseconds: 2000))
                        } catch {
                            return .failure(error as! IsolatedError)
                        }
                    }
                }
                var outcomes: [Result<String, IsolatedError>] = []
                for await outcome in group { outcomes.append(outcome) }
                return outcomes
            }
        }
        let failures = outcomes.compactMap { outcome -> IsolatedError? in
            if case .failure(let error) = outcome { return error }
            return nil
        }
        #expect(failures.count == 1)
        #expect(failures.first?.code == .queueTimedOut)
        #expect(failures.first?.message.contains("a machine of type HALF") == true)
    }
}
