import Foundation
import Isolated

// The reference's first example: a function whose requirement only its worker has.
// `randomSample(count:)` comes from swift-algorithms, which this demo does not depend on.
@Isolated(requirements: ["apple/swift-algorithms@1.2.0"], machineType: "S", keepAlive: 10)
func isolatedJoke() async throws -> String {
    let jokes = [
        "Why do Swift developers prefer dark mode? Because light attracts bugs.",
        "I would tell you a UDP joke, but you might not get it.",
        "There are 10 kinds of people: those who understand binary and those who don't.",
        "A SQL query walks into a bar, walks up to two tables and asks: may I join you?",
    ]
    print("picking a joke in runner \(ProcessInfo.processInfo.environment["ISOLATED_RUNNER_ID"] ?? "?")")
    return jokes.randomSample(count: 1)[0]
}

// The reference's keep-alive example: the worker stays warm for 300 seconds after each call.
// It returns its runner's id so the demo can show the second call reused the same worker.
// (Inside the sandbox every runner is process 2 of its own PID namespace; the engine names
// each runner in ISOLATED_RUNNER_ID.)
@Isolated(keepAlive: 300)
func getTwo() async throws -> String {
    _ = 1 + 1
    return ProcessInfo.processInfo.environment["ISOLATED_RUNNER_ID"] ?? "?"
}

// The reference's nested example: an isolated function calling another one twice. Each inner
// call is scheduled by the engine on its own runner and machine type (S, above), reused warm.
@Isolated(machineType: "XS", uses: [isolatedJoke])
func tellJokes() async throws -> [String] {
    print("telling jokes from runner \(ProcessInfo.processInfo.environment["ISOLATED_RUNNER_ID"] ?? "?")")
    return [try await isolatedJoke(), try await isolatedJoke()]
}

/// A stand-in for an expensive model: loading it takes a second.
@Shippable
struct Model: Sendable {
    var name: String
    var loadedBy: String

    func run(_ input: String) -> String {
        "\(name) (loaded by runner \(loadedBy)) says: \(input.uppercased())!"
    }
}

// Loaded once per warm worker, however many calls use it.
@Cached
func loadModel() async throws -> Model {
    print("loading the model… (once per worker)")
    try await Task.sleep(for: .seconds(1))
    return Model(name: "shouty-1", loadedBy: ProcessInfo.processInfo.environment["ISOLATED_RUNNER_ID"] ?? "?")
}

@Isolated(keepAlive: 300, uses: [loadModel, Model.self])
func predict(_ input: String) async throws -> String {
    let model = try await loadModel()
    return model.run(input)
}
