package import CoreMetrics
package import IsolatedCore

/// What the engine records about its calls, runners and environments, through swift-metrics:
/// whichever backend the process bootstraps, or the factory the engine was given.
///
/// Names follow Prometheus conventions, so `isolated serve` exports them as they are.
package struct EngineMetrics: Sendable {
    private let factory: any MetricsFactory
    private let handles = MetricHandles()
    /// The runners' gauges by state (starting, busy, idle, stopping), set on every acquire and release.
    private let runnerGauges: [Gauge]
    /// Whether anything records what this reports: not when no backend was bootstrapped. Nothing
    /// is reported then, not even to the no-op factory: an embedded engine's warm call spent 9%
    /// of its time looking up metrics that went nowhere.
    package let isRecording: Bool

    package init(factory: any MetricsFactory) {
        self.factory = factory
        isRecording = !(factory is NOOPMetricsHandler)
        runnerGauges = ["starting", "busy", "idle", "stopping"].map { state in
            Gauge(label: "isolated_runners", dimensions: [("state", state)], factory: factory)
        }
    }

    /// Records nothing.
    package static let none = EngineMetrics(factory: NOOPMetricsHandler.instance)

    /// A call ended: its outcome, how it got its runner (when it got one), how long each phase
    /// took, and the environment it built, if it did.
    package func callFinished(runtime: String, outcome: String, report: CallReport) {
        guard isRecording else { return }
        counter("isolated_calls_total", [("outcome", outcome), ("runtime", runtime)]).increment()
        if let node = report.node {
            counter("isolated_cluster_calls_total", [("node", node), ("outcome", outcome)]).increment()
        }
        if report.runnerID != nil {
            counter("isolated_runner_starts_total", [("kind", report.warm ? "warm" : "cold")]).increment()
        }
        for timing in report.phases {
            let dimensions = [("phase", timing.phase.rawValue)]
            handles.handle("isolated_phase_duration_seconds", dimensions) {
                CoreMetrics.Timer(label: "isolated_phase_duration_seconds", dimensions: dimensions, factory: factory)
            }
            .recordNanoseconds(timing.duration.components.seconds * 1_000_000_000 + timing.duration.components.attoseconds / 1_000_000_000)
            if timing.phase == .environment, timing.outcome == "built" {
                counter("isolated_environment_builds_total", [("runtime", runtime)]).increment()
            }
        }
    }

    /// How many runners are in each state now.
    package func runners(starting: Int, busy: Int, idle: Int, stopping: Int) {
        guard isRecording else { return }
        for (gauge, count) in zip(runnerGauges, [starting, busy, idle, stopping]) { gauge.record(count) }
    }

    /// The environments in the cache and their size on disk, measured after a change.
    package func environments(count: Int, bytes: Int64) {
        guard isRecording else { return }
        gauge("isolated_environments").record(count)
        gauge("isolated_environment_cache_bytes").record(bytes)
    }

    private func counter(_ label: String, _ dimensions: [(String, String)]) -> Counter {
        handles.handle(label, dimensions) { Counter(label: label, dimensions: dimensions, factory: factory) }
    }

    private func gauge(_ label: String, _ dimensions: [(String, String)] = []) -> Gauge {
        handles.handle(label, dimensions) { Gauge(label: label, dimensions: dimensions, factory: factory) }
    }
}
