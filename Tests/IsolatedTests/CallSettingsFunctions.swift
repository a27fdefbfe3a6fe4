import Foundation
import Isolated
import Synchronization

// Functions whose settings the tests change between calls: the attribute's arguments are
// ordinary expressions, evaluated at every call.

/// The settings the next call uses.
enum CallSettings {
    static let keepAlive = Mutex(30)
    static let machineType = Mutex<MachineType>("XS")
    static let innerKeepAlive = Mutex(30)
}

@Isolated(machineType: CallSettings.machineType.withLock { $0 }, keepAlive: CallSettings.keepAlive.withLock { $0 })
func settingsRunnerID() async throws -> String {
    ProcessInfo.processInfo.environment["ISOLATED_RUNNER_ID"] ?? "none"
}

@Isolated(keepAlive: CallSettings.innerKeepAlive.withLock { $0 })
func settingsInner() async throws -> String {
    ProcessInfo.processInfo.environment["ISOLATED_RUNNER_ID"] ?? "none"
}

@Isolated(keepAlive: 30, uses: [settingsInner])
func settingsOuter() async throws -> [String] {
    [ProcessInfo.processInfo.environment["ISOLATED_RUNNER_ID"] ?? "none", try await settingsInner()]
}

@Isolated(keepAlive: 1, minWarm: 2)
func keptWarm() async throws -> String {
    ProcessInfo.processInfo.environment["ISOLATED_RUNNER_ID"] ?? "none"
}
