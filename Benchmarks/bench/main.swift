import Foundation
import Isolated
import IsolatedEngine

// Isolated and fal's isolate, side by side on the scenarios of issue 6 and the targets of
// DESIGN.md §6. Run from the repository: scripts/bench.sh [--quick] [--json] [--skip-isolate] [--only ROW,…]

let usage = "usage: bench [--quick] [--json] [--skip-isolate] [--only ROW,…]"
/// `--only warm_server,result_10mib_server`: just these rows of Isolated's, for working on one
/// path; isolate's side, which runs all its rows or none, is left out.
let (only, options): (Set<String>?, Set<String>) = {
    var arguments = Array(CommandLine.arguments.dropFirst())
    guard let flag = arguments.firstIndex(of: "--only") else { return (nil, Set(arguments)) }
    guard flag + 1 < arguments.count else {
        FileHandle.standardError.write(Data("\(usage); --only needs row ids, separated by commas\n".utf8))
        exit(2)
    }
    let rows = Set(arguments[flag + 1].split(separator: ",").map(String.init))
    let unknown = rows.subtracting(Report.rows.map(\.id))
    guard unknown.isEmpty else {
        FileHandle.standardError.write(
            Data("\(usage); no such row: \(unknown.sorted()); rows: \(Report.rows.map(\.id).joined(separator: ","))\n".utf8))
        exit(2)
    }
    arguments.removeSubrange(flag...(flag + 1))
    return (rows, Set(arguments))
}()
let known: Set = ["--quick", "--json", "--skip-isolate"]
guard options.isSubset(of: known) else {
    FileHandle.standardError.write(Data("\(usage); unknown: \(options.subtracting(known).sorted())\n".utf8))
    exit(2)
}
/// Whether the row `id` is measured in this run.
func selected(_ id: String) -> Bool {
    only?.contains(id) ?? true
}
let quick = options.contains("--quick")
let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let home = ProcessInfo.processInfo.environment["ISOLATED_HOME"] ?? EngineConfiguration.defaultHome

func progress(_ message: String) {
    FileHandle.standardError.write(Data("bench: \(message)\n".utf8))
}

let engine = Engine(configuration: EngineConfiguration(home: home))
var ours = try await withThrowingTaskGroup(of: Void.self) { group in
    group.addTask { try await engine.run() }
    await engine.untilRunning()
    let scenarios = await Isolation.withEngine(engine) {
        await Isolation.withEventHandler({ _ in }) {
            await IsolatedScenarios(engine: engine, home: home, quick: quick).run(progress: progress)
        }
    }
    // The engine's own failure, if it had one, ends the benchmark instead of vanishing with the group.
    engine.shutdown()
    try await group.waitForAll()
    return SystemRun(system: "isolated", version: nil, quick: quick, scenarios: scenarios)
}
if ClusterScenarios.ids.contains(where: selected) {
    ours.scenarios.merge(await ClusterScenarios(home: home, quick: quick).run(progress: progress)) { $1 }
}
// The Python rows are Isolated's too: the fal-serverless client against `isolated serve --grpc-port`.
if PythonClientRunner.scenarioIDs.contains(where: selected) {
    ours.scenarios.merge(await PythonClientRunner.run(repository: repository, home: home, quick: quick, progress: progress)) { $1 }
}
let theirs = options.contains("--skip-isolate") || only != nil ? nil : await IsolateRunner.run(repository: repository, quick: quick)

let machine = Machine.current
if options.contains("--json") {
    struct Output: Encodable {
        var machine: Machine
        var command: String
        var systems: [SystemRun]
    }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    print(
        String(
            decoding: try encoder.encode(
                Output(
                    machine: machine, command: "scripts/bench.sh " + CommandLine.arguments.dropFirst().joined(separator: " "),
                    systems: [ours] + (theirs.map { [$0] } ?? []))), as: UTF8.self))
} else {
    print("Isolated vs isolate\(theirs?.version.map { " \($0)" } ?? "") — \(machine.description)\(quick ? " — quick mode" : "")\n")
    print(Report(ours: ours, theirs: theirs).table())
}

// Quick mode runs in CI so the benchmark cannot rot: a scenario of ours that fails, or an
// isolate side that produced nothing, fails the run. isolate's own failures (a payload over
// its limit) are results, shown in the table.
let failed = ours.scenarios.filter { $0.value.error != nil }.map(\.key).sorted()
if !failed.isEmpty || theirs?.error != nil {
    FileHandle.standardError.write(Data("bench: failed: \((failed + (theirs?.error != nil ? ["isolate"] : [])).joined(separator: ", "))\n".utf8))
    exit(1)
}
