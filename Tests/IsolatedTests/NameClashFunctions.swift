import Foundation
import Isolated

// Declarations named like the types generated code uses, on the host (`Shipping`) and in the
// worker (`Runner`, `NestedFunction`, `CachedFunctions`): generated code names its own fully
// qualified, so none of these can break it.

@Shippable
struct Runner: Codable, Sendable, Hashable {
    var name: String
}

@Shippable
enum Shipping {
    static func fee(_ weight: Int) -> Int { weight * 2 }
}

@Shippable
struct NestedFunction: Codable, Sendable {
    var depth: Int
}

@Shippable
enum CachedFunctions {
    static let label = "cached"
}

@Cached
func cachedFee(_ weight: Int) async throws -> Int {
    Shipping.fee(weight)
}

@Isolated(uses: [NestedFunction.self])
func clashInner(_ nested: NestedFunction) async throws -> Int {
    nested.depth + 1
}

@Isolated(uses: [Runner.self, Shipping.self, NestedFunction.self, CachedFunctions.self, cachedFee, clashInner])
func clashOuter(_ runner: Runner) async throws -> String {
    let depth = try await clashInner(NestedFunction(depth: 1))
    return "\(runner.name): fee \(try await cachedFee(21)), depth \(depth), \(CachedFunctions.label)"
}
