import Foundation
import Isolated
import IsolatedEngine
import Testing

@Suite("Scheduling: machine availability and maxConcurrency", .serialized)
struct SchedulingTests {
    @Test("a machine type this machine can never provide fails at once, with the reason and the types it can run")
    func unavailableMachineType() async throws {
        try #require(HostCapacity.detect().gpus == 0, "this test needs a machine without GPUs")
        let started = ContinuousClock.now
        let error = try await #require(throws: IsolatedError.self) {
            try await TestEngine.with { _ in try await needsAGPU() }
        }
        #expect(error.code == .machineTypeUnavailable)
        #expect(error.message.contains("machine type GPU needs a GPU, and this machine has none"))
        #expect(error.message.contains("types this machine can run: XS, S"))
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    @Test("20 concurrent calls to a function with maxConcurrency 4 run on at most 4 runners, and all 20 come back")
    func maxConcurrency() async throws {
        let (results, reports) = try await TestEngine.with { _ in
            try await Isolation.withCallReports {
                try await withThrowingTaskGroup(of: Int32.self) { group in
                    for index in 0..<20 { group.addTask { try await boundedProcessID(index) } }
                    var results: [Int32] = []
                    for try await result in group { results.append(result) }
                    return results
                }
            }
        }
        #expect(results.count == 20)
        #expect(Set(results).count <= 4)
        #expect(reports.contains { $0.phases.contains { $0.phase == .queue } })
    }
}
