import Foundation
import Isolated

// Runs the reference examples on the embedded engine: `swift run Demo`.

func milliseconds(_ duration: Duration) -> String {
    let value = Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
    return value < 10 ? String(format: "%.2f ms", value) : String(format: "%.0f ms", value)
}

func describe(_ report: CallReport) -> String {
    let phases = report.phases.map { timing in
        "\(timing.phase) \(milliseconds(timing.duration))" + (timing.outcome.map { " (\($0))" } ?? "")
    }
    return "runner \(report.runnerID ?? "?") pid \(report.processID.map(String.init) ?? "?"), \(report.warm ? "warm" : "cold"): "
        + phases.joined(separator: ", ")
}

do {
    print("== An isolated joke (requirement: apple/swift-algorithms, machine type S)")
    let (joke, jokeReports) = try await Isolation.withCallReports { try await isolatedJoke() }
    print("joke: \(joke)")
    print("  \(describe(jokeReports[0]))")

    print("\n== Keep-alive: two calls to getTwo() within its 300 s window")
    let (first, firstReports) = try await Isolation.withCallReports { try await getTwo() }
    let (second, secondReports) = try await Isolation.withCallReports { try await getTwo() }
    print("first call:  runner \(first), \(milliseconds(firstReports[0].total)) in all")
    print("  \(describe(firstReports[0]))")
    print("second call: runner \(second), \(milliseconds(secondReports[0].total)) in all")
    print("  \(describe(secondReports[0]))")
    print(first == second ? "the second call reused the warm worker (same runner)" : "the second call got a new worker")

    print("\n== Nested isolated calls: tellJokes() (machine type XS) calls isolatedJoke() (machine type S) twice")
    let (jokes, jokeTellingReports) = try await Isolation.withCallReports { try await tellJokes() }
    for joke in jokes { print("joke: \(joke)") }
    print("  \(describe(jokeTellingReports[0]))")

    print("\n== A @Cached model: loaded once, used by every warm call")
    for input in ["hello", "isolated", "functions"] {
        let (answer, reports) = try await Isolation.withCallReports { try await predict(input) }
        print("\(answer)  [\(milliseconds(reports[0].total))]")
    }
} catch {
    print("error: \(error)")
    exit(1)
}
