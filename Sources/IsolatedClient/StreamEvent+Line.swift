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
        var json = JSONLineWriter()
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

/// Writes one JSON object by hand, for the stream's frequent events.
struct JSONLineWriter {
    private(set) var bytes: [UInt8] = []
    /// Whether the next key or element follows a value at its level.
    private var afterValue = false

    init() {
        bytes.reserveCapacity(256)
    }

    mutating func open() {
        separate()
        bytes.append(UInt8(ascii: "{"))
        afterValue = false
    }

    mutating func close() {
        bytes.append(UInt8(ascii: "}"))
        afterValue = true
    }

    mutating func key(_ name: String) {
        separate()
        quote(name)
        bytes.append(UInt8(ascii: ":"))
        afterValue = false
    }

    mutating func field(_ name: String, _ value: String) {
        key(name)
        quote(value)
        afterValue = true
    }

    mutating func field(_ name: String, _ value: UInt64) {
        key(name)
        bytes.append(contentsOf: String(value).utf8)
        afterValue = true
    }

    mutating func field(_ name: String, _ value: Int64) {
        key(name)
        bytes.append(contentsOf: String(value).utf8)
        afterValue = true
    }

    mutating func field(_ name: String, _ value: Bool) {
        key(name)
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
        afterValue = true
    }

    /// A finite number, as Swift writes it ("1.5e-05"), which JSON allows.
    mutating func field(_ name: String, _ value: Double) {
        key(name)
        bytes.append(contentsOf: value.description.utf8)
        afterValue = true
    }

    /// A timing's fields, in the object open now.
    mutating func timing(_ timing: CallReport.Timing) {
        field("phase", timing.phase.rawValue)
        field("seconds", timing.duration.seconds)
        if let outcome = timing.outcome { field("outcome", outcome) }
    }

    /// A report, as `CallReport`'s `Codable` form: absent optionals are left out.
    mutating func report(_ report: CallReport) {
        open()
        field("callID", report.callID)
        key("function")
        open()
        field("name", report.function.name)
        field("file", report.function.file)
        field("line", Int64(report.function.line))
        close()
        if let runnerID = report.runnerID { field("runnerID", runnerID) }
        if let processID = report.processID { field("processID", Int64(processID)) }
        if let node = report.node { field("node", node) }
        if let environmentKey = report.environmentKey { field("environmentKey", environmentKey) }
        field("warm", report.warm)
        key("phases")
        bytes.append(UInt8(ascii: "["))
        afterValue = false
        for timing in report.phases {
            open()
            self.timing(timing)
            close()
        }
        bytes.append(UInt8(ascii: "]"))
        afterValue = true
        close()
    }

    private mutating func separate() {
        if afterValue { bytes.append(UInt8(ascii: ",")) }
    }

    /// `text` as a JSON string: quotes, backslashes and control characters escaped.
    private mutating func quote(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case UInt8(ascii: "\n"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case UInt8(ascii: "\r"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case UInt8(ascii: "\t"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: Array(#"\u00"#.utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 15)]])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
