import Foundation
import Isolated

// Functions for the tests of timeouts and of nested calls that outlive their caller.

/// Spins on the CPU without end when `forever`, else says which runner it ran on.
@Isolated(keepAlive: 10, timeout: 2)
func spins(_ forever: Bool) async throws -> String {
    var turns = 0
    while forever || turns < 0 { turns &+= 1 }
    return ProcessInfo.processInfo.environment["ISOLATED_RUNNER_ID"] ?? "none"
}

/// Prints its runner id, then sleeps far past any deadline the tests set.
@Isolated(keepAlive: 10)
func sleepsLong() async throws -> String {
    print("sleeping in \(ProcessInfo.processInfo.environment["ISOLATED_RUNNER_ID"] ?? "none")")
    try await Task.sleep(for: .seconds(600))
    return "woke up"
}

@Isolated(keepAlive: 10, uses: [sleepsLong])
func waitsForSleeper() async throws -> String {
    try await sleepsLong()
}

@Isolated(keepAlive: 10, uses: [sleepsLong], timeout: 2)
func waitsForSleeperBriefly() async throws -> String {
    try await sleepsLong()
}

@Isolated(timeout: 0)
func zeroTimeout() async throws -> Int { 1 }

/// Says it started, then takes long enough for a test to kill its runner.
@Isolated(keepAlive: 10, retries: 1)
func survivesOneCrash() async throws -> String {
    print("attempt in \(ProcessInfo.processInfo.environment["ISOLATED_RUNNER_ID"] ?? "none")")
    try await Task.sleep(for: .seconds(2))
    return ProcessInfo.processInfo.environment["ISOLATED_RUNNER_ID"] ?? "none"
}

@Isolated(retries: 3)
func throwsDespiteRetries() async throws -> Int {
    struct Refusal: Error {}
    throw Refusal()
}
