import IsolatedCore
import IsolatedEngine
import MetricsTestKit
import Testing

/// What the engine records through swift-metrics, checked with its test kit.
@Suite("Engine metrics: calls, starts, phases, builds, runners and environments, through swift-metrics")
struct EngineMetricsTests {
    @Test("a finished call counts by outcome and runtime, its start as cold or warm, each phase's duration, and a build")
    func callFinished() throws {
        let metrics = TestMetrics()
        let engine = EngineMetrics(factory: metrics)
        var report = CallReport(callID: 1, function: FunctionReference(name: "f", file: "f.swift", line: 1))
        report.runnerID = "r1"
        report.phases = [
            CallReport.Timing(phase: .environment, duration: .seconds(2), outcome: "built"),
            CallReport.Timing(phase: .run, duration: .milliseconds(3)),
        ]
        engine.callFinished(runtime: "python", outcome: "succeeded", report: report)
        report.warm = true
        report.phases = [CallReport.Timing(phase: .run, duration: .microseconds(150))]
        engine.callFinished(runtime: "python", outcome: "failed", report: report)
        // A call refused before it got a runner counts no start; the second lands on the same counter.
        engine.callFinished(runtime: "swift", outcome: "failed", report: CallReport(callID: 3, function: report.function))
        engine.callFinished(runtime: "swift", outcome: "failed", report: CallReport(callID: 4, function: report.function))

        #expect(try metrics.expectCounter("isolated_calls_total", [("outcome", "succeeded"), ("runtime", "python")]).totalValue == 1)
        #expect(try metrics.expectCounter("isolated_calls_total", [("outcome", "failed"), ("runtime", "python")]).totalValue == 1)
        #expect(try metrics.expectCounter("isolated_calls_total", [("outcome", "failed"), ("runtime", "swift")]).totalValue == 2)
        #expect(try metrics.expectCounter("isolated_runner_starts_total", [("kind", "cold")]).totalValue == 1)
        #expect(try metrics.expectCounter("isolated_runner_starts_total", [("kind", "warm")]).totalValue == 1)
        #expect(try metrics.expectTimer("isolated_phase_duration_seconds", [("phase", "run")]).values == [3_000_000, 150_000])
        #expect(try metrics.expectTimer("isolated_phase_duration_seconds", [("phase", "environment")]).values == [2_000_000_000])
        #expect(try metrics.expectCounter("isolated_environment_builds_total", [("runtime", "python")]).totalValue == 1)
    }

    @Test("the scheduler records its runners by state as they start, serve, idle and stop")
    func runnerGauges() async throws {
        let metrics = TestMetrics()
        try await RunnerSchedulerTests.withScheduler(metrics: EngineMetrics(factory: metrics)) { harness in
            func gauge(_ state: String) throws -> Double? {
                try metrics.expectGauge("isolated_runners", [("state", state)]).lastValue
            }
            let request = Fixtures.request("f", keepAlive: .zero)
            let (lease, _) = try await harness.acquire(request)
            #expect(try gauge("busy") == 1 && gauge("idle") == 0)
            await harness.scheduler.finish(lease, keepAlive: .zero, warmMinimum: nil)
            #expect(try gauge("busy") == 0 && gauge("stopping") == 1)
            await harness.eventually("the runner is gone") { (try? gauge("stopping")) == 0 }
        }
    }
}
