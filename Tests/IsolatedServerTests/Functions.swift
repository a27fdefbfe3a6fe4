import Foundation
import Isolated

// Functions the server tests call. The tests send them through a ServerClient, as the SDK
// does when ISOLATED_SERVER is set.

@Isolated(keepAlive: 60)
func greeting(_ name: String) async throws -> String {
    print("greeting \(name)")
    return "hello, \(name), from \(ProcessInfo.processInfo.environment["ISOLATED_RUNNER_ID"] ?? "?")"
}

@Isolated(keepAlive: 0)
func failsOnPurpose() async throws -> Int {
    struct Refusal: Error {}
    throw Refusal()
}

@Isolated(keepAlive: 60)
func slowGreeting(_ name: String) async throws -> String {
    print("started greeting \(name)")
    try await Task.sleep(for: .seconds(1.5))
    return "hello, \(name), from \(ProcessInfo.processInfo.environment["ISOLATED_RUNNER_ID"] ?? "?")"
}
