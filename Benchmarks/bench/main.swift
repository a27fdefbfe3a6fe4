import Foundation
import Isolated
import IsolatedEngine

// Isolated and fal's isolate, side by side on the scenarios of issue 6 and the targets of
// DESIGN.md §6. Run from the repository: scripts/bench.sh [--quick] [--json] [--skip-isolate]

let options = Set(CommandLine.arguments.dropFirst())
let known: Set = ["--quick", "--json", "--skip-isolate"]
guard options.isSubset(of: known) else {
    FileHandle.standardError.write(Data("usage: bench [--quick] [--json] [--skip-isolate]; unknown: \(options.subtracting(known).sorted())\n".utf8))
    exit(2)
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
ours.scenarios.merge(await ClusterScenarios(home: home, quick: quick).run(progress: progress)) { $1 }
// The Python rows are Isolated's too: the fal-serverless client against `isolated serve --grpc-port`.
ours.scenarios.merge(await PythonClientRunner.run(repository: repository, home: home, quick: quick, progress: progress)) { $1 }
let theirs = options.contains("--skip-isolate") ? nil : await IsolateRunner.run(repository: repository, quick: quick)

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
