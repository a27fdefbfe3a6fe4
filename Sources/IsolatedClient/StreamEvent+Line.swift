import Foundation
import IsolatedCore

extension StreamEvent {
    /// The event as one line of the stream, without its newline.
    ///
    /// The events every call sends (its id, phases, log lines and a binary result's report) are
    /// written here by hand: `JSONEncoder` was 15% of the server's CPU in a run of 32 callers. The
    /// rest (a base64 result, an error, progress) go through ``encode(to:)``. Either way the line
    /// decodes to the same event.
    package func line() throws -> [UInt8] {
        var json = JSONWriter()
        switch self {
        case .invocation(let id):
            json.open()
            json.field("type", "invocation")
            json.field("id", id)
        case .event(.phaseStarted(let phase, let detail)):
            json.open()
            json.field("type", "phaseStarted")
            json.field("phase", phase.rawValue)
            if let detail { json.field("detail", detail) }
        case .event(.phaseFinished(let timing)):
            json.open()
            json.field("type", "phaseFinished")
            json.timing(timing)
        case .event(.log(let line)):
            json.open()
            json.field("type", "log")
            json.field("callID", line.callID)
            json.field("function", line.function)
            json.field("stream", line.stream.rawValue)
            json.field("text", line.text)
        case .resultBytes(let count, let report):
            json.open()
            json.field("type", "result")
            json.field("payloadBytes", UInt64(count))
            json.key("report")
            json.report(report)
        case .event(.progress), .result, .error:
            return Array(try JSONEncoder().encode(self))
        }
        json.close()
        return json.bytes
    }
}

extension StreamEvent {
    /// The event on `line` when it is one ``line()`` writes by hand (in any key order, with any
    /// whitespace), scanned by ``JSONScanner`` without `Codable`; nil for any other line, which
    /// `JSONDecoder` reads instead: a base64 result, an error, a line with `null`.
    package init?(writtenLine line: [UInt8]) {
        guard let event = try? JSONScanner.document(line, Self.init(scanning:)) else { return nil }
        self = event
    }

    /// The event a written line holds; throws for any other line.
    private init(scanning scanner: inout JSONScanner) throws(JSONParseError) {
        var type: String?
        var id: String?
        var phase: String?
        var detail: String?
        var seconds: Double?
        var outcome: String?
        var callID: UInt64?
        var function: String?
        var stream: LogLine.Stream?
        var text: String?
        var payloadBytes: Int64?
        var report: CallReport?
        try scanner.object { scanner, key throws(JSONParseError) in
            switch key {
            case "type": try scanner.member(&type, \.stringValue)
            case "id": try scanner.member(&id, \.stringValue)
            case "phase": try scanner.member(&phase, \.stringValue)
            case "detail": try scanner.member(&detail, \.stringValue)
            case "seconds": try scanner.member(&seconds, \.doubleValue)
            case "outcome": try scanner.member(&outcome, \.stringValue)
            case "callID": try scanner.member(&callID, \.uint64Value)
            case "function": try scanner.member(&function, \.stringValue)
            case "stream": try scanner.member(&stream) { $0.stringValue.flatMap(LogLine.Stream.init(rawValue:)) }
            case "text": try scanner.member(&text, \.stringValue)
            case "payloadBytes": try scanner.member(&payloadBytes, \.int64Value)
            case "report": try scanner.member(&report, scanning: CallReport.init(scanning:))
            default: _ = try scanner.value()
            }
        }
        switch type {
        case "invocation":
            guard let id else { throw scanner.missing("id") }
            self = .invocation(id: id)
        case "phaseStarted":
            guard let phase else { throw scanner.missing("phase") }
            self = .event(.phaseStarted(CallReport.Phase(rawValue: phase), detail: detail))
        case "phaseFinished":
            guard let phase, let seconds, let timing = CallReport.Timing(phase: CallReport.Phase(rawValue: phase), seconds: seconds, outcome: outcome)
            else { throw scanner.missing("phase or seconds") }
            self = .event(.phaseFinished(timing))
        case "progress":
            guard let phase, let text else { throw scanner.missing("phase or text") }
            self = .event(.progress(CallReport.Phase(rawValue: phase), text))
        case "log":
            guard let callID, let function, let stream, let text else { throw scanner.missing("callID, function, stream or text") }
            self = .event(.log(LogLine(callID: callID, function: function, stream: stream, text: text)))
        case "result":
            // A negative size is left to `JSONDecoder`, which rejects it.
            guard let report, let payloadBytes, payloadBytes >= 0, let count = Int(exactly: payloadBytes) else {
                throw scanner.missing("report or payloadBytes")
            }
            self = .resultBytes(count: count, report: report)
        default:
            throw scanner.missing("type")
        }
    }
}
