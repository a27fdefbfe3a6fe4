import Foundation
import Isolated
import IsolatedCore
import IsolatedEngine
import TestSupport
import Testing

@Suite("minWarm keeps runners warm between calls", .serialized, .timeLimit(.minutes(15)))
struct WarmMinimumTests {
    static func idleWarm(_ runners: [RunnerSnapshot]) -> [RunnerSnapshot] {
        runners.filter { $0.function.name == "keptWarm" && $0.state == .idle }
    }

    @Test("minWarm: 2 keeps two runners past their keep-alive, replaces one that ends, and stops them with the engine")
    func twoRunnersStayWarm() async throws {
        let clock = ManualClock()
        let processes = try await TestEngine.with(clock: clock) { engine -> [Int32] in
            let first = try await keptWarm()
            // Generous waits: the second runner starts in the background, on a machine the rest of the suite keeps busy.
            let warm = Self.idleWarm(try await engine.waitForRunners(timeout: .seconds(60)) { Self.idleWarm($0).count == 2 })
            #expect(warm.count == 2 && warm.contains { $0.id == first })
            #expect(warm.allSatisfy { $0.keepAlive == 1 })

            // Far past their one-second keep-alive, both are still there.
            clock.advance(by: .seconds(5))
            try await Task.sleep(for: .milliseconds(300))
            clock.advance(by: .seconds(5))
            try await Task.sleep(for: .milliseconds(300))
            #expect(Set(Self.idleWarm(await engine.runnerSnapshots()).map(\.id)) == Set(warm.map(\.id)))

            // One ends: another takes its place.
            let victim = try #require(warm.first)
            kill(try #require(victim.processID), SIGKILL)
            let replaced = Self.idleWarm(
                try await engine.waitForRunners(timeout: .seconds(60)) { runners in
                    let idle = Self.idleWarm(runners)
                    return idle.count == 2 && !idle.contains { $0.id == victim.id }
                })
            #expect(replaced.count == 2 && !replaced.contains { $0.id == victim.id })
            #expect(try await keptWarm().hasPrefix("r"))
            return Self.idleWarm(await engine.runnerSnapshots()).compactMap(\.processID)
        }
        #expect(!processes.isEmpty)
        for process in processes { #expect(!processExists(process), "a warm runner outlived its engine") }
    }
}
