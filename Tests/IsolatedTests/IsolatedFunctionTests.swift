import Foundation
import Isolated
import IsolatedEngine
import TestSupport
import Testing

@Suite("Isolated functions, end to end through @Isolated", .serialized, .timeLimit(.minutes(15)))
struct IsolatedFunctionTests {
    @Test("a function with a requirement runs in a worker whose environment has it")
    func requirementOnlyInTheWorker() async throws {
        let (result, reports, environments) = try await TestEngine.with { engine in
            let (result, reports) = try await Isolation.withCallReports { try await chunked([1, 2, 3, 4, 5], size: 2) }
            return (result, reports, await engine.environments.summaries())
        }
        #expect(result == [[1, 2], [3, 4], [5]])
        let report = try #require(reports.first)
        let key = try #require(report.environmentKey, "the report names no environment")
        #expect(environments.contains { $0.key == key }, "\(key) is not among \(environments.map(\.key))")
        #expect(report.processID != ProcessInfo.processInfo.processIdentifier)
        #expect(report.phases.map(\.phase) == [.environment, .compile, .start, .run, .transfer])
    }

    @Test("two calls within the keep-alive reuse the worker, and the timer restarts at every call")
    func keepAliveReusesTheWorker() async throws {
        let clock = ManualClock()
        try await TestEngine.with(clock: clock) { engine in
            let (first, reports) = try await Isolation.withCallReports { try await warmRunnerID() }
            let process = try #require(reports.first?.processID)
            #expect(processExists(process))
            #expect(try await warmRunnerID() == first)
            clock.advance(by: .seconds(6))
            #expect(try await warmRunnerID() == first)
            // Ten seconds after the first call, but only five after the last: still warm.
            clock.advance(by: .seconds(5))
            #expect(try await warmRunnerID() == first)
            clock.advance(by: .seconds(11))
            let runners = try await engine.waitForRunners { $0.isEmpty }
            #expect(runners.isEmpty)
            #expect(!processExists(process))
            #expect(try await warmRunnerID() != first)
        }
    }

    @Test("with keepAlive: 0 every call gets a new worker, stopped right after")
    func keepAliveZero() async throws {
        try await TestEngine.with { engine in
            var seen = Set<String>()
            for _ in 0..<3 {
                seen.insert(try await oneShotRunnerID())
                #expect(try await engine.waitForRunners { $0.isEmpty }.isEmpty)
            }
            #expect(seen.count == 3)
        }
    }

    @Test("concurrent calls to one function run on separate workers")
    func concurrentCallsStartMoreRunners() async throws {
        try await TestEngine.with { _ in
            _ = try await sleepyRunnerID(milliseconds: 0)
            async let first = sleepyRunnerID(milliseconds: 500)
            async let second = sleepyRunnerID(milliseconds: 500)
            let (a, b) = try await (first, second)
            #expect(a != b)
        }
    }

    @Test("a body that does not compile fails with the compiler's error at the user's file and line")
    func compileErrorPointsAtTheUsersCode() async throws {
        let error = try await #require(throws: IsolatedError.self) {
            try await TestEngine.with { _ in try await doesNotCompile() }
        }
        #expect(error.code == .compilationFailed)
        let location = "\(#filePath.replacingOccurrences(of: "IsolatedFunctionTests.swift", with: "Functions.swift")):\(typeErrorLine):"
        #expect(error.message.contains(location))
        #expect(error.details.contains { $0.contains(location) && $0.contains("error:") })
        #expect(error.function?.name == "doesNotCompile")
    }

    @Test("an error the function throws arrives with its type name and message")
    func thrownErrorArrives() async throws {
        let error = try await #require(throws: IsolatedError.self) {
            try await TestEngine.with { _ in try await rejects("banana") }
        }
        #expect(error.code == .functionThrew)
        #expect(error.remote?.typeName == "ValidationError")
        #expect(error.remote?.message == "input 'banana' is not valid")
    }

    @Test("a LocalizedError the function throws arrives with its errorDescription as the message")
    func localizedErrorArrives() async throws {
        let error = try await #require(throws: IsolatedError.self) {
            try await TestEngine.with { _ in try await rejectsLocalized("scan.png") }
        }
        #expect(error.code == .functionThrew)
        #expect(error.remote?.typeName == "Unreadable")
        #expect(error.remote?.message == "'scan.png' cannot be read")
    }

    @Test("a crash is reported with its signal and last output, and the next call gets a fresh worker")
    func crashIsReportedAndRecovered() async throws {
        try await TestEngine.with { _ in
            let healthy = try await crashes(false)
            let error = try await #require(throws: IsolatedError.self) { try await crashes(true) }
            #expect(error.code == .runnerCrashed)
            #expect(error.message.contains("signal"))
            #expect(error.logTail.contains("about to crash"))
            #expect(error.logTail.contains { $0.contains("deliberate crash") })
            let next = try await crashes(false)
            #expect(next != healthy)
        }
    }

    @Test("a worker that stops answering is detected and killed")
    func unresponsiveRunnerIsDetected() async throws {
        let error = try await #require(throws: IsolatedError.self) {
            try await TestEngine.with(configure: {
                $0.heartbeatInterval = .milliseconds(100)
                $0.heartbeatTimeout = .milliseconds(500)
            }) { _ in try await stopsAnswering() }
        }
        #expect(error.code == .runnerUnresponsive)
    }

    @Test("a function that computes without suspending for longer than the heartbeat timeout still answers heartbeats")
    func longComputationAnswersHeartbeats() async throws {
        let result = try await TestEngine.with(configure: {
            $0.heartbeatInterval = .milliseconds(100)
            $0.heartbeatTimeout = .seconds(1)
        }) { _ in try await computes(milliseconds: 3000) }
        #expect(result == 3000)
    }

    @Test("a malformed requirement is an error that quotes it")
    func malformedRequirement() async throws {
        let error = try await #require(throws: IsolatedError.self) {
            try await TestEngine.with { _ in try await IsolatedTests.malformedRequirement() }
        }
        #expect(error.code == .invalidRequirement)
        #expect(error.message.contains("\"apple/swift-algorithms\""))
    }

    @Test("an unknown machine type is an error that lists the available ones")
    func unknownMachineType() async throws {
        let error = try await #require(throws: IsolatedError.self) {
            try await TestEngine.with { _ in try await IsolatedTests.unknownMachineType() }
        }
        #expect(error.code == .noSuchMachineType)
        #expect(error.message.contains("XXL") && error.message.contains("XS, S, M, L, XL, GPU"))
    }

    @Test("a requirement that cannot be resolved fails the environment build, naming it, and is not cached")
    func missingPackage() async throws {
        for _ in 0..<2 {
            let error = try await #require(throws: IsolatedError.self) {
                try await TestEngine.with { _ in try await IsolatedTests.missingPackage() }
            }
            #expect(error.code == .environmentBuildFailed)
            #expect(error.message.contains("apple/swift-no-such-package@1.0.0"))
            #expect(!error.details.isEmpty)
        }
    }

    @Test("a function version compiled by one engine is found on disk by the next, not compiled again")
    func compiledVersionsAreReused() async throws {
        _ = try await TestEngine.with { _ in try await warmRunnerID() }
        let (_, reports) = try await TestEngine.with { _ in try await Isolation.withCallReports { try await warmRunnerID() } }
        #expect(reports.first?.phases.first { $0.phase == .compile }?.outcome == "cached")
    }

    @Test("two engines on one home compiling the same new version at once both call it, and only one compiles it")
    func concurrentCompilesShareOneBuild() async throws {
        let functions = "\(TestEngine.home)/functions"
        for name in (try? FileManager.default.contentsOfDirectory(atPath: functions)) ?? [] {
            let record = FileManager.default.contents(atPath: "\(functions)/\(name)/function.json") ?? Data()
            if String(decoding: record, as: UTF8.self).contains("compiledByOneEngine") {
                try FileManager.default.removeItem(atPath: "\(functions)/\(name)")
            }
        }
        async let first = TestEngine.with { _ in try await Isolation.withCallReports { try await compiledByOneEngine() } }
        async let second = TestEngine.with { _ in try await Isolation.withCallReports { try await compiledByOneEngine() } }
        let calls = try await [first, second]
        #expect(calls.map(\.0) == ["compiled once", "compiled once"])
        let compiles = calls.compactMap { $0.1.first?.phases.first { $0.phase == .compile }?.outcome }
        #expect(compiles.sorted() == ["cached", "compiled"])
    }

    @Test("a function without a result can be called")
    func voidFunction() async throws {
        try await TestEngine.with { _ in try await noResult("hello from a void function") }
    }
}
