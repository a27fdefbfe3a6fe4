package import IsolatedWire

/// Writes JSON by hand, for what every call sends or stores: its stream's frequent events and its
/// phases. `JSONEncoder` costs several times as much for such small values; the tests check that
/// what this writes decodes as `JSONEncoder`'s output does.
package struct JSONWriter {
    package private(set) var bytes: [UInt8] = []
    /// Whether the next key or element follows a value at its level.
    private var afterValue = false

    package init() {
        bytes.reserveCapacity(256)
    }

    package mutating func open() {
        separate()
        bytes.append(UInt8(ascii: "{"))
        afterValue = false
    }

    package mutating func close() {
        bytes.append(UInt8(ascii: "}"))
        afterValue = true
    }

    package mutating func key(_ name: String) {
        separate()
        quote(name)
        bytes.append(UInt8(ascii: ":"))
        afterValue = false
    }

    package mutating func field(_ name: String, _ value: String) {
        key(name)
        quote(value)
        afterValue = true
    }

    package mutating func field(_ name: String, _ value: UInt64) {
        key(name)
        bytes.append(contentsOf: String(value).utf8)
        afterValue = true
    }

    package mutating func field(_ name: String, _ value: Int64) {
        key(name)
        bytes.append(contentsOf: String(value).utf8)
        afterValue = true
    }

    package mutating func field(_ name: String, _ value: Bool) {
        key(name)
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
        afterValue = true
    }

    /// A finite number, as Swift writes it ("1.5e-05"), which JSON allows.
    package mutating func field(_ name: String, _ value: Double) {
        key(name)
        bytes.append(contentsOf: value.description.utf8)
        afterValue = true
    }

    /// A timing's fields, in the object open now.
    package mutating func timing(_ timing: CallReport.Timing) {
        field("phase", timing.phase.rawValue)
        field("seconds", timing.duration.seconds)
        if let outcome = timing.outcome { field("outcome", outcome) }
    }

    /// A report, as `CallReport`'s `Codable` form: absent optionals are left out.
    package mutating func report(_ report: CallReport) {
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
        phases(report.phases)
        close()
    }

    /// Phases, as an array of timings.
    package mutating func phases(_ phases: [CallReport.Timing]) {
        separate()
        bytes.append(UInt8(ascii: "["))
        afterValue = false
        for timing in phases {
            open()
            self.timing(timing)
            close()
        }
        bytes.append(UInt8(ascii: "]"))
        afterValue = true
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

extension CallReport.Timing {
    /// Phases as the store keeps them: a JSON array of timings, as `JSONEncoder` would write it.
    package static func json(_ phases: [CallReport.Timing]) -> String {
        var json = JSONWriter()
        json.phases(phases)
        return String(decoding: json.bytes, as: UTF8.self)
    }
}
