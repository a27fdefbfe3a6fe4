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
    /// whitespace), read by ``JSONReader``; nil for any other line, which `JSONDecoder` reads
    /// instead: a base64 result, an error, a line with `null`, an unknown key or a key twice.
    package init?(writtenLine line: [UInt8]) {
        var reader = JSONReader(line)
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
        let read = reader.object { reader, key in
            switch key {
            case "type": return JSONReader.take(&type, reader.string())
            case "id": return JSONReader.take(&id, reader.string())
            case "phase": return JSONReader.take(&phase, reader.string())
            case "detail": return JSONReader.take(&detail, reader.string())
            case "seconds": return JSONReader.take(&seconds, reader.double())
            case "outcome": return JSONReader.take(&outcome, reader.string())
            case "callID": return JSONReader.take(&callID, reader.uint64())
            case "function": return JSONReader.take(&function, reader.string())
            case "stream": return JSONReader.take(&stream, reader.string().flatMap(LogLine.Stream.init(rawValue:)))
            case "text": return JSONReader.take(&text, reader.string())
            case "payloadBytes": return JSONReader.take(&payloadBytes, reader.int64())
            case "report": return JSONReader.take(&report, reader.report())
            default: return false
            }
        }
        guard read, reader.atEnd(), let type else { return nil }
        switch type {
        case "invocation":
            guard let id else { return nil }
            self = .invocation(id: id)
        case "phaseStarted":
            guard let phase else { return nil }
            self = .event(.phaseStarted(CallReport.Phase(rawValue: phase), detail: detail))
        case "phaseFinished":
            guard let phase, let seconds, let timing = CallReport.Timing(phase: CallReport.Phase(rawValue: phase), seconds: seconds, outcome: outcome)
            else { return nil }
            self = .event(.phaseFinished(timing))
        case "progress":
            guard let phase, let text else { return nil }
            self = .event(.progress(CallReport.Phase(rawValue: phase), text))
        case "log":
            guard let callID, let function, let stream, let text else { return nil }
            self = .event(.log(LogLine(callID: callID, function: function, stream: stream, text: text)))
        case "result":
            // A negative size is left to `JSONDecoder`, which rejects it.
            guard let report, let payloadBytes, payloadBytes >= 0, let count = Int(exactly: payloadBytes) else { return nil }
            self = .resultBytes(count: count, report: report)
        default:
            return nil
        }
    }
}
