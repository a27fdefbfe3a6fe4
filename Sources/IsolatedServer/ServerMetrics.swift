import IsolatedClient
package import IsolatedCore
import Synchronization

/// The server's counters and histograms, rendered in the Prometheus text format by `GET /metrics`.
///
/// Gauges that describe the engine's current state (runners by state, the environment cache's
/// size) are read at each scrape instead of being kept here.
package final class ServerMetrics: Sendable {
    /// Upper bounds, in seconds, of the phase-duration histogram's buckets.
    static let buckets: [Double] = [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300]

    private struct Histogram {
        var counts = [Int](repeating: 0, count: ServerMetrics.buckets.count)
        var sum = 0.0
        var count = 0
    }

    private struct State {
        var calls: [String: Int] = [:]
        var starts: [String: Int] = [:]
        var builds = 0
        var phases: [String: Histogram] = [:]
        var rejected: [String: Int] = [:]
    }

    private let state = Mutex(State())

    package init() {}

    /// Counts a finished call by outcome (`succeeded`, `failed`, `cancelled`) and, when it got a
    /// runner, whether the start was cold or warm.
    package func recordCall(outcome: String, warm: Bool?, phases: [(phase: String, seconds: Double)]) {
        state.withLock { state in
            state.calls[outcome, default: 0] += 1
            if let warm { state.starts[warm ? "warm" : "cold", default: 0] += 1 }
            for (phase, seconds) in phases {
                var histogram = state.phases[phase] ?? Histogram()
                for (index, bound) in Self.buckets.enumerated() where seconds <= bound { histogram.counts[index] += 1 }
                histogram.sum += seconds
                histogram.count += 1
                state.phases[phase] = histogram
            }
        }
    }

    /// Counts a finished call from its report: its outcome, how it got its runner, its phases,
    /// and the environment it built, if it did.
    package func recordCall(outcome: String, report: CallReport?) {
        recordCall(
            outcome: outcome,
            warm: report?.runnerID == nil ? nil : report?.warm,
            phases: (report?.phases ?? []).map { ($0.phase.rawValue, $0.duration.seconds) }
        )
        if report?.phases.contains(where: { $0.phase == .environment && $0.outcome == "built" }) == true { recordEnvironmentBuild() }
    }

    /// Counts an environment the server built.
    package func recordEnvironmentBuild() { state.withLock { $0.builds += 1 } }

    /// Counts a request refused before it reached a route (`unauthorized`, `tooLarge`, `malformed`).
    package func recordRejection(_ reason: String) { state.withLock { $0.rejected[reason, default: 0] += 1 } }

    /// The metrics in the Prometheus text format, with the engine's current `runners` by state and `cacheBytes`.
    package func render(runners: [String: Int], cacheBytes: Int64, environments: Int) -> String {
        let state = self.state.withLock { $0 }
        var lines: [String] = []
        func family(_ name: String, _ type: String, _ help: String) {
            lines.append("# HELP \(name) \(help)")
            lines.append("# TYPE \(name) \(type)")
        }
        family("isolated_calls_total", "counter", "Calls finished, by outcome.")
        for outcome in ["succeeded", "failed", "cancelled"] {
            lines.append("isolated_calls_total{outcome=\"\(outcome)\"} \(state.calls[outcome] ?? 0)")
        }
        family("isolated_runner_starts_total", "counter", "Calls by how they got their runner: a new (cold) one or a warm one.")
        for kind in ["cold", "warm"] { lines.append("isolated_runner_starts_total{kind=\"\(kind)\"} \(state.starts[kind] ?? 0)") }
        family("isolated_phase_duration_seconds", "histogram", "How long each phase of a call took.")
        for phase in state.phases.keys.sorted() {
            let histogram = state.phases[phase]!
            for (index, bound) in Self.buckets.enumerated() {
                lines.append("isolated_phase_duration_seconds_bucket{phase=\"\(phase)\",le=\"\(bound)\"} \(histogram.counts[index])")
            }
            lines.append("isolated_phase_duration_seconds_bucket{phase=\"\(phase)\",le=\"+Inf\"} \(histogram.count)")
            lines.append("isolated_phase_duration_seconds_sum{phase=\"\(phase)\"} \(histogram.sum)")
            lines.append("isolated_phase_duration_seconds_count{phase=\"\(phase)\"} \(histogram.count)")
        }
        family("isolated_runners", "gauge", "Runners alive now, by state.")
        for runnerState in ["starting", "busy", "idle", "stopping"] {
            lines.append("isolated_runners{state=\"\(runnerState)\"} \(runners[runnerState] ?? 0)")
        }
        family("isolated_environment_builds_total", "counter", "Environments this server built.")
        lines.append("isolated_environment_builds_total \(state.builds)")
        family("isolated_environments", "gauge", "Environments in the cache.")
        lines.append("isolated_environments \(environments)")
        family("isolated_environment_cache_bytes", "gauge", "Size of the environment cache on disk.")
        lines.append("isolated_environment_cache_bytes \(cacheBytes)")
        family("isolated_requests_rejected_total", "counter", "Requests refused before reaching a route, by reason.")
        for reason in ["unauthorized", "tooLarge", "malformed"] {
            lines.append("isolated_requests_rejected_total{reason=\"\(reason)\"} \(state.rejected[reason] ?? 0)")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
