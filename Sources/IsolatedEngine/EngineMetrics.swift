package import CoreMetrics
package import IsolatedCore

/// What the engine records about its calls, runners and environments, through swift-metrics:
/// whichever backend the process bootstraps, or the factory the engine was given.
///
/// Names follow Prometheus conventions, so `isolated serve` exports them as they are.
package struct EngineMetrics: Sendable {
    private let factory: any MetricsFactory

    package init(factory: any MetricsFactory) {
        self.factory = factory
    }

    /// Records nothing.
    package static let none = EngineMetrics(factory: NOOPMetricsHandler.instance)

    /// Whether anything records what this reports: not when no backend was bootstrapped.
    package var isRecording: Bool { !(factory is NOOPMetricsHandler) }

    /// A call ended: its outcome, how it got its runner (when it got one), how long each phase
    /// took, and the environment it built, if it did.
    package func callFinished(runtime: String, outcome: String, report: CallReport) {
        Counter(label: "isolated_calls_total", dimensions: [("outcome", outcome), ("runtime", runtime)], factory: factory).increment()
        if let node = report.node {
            Counter(label: "isolated_cluster_calls_total", dimensions: [("node", node), ("outcome", outcome)], factory: factory).increment()
        }
        if report.runnerID != nil {
            Counter(label: "isolated_runner_starts_total", dimensions: [("kind", report.warm ? "warm" : "cold")], factory: factory).increment()
        }
        for timing in report.phases {
            CoreMetrics.Timer(label: "isolated_phase_duration_seconds", dimensions: [("phase", timing.phase.rawValue)], factory: factory)
                .recordNanoseconds(timing.duration.components.seconds * 1_000_000_000 + timing.duration.components.attoseconds / 1_000_000_000)
            if timing.phase == .environment, timing.outcome == "built" {
                Counter(label: "isolated_environment_builds_total", dimensions: [("runtime", runtime)], factory: factory).increment()
            }
        }
    }

    /// How many runners are in each state now.
    package func runners(starting: Int, busy: Int, idle: Int, stopping: Int) {
        for (state, count) in [("starting", starting), ("busy", busy), ("idle", idle), ("stopping", stopping)] {
            Gauge(label: "isolated_runners", dimensions: [("state", state)], factory: factory).record(count)
        }
    }

    /// The environments in the cache and their size on disk, measured after a change.
    package func environments(count: Int, bytes: Int64) {
        Gauge(label: "isolated_environments", factory: factory).record(count)
        Gauge(label: "isolated_environment_cache_bytes", factory: factory).record(bytes)
    }
}
