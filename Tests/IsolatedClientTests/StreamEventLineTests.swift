import Foundation
import IsolatedClient
import IsolatedCore
import Testing

@Suite("A stream event's line, written by hand")
struct StreamEventLineTests {
    static let awkward = "quote \" backslash \\ newline \n tab \t return \r nul \u{0} bell \u{7} unit \u{1f} naïve ✓ 🦉 / end"

    static let events: [StreamEvent] = {
        let function = FunctionReference(name: awkward, file: "Sources/App/Images.swift", line: 12)
        var full = CallReport(callID: .max, function: function, runnerID: "runner-7", processID: -3, warm: true)
        full.node = "node-1"
        full.environmentKey = "3f2a"
        full.phases = [
            CallReport.Timing(phase: .environment, duration: .zero, outcome: "cached"),
            CallReport.Timing(phase: .run, duration: .microseconds(82)),
            CallReport.Timing(phase: .queue, duration: .seconds(1234.5)),
            CallReport.Timing(phase: .start, duration: .nanoseconds(1)),
        ]
        return [
            .invocation(id: "0b9c5e2a-1f"),
            .invocation(id: awkward),
            .event(.phaseStarted(.run, detail: nil)),
            .event(.phaseStarted(.environment, detail: awkward)),
            .event(.phaseFinished(CallReport.Timing(phase: .run, duration: .microseconds(110)))),
            .event(.phaseFinished(CallReport.Timing(phase: .compile, duration: .milliseconds(2400), outcome: "compiled"))),
            .event(.log(LogLine(callID: 7, function: "thumbnail", stream: .stderr, text: awkward))),
            .event(.log(LogLine(callID: 0, function: "", stream: .stdout, text: ""))),
            .resultBytes(count: 0, report: CallReport(callID: 1, function: FunctionReference(name: "f", file: "F.swift", line: 1))),
            .resultBytes(count: 1 << 40, report: full),
            .event(.progress(.environment, awkward)),
            .result(payload: Data([0, 1, 2]), report: full),
            .error(IsolatedError(code: .functionThrew, message: awkward)),
        ]
    }()

    @Test("every event's line decodes to what JSONEncoder's line decodes to, control characters and all", arguments: events)
    func sameAsCodable(_ event: StreamEvent) throws {
        let line = try event.line()
        #expect(!line.contains(UInt8(ascii: "\n")))
        let decoded = try JSONDecoder().decode(StreamEvent.self, from: Data(line))
        let viaCodable = try JSONDecoder().decode(StreamEvent.self, from: try JSONEncoder().encode(event))
        #expect(decoded == viaCodable, "\(String(decoding: line, as: UTF8.self))")
        // The same object, key for key: nothing added or left out.
        let object = try JSONSerialization.jsonObject(with: Data(line)) as? NSDictionary
        let codableObject = try JSONSerialization.jsonObject(with: try JSONEncoder().encode(event)) as? NSDictionary
        #expect(object == codableObject, "\(String(decoding: line, as: UTF8.self))")
    }

    @Test("phases as the store keeps them decode as JSONEncoder's phases do, none as an empty array")
    func phasesAsStored() throws {
        let phases = [
            CallReport.Timing(phase: .environment, duration: .zero, outcome: Self.awkward),
            CallReport.Timing(phase: .run, duration: .microseconds(82)),
        ]
        for value in [phases, []] {
            let written = CallReport.Timing.json(value)
            let decoded = try JSONDecoder().decode([CallReport.Timing].self, from: Data(written.utf8))
            #expect(decoded == (try JSONDecoder().decode([CallReport.Timing].self, from: try JSONEncoder().encode(value))), "\(written)")
        }
        #expect(CallReport.Timing.json([]) == "[]")
    }
}
