import Foundation
import Isolated

@Isolated(keepAlive: 600)
func trivial(_ value: Int) async throws -> Int {
    value + 1
}

@Isolated(keepAlive: 0)
func freshRunner(_ value: Int) async throws -> Int {
    value + 1
}

@Isolated(keepAlive: 600)
func bigResult(bytes: Int) async throws -> String {
    String(repeating: "x", count: bytes)
}
