import Foundation
import Isolated
import IsolatedCore
import IsolatedEngine
import Synchronization
import TestSupport
import Testing

@Suite("Timeouts, and nested calls that never outlive their caller", .serialized, .timeLimit(.minutes(15)))
struct DeadlineTests {
    /// The runners of `function` still alive, waiting up to 10 s for there to be none.
    static func survivors(of function: String, in engine: Engine) async throws -> [RunnerSnapshot] {
        try await engine.waitForRunners { runners in !runners.contains { $0.function.name == function } }
            .filter { $0.function.name == function }
    }

    @Test("a function spinning forever with timeout: 2 fails with timedOut naming the limit, and the next call is served")
    func spinningForeverTimesOut() async throws {
        try await TestEngine.with { engine in
            let error = try await #require(throws: IsolatedError.self) { try await spins(true) }
            #expect(error.code == .timedOut)
            #expect(error.message.contains("spins() at ") && error.message.contains("ran longer than its timeout of 2 s"), "\(error)")
            #expect(try await Self.survivors(of: "spins", in: engine).isEmpty, "the timed-out runner was not killed")
            #expect(try await spins(false).hasPrefix("r"))
        }
    }

    @Test("a nested call stops at its caller's deadline, and both fail with timedOut")
    func nestedCallEndsWithItsCallersDeadline() async throws {
        try await TestEngine.with { engine in
            let error = try await #require(throws: IsolatedError.self) { try await waitsForSleeperBriefly() }
            #expect(error.code == .timedOut, "\(error)")
            #expect(error.chain.first?.name == "waitsForSleeperBriefly")
            #expect(try await Self.survivors(of: "sleepsLong", in: engine).isEmpty, "the nested call outlived its caller's deadline")
        }
    }

    @Test("cancelling a caller cancels the nested calls it made: their runners stop too")
    func cancellingACallerCancelsItsNestedCalls() async throws {
        try await TestEngine.with { engine in
            let (sleeping, sleepingContinuation) = AsyncStream.makeStream(of: Void.self)
            let call = Task {
                try await Isolation.withEventHandler({ event in
                    if case .log(let line) = event, line.text.hasPrefix("sleeping in") { sleepingContinuation.yield() }
                }) {
                    try await waitsForSleeper()
                }
            }
            var iterator = sleeping.makeAsyncIterator()
            await iterator.next()
            #expect(await engine.runnerSnapshots().contains { $0.function.name == "sleepsLong" && $0.state == .busy })
            call.cancel()
            let error = try await #require(throws: IsolatedError.self) { try await call.value }
            #expect(error.code == .cancelled)
            let busy = try await engine.waitForRunners { runners in !runners.contains { $0.function.name == "sleepsLong" && $0.state == .busy } }
            #expect(!busy.contains { $0.function.name == "sleepsLong" && $0.state == .busy }, "the nested call kept running")
        }
    }

    @Test("a timeout below one second is refused as an invalid setting")
    func zeroTimeoutIsInvalid() async throws {
        let error = try await #require(throws: IsolatedError.self) { try await TestEngine.with { _ in try await zeroTimeout() } }
        #expect(error.code == .invalidSetting && error.message == "timeout must be 1 or more seconds, not 0")
    }
}
