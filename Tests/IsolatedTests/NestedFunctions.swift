import Foundation
import Isolated

// Declarations for the tests of @Cached, @Shippable and nested isolated calls.

/// Counts how often a cached body really runs inside one worker.
@Shippable
final class LoadCounter: @unchecked Sendable {
    static let shared = LoadCounter()
    private let lock = NSLock()
    private var loads = 0

    func increment() -> Int {
        lock.lock()
        defer { lock.unlock() }
        loads += 1
        return loads
    }

    var count: Int {
        lock.lock()
        defer { lock.unlock() }
        return loads
    }
}

@Cached
func expensiveValue(_ seed: Int) async throws -> Int {
    _ = LoadCounter.shared.increment()
    try await Task.sleep(for: .milliseconds(200))
    return seed * 10
}

@Isolated(keepAlive: 30, uses: [expensiveValue, LoadCounter.self])
func cachedValue(_ seed: Int) async throws -> [String] {
    let value = try await expensiveValue(seed)
    return ["\(value)", "\(LoadCounter.shared.count)", ProcessInfo.processInfo.environment["ISOLATED_RUNNER_ID"] ?? "none"]
}

@Isolated(keepAlive: 30, uses: [expensiveValue, LoadCounter.self])
func cachedConcurrently(_ seed: Int) async throws -> [Int] {
    async let first = expensiveValue(seed)
    async let second = expensiveValue(seed)
    return [try await first, try await second, LoadCounter.shared.count]
}

@Cached
func failsTheFirstTime() async throws -> Int {
    struct NotYet: Error {}
    if LoadCounter.shared.increment() == 1 { throw NotYet() }
    return 42
}

@Isolated(keepAlive: 30, uses: [failsTheFirstTime, LoadCounter.self])
func retriesCached() async throws -> Int {
    try await failsTheFirstTime()
}

/// A user-defined type in an isolated function's signature.
@Shippable
struct Point: Codable, Sendable, Equatable {
    var x: Int
    var y: Int

    func mirrored() -> Point { Point(x: y, y: x) }
}

@Shippable
func doubled(_ point: Point) -> Point {
    Point(x: point.x * 2, y: point.y * 2)
}

@Isolated(uses: [Point.self, doubled])
func mirrorAndDouble(_ point: Point) async throws -> Point {
    doubled(point.mirrored())
}

@Isolated(machineType: "S", keepAlive: 10)
func innerRunnerID(_ label: String) async throws -> String {
    print("inner call \(label)")
    return ProcessInfo.processInfo.environment["ISOLATED_RUNNER_ID"] ?? "none"
}

@Isolated(machineType: "XS", keepAlive: 10, uses: [innerRunnerID])
func outerAndInnerRunnerIDs() async throws -> [String] {
    [ProcessInfo.processInfo.environment["ISOLATED_RUNNER_ID"] ?? "none", try await innerRunnerID("one"), try await innerRunnerID("two")]
}

@Isolated
func innerFails(_ input: String) async throws -> String {
    struct ValidationError: Error, CustomStringConvertible {
        var description: String
    }
    throw ValidationError(description: "inner rejected '\(input)'")
}

@Isolated(uses: [innerFails])
func outerCallsFailing() async throws -> String {
    try await innerFails("pear")
}

@Isolated(keepAlive: 5)
func recursesForever(_ depth: Int) async throws -> Int {
    try await recursesForever(depth + 1)
}
