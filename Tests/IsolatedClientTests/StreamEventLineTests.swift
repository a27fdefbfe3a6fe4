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

    @Test("a line written by hand is read by hand as JSONDecoder reads it; a base64 result and an error are left to JSONDecoder", arguments: events)
    func readByHand(_ event: StreamEvent) throws {
        let line = try event.line()
        let read = StreamEvent(writtenLine: line)
        switch event {
        case .result, .error: #expect(read == nil)
        default: #expect(read == (try JSONDecoder().decode(StreamEvent.self, from: Data(line))), "\(String(decoding: line, as: UTF8.self))")
        }
    }

    @Test("whitespace between tokens and keys in another order read the same")
    func whitespaceAndOrder() throws {
        let report = try #require(Self.events.compactMap { if case .resultBytes(_, let report) = $0 { report } else { nil } }.last)
        for event in Self.events where StreamEvent(writtenLine: try event.line()) != nil {
            let spaced = Self.spaced(try event.line())
            let decoded = try JSONDecoder().decode(StreamEvent.self, from: Data(try event.line()))
            #expect(StreamEvent(writtenLine: spaced) == decoded, "\(String(decoding: spaced, as: UTF8.self))")
        }
        let written = String(decoding: try StreamEvent.resultBytes(count: 3, report: report).line(), as: UTF8.self)
        let reportObject = written.split(separator: #""report":"#, maxSplits: 1)[1].dropLast()
        let reordered = #"{"report":"# + reportObject + #","payloadBytes":3,"type":"result"}"#
        let read = try #require(StreamEvent(writtenLine: Array(reordered.utf8)))
        #expect(read == (try JSONDecoder().decode(StreamEvent.self, from: Data(reordered.utf8))))
    }

    @Test(
        "a key twice (its first value kept) and an unknown key read by hand as JSONDecoder reads them",
        arguments: [
            #"{"type":"invocation","id":"a","id":"b"}"#,
            #"{"type":"invocation","id":"a","extra":[1,{"x":null}]}"#,
            #"{"type":"phaseFinished","phase":"run","seconds":0.5,"seconds":"x"}"#,
            #"{"type":"result","payloadBytes":1,"report":{"callID":1,"function":{"name":"f","file":"F","line":1,"line":"x"},"warm":true,"phases":[],"phases":7}}"#,
        ])
    func readAsJSONDecoderReads(_ line: String) throws {
        let read = try #require(StreamEvent(writtenLine: Array(line.utf8)))
        #expect(read == (try JSONDecoder().decode(StreamEvent.self, from: Data(line.utf8))))
    }

    @Test(
        "a line outside what the hand reader reads is left to JSONDecoder",
        arguments: [
            #"{"type":"invocation","id":null}"#,
            #"{"type":"phaseStarted","phase":"run","detail":null}"#,
            #"{"type":"invocation","id":"a","seconds":"x"}"#,
            #"{"type":"invocation","id":"a"} x"#,
            #"{"type":"invocation","id":"a""#,
            #"{"type":"invocation","id":"\ud800"}"#,
            #"{"type":"invocation","id":"\x"}"#,
            "{\"type\":\"invocation\",\"id\":\"tab\there\"}",
            #"{"type":"log","callID":01,"function":"f","stream":"stdout","text":""}"#,
            #"{"type":"log","callID":1.0,"function":"f","stream":"stdout","text":""}"#,
            #"{"type":"log","callID":-1,"function":"f","stream":"stdout","text":""}"#,
            #"{"type":"log","callID":18446744073709551616,"function":"f","stream":"stdout","text":""}"#,
            #"{"type":"log","callID":1,"function":"f","stream":"stdin","text":""}"#,
            #"{"type":"phaseFinished","phase":"run","seconds":1e400}"#,
            #"{"type":"phaseFinished","phase":"run","seconds":1e300}"#,
            #"{"type":"phaseFinished","phase":"run","seconds":-1}"#,
            #"{"type":"phaseFinished","phase":"run","seconds":.5}"#,
            #"{"type":"phaseFinished","phase":"run","seconds":1.}"#,
            #"{"type":"phaseFinished","phase":"run","seconds":0.00e1}"#,
            #"{"type":"phaseFinished","phase":"run","seconds":1e-400}"#,
            #"{"type":"result","payloadBytes":-1,"report":{"callID":1,"function":{"name":"f","file":"F","line":1},"warm":true,"phases":[]}}"#,
            #"{"type":"result","payloadBytes":1,"report":{"callID":1,"function":{"name":"f","file":"F","line":1},"warm":true,"phases":[{"phase":"run","seconds":-1}]}}"#,
            #"{"type":"result","payloadBytes":1,"report":{"callID":1,"function":{"name":"f","file":"F","line":1},"processID":2147483648,"warm":true,"phases":[]}}"#,
            #"{"type":"result","payloadBytes":1,"report":{"callID":1,"function":{"name":"f","file":"F","line":1},"warm":true,"phases":[],}}"#,
            #"{"type":"result","payload":"AAEC","report":{"callID":1,"function":{"name":"f","file":"F","line":1},"warm":true,"phases":[]}}"#,
            #"{"type":"unknown"}"#,
            #"["invocation"]"#,
            "",
        ])
    func leftToJSONDecoder(_ line: String) {
        #expect(StreamEvent(writtenLine: Array(line.utf8)) == nil)
    }

    @Test("a phase's seconds past what Duration holds, or below zero, are an error rather than a trap")
    func secondsOutOfRange() {
        for seconds in ["1e300", "-1", "1e13"] {
            let phase = #"{"type":"phaseFinished","phase":"run","seconds":"# + seconds + "}"
            #expect(throws: DecodingError.self) { try JSONDecoder().decode(StreamEvent.self, from: Data(phase.utf8)) }
            let timing = #"{"phase":"run","seconds":"# + seconds + "}"
            #expect(throws: DecodingError.self) { try JSONDecoder().decode(CallReport.Timing.self, from: Data(timing.utf8)) }
        }
    }

    @Test("a string that is not UTF-8 is left to JSONDecoder")
    func invalidUTF8() {
        #expect(StreamEvent(writtenLine: Array(#"{"type":"invocation","id":""#.utf8) + [0xFF] + Array(#""}"#.utf8)) == nil)
    }

    @Test("whatever the hand reader reads of 50,000 broken lines, JSONDecoder reads the same")
    func brokenLines() throws {
        let lines = try Self.events.map { try $0.line() }
        let alphabet = Array(#"{}[]":,\u0123456789.eE-+ atrufnl"#.utf8) + [0x0A, 0xC3, 0xFF]
        var random = SplitMix64(seed: 0x15_07_1A_7E_D0)
        var read = 0
        for _ in 0..<50_000 {
            var line = lines[Int(random.next() % UInt64(lines.count))]
            for _ in 0...(random.next() % 3) {
                let at = Int(random.next() % UInt64(line.count))
                switch random.next() % 3 {
                case 0: line.remove(at: at)
                case 1: line.insert(alphabet[Int(random.next() % UInt64(alphabet.count))], at: at)
                default: line[at] = alphabet[Int(random.next() % UInt64(alphabet.count))]
                }
            }
            guard let event = StreamEvent(writtenLine: line) else { continue }
            read += 1
            let decoded = try? JSONDecoder().decode(StreamEvent.self, from: Data(line))
            #expect(decoded == event, "\(String(decoding: line, as: UTF8.self))")
        }
        // Enough of them still read to make the comparison count.
        #expect(read > 1_000)
    }

    /// `line` with whitespace around every token outside strings.
    static func spaced(_ line: [UInt8]) -> [UInt8] {
        var spaced: [UInt8] = [0x20]
        var inString = false
        var escaped = false
        for byte in line {
            if inString {
                spaced.append(byte)
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            if byte == UInt8(ascii: "\"") { inString = true }
            if [UInt8(ascii: "{"), UInt8(ascii: "}"), UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: ":"), UInt8(ascii: ",")].contains(byte) {
                spaced += [0x20, byte, 0x0A, 0x09]
            } else {
                spaced.append(byte)
            }
        }
        return spaced + [0x0D, 0x20]
    }
}

/// A seeded generator, so a failing broken line comes back on every run.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
