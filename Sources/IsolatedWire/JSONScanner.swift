/// Scans JSON (RFC 8259) by hand, one value at a time, for the two readers that share it:
/// ``JSONValue/parse(_:)``, which builds the whole tree, and a client's reader of event lines,
/// which takes an object's members as they come (``object(_:)``) and builds no tree.
package struct JSONScanner {
    /// As deep as `JSONDecoder` nests: deeper documents are refused rather than overflow the stack.
    static let maximumDepth = 512

    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0
    private var depth = 0

    private init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    /// What `body` reads from a scanner at the start of `bytes`, which must hold nothing after it
    /// but whitespace.
    package static func document<Value>(
        _ bytes: [UInt8], _ body: (inout JSONScanner) throws(JSONParseError) -> Value
    ) throws(JSONParseError) -> Value {
        try bytes.withUnsafeBufferPointer { buffer throws(JSONParseError) in
            var scanner = JSONScanner(buffer)
            let value = try body(&scanner)
            scanner.skipWhitespace()
            guard scanner.index == buffer.count else {
                throw scanner.failure("Unexpected \(scanner.describe(buffer[scanner.index])) after the document")
            }
            return value
        }
    }

    /// The next value, whole.
    package mutating func value() throws(JSONParseError) -> JSONValue {
        skipWhitespace()
        guard index < bytes.count else { throw failure("Unexpected end of input") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): return try literal("true", .bool(true))
        case UInt8(ascii: "f"): return try literal("false", .bool(false))
        case UInt8(ascii: "n"): return try literal("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        case let byte: throw failure("Unexpected \(describe(byte))")
        }
    }

    private mutating func object() throws(JSONParseError) -> JSONValue {
        var members: [String: JSONValue] = [:]
        try object { scanner, key throws(JSONParseError) in
            let value = try scanner.value()
            // The first of a repeated key is kept, as `JSONDecoder` keeps it.
            if members[key] == nil { members[key] = value }
        }
        return .object(members)
    }

    private mutating func array() throws(JSONParseError) -> JSONValue {
        var elements: [JSONValue] = []
        try array { scanner throws(JSONParseError) in elements.append(try scanner.value()) }
        return .array(elements)
    }

    /// Scans an object, calling `member` with each key when the scanner is at that key's value;
    /// `member` must scan the value.
    package mutating func object(_ member: (inout JSONScanner, String) throws(JSONParseError) -> Void) throws(JSONParseError) {
        skipWhitespace()
        guard peek() == UInt8(ascii: "{") else { throw failure("Expected a dictionary") }
        try enter()
        defer { depth -= 1 }
        index += 1
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            index += 1
            return
        }
        while true {
            skipWhitespace()
            guard peek() == UInt8(ascii: "\"") else { throw failure("Expected a key in double quotes") }
            let key = try string()
            skipWhitespace()
            guard peek() == UInt8(ascii: ":") else { throw failure("Expected ':' after the key \"\(key)\"") }
            index += 1
            try member(&self, key)
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"):
                index += 1
                return
            default: throw failure("Expected ',' or '}' in a dictionary")
            }
        }
    }

    /// Scans an array, calling `element` when the scanner is at each element; `element` must scan it.
    package mutating func array(_ element: (inout JSONScanner) throws(JSONParseError) -> Void) throws(JSONParseError) {
        skipWhitespace()
        guard peek() == UInt8(ascii: "[") else { throw failure("Expected an array") }
        try enter()
        defer { depth -= 1 }
        index += 1
        skipWhitespace()
        if peek() == UInt8(ascii: "]") {
            index += 1
            return
        }
        while true {
            try element(&self)
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"):
                index += 1
                return
            default: throw failure("Expected ',' or ']' in an array")
            }
        }
    }

    private mutating func enter() throws(JSONParseError) {
        depth += 1
        guard depth <= Self.maximumDepth else { throw failure("Too many nested arrays or dictionaries (more than \(Self.maximumDepth))") }
    }

    /// The next value, which must be a string.
    package mutating func string() throws(JSONParseError) -> String {
        skipWhitespace()
        guard peek() == UInt8(ascii: "\"") else { throw failure("Expected a string") }
        let start = index
        index += 1
        // Most strings have no escapes: they are validated and copied in one go.
        var runStart = index
        var text: String?
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let tail = try utf8(runStart, index)
                index += 1
                guard var text else { return tail }
                text += tail
                return text
            }
            if byte == UInt8(ascii: "\\") {
                text = (text ?? "") + (try utf8(runStart, index))
                text?.unicodeScalars.append(try escape())
                runStart = index
                continue
            }
            guard byte >= 0x20 else { throw failure("Unescaped control character \(describe(byte)) in a string") }
            index += 1
        }
        index = start
        throw failure("Unterminated string")
    }

    private func utf8(_ start: Int, _ end: Int) throws(JSONParseError) -> String {
        guard let text = String(validating: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self) else {
            throw JSONParseError(reason: "Invalid UTF-8 in a string", offset: start)
        }
        return text
    }

    /// Reads the escape at `index` (its backslash included).
    private mutating func escape() throws(JSONParseError) -> Unicode.Scalar {
        index += 1
        guard index < bytes.count else { throw failure("Unterminated string") }
        let byte = bytes[index]
        index += 1
        switch byte {
        case UInt8(ascii: "\""): return "\""
        case UInt8(ascii: "\\"): return "\\"
        case UInt8(ascii: "/"): return "/"
        case UInt8(ascii: "b"): return "\u{08}"
        case UInt8(ascii: "f"): return "\u{0C}"
        case UInt8(ascii: "n"): return "\n"
        case UInt8(ascii: "r"): return "\r"
        case UInt8(ascii: "t"): return "\t"
        case UInt8(ascii: "u"):
            let unit = try hexUnit()
            if UTF16.isLeadSurrogate(unit) {
                guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                    throw failure("A lone surrogate \\u\(String(unit, radix: 16, uppercase: true)) in a string")
                }
                index += 2
                let trail = try hexUnit()
                guard UTF16.isTrailSurrogate(trail) else { throw failure("A lone surrogate \\u\(String(unit, radix: 16, uppercase: true))") }
                let value = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(trail) - 0xDC00)
                return Unicode.Scalar(value)!
            }
            guard let scalar = Unicode.Scalar(unit) else { throw failure("A lone surrogate \\u\(String(unit, radix: 16, uppercase: true))") }
            return scalar
        default:
            index -= 1
            throw failure("Invalid escape: \(describe(byte)) after a backslash")
        }
    }

    private mutating func hexUnit() throws(JSONParseError) -> UInt16 {
        guard index + 4 <= bytes.count else { throw failure("A \\u escape needs four hexadecimal digits") }
        var unit: UInt16 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw failure("A \\u escape needs four hexadecimal digits")
            }
            unit = unit << 4 | UInt16(digit)
            index += 1
        }
        return unit
    }

    /// Reads a number as RFC 8259 writes one: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    /// The next value, which must be a number, as its JSON text.
    package mutating func number() throws(JSONParseError) -> String {
        skipWhitespace()
        let start = index
        if peek() == UInt8(ascii: "-") { index += 1 }
        if peek() == UInt8(ascii: "0") {
            index += 1
            if let next = peek(), isDigit(next) { throw failure("A number cannot start with 0") }
        } else {
            guard try digits() > 0 else { throw failure("Expected a digit") }
        }
        if peek() == UInt8(ascii: ".") {
            index += 1
            guard try digits() > 0 else { throw failure("Expected a digit after the decimal point") }
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            index += 1
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { index += 1 }
            guard try digits() > 0 else { throw failure("Expected a digit in the exponent") }
        }
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
    }

    private mutating func digits() throws(JSONParseError) -> Int {
        let start = index
        while let byte = peek(), isDigit(byte) { index += 1 }
        return index - start
    }

    private func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    private mutating func literal(_ word: StaticString, _ value: JSONValue) throws(JSONParseError) -> JSONValue {
        let expected = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        guard index + expected.count <= bytes.count, bytes[index..<index + expected.count].elementsEqual(expected) else {
            throw failure("Unexpected \(describe(bytes[index]))")
        }
        index += expected.count
        return value
    }

    private func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func skipWhitespace() {
        while let byte = peek(), byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { index += 1 }
    }

    private func describe(_ byte: UInt8) -> String {
        byte >= 0x20 && byte < 0x7F ? "character '\(Character(Unicode.Scalar(byte)))'" : "byte 0x\(String(byte, radix: 16, uppercase: true))"
    }

    /// An error at the scanner's place: for a reader that finds a value it does not read.
    package func failure(_ reason: String) -> JSONParseError { JSONParseError(reason: reason, offset: index) }
}
