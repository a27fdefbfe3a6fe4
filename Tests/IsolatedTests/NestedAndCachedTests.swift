import Foundation
import Isolated
import IsolatedEngine
import Synchronization
import TestSupport
import Testing

@Suite("@Cached, @Shippable and nested isolated calls", .serialized, .timeLimit(.minutes(15)))
struct NestedAndCachedTests {
    @Test("a cached body runs once per worker across warm calls, and again in a new worker")
    func cachedOncePerWorker() async throws {
        let clock = ManualClock()
        try await TestEngine.with(clock: clock) { engine in
            let first = try await cachedValue(7)
            #expect(first[0] == "70" && first[1] == "1")
            let second = try await cachedValue(7)
            let third = try await cachedValue(7)
            #expect(second == first && third == first)
            // Other arguments are another entry of the same memo.
            let other = try await cachedValue(8)
            #expect(other[0] == "80" && other[1] == "2" && other[2] == first[2])

            clock.advance(by: .seconds(31))
            _ = try await engine.waitForRunners { $0.isEmpty }
            let fresh = try await cachedValue(7)
            #expect(fresh[2] != first[2])
            #expect(fresh[0] == "70" && fresh[1] == "1")
        }
    }

    @Test("concurrent first calls of a cached function compute it once")
    func cachedConcurrentFirstCalls() async throws {
        let result = try await TestEngine.with { _ in try await cachedConcurrently(3) }
        #expect(result == [30, 30, 1])
    }

    @Test("a cached function's thrown error is not memoized")
    func cachedErrorsAreNotKept() async throws {
        try await TestEngine.with { _ in
            let error = try await #require(throws: IsolatedError.self) { try await retriesCached() }
            #expect(error.code == .functionThrew)
            #expect(try await retriesCached() == 42)
        }
    }

    @Test("a cached function called outside a worker says where it runs")
    func cachedOnHost() async throws {
        let error = try await #require(throws: IsolatedError.self) { _ = try await expensiveValue(1) }
        #expect(error.code == .notInWorker)
    }

    @Test("shipped types and helpers can be used in the signature and the body")
    func shippedTypeAndHelper() async throws {
        let result = try await TestEngine.with { _ in try await mirrorAndDouble(Point(x: 1, y: 5)) }
        #expect(result == Point(x: 10, y: 2))
    }

    @Test("an outer function calls an inner one twice; the inner calls run on their own warm runner and machine type")
    func nestedCalls() async throws {
        try await TestEngine.with { engine in
            let lines = Mutex<[LogLine]>([])
            let outer: IsolatedFunction = _isolatedShipped(outerAndInnerRunnerIDs: ())
            let request = InvocationRequest(
                function: outer.source,
                requirements: outer.requirements,
                machineType: outer.machineType,
                keepAlive: outer.keepAlive,
                arguments: []
            )
            let result = try await engine.invoke(request) { event in
                if case .log(let line) = event { lines.withLock { $0.append(line) } }
            }
            let runnerIDs = try PayloadCoding.decode([String].self, from: result.payload)
            #expect(runnerIDs[0] != runnerIDs[1])
            #expect(runnerIDs[1] == runnerIDs[2])
            let runners = await engine.runnerSnapshots()
            #expect(runners.first { $0.id == runnerIDs[0] }?.machineType == "XS")
            #expect(runners.first { $0.id == runnerIDs[1] }?.machineType == "S")
            // The inner calls' output reaches the top-level caller, attributed to the inner calls.
            let inner = lines.withLock { $0 }.filter { $0.function == "innerRunnerID" }
            #expect(inner.map(\.text) == ["inner call one", "inner call two"])
            #expect(Set(inner.map(\.callID)).count == 2 && !inner.contains { $0.callID == result.report.callID })
        }
    }

    @Test("user types named Runner, Shipping, NestedFunction and CachedFunctions break neither the host's nor the worker's generated code")
    func userTypesNamedLikeGeneratedOnes() async throws {
        let result = try await TestEngine.with { _ in try await clashOuter(Runner(name: "ada")) }
        #expect(result == "ada: fee 42, depth 2, cached")
    }

    @Test("an inner function's error reaches the top with the chain of functions it passed through")
    func nestedErrorChain() async throws {
        let error = try await #require(throws: IsolatedError.self) {
            try await TestEngine.with { _ in try await outerCallsFailing() }
        }
        #expect(error.code == .functionThrew)
        #expect(error.remote?.message == "inner rejected 'pear'")
        #expect(error.chain.map(\.name) == ["outerCallsFailing", "innerFails"])
        #expect(error.description.contains("outerCallsFailing() → innerFails()"))
    }

    // At the default limit, 8 runners of XS (half a CPU each) are more than a 2-core machine
    // holds: this also shows that runners waiting on a nested call hold no CPU, so recursion
    // cannot deadlock on capacity.
    @Test("a self-recursive isolated function stops at the default depth limit with a clear error")
    func recursionStopsAtTheDepthLimit() async throws {
        let error = try await #require(throws: IsolatedError.self) {
            try await TestEngine.with { _ in try await recursesForever(0) }
        }
        #expect(error.code == .nestingTooDeep)
        #expect(error.message.contains(Array(repeating: "recursesForever()", count: 9).joined(separator: " → ")))
        #expect(error.message.contains("limit of 8"))
        #expect(error.chain.count == 9)
    }
}
