import Foundation
import Isolated

// Functions that each try to exhaust their machine; the tests assert each is contained.

@Isolated(machineType: "XS", keepAlive: 0)
func allocatesTooMuch() async throws -> Int {
    // 2 GiB, every page written, against the 512 MiB of machine type XS.
    var blocks: [[UInt8]] = []
    for _ in 0..<64 { blocks.append([UInt8](repeating: 1, count: 32 << 20)) }
    return blocks.count
}

@Isolated(machineType: "XS", keepAlive: 0)
func forksEndlessly() async throws -> Int {
    var started = 0
    while started < 5_000 {
        var child: pid_t = 0
        let arguments: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/sleep"), strdup("60"), nil]
        defer { arguments.forEach { free($0) } }
        guard posix_spawn(&child, "/bin/sleep", nil, nil, arguments, nil) == 0 else { break }
        started += 1
    }
    return started
}

@Isolated(machineType: "XS", keepAlive: 0)
func cpuSecondsSpinningForOneSecond() async throws -> Double {
    let start = Date()
    var spins = 0
    while Date().timeIntervalSince(start) < 1 { spins &+= 1 }
    // The process's CPU time, all threads included.
    return Double(clock()) / Double(CLOCKS_PER_SEC)
}

@Isolated(machineType: "XS", keepAlive: 0)
func healthy() async throws -> String {
    "still serving"
}

@Isolated(machineType: "GPU")
func needsAGPU() async throws -> Int {
    1
}

/// Its runner's id and when, on the wall clock, the call started and ended.
@Isolated(keepAlive: 10, maxConcurrency: 4)
func boundedRunnerID(_ index: Int) async throws -> String {
    let started = Date().timeIntervalSince1970
    try await Task.sleep(for: .milliseconds(150))
    return "\(ProcessInfo.processInfo.environment["ISOLATED_RUNNER_ID"] ?? "none") \(started) \(Date().timeIntervalSince1970)"
}

/// Runs on "HALF", a machine type the scheduling tests define as half of this machine's CPUs.
@Isolated(machineType: "HALF", keepAlive: 0)
func occupiesHalfTheMachine(milliseconds: Int) async throws -> String {
    try await Task.sleep(for: .milliseconds(milliseconds))
    return ProcessInfo.processInfo.environment["ISOLATED_RUNNER_ID"] ?? "none"
}
