import Foundation
import Isolated
import IsolatedEngine
import Synchronization
import TestSupport
import Testing

@Suite("Retries after the machinery fails", .serialized, .timeLimit(.minutes(15)))
struct RetryTests {
    @Test("a call whose first runner is killed succeeds with retries: 1 on a new runner, and its report shows two attempts")
    func retriedOnANewRunner() async throws {
        try await TestEngine.with { engine in
            let started = Mutex<[String]>([])
            let (attempts, attemptContinuation) = AsyncStream.makeStream(of: String.self)
            let call = Task {
                try await Isolation.withEventHandler({ event in
                    if case .log(let line) = event, line.text.hasPrefix("attempt in ") {
                        started.withLock { $0.append(String(line.text.dropFirst(11))) }
                        attemptContinuation.yield(String(line.text.dropFirst(11)))
                    }
                }) {
                    try await Isolation.withCallReports { try await survivesOneCrash() }
                }
            }
            var iterator = attempts.makeAsyncIterator()
            let first = try #require(await iterator.next())
            // The machinery fails: the runner's process is killed from outside, mid-call.
            let process = try #require(await engine.runnerSnapshots().first { $0.id == first }?.processID)
            kill(process, SIGKILL)
            let (runner, reports) = try await call.value
            #expect(runner != first)
            #expect(started.withLock { $0 } == [first, runner])
            let report = try #require(reports.first)
            #expect(report.attempts == 2)
            #expect(report.phases.first { $0.phase == .retry }?.outcome == "runnerCrashed")
            #expect(report.runnerID == runner)
        }
    }

    @Test("an error the function throws is never retried")
    func thrownErrorsAreNotRetried() async throws {
        let error = try await #require(throws: IsolatedError.self) { try await TestEngine.with { _ in try await throwsDespiteRetries() } }
        #expect(error.code == .functionThrew)
        #expect(error.report?.attempts == 1)
    }
}
