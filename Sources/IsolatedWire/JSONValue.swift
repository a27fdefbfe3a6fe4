/// A parsed JSON document, as ``PayloadDecoder`` and a client's reader of event lines read it.
///
/// The runner runtime parses JSON itself rather than with Foundation's `JSONDecoder`: a worker
/// that loads no Foundation holds 2.6 MB less and starts faster (BENCHMARKS.md measures both).
/// A client reads its event lines with it too: `JSONDecoder` took 18% of a client's CPU.
package enum JSONValue: Equatable {
    case null
    case bool(Bool)
    /// A number as its JSON text, converted only to the type asked for, so an integer never
    /// takes a detour through `Double`.
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// What the value is, as `JSONDecoder`'s errors name it.
    package var kind: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "a dictionary"
        }
    }

    /// Parses one JSON document (RFC 8259), surrounded by nothing but whitespace.
    package static func parse(_ bytes: [UInt8]) throws(JSONParseError) -> JSONValue {
        try JSONScanner.document(bytes) { scanner throws(JSONParseError) in try scanner.value() }
    }
}

/// Why a text is not JSON, and where.
package struct JSONParseError: Error, CustomStringConvertible {
    /// What is wrong.
    package var reason: String
    /// The byte it was found at.
    package var offset: Int

    package var description: String { "\(reason) at byte \(offset)" }
}
