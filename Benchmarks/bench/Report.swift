import Foundation

/// The side-by-side table: one row per scenario, both systems, how many times better Isolated
/// is, and the target: the performance issue's (#14), stricter than DESIGN.md's.
struct Report {
    struct Row: Sendable {
        var id: String
        var what: String
        /// isolate's figure this row compares with.
        var isolate = IsolateFigure.sameScenario
        var target: String
        /// Whether Isolated's figure meets the target, given the figures it can be relative to;
        /// nil when there is no target, or it cannot be judged in this run.
        var meets: (@Sendable (Measurement, Figures) -> Bool?)?
        /// Bigger is better (a rate) rather than smaller (a latency or a size).
        var higherIsBetter = false
    }

    enum IsolateFigure: Sendable {
        case sameScenario
        /// Another of isolate's scenarios: the Python rows compare with isolate's own Python figures.
        case scenario(String)
        /// isolate has nothing to compare with.
        case none
    }

    /// What a target can be relative to: every figure of Isolated's run, and isolate's figure of the row.
    struct Figures {
        var ours: [String: Measurement]
        var theirs: Measurement?
    }

    static let rows: [Row] = [
        Row(id: "warm_embedded", what: "warm call: embedded engine / isolate's agent", target: "≤ 0.08 ms median, ≥ 15× isolate") {
            measurement, figures in
            guard let median = measurement.medianMs, median <= 0.08 else { return false }
            return figures.theirs?.medianMs.map { $0 >= 15 * median }
        },
        Row(
            id: "warm_embedded_spaced", what: "warm call: embedded engine, calls 1 ms apart (threads idle)", isolate: .none,
            target: "—"),
        Row(
            id: "floor_embedded", what: "floor: a byte to a child process and back, from a blocked thread", isolate: .none,
            target: "—"),
        Row(
            id: "floor_embedded_async", what: "floor: the same from a task, resumed by a reading thread", isolate: .none,
            target: "—"),
        Row(id: "warm_server", what: "warm call through the server", target: "≤ 0.5 ms median, ≤ 1.5 ms p99") { measurement, _ in
            (measurement.medianMs ?? .infinity) <= 0.5 && (measurement.p99Ms ?? .infinity) <= 1.5
        },
        Row(id: "new_runner", what: "new runner on a built environment, first call", target: "≤ 10 ms") { measurement, _ in
            (measurement.medianMs ?? .infinity) <= 10
        },
        Row(
            id: "new_runner_static_server", what: "new runner from a static worker, through the server, first call",
            isolate: .scenario("new_runner"), target: "≤ 10 ms"
        ) { measurement, _ in (measurement.medianMs ?? .infinity) <= 10 },
        Row(id: "cold_environment", what: "cold environment, one small requirement, first call", target: "≤ 3× isolate") { measurement, figures in
            guard let median = measurement.medianMs else { return false }
            return figures.theirs?.medianMs.map { median <= 3 * $0 }
        },
        Row(id: "shared_environment", what: "second environment: one package built before, one new", target: "—"),
        Row(
            id: "reused_environment", what: "new environment of packages all built before", isolate: .scenario("cold_environment"),
            target: "≤ isolate's cold environment", meets: notSlowerThanIsolate),
        Row(id: "new_version", what: "new function version: compile + start + call", target: "≤ 1.5 s") { measurement, _ in
            (measurement.medianMs ?? .infinity) <= 1500
        },
        Row(id: "result_10mib", what: "10 MiB result, warm", target: "≤ 15 ms") { measurement, _ in (measurement.medianMs ?? .infinity) <= 15 },
        Row(id: "result_100mib", what: "100 MiB result, warm", target: "≤ 200 ms") { measurement, _ in (measurement.medianMs ?? .infinity) <= 200 },
        Row(id: "result_256mib", what: "256 MiB result, warm", target: "works") { measurement, _ in
            measurement.error == nil && measurement.medianMs != nil
        },
        serverResult("result_10mib", "10 MiB"),
        serverResult("result_100mib", "100 MiB"),
        serverResult("result_256mib", "256 MiB"),
        Row(
            id: "throughput_32", what: "throughput, 32 concurrent callers", target: "≥ 20,000 calls/s",
            meets: { measurement, _ in (measurement.callsPerSecond ?? 0) >= 20_000 }, higherIsBetter: true
        ),
        Row(
            id: "throughput_32_server", what: "throughput, 32 concurrent callers, through the server", target: "≥ 5,000 calls/s",
            meets: { measurement, _ in (measurement.callsPerSecond ?? 0) >= 5_000 }, higherIsBetter: true
        ),
        Row(
            id: "floor_server", what: "floor: GET /healthz through the same client and server, no call", isolate: .none,
            target: "—"),
        Row(
            id: "floor_throughput_32_server", what: "floor: GET /healthz, 32 concurrent callers", isolate: .none, target: "—",
            higherIsBetter: true),
        Row(id: "idle_runner_rss_mb", what: "idle warm runner, resident memory (worker linked dynamically)", target: "—"),
        Row(
            id: "idle_runner_static_rss_mb", what: "idle warm runner, resident memory (worker linked statically)",
            isolate: .scenario("idle_runner_rss_mb"), target: "≤ 8 MB"
        ) { measurement, _ in (measurement.value ?? .infinity) <= 8 },
        Row(id: "idle_engine_rss_mb", what: "idle server (engine), resident memory", target: "—"),
        Row(
            id: "cluster_new_runner", what: "new runner as a Slurm job, loopback cluster, first call", isolate: .none,
            target: "≤ 150 ms"
        ) { measurement, _ in (measurement.medianMs ?? .infinity) <= 150 },
        Row(
            id: "cluster_warm_server", what: "warm call on a cluster runner through the server", isolate: .none,
            target: "≤ 1.5× warm call through the server"
        ) { measurement, figures in
            guard let median = measurement.medianMs, let local = figures.ours["warm_server"]?.medianMs else { return nil }
            return median <= 1.5 * local
        },
        Row(
            id: "python_warm_server", what: "Python: warm call through the server / isolate.server", isolate: .scenario("warm_server"),
            target: "≤ 3 ms median, ≥ 100× isolate"
        ) { measurement, figures in
            guard let median = measurement.medianMs else { return false }
            guard let theirs = figures.theirs?.medianMs else { return median <= 3 ? nil : false }
            return median <= 3 && theirs >= 100 * median
        },
        Row(id: "python_channel", what: "Python: the client's new channel and one RPC, per call", isolate: .none, target: "—"),
        Row(id: "python_new_runner", what: "Python: new runner on a built environment, first call", isolate: .scenario("new_runner"), target: "—"),
        Row(
            id: "python_cold_environment", what: "Python: cold environment, six, first call", isolate: .scenario("cold_environment"),
            target: "≤ isolate", meets: notSlowerThanIsolate),
        Row(
            id: "python_shared_environment", what: "Python: second environment sharing six (+ toml)", isolate: .scenario("shared_environment"),
            target: "≤ isolate", meets: notSlowerThanIsolate),
    ]

    static let notSlowerThanIsolate: @Sendable (Measurement, Figures) -> Bool? = { measurement, figures in
        guard let median = measurement.medianMs else { return false }
        return figures.theirs?.medianMs.map { median <= $0 }
    }

    /// A result through the server, whose target is 3 times the embedded figure of the same size.
    static func serverResult(_ embedded: String, _ size: String) -> Row {
        Row(id: "\(embedded)_server", what: "\(size) result, warm, through the server", target: "≤ 3× embedded") { measurement, figures in
            guard let median = measurement.medianMs, let base = figures.ours[embedded]?.medianMs else { return false }
            return median <= 3 * base
        }
    }

    let ours: SystemRun
    let theirs: SystemRun?

    func table() -> String {
        var cells: [[String]] = [
            [
                "scenario", "Isolated", "isolate \(theirs?.version ?? "")".trimmingCharacters(in: .whitespaces), "Isolated's advantage", "target",
                "met?",
            ]
        ]
        var notes: [String] = []
        for row in Self.rows {
            let mine = ours.scenarios[row.id]
            let other: Measurement? =
                switch row.isolate {
                case .sameScenario: theirs?.scenarios[row.id]
                case .scenario(let id): theirs?.scenarios[id]
                case .none: nil
                }
            // A row neither side measured (bench --only) is left out.
            guard mine != nil || other != nil else { continue }
            if let error = mine?.error { notes.append("\(row.id), Isolated: \(error)") }
            if let variants = mine?.variants, !variants.isEmpty {
                let parts = variants.compactMap { name, variant in variant.medianMs.map { (name, $0) } }.sorted { $0.1 > $1.1 }
                notes.append("\(row.id), Isolated's parts (median): " + parts.map { "\($0) \(Self.format($1))" }.joined(separator: ", "))
            }
            // isolate's failure of a scenario another row also shows is noted once, by that row.
            if case .sameScenario = row.isolate, let error = other?.error { notes.append("\(row.id), isolate: \(error)") }
            let figures = Figures(ours: ours.scenarios, theirs: other)
            let met = mine.flatMap { measurement in row.meets?(measurement, figures).map { $0 ? "yes" : "no" } } ?? ""
            cells.append([row.what, Self.cell(mine), theirs == nil ? "not run" : Self.cell(other), Self.advantage(mine, other, row), row.target, met])
        }
        let widths = cells[0].indices.map { column in cells.map { $0[column].count }.max() ?? 0 }
        var lines = cells.map { row in
            "| " + row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: " | ") + " |"
        }
        lines.insert("|" + widths.map { String(repeating: "-", count: $0 + 2) }.joined(separator: "|") + "|", at: 1)
        if let error = theirs?.error { notes.append("isolate: \(error)") }
        if !notes.isEmpty { lines += [""] + notes.map { "- \($0)" } }
        return lines.joined(separator: "\n")
    }

    /// "0.185 ms (p99 0.814 ms)", "5210 calls/s", "20.2 MB", "n/a", "failed".
    static func cell(_ measurement: Measurement?) -> String {
        guard let measurement else { return "—" }
        if measurement.error != nil {
            guard let raised = measurement.raisedLimit?.measurement, raised.error == nil else { return "failed (see below)" }
            return "fails; \(cell(raised)) with the limit raised"
        }
        if measurement.notApplicable != nil { return "n/a" }
        if let rate = measurement.callsPerSecond { return String(format: "%.0f calls/s", rate) }
        if let value = measurement.value { return String(format: "%.1f MB", value) }
        guard let median = measurement.medianMs else { return "—" }
        return format(median) + (measurement.p99Ms.map { " (p99 \(format($0)))" } ?? "")
    }

    static func format(_ milliseconds: Double) -> String {
        switch milliseconds {
        case ..<1: String(format: "%.3f ms", milliseconds)
        case ..<100: String(format: "%.1f ms", milliseconds)
        case ..<10_000: String(format: "%.0f ms", milliseconds)
        default: String(format: "%.1f s", milliseconds / 1000)
        }
    }

    /// How many times faster, higher or smaller Isolated's figure is.
    static func advantage(_ ours: Measurement?, _ theirs: Measurement?, _ row: Row) -> String {
        func figure(_ measurement: Measurement?) -> Double? {
            // A figure that needed isolate's limit raised is still its best case.
            guard let measurement = measurement?.error == nil ? measurement : measurement?.raisedLimit?.measurement, measurement.error == nil else {
                return nil
            }
            return measurement.callsPerSecond ?? measurement.value ?? measurement.medianMs
        }
        guard let mine = figure(ours), let other = figure(theirs), mine > 0, other > 0 else { return "" }
        let ratio = row.higherIsBetter ? mine / other : other / mine
        return ratio >= 10 ? String(format: "%.0f×", ratio) : String(format: "%.1f×", ratio)
    }
}
