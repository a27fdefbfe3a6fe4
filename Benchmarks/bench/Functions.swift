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

// On S (1 GiB): a 256 MiB result and its encoded copy must fit in the machine type's memory.
@Isolated(machineType: "S", keepAlive: 600)
func bigResult(bytes: Int) async throws -> String {
    // Built from bytes: String(repeating:count:) appends one character at a time and would
    // dominate the measurement.
    String(decoding: [UInt8](repeating: UInt8(ascii: "x"), count: bytes), as: UTF8.self)
}
