import Foundation
import Isolated
import IsolatedEngine
import Synchronization
import TestSupport
import Testing

@Suite("Settings travel with each call and compile nothing", .serialized, .timeLimit(.minutes(15)))
struct CallSettingsTests {
    /// The outcome of a report's compile phase: `cached` when nothing was compiled.
    static func compileOutcome(_ report: CallReport?) -> String? {
        report?.phases.first { $0.phase == .compile }?.outcome
    }

    @Test("a keepAlive that changes between calls reuses the warm runner and compiles nothing")
    func keepAliveChangeKeepsTheRunner() async throws {
        try await TestEngine.with { engine in
            CallSettings.keepAlive.withLock { $0 = 30 }
            let first = try await settingsRunnerID()
            for keepAlive in [31, 32, 1] {
                CallSettings.keepAlive.withLock { $0 = keepAlive }
                let (runner, reports) = try await Isolation.withCallReports { try await settingsRunnerID() }
                #expect(runner == first)
                #expect(reports.first?.warm == true)
                #expect(Self.compileOutcome(reports.first) == "cached")
                let snapshot = await engine.runnerSnapshots().first { $0.id == first }
                #expect(snapshot?.keepAlive == keepAlive, "the runner keeps the keep-alive of its last call")
            }
        }
    }

    @Test("a machineType that changes needs a runner of that type, but compiles nothing")
    func machineTypeChangeCompilesNothing() async throws {
        try await TestEngine.with { engine in
            CallSettings.keepAlive.withLock { $0 = 30 }
            CallSettings.machineType.withLock { $0 = "XS" }
            let small = try await settingsRunnerID()
            CallSettings.machineType.withLock { $0 = "S" }
            defer { CallSettings.machineType.withLock { $0 = "XS" } }
            let (larger, reports) = try await Isolation.withCallReports { try await settingsRunnerID() }
            #expect(larger != small)
            #expect(reports.first?.warm == false)
            #expect(Self.compileOutcome(reports.first) == "cached")
            #expect(await engine.runnerSnapshots().first { $0.id == larger }?.machineType == "S")
        }
    }

    @Test("a nested function's settings come from its caller's call: changing them recompiles neither, and both runners stay warm")
    func nestedSettingsTravelWithTheCall() async throws {
        try await TestEngine.with { engine in
            CallSettings.innerKeepAlive.withLock { $0 = 30 }
            let first = try await settingsOuter()
            CallSettings.innerKeepAlive.withLock { $0 = 45 }
            let (second, reports) = try await Isolation.withCallReports { try await settingsOuter() }
            #expect(second == first)
            #expect(reports.first?.warm == true && Self.compileOutcome(reports.first) == "cached")
            #expect(await engine.runnerSnapshots().first { $0.id == first[1] }?.keepAlive == 45)
        }
    }
}
