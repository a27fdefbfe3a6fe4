/// How arguments and results are encoded for the trip between caller and worker: JSON, so any
/// `Codable` type works, except that `String`, `[UInt8]` and every ``RawBytesPayload`` (`Data`)
/// travel as their raw bytes behind one marker byte (which no JSON document starts with): a
/// 10 MiB string is a copy, not an escape-and-parse. The JSON is ``PayloadEncoder``'s and
/// ``PayloadDecoder``'s, which need no Foundation.
package enum PayloadCoding {
    static let rawBytes: UInt8 = 0x00
    static let rawText: UInt8 = 0x01

    /// Encodes a value.
    package static func encode<Value: Encodable>(_ value: Value) throws -> [UInt8] {
        try encodedPayload(value).bytes
    }

    /// Encodes a value, keeping a string or byte array in its own storage until it is written.
    package static func encodedPayload<Value: Encodable>(_ value: Value) throws -> EncodedPayload {
        if Value.self == String.self, let text = value as? String { return EncodedPayload(text: text) }
        if Value.self == [UInt8].self, let bytes = value as? [UInt8] { return EncodedPayload(bytes: bytes) }
        // The JSON of an integer or a Boolean, without an encoder: a warm call's arguments and
        // results are most often these.
        if Value.self == Int.self, let integer = value as? Int { return EncodedPayload(encoded: Array(String(integer).utf8)) }
        if Value.self == Bool.self, let bool = value as? Bool { return EncodedPayload(encoded: Array((bool ? "true" : "false").utf8)) }
        if let raw = value as? any RawBytesPayload { return EncodedPayload(raw: raw) }
        return EncodedPayload(encoded: try PayloadEncoder.encode(value))
    }

    /// Decodes a value.
    package static func decode<Value: Decodable>(_ type: Value.Type, from bytes: [UInt8]) throws -> Value {
        if let marker = bytes.first, marker == rawBytes || marker == rawText {
            let body = bytes[1...]
            if marker == rawText, Value.self == String.self, let text = String(decoding: body, as: UTF8.self) as? Value { return text }
            if marker == rawBytes, Value.self == [UInt8].self, let array = Array(body) as? Value { return array }
            if marker == rawBytes, let raw = Value.self as? any RawBytesPayload.Type, let value = raw.init(rawPayload: body) as? Value {
                return value
            }
            throw DecodingError.typeMismatch(
                Value.self,
                DecodingError.Context(
                    codingPath: [], debugDescription: "the payload is raw \(marker == rawText ? "text" : "bytes"), not a \(Value.self)")
            )
        }
        if Value.self == Int.self, let integer = integer(bytes) as? Value { return integer }
        if Value.self == Bool.self, let bool = (bytes == trueBytes ? true : bytes == falseBytes ? false : nil) as? Value { return bool }
        return try PayloadDecoder.decode(type, from: bytes)
    }

    private static let trueBytes = Array("true".utf8)
    private static let falseBytes = Array("false".utf8)

    /// A JSON integer exactly as ``encode(_:)`` writes one: an optional minus sign, then digits
    /// without a leading zero; nil for anything else, which ``PayloadDecoder`` then reads or rejects.
    private static func integer(_ bytes: [UInt8]) -> Int? {
        let negative = bytes.first == UInt8(ascii: "-")
        let digits = bytes.dropFirst(negative ? 1 : 0)
        guard let first = digits.first, digits.count <= 19, first != UInt8(ascii: "0") || digits.count == 1 else { return nil }
        var magnitude: UInt64 = 0
        for byte in digits {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            magnitude = magnitude * 10 + UInt64(byte - UInt8(ascii: "0"))
        }
        if negative { return magnitude <= UInt64(Int.max) + 1 ? Int(truncatingIfNeeded: 0 &- magnitude) : nil }
        return magnitude <= UInt64(Int.max) ? Int(magnitude) : nil
    }

    /// Encodes a call's arguments, one payload each; a failure names the argument and the function.
    package static func arguments<each Argument: Encodable>(
        _ argument: repeat each Argument,
        for function: FunctionReference
    ) throws(IsolatedError) -> [[UInt8]] {
        var arguments: [[UInt8]] = []
        for argument in repeat each argument {
            do {
                arguments.append(try encode(argument))
            } catch {
                throw IsolatedError(
                    code: .codingFailed,
                    message: "argument \(arguments.count) of \(function) cannot be encoded: \(error)",
                    function: function
                )
            }
        }
        return arguments
    }

    /// Decodes what a function returned; a failure names the function and the expected type.
    package static func result<Value: Decodable>(_ type: Value.Type, from bytes: [UInt8], of function: FunctionReference) throws(IsolatedError)
        -> Value
    {
        do {
            return try decode(type, from: bytes)
        } catch {
            throw IsolatedError(
                code: .codingFailed,
                message: "\(function) returned a value that is not a valid \(Value.self): \(error)",
                function: function
            )
        }
    }
}
