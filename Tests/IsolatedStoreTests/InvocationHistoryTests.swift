import Foundation
import IsolatedCore
import IsolatedStore
import SQLiteNIO
import Testing

@Suite("Invocation history")
struct InvocationHistoryTests {
    static let start = Date(timeIntervalSince1970: 1_700_000_000)

    static func record(_ id: String, function: String = "resize", startedAt: Date = start) -> InvocationRecord {
        InvocationRecord(
            id: id,
            function: FunctionReference(name: function, file: "Sources/App/Images.swift", line: 12),
            machineType: "S",
            keyID: "0123456789ab",
            startedAt: startedAt
        )
    }

    @Test("records and their output survive closing and reopening the store")
    func survivesRestart() async throws {
        try await StoreFixture.withFixture { fixture in
            let phases = [
                CallReport.Timing(phase: .environment, duration: .milliseconds(3), outcome: "cached"),
                CallReport.Timing(phase: .run, duration: .microseconds(1500)),
            ]
            let failure = IsolatedError(code: .functionThrew, message: "the image is empty", details: ["a detail"])
            let store = try await fixture.open()
            try await store.recordStarted(Self.record("a"))
            try await store.appendLogs(id: "a", "resizing\n")
            try await store.appendLogs(id: "a", "naïve ✓ done\n")
            try await store.recordFinished(
                id: "a", endedAt: Self.start + 2, outcome: .failed, phases: phases, warm: true, runnerID: "runner-7",
                environmentKey: "env-1", error: failure
            )
            try await store.close()

            let reopened = try await fixture.open()
            let record = try #require(await reopened.invocation(id: "a"))
            #expect(record.function == FunctionReference(name: "resize", file: "Sources/App/Images.swift", line: 12))
            #expect(record.machineType == "S" && record.keyID == "0123456789ab" && record.runnerID == "runner-7")
            #expect(record.environmentKey == "env-1" && record.warm)
            #expect(record.startedAt == Self.start && record.endedAt == Self.start + 2)
            #expect(record.outcome == .failed && record.phases == phases)
            #expect(record.error?.code == .functionThrew && record.error?.message == "the image is empty" && record.error?.details == ["a detail"])
            #expect(record.logBytes == "resizing\nnaïve ✓ done\n".utf8.count && !record.logsTruncated)
            #expect(try await reopened.logs(id: "a") == "resizing\nnaïve ✓ done\n")
            try await reopened.close()
        }
    }

    @Test("invocations left running become interrupted when the server's store reopens")
    func runningBecomesInterrupted() async throws {
        try await StoreFixture.withFixture { fixture in
            let store = try await fixture.open()
            try await store.recordStarted(Self.record("running"))
            try await store.recordStarted(Self.record("done"))
            try await store.recordFinished(
                id: "done", endedAt: Self.start + 1, outcome: .succeeded, phases: [], warm: false, runnerID: nil, environmentKey: nil, error: nil
            )
            try await store.close()

            // A tool opening the file beside a live server must leave its calls alone.
            let tool = try await fixture.open(StoreConfiguration(interruptsRunningInvocations: false))
            #expect(try await tool.invocation(id: "running")?.outcome == .running)
            try await tool.close()

            let server = try await fixture.open()
            let interrupted = try #require(await server.invocation(id: "running"))
            #expect(interrupted.outcome == .interrupted && interrupted.endedAt == nil)
            #expect(interrupted.error?.code == .interrupted)
            #expect(interrupted.error?.message.contains("server stopped during the call") == true)
            let done = try #require(await server.invocation(id: "done"))
            #expect(done.outcome == .succeeded && done.error == nil)
            try await server.close()
        }
    }

    @Test("queued endings are seen by the next read, written together past an unknown id, and written when the store closes")
    func queuedEndings() async throws {
        try await StoreFixture.withFixture { fixture in
            let store = try await fixture.open()
            for id in ["a", "b", "c"] { try await store.recordStarted(Self.record(id)) }
            let failure = IsolatedError(code: .functionThrew, message: "the image is empty")
            let report = CallReport(callID: 1, function: FunctionReference(name: "resize", file: "Sources/App/Images.swift", line: 12), warm: true)
            await store.queueEnding(InvocationEnding(id: "a", report: report, error: nil, logs: "resized\n"))
            await store.queueEnding(InvocationEnding(id: "nobody", outcome: .succeeded))
            await store.queueEnding(InvocationEnding(id: "b", report: nil, error: failure, logs: ""))

            let a = try #require(await store.invocation(id: "a"))
            #expect(a.outcome == .succeeded && a.warm && a.endedAt != nil && a.logBytes == "resized\n".utf8.count)
            #expect(try await store.logs(id: "a") == "resized\n")
            let b = try #require(await store.invocation(id: "b"))
            #expect(b.outcome == .failed && b.error?.message == "the image is empty")
            #expect(try await store.invocation(id: "nobody") == nil)

            await store.queueEnding(InvocationEnding(id: "c", outcome: .succeeded))
            try await store.close()
            let reopened = try await fixture.open()
            #expect(try await reopened.invocation(id: "c")?.outcome == .succeeded)
            await reopened.writeQueuedEndings()
            try await reopened.close()
        }
    }

    @Test("output past the configured size is dropped, keeping the start, and the record says so")
    func logsAreTruncated() async throws {
        try await StoreFixture.withFixture { fixture in
            let store = try await fixture.open(StoreConfiguration(maxLogBytes: 10))
            try await store.recordStarted(Self.record("a"))
            try await store.appendLogs(id: "a", "12345")
            try await store.appendLogs(id: "a", "67890")
            #expect(try await store.invocation(id: "a")?.logsTruncated == false)
            try await store.appendLogs(id: "a", "x")
            try await store.appendLogs(id: "a", "more")
            #expect(try await store.logs(id: "a") == "1234567890")
            let record = try #require(await store.invocation(id: "a"))
            #expect(record.logsTruncated && record.logBytes == 10)

            // A cut never splits a character's UTF-8 bytes: "€" is three.
            try await store.recordStarted(Self.record("b"))
            try await store.appendLogs(id: "b", "12345678€")
            #expect(try await store.logs(id: "b") == "12345678")
            #expect(try await store.invocation(id: "b")?.logsTruncated == true)
            try await store.close()
        }
    }

    @Test("concurrent appends to one invocation are all kept")
    func concurrentAppends() async throws {
        try await StoreFixture.withFixture { fixture in
            let store = try await fixture.open()
            try await store.recordStarted(Self.record("a"))
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<40 { group.addTask { try await store.appendLogs(id: "a", "line \(index)\n") } }
                try await group.waitForAll()
            }
            let logs = try #require(await store.logs(id: "a"))
            #expect(Set(logs.split(separator: "\n")) == Set((0..<40).map { "line \($0)" }))
            #expect(try await store.invocation(id: "a")?.logBytes == logs.utf8.count)
            try await store.close()
        }
    }

    @Test("listing is newest first, limited, and filtered by function name")
    func listing() async throws {
        try await StoreFixture.withFixture { fixture in
            let store = try await fixture.open()
            try await store.recordStarted(Self.record("b", function: "thumbnail", startedAt: Self.start + 1))
            try await store.recordStarted(Self.record("a", startedAt: Self.start))
            try await store.recordStarted(Self.record("c", startedAt: Self.start + 2))
            #expect(try await store.invocations().map(\.id) == ["c", "b", "a"])
            #expect(try await store.invocations(limit: 2).map(\.id) == ["c", "b"])
            #expect(try await store.invocations(function: "resize").map(\.id) == ["c", "a"])
            #expect(try await store.invocations(function: "nothing").isEmpty)
            try await store.close()
        }
    }

    @Test("pruning deletes finished invocations older than the cutoff, with their output, and keeps running ones")
    func pruning() async throws {
        try await StoreFixture.withFixture { fixture in
            let store = try await fixture.open()
            for (id, offset) in [("old", 0.0), ("old-running", 0), ("new", 100)] {
                try await store.recordStarted(Self.record(id, startedAt: Self.start + offset))
                try await store.appendLogs(id: id, "output of \(id)")
                if id != "old-running" {
                    try await store.recordFinished(
                        id: id, endedAt: Self.start + offset + 1, outcome: .succeeded, phases: [], warm: false, runnerID: nil,
                        environmentKey: nil, error: nil
                    )
                }
            }
            #expect(try await store.deleteInvocations(olderThan: Self.start + 50) == 1)
            #expect(try await store.invocations().map(\.id) == ["new", "old-running"])
            #expect(try await store.logs(id: "old") == nil)
            #expect(try await store.logs(id: "old-running") == "output of old-running")
            let chunks = try await fixture.query("SELECT invocation_id FROM invocation_logs ORDER BY invocation_id")
            #expect(chunks.map { $0.column("invocation_id")?.string } == ["new", "old-running"])
            try await store.close()
        }
    }

    @Test("an unknown invocation is nil to read and an error naming it to update; a reused id is an error")
    func unknownAndDuplicateIDs() async throws {
        try await StoreFixture.withFixture { fixture in
            let store = try await fixture.open()
            #expect(try await store.invocation(id: "nope") == nil)
            #expect(try await store.logs(id: "nope") == nil)
            let append = await #expect(throws: IsolatedError.self) { try await store.appendLogs(id: "nope", "text") }
            #expect(append?.code == .notFound && append?.message.contains("no invocation with id nope in the store at \(fixture.path)") == true)
            let finish = await #expect(throws: IsolatedError.self) {
                try await store.recordFinished(
                    id: "nope", endedAt: Self.start, outcome: .cancelled, phases: [], warm: false, runnerID: nil, environmentKey: nil, error: nil
                )
            }
            #expect(finish?.code == .notFound)

            try await store.recordStarted(Self.record("a"))
            let duplicate = await #expect(throws: IsolatedError.self) { try await store.recordStarted(Self.record("a")) }
            #expect(duplicate?.message.contains("already has an invocation with id a") == true)
            try await store.close()
        }
    }

    @Test("starts made at once are each recorded or refused on their own, and a reused id among them is refused once")
    func concurrentStarts() async throws {
        try await StoreFixture.withFixture { fixture in
            let store = try await fixture.open()
            try await store.recordStarted(Self.record("a"))
            // More than one statement's worth, so a group is split; "twin" twice and "a" again must each fail alone.
            let ids = (0..<300).map { "c\($0)" } + ["twin", "twin", "a"]
            let outcomes = await withTaskGroup(of: (String, IsolatedError?).self) { group in
                for id in ids {
                    group.addTask {
                        do throws(IsolatedError) {
                            try await store.recordStarted(Self.record(id))
                            return (id, nil)
                        } catch {
                            return (id, error)
                        }
                    }
                }
                var outcomes: [(String, IsolatedError?)] = []
                for await outcome in group { outcomes.append(outcome) }
                return outcomes
            }
            let failed = outcomes.filter { $0.1 != nil }
            #expect(failed.map(\.0).sorted() == ["a", "twin"])
            #expect(failed.allSatisfy { $0.1?.message.contains("already has an invocation with id \($0.0)") == true })
            #expect(try await store.invocations(limit: 1000).count == 302)
            try await store.close()
        }
    }

    @Test("starts waiting when the store closes fail, saying it is closed, instead of waiting forever", .timeLimit(.minutes(1)))
    func startsWaitingOnClose() async throws {
        try await StoreFixture.withFixture { fixture in
            let store = try await fixture.open()
            let errors = await withTaskGroup(of: IsolatedError?.self) { group in
                for index in 0..<50 {
                    group.addTask {
                        do throws(IsolatedError) {
                            try await store.recordStarted(Self.record("s\(index)"))
                            return nil
                        } catch {
                            return error
                        }
                    }
                }
                group.addTask {
                    try? await store.close()
                    return nil
                }
                var errors: [IsolatedError] = []
                for await error in group { if let error { errors.append(error) } }
                return errors
            }
            #expect(errors.allSatisfy { $0.code == .storageFailed && $0.message.contains("is closed") })
            let reopened = try await fixture.open()
            #expect(try await reopened.invocations(limit: 100).count == 50 - errors.count)
            try await reopened.close()
        }
    }
}
