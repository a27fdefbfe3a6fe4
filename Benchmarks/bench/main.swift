import Foundation
import Isolated
import IsolatedEngine

// Measures the figures of DESIGN.md §6 on this machine and prints them as a table.
// Run: swift run -c release bench [--quick]

let quick = CommandLine.arguments.contains("--quick")
let home = ProcessInfo.processInfo.environment["ISOLATED_HOME"] ?? EngineConfiguration.defaultHome

struct Row {
    var what: String
    var measured: String
    var target: String
}

func milliseconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
}

func format(_ value: Double) -> String {
    value < 1 ? String(format: "%.3f ms", value) : value < 100 ? String(format: "%.2f ms", value) : String(format: "%.0f ms", value)
}

func percentile(_ values: [Double], _ fraction: Double) -> Double {
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, Int(Double(sorted.count - 1) * fraction + 0.5))]
}

func timed(isolation: isolated (any Actor)? = #isolation, _ body: () async throws -> Void) async rethrows -> Double {
    let start = ContinuousClock.now
    try await body()
    return milliseconds(ContinuousClock.now - start)
}

let engine = Engine(configuration: EngineConfiguration(home: home))
let rows: [Row] = try await withThrowingTaskGroup(of: Void.self) { group in
    group.addTask { try await engine.run() }
    await engine.untilRunning()
    defer { engine.shutdown() }
    return try await Isolation.withEngine(engine) {
        var rows: [Row] = []

        // Warm calls: one runner, reused.
        _ = try await trivial(0)
        let warmCount = quick ? 200 : 2000
        for index in 0..<100 { _ = try await trivial(index) }
        var warm: [Double] = []
        for index in 0..<warmCount { warm.append(try await timed { _ = try await trivial(index) }) }
        rows.append(Row(what: "warm call, embedded (median of \(warmCount))", measured: format(percentile(warm, 0.5)), target: "≤ 0.15 ms"))
        rows.append(Row(what: "warm call, embedded (p99 of \(warmCount))", measured: format(percentile(warm, 0.99)), target: "—"))

        // A new runner for every call on a built environment and compiled version.
        _ = try await freshRunner(0)
        var fresh: [Double] = []
        for index in 0..<(quick ? 5 : 30) { fresh.append(try await timed { _ = try await freshRunner(index) }) }
        rows.append(Row(what: "new runner on a built environment, first call (median)", measured: format(percentile(fresh, 0.5)), target: "≤ 30 ms"))

        // A new function version each time: compile, start, call, in a built environment.
        var versions: [Double] = []
        let stamp = UInt32.random(in: 0...UInt32.max)
        for index in 0..<(quick ? 2 : 5) {
            let request = InvocationRequest(
                function: FunctionSource(
                    name: "version",
                    source: "func version() async throws -> Int {\n    \(stamp) + \(index)\n}",
                    entry: "return try await invocation.result(version())",
                    file: #filePath,
                    line: #line
                ),
                requirements: [],
                machineType: "XS",
                keepAlive: 0,
                arguments: []
            )
            versions.append(try await timed { _ = try await engine.invoke(request) })
        }
        rows.append(
            Row(what: "new function version: compile + start + call (median)", measured: format(percentile(versions, 0.5)), target: "≤ 1.5 s"))

        // Large results over the runner's socket.
        let size = 10 << 20
        _ = try await bigResult(bytes: size)
        var big: [Double] = []
        var bigRun: [Double] = []
        var bigTransfer: [Double] = []
        for _ in 0..<(quick ? 3 : 10) {
            var reports: [CallReport] = []
            big.append(try await timed { reports = try await Isolation.withCallReports { try await bigResult(bytes: size) }.reports })
            bigRun.append(reports.first?.duration(of: .run).map(milliseconds) ?? 0)
            bigTransfer.append(reports.first?.duration(of: .transfer).map(milliseconds) ?? 0)
        }
        rows.append(Row(what: "10 MiB result, warm (median)", measured: format(percentile(big, 0.5)), target: "≤ 30 ms"))
        rows.append(Row(what: "  of which: in the worker and on the socket", measured: format(percentile(bigRun, 0.5)), target: "—"))
        rows.append(Row(what: "  of which: decoding in the caller", measured: format(percentile(bigTransfer, 0.5)), target: "—"))

        // Resident memory of the idle warm runner of `trivial`.
        if let runner = await engine.runnerSnapshots().first(where: { $0.function.name == "trivial" }), let pid = runner.processID,
            let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
        {
            let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
            rows.append(Row(what: "idle warm runner, resident memory", measured: String(format: "%.1f MB", kilobytes / 1024), target: "≤ 10 MB"))
        }
        return rows
    }
}

let machine = "\(ProcessInfo.processInfo.activeProcessorCount) cores, \(ProcessInfo.processInfo.physicalMemory >> 30) GiB"
print("Isolated benchmark — \(machine)\(quick ? ", quick mode" : "")\n")
let widths = [rows.map(\.what.count).max() ?? 0, max(8, rows.map(\.measured.count).max() ?? 0)]
print(
    "| " + "what".padding(toLength: widths[0], withPad: " ", startingAt: 0) + " | "
        + "measured".padding(toLength: widths[1], withPad: " ", startingAt: 0) + " | target |")
print("|" + String(repeating: "-", count: widths[0] + 2) + "|" + String(repeating: "-", count: widths[1] + 2) + "|--------|")
for row in rows {
    print(
        "| " + row.what.padding(toLength: widths[0], withPad: " ", startingAt: 0) + " | "
            + row.measured.padding(toLength: widths[1], withPad: " ", startingAt: 0) + " | \(row.target) |"
    )
}
