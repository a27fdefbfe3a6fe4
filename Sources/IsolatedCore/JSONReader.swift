package import IsolatedWire

/// Reads JSON by hand, for what a client reads in every call: its stream's event lines.
/// `JSONDecoder` took 18% of the client's CPU with 32 callers, most of it in `Codable`'s
/// containers rather than in scanning.
///
/// It reads a strict subset of JSON and answers nil for anything outside it (`null`, an integer
/// written with a fraction, a number out of range, a string that is not UTF-8), so a caller falls
/// back to `JSONDecoder` for whatever it does not read, and gets that decoder's answer or error.
package struct JSONReader {
    private let bytes: [UInt8]
    private var index = 0

    /// A reader at the start of `bytes`.
    package init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Whether only whitespace is left.
    package mutating func atEnd() -> Bool {
        skipWhitespace()
        return index == bytes.count
    }

    /// Reads an object, calling `member` with each key when the reader is at that key's value;
    /// `member` reads the value and answers whether it could. False when the object is malformed
    /// or `member` answers false; `member` answers false for a key it has seen, as `JSONDecoder`
    /// keeps only one of them.
    package mutating func object(_ member: (inout JSONReader, String) -> Bool) -> Bool {
        guard consume(UInt8(ascii: "{")) else { return false }
        if consume(UInt8(ascii: "}")) { return true }
        repeat {
            skipWhitespace()
            guard let key = string(), consume(UInt8(ascii: ":")) else { return false }
            skipWhitespace()
            guard member(&self, key) else { return false }
        } while consume(UInt8(ascii: ","))
        return consume(UInt8(ascii: "}"))
    }

    /// Reads an array, calling `element` when the reader is at each element; false as for ``object(_:)``.
    package mutating func array(_ element: (inout JSONReader) -> Bool) -> Bool {
        guard consume(UInt8(ascii: "[")) else { return false }
        if consume(UInt8(ascii: "]")) { return true }
        repeat {
            skipWhitespace()
            guard element(&self) else { return false }
        } while consume(UInt8(ascii: ","))
        return consume(UInt8(ascii: "]"))
    }

    /// Reads a string, escapes decoded; nil unless it is well formed and valid UTF-8.
    package mutating func string() -> String? {
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { return nil }
        let start = index + 1
        var end = start
        while end < bytes.count, bytes[end] != UInt8(ascii: "\""), bytes[end] != UInt8(ascii: "\\") {
            guard bytes[end] >= 0x20 else { return nil }
            end += 1
        }
        guard end < bytes.count else { return nil }
        if bytes[end] == UInt8(ascii: "\"") {
            index = end + 1
            return String(validating: bytes[start..<end], as: UTF8.self)
        }
        var text = Array(bytes[start..<end])
        index = end
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                return String(validating: text, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard escape(into: &text) else { return nil }
            case 0..<0x20:
                return nil
            default:
                text.append(byte)
            }
        }
        return nil
    }

    /// Reads a whole number in `UInt64`'s range: digits only, no fraction or exponent.
    package mutating func uint64() -> UInt64? {
        guard let (negative, magnitude) = integer(), !negative || magnitude == 0 else { return nil }
        return magnitude
    }

    /// Reads a whole number in `Int64`'s range: digits only, no fraction or exponent.
    package mutating func int64() -> Int64? {
        guard let (negative, magnitude) = integer() else { return nil }
        if negative {
            return magnitude <= UInt64(Int64.max) + 1 ? Int64(truncatingIfNeeded: 0 &- magnitude) : nil
        }
        return magnitude <= UInt64(Int64.max) ? Int64(magnitude) : nil
    }

    /// Reads a number as a finite `Double`.
    package mutating func double() -> Double? {
        let start = index
        _ = consume(UInt8(ascii: "-"), skippingWhitespace: false)
        guard digits(leadingZeroAlone: true) else { return nil }
        if consume(UInt8(ascii: "."), skippingWhitespace: false) {
            guard digits(leadingZeroAlone: false) else { return nil }
        }
        let nonzero = bytes[start..<index].contains { (UInt8(ascii: "1")...UInt8(ascii: "9")).contains($0) }
        if index < bytes.count, (bytes[index] | 0x20) == UInt8(ascii: "e") {
            // `JSONDecoder` rejects some zeros with exponents ("0e1", "0.00e1"), so all are left to it.
            guard nonzero else { return nil }
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard digits(leadingZeroAlone: false) else { return nil }
        }
        // `JSONDecoder` rejects a number too large for a `Double`, or one that rounds to zero.
        guard let value = Double(String(decoding: bytes[start..<index], as: UTF8.self)), value.isFinite, value != 0 || !nonzero else { return nil }
        return value
    }

    /// Reads `true` or `false`.
    package mutating func bool() -> Bool? {
        if literal("true") { return true }
        if literal("false") { return false }
        return nil
    }

    /// A timing's fields, as ``JSONWriter/timing(_:)`` writes them in an object.
    package mutating func timing() -> CallReport.Timing? {
        var phase: String?
        var seconds: Double?
        var outcome: String?
        let read = object { reader, key in
            switch key {
            case "phase": return Self.take(&phase, reader.string())
            case "seconds": return Self.take(&seconds, reader.double())
            case "outcome": return Self.take(&outcome, reader.string())
            default: return false
            }
        }
        guard read, let phase, let seconds else { return nil }
        return CallReport.Timing(phase: CallReport.Phase(rawValue: phase), seconds: seconds, outcome: outcome)
    }

    /// A report, as ``JSONWriter/report(_:)`` writes it.
    package mutating func report() -> CallReport? {
        var callID: UInt64?
        var function: FunctionReference?
        var runnerID: String?
        var processID: Int32?
        var node: String?
        var environmentKey: String?
        var warm: Bool?
        var phases: [CallReport.Timing]?
        let read = object { reader, key in
            switch key {
            case "callID": return Self.take(&callID, reader.uint64())
            case "function": return Self.take(&function, reader.functionReference())
            case "runnerID": return Self.take(&runnerID, reader.string())
            case "processID": return Self.take(&processID, reader.int64().flatMap { Int32(exactly: $0) })
            case "node": return Self.take(&node, reader.string())
            case "environmentKey": return Self.take(&environmentKey, reader.string())
            case "warm": return Self.take(&warm, reader.bool())
            case "phases": return Self.take(&phases, reader.phases())
            default: return false
            }
        }
        guard read, let callID, let function, let warm, let phases else { return nil }
        var report = CallReport(callID: callID, function: function, runnerID: runnerID, processID: processID, warm: warm, phases: phases)
        report.node = node
        report.environmentKey = environmentKey
        return report
    }

    /// Phases, as an array of timings.
    package mutating func phases() -> [CallReport.Timing]? {
        var phases: [CallReport.Timing] = []
        let read = array { reader in
            guard let timing = reader.timing() else { return false }
            phases.append(timing)
            return true
        }
        return read ? phases : nil
    }

    /// Stores `value` in an empty `slot`; false when there is no value, or the slot was filled
    /// by a key that came before.
    package static func take<Value>(_ slot: inout Value?, _ value: Value?) -> Bool {
        guard slot == nil, let value else { return false }
        slot = value
        return true
    }

    private mutating func functionReference() -> FunctionReference? {
        var name: String?
        var file: String?
        var line: Int?
        let read = object { reader, key in
            switch key {
            case "name": return Self.take(&name, reader.string())
            case "file": return Self.take(&file, reader.string())
            case "line": return Self.take(&line, reader.int64().flatMap { Int(exactly: $0) })
            default: return false
            }
        }
        guard read, let name, let file, let line else { return nil }
        return FunctionReference(name: name, file: file, line: line)
    }

    private mutating func integer() -> (negative: Bool, magnitude: UInt64)? {
        let negative = consume(UInt8(ascii: "-"), skippingWhitespace: false)
        let start = index
        guard digits(leadingZeroAlone: true) else { return nil }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") || (bytes[index] | 0x20) == UInt8(ascii: "e") { return nil }
        var magnitude: UInt64 = 0
        for byte in bytes[start..<index] {
            let (times10, overflow) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, carry) = times10.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
            guard !overflow, !carry else { return nil }
            magnitude = sum
        }
        return (negative, magnitude)
    }

    /// One or more digits; JSON allows a leading zero only as the whole integer part.
    private mutating func digits(leadingZeroAlone: Bool) -> Bool {
        let start = index
        while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
        guard index > start else { return false }
        return !leadingZeroAlone || bytes[start] != UInt8(ascii: "0") || index == start + 1
    }

    /// The escape after a backslash, appended to `text` as UTF-8.
    private mutating func escape(into text: inout [UInt8]) -> Bool {
        guard index < bytes.count else { return false }
        let byte = bytes[index]
        index += 1
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): text.append(byte)
        case UInt8(ascii: "b"): text.append(0x08)
        case UInt8(ascii: "f"): text.append(0x0C)
        case UInt8(ascii: "n"): text.append(UInt8(ascii: "\n"))
        case UInt8(ascii: "r"): text.append(UInt8(ascii: "\r"))
        case UInt8(ascii: "t"): text.append(UInt8(ascii: "\t"))
        case UInt8(ascii: "u"):
            guard var scalar = hex4() else { return false }
            if (0xD800..<0xDC00).contains(scalar) {
                // A high surrogate must be followed by an escaped low one.
                guard literal("\\u"), let low = hex4(), (0xDC00..<0xE000).contains(low) else { return false }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            }
            guard let unicode = Unicode.Scalar(scalar) else { return false }
            text.append(contentsOf: String(Character(unicode)).utf8)
        default: return false
        }
        return true
    }

    private mutating func hex4() -> UInt32? {
        guard index + 4 <= bytes.count else { return nil }
        var value: UInt32 = 0
        for byte in bytes[index..<index + 4] {
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: return nil
            }
            value = value << 4 | UInt32(digit)
        }
        index += 4
        return value
    }

    private mutating func literal(_ text: StaticString) -> Bool {
        let count = text.utf8CodeUnitCount
        guard index + count <= bytes.count else { return false }
        let matches = text.withUTF8Buffer { $0.elementsEqual(bytes[index..<index + count]) }
        if matches { index += count }
        return matches
    }

    private mutating func consume(_ byte: UInt8, skippingWhitespace: Bool = true) -> Bool {
        if skippingWhitespace { skipWhitespace() }
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }
}
