import Foundation
import Isolated

// Functions the end-to-end tests call through the public API. Their bodies are compiled only in
// their workers: this test target depends on neither swift-algorithms nor anything they use.

@Isolated(requirements: ["apple/swift-algorithms@1.2.0"], machineType: "XS", keepAlive: 10)
func chunked(_ values: [Int], size: Int) async throws -> [[Int]] {
    values.chunks(ofCount: size).map(Array.init)
}

// Inside the sandbox every runner is process 2 of its own PID namespace, so functions tell
// runners apart by the runner id the engine gives each one.

@Isolated(keepAlive: 10)
func warmRunnerID() async throws -> String {
    ProcessInfo.processInfo.environment["ISOLATED_RUNNER_ID"] ?? "none"
}

@Isolated(keepAlive: 0)
func oneShotRunnerID() async throws -> String {
    ProcessInfo.processInfo.environment["ISOLATED_RUNNER_ID"] ?? "none"
}

@Isolated(keepAlive: 10)
func sleepyRunnerID(milliseconds: Int) async throws -> String {
    try await Task.sleep(for: .milliseconds(milliseconds))
    return ProcessInfo.processInfo.environment["ISOLATED_RUNNER_ID"] ?? "none"
}

let typeErrorLine = #line + 3
@Isolated
func doesNotCompile() async throws -> Int {
    return "not a number"
}

@Isolated
func rejects(_ input: String) async throws -> String {
    struct ValidationError: Error, CustomStringConvertible {
        var description: String
    }
    throw ValidationError(description: "input '\(input)' is not valid")
}

@Isolated
func rejectsLocalized(_ input: String) async throws -> String {
    struct Unreadable: LocalizedError {
        var input: String
        var errorDescription: String? { "'\(input)' cannot be read" }
    }
    throw Unreadable(input: input)
}

@Isolated
func crashes(_ crash: Bool) async throws -> String {
    if crash {
        print("about to crash")
        fatalError("deliberate crash")
    }
    return ProcessInfo.processInfo.environment["ISOLATED_RUNNER_ID"] ?? "none"
}

@Isolated(keepAlive: 0)
func computes(milliseconds: Int) async throws -> Int {
    // Busy on the runner's thread without ever suspending: meanwhile only the runner's second
    // reader can answer heartbeats.
    let end = ContinuousClock.now + .milliseconds(milliseconds)
    var spins = 0
    while ContinuousClock.now < end { spins += 1 }
    return spins > 0 ? milliseconds : 0
}

@Isolated
func stopsAnswering() async throws -> Int {
    // SIGSTOP freezes every thread, the runner's I/O thread included: heartbeats go unanswered.
    // Under a loaded parallel test run the worker has been seen continued after ~5 s by a signal
    // the engine never sends; stopping again keeps it unresponsive either way.
    while true { kill(getpid(), SIGSTOP) }
}

@Isolated(requirements: ["apple/swift-algorithms"])
func malformedRequirement() async throws -> Int {
    1
}

@Isolated(machineType: "XXL")
func unknownMachineType() async throws -> Int {
    1
}

@Isolated(requirements: ["apple/swift-no-such-package@1.0.0"])
func missingPackage() async throws -> Int {
    1
}

// Its compiled version is deleted before each use, so two engines compile it at once.
@Isolated
func compiledByOneEngine() async throws -> String {
    "compiled once"
}

@Isolated
func noResult(_ message: String) async throws {
    print(message)
}
