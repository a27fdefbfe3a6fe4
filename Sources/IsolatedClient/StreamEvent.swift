public import Foundation
public import IsolatedCore

/// One line of the newline-delimited JSON a call's response streams: phases, progress and
/// log lines as they happen, then exactly one `result` or `error`.
///
/// Each line is an object whose `type` is `invocation`, `phaseStarted`, `phaseFinished`,
/// `progress`, `log`, `result` or `error` (see `openapi.json`). In the binary form of the
/// stream (``StreamEvent/binaryMediaType``) a `result` line carries `payloadBytes` instead of
/// `payload`, and that many raw bytes follow its newline.
public enum StreamEvent: Sendable, Hashable, Codable {
    /// The server's id for the call, first: `isolated logs ID` finds it later.
    case invocation(id: String)
    /// An engine event.
    case event(InvocationEvent)
    /// The call returned: its result encoded with ``PayloadCoding``, and its report.
    case result(payload: Data, report: CallReport)
    /// The call returned, in the binary stream: its result's `count` bytes follow this line.
    case resultBytes(count: Int, report: CallReport)
    /// The call failed.
    case error(IsolatedError)

    /// The media type of the binary stream, which a client asks for in `Accept`; results
    /// travel in it as raw bytes after their event line.
    public static let binaryMediaType = "application/vnd.isolated.events"
    /// The media type of the plain stream: JSON lines only, results in base64.
    public static let jsonLinesMediaType = "application/x-ndjson"

    private enum CodingKeys: String, CodingKey {
        case type, id, phase, detail, seconds, outcome, text, callID, function, stream, payload, payloadBytes, report, error
    }

    /// Decodes one line of the stream.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let type = try container.decode(String.self, forKey: .type)
        switch type {
        case "invocation":
            self = .invocation(id: try container.decode(String.self, forKey: .id))
        case "phaseStarted":
            let phase = CallReport.Phase(rawValue: try container.decode(String.self, forKey: .phase))
            self = .event(.phaseStarted(phase, detail: try container.decodeIfPresent(String.self, forKey: .detail)))
        case "phaseFinished":
            // A timing's own fields, checked as a report's timings are.
            self = .event(.phaseFinished(try CallReport.Timing(from: decoder)))
        case "progress":
            let phase = CallReport.Phase(rawValue: try container.decode(String.self, forKey: .phase))
            self = .event(.progress(phase, try container.decode(String.self, forKey: .text)))
        case "log":
            self = .event(
                .log(
                    LogLine(
                        callID: try container.decode(UInt64.self, forKey: .callID),
                        function: try container.decode(String.self, forKey: .function),
                        stream: try container.decode(LogLine.Stream.self, forKey: .stream),
                        text: try container.decode(String.self, forKey: .text)
                    )
                )
            )
        case "result":
            let report = try container.decode(CallReport.self, forKey: .report)
            if let count = try container.decodeIfPresent(Int.self, forKey: .payloadBytes) {
                guard count >= 0 else {
                    throw DecodingError.dataCorruptedError(forKey: .payloadBytes, in: container, debugDescription: "a negative size")
                }
                self = .resultBytes(count: count, report: report)
            } else {
                self = .result(payload: try container.decode(Data.self, forKey: .payload), report: report)
            }
        case "error":
            self = .error(try container.decode(IsolatedError.self, forKey: .error))
        default:
            throw DecodingError.dataCorruptedError(forKey: .type, in: container, debugDescription: "unknown event type '\(type)'")
        }
    }

    /// Encodes the event as one line of the stream.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .invocation(let id):
            try container.encode("invocation", forKey: .type)
            try container.encode(id, forKey: .id)
        case .event(.phaseStarted(let phase, let detail)):
            try container.encode("phaseStarted", forKey: .type)
            try container.encode(phase.rawValue, forKey: .phase)
            try container.encodeIfPresent(detail, forKey: .detail)
        case .event(.phaseFinished(let timing)):
            try container.encode("phaseFinished", forKey: .type)
            try container.encode(timing.phase.rawValue, forKey: .phase)
            try container.encode(timing.duration.seconds, forKey: .seconds)
            try container.encodeIfPresent(timing.outcome, forKey: .outcome)
        case .event(.progress(let phase, let text)):
            try container.encode("progress", forKey: .type)
            try container.encode(phase.rawValue, forKey: .phase)
            try container.encode(text, forKey: .text)
        case .event(.log(let line)):
            try container.encode("log", forKey: .type)
            try container.encode(line.callID, forKey: .callID)
            try container.encode(line.function, forKey: .function)
            try container.encode(line.stream, forKey: .stream)
            try container.encode(line.text, forKey: .text)
        case .result(let payload, let report):
            try container.encode("result", forKey: .type)
            try container.encode(payload, forKey: .payload)
            try container.encode(report, forKey: .report)
        case .resultBytes(let count, let report):
            try container.encode("result", forKey: .type)
            try container.encode(count, forKey: .payloadBytes)
            try container.encode(report, forKey: .report)
        case .error(let error):
            try container.encode("error", forKey: .type)
            try container.encode(error, forKey: .error)
        }
    }
}
