import Foundation
import IsolatedClient
import IsolatedCore
import IsolatedServer
import TestSupport
import Testing

@Suite("A call's response stream: progress batched, the outcome at once")
struct CallOutputTests {
    static func lines(_ chunk: ArraySlice<UInt8>?) -> [String] {
        String(decoding: chunk ?? [], as: UTF8.self).split(separator: "\n").map(String.init)
    }

    @Test("progress waits out the batching delay, then goes out in one chunk; the stream ends after the outcome")
    func progressWaitsForTheDelay() async throws {
        let clock = ManualClock()
        let batcher = EventBatcher(delay: .milliseconds(2), clock: clock)
        let output = CallOutput(batcher: batcher)
        await withDiscardingTaskGroup { group in
            group.addTask { await batcher.run() }
            output.write(.invocation(id: "a"))
            output.write(.event(.phaseStarted(.run, detail: nil)))
            var chunks = output.makeAsyncIterator()
            let reading = Task { await chunks.next() }
            await clock.waitForSleepers()
            clock.advance(by: .milliseconds(1))
            clock.advance(by: .milliseconds(1))
            let first = await reading.value
            #expect(Self.lines(first).count == 2 && Self.lines(first)[0].contains(#""invocation""#), "\(Self.lines(first))")
            output.write(.error(IsolatedError(code: .functionThrew, message: "no")))
            output.finish()
            var rest = output.makeAsyncIterator()
            #expect(Self.lines(await rest.next()).first?.contains(#""error""#) == true)
            #expect(await rest.next() == nil)
            group.cancelAll()
        }
    }

    @Test("the outcome goes out at once, with the progress waiting before it, without the clock moving")
    func outcomeGoesOutAtOnce() async {
        let clock = ManualClock()
        let batcher = EventBatcher(delay: .seconds(60), clock: clock)
        let output = CallOutput(batcher: batcher)
        await withDiscardingTaskGroup { group in
            group.addTask { await batcher.run() }
            output.write(.invocation(id: "a"))
            output.write(.event(.phaseStarted(.run, detail: nil)))
            output.write(
                .resultBytes(count: 2, report: CallReport(callID: 1, function: FunctionReference(name: "f", file: "F.swift", line: 1))), then: [1, 2])
            var chunks = output.makeAsyncIterator()
            let chunk = await chunks.next()
            #expect(chunk?.count ?? 0 > 3 && chunk?.suffix(3) == [UInt8(ascii: "\n"), 1, 2])
            #expect(Self.lines(chunk?.dropLast(2)).count == 3)
            output.finish()
            #expect(await chunks.next() == nil)
            group.cancelAll()
        }
    }

    @Test("one batcher sends the progress of every running call with one timer, and sleeps on none while no event waits")
    func oneTimerForEveryCall() async {
        let clock = ManualClock()
        let batcher = EventBatcher(delay: .milliseconds(2), clock: clock)
        await withDiscardingTaskGroup { group in
            group.addTask { await batcher.run() }
            let outputs = (0..<3).map { _ in CallOutput(batcher: batcher) }
            for (index, output) in outputs.enumerated() { output.write(.invocation(id: "\(index)")) }
            await clock.waitForSleepers()
            #expect(clock.sleepers == 1)
            let readers = outputs.map { output in
                Task {
                    var chunks = output.makeAsyncIterator()
                    return Self.lines(await chunks.next())
                }
            }
            clock.advance(by: .milliseconds(2))
            for (index, reader) in readers.enumerated() { #expect(await reader.value.first?.contains(#""\#(index)""#) == true) }
            #expect(clock.sleepers == 0)
            for output in outputs { output.finish() }
            group.cancelAll()
        }
    }

    @Test("a large result goes out in slices of the caller's array, each whole, after its line")
    func largeResultsInSlices() async {
        let output = CallOutput()
        let payload = [UInt8](repeating: 7, count: 3 << 20)
        output.write(bytes: payload[...])
        output.finish()
        var sizes: [Int] = []
        for await chunk in output { sizes.append(chunk.count) }
        #expect(sizes == [1 << 20, 1 << 20, 1 << 20])
    }

    @Test("once the reader is cancelled (the client went away), the stream ends and writes are dropped")
    func cancelledReaderEndsTheStream() async {
        let output = CallOutput()
        let reader = Task {
            var chunks = output.makeAsyncIterator()
            return await chunks.next()
        }
        reader.cancel()
        #expect(await reader.value == nil)
        output.write(.error(IsolatedError(code: .functionThrew, message: "no")))
        var chunks = output.makeAsyncIterator()
        #expect(await chunks.next() == nil)
    }

    @Test("a call that ends before its first event is due is one whole response; one still running streams from its start")
    func wholeWhenEndedInTime() async throws {
        let clock = ManualClock()
        let report = CallReport(callID: 1, function: FunctionReference(name: "f", file: "F.swift", line: 1))
        let ended = CallOutput()
        ended.write(.invocation(id: "a"))
        ended.write(.event(.phaseStarted(.run, detail: nil)))
        ended.finish(with: .resultBytes(count: 2, report: report), then: [1, 2])
        let whole = try #require(await ended.whole(upTo: 1 << 20))
        #expect(whole.suffix(3) == [UInt8(ascii: "\n"), 1, 2] && Self.lines(whole.dropLast(2)[...]).count == 3)
        var rest = ended.makeAsyncIterator()
        #expect(await rest.next() == nil)

        let batcher = EventBatcher(delay: .milliseconds(2), clock: clock)
        let running = CallOutput(batcher: batcher)
        await withDiscardingTaskGroup { group in
            group.addTask { await batcher.run() }
            running.write(.invocation(id: "b"))
            let waiting = Task { await running.whole(upTo: 1 << 20) }
            await clock.waitForSleepers()
            clock.advance(by: .milliseconds(2))
            #expect(await waiting.value == nil)
            running.finish(with: .error(IsolatedError(code: .functionThrew, message: "no")))
            var chunks = running.makeAsyncIterator()
            #expect(Self.lines(await chunks.next()).map { $0.contains(#""invocation""#) || $0.contains(#""error""#) } == [true, true])
            #expect(await chunks.next() == nil)
            group.cancelAll()
        }
    }

    @Test("a response longer than the limit is not held whole, even when the call has ended")
    func longResponseStreams() async {
        let output = CallOutput()
        output.write(.invocation(id: "a"))
        output.write(bytes: [UInt8](repeating: 7, count: 100)[...])
        output.finish()
        #expect(await output.whole(upTo: 64) == nil)
        var total = 0
        for await chunk in output { total += chunk.count }
        #expect(total > 100)
    }
}
