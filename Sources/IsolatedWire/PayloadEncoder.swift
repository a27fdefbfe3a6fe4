/// Encodes any `Encodable` value as JSON, without Foundation, for ``PayloadCoding``.
///
/// What it writes is plain JSON that `JSONDecoder` reads back to the same value, with keys in the
/// order they were encoded and slashes unescaped. Unlike `JSONEncoder`, it has no special case for
/// Foundation's types: `Date`, `Data` and `URL` inside other values are written the way their
/// own `Codable` conformances say, which ``PayloadDecoder`` reads back. Non-finite floating-point
/// numbers are an error, as with `JSONEncoder`'s default.
package enum PayloadEncoder {
    /// The JSON text of `value`.
    package static func encode<Value: Encodable>(_ value: Value) throws -> [UInt8] {
        let node = EncodingNode()
        try value.encode(to: EncoderImplementation(node: node, codingPath: []))
        guard node.isSet else {
            throw EncodingError.invalidValue(
                value, EncodingError.Context(codingPath: [], debugDescription: "Top-level \(Value.self) did not encode any values."))
        }
        var output: [UInt8] = []
        node.write(into: &output)
        return output
    }
}

/// A value being encoded: a container the encoder fills in place, or a scalar's JSON text.
private final class EncodingNode {
    enum Content {
        /// Nothing encoded yet: written as an empty dictionary, as `JSONEncoder` does.
        case unset
        case scalar(String)
        case array
        case object
    }

    var content = Content.unset
    var elements: [Member] = []
    var keys: [String] = []
    var members: [String: Member] = [:]

    var isSet: Bool {
        if case .unset = content { return false }
        return true
    }

    /// An element or member: a scalar's JSON text kept inline, or a node.
    enum Member {
        case scalar(String)
        case node(EncodingNode)

        func write(into output: inout [UInt8]) {
            switch self {
            case .scalar(let text): output.append(contentsOf: text.utf8)
            case .node(let node): node.write(into: &output)
            }
        }
    }

    func write(into output: inout [UInt8]) {
        switch content {
        case .unset:
            output.append(contentsOf: "{}".utf8)
        case .scalar(let text):
            output.append(contentsOf: text.utf8)
        case .array:
            output.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                element.write(into: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .object:
            output.append(UInt8(ascii: "{"))
            for (index, key) in keys.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                output.append(contentsOf: JSONText.string(key).utf8)
                output.append(UInt8(ascii: ":"))
                members[key]?.write(into: &output)
            }
            output.append(UInt8(ascii: "}"))
        }
    }

    func set(_ member: Member, forKey key: String) {
        if members.updateValue(member, forKey: key) == nil { keys.append(key) }
    }
}

/// The JSON text of scalars.
enum JSONText {
    static func string(_ value: String) -> String {
        // Most strings need no escape: they are quoted as they are.
        guard value.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) else { return "\"\(value)\"" }
        var text = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            case "\u{08}": text += "\\b"
            case "\u{0C}": text += "\\f"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16, uppercase: true)
                text += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: text.unicodeScalars.append(scalar)
            }
        }
        return text + "\""
    }

    static func number<Value: BinaryFloatingPoint & LosslessStringConvertible>(_ value: Value, codingPath: [any CodingKey]) throws -> String {
        guard value.isFinite else {
            throw EncodingError.invalidValue(
                value,
                EncodingError.Context(codingPath: codingPath, debugDescription: "Unable to encode \(Value.self).\(value) directly in JSON.")
            )
        }
        // The shortest text that reads back as the same value.
        return value.description
    }
}

private struct EncoderImplementation: Encoder {
    let node: EncodingNode
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        switch node.content {
        case .unset, .scalar: node.content = .object
        case .object: break
        case .array: preconditionFailure("Attempt to encode a keyed container where an unkeyed container was already encoded, at \(codingPath)")
        }
        return KeyedEncodingContainer(KeyedContainer<Key>(node: node, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        switch node.content {
        case .unset, .scalar: node.content = .array
        case .array: break
        case .object: preconditionFailure("Attempt to encode an unkeyed container where a keyed container was already encoded, at \(codingPath)")
        }
        return UnkeyedContainer(node: node, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { SingleValueContainer(node: node, codingPath: codingPath) }

    /// The member for `value`: scalars inline, anything else encoded into a node of its own.
    static func member<Value: Encodable>(_ value: Value, at codingPath: [any CodingKey]) throws -> EncodingNode.Member {
        if let text = value as? String, Value.self == String.self { return .scalar(JSONText.string(text)) }
        if let integer = value as? Int, Value.self == Int.self { return .scalar(String(integer)) }
        if let bool = value as? Bool, Value.self == Bool.self { return .scalar(bool ? "true" : "false") }
        if let double = value as? Double, Value.self == Double.self { return .scalar(try JSONText.number(double, codingPath: codingPath)) }
        let node = EncodingNode()
        try value.encode(to: EncoderImplementation(node: node, codingPath: codingPath))
        if case .scalar(let text) = node.content { return .scalar(text) }
        return .node(node)
    }
}

/// A key for an element of an unkeyed container, in coding paths.
struct IndexKey: CodingKey {
    let intValue: Int?
    var stringValue: String { "Index \(intValue ?? 0)" }

    init(_ index: Int) { intValue = index }
    init?(stringValue: String) { nil }
    init?(intValue: Int) { self.intValue = intValue }
}

/// The key `super` for ``KeyedEncodingContainerProtocol/superEncoder()`` and its decoding twin.
struct SuperKey: CodingKey {
    var stringValue: String { "super" }
    var intValue: Int? { nil }

    init() {}
    init?(stringValue: String) { nil }
    init?(intValue: Int) { nil }
}

private struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let node: EncodingNode
    let codingPath: [any CodingKey]

    mutating func encodeNil(forKey key: Key) throws { node.set(.scalar("null"), forKey: key.stringValue) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { node.set(.scalar(value ? "true" : "false"), forKey: key.stringValue) }
    mutating func encode(_ value: String, forKey key: Key) throws { node.set(.scalar(JSONText.string(value)), forKey: key.stringValue) }
    mutating func encode(_ value: Double, forKey key: Key) throws {
        node.set(.scalar(try JSONText.number(value, codingPath: codingPath + [key])), forKey: key.stringValue)
    }
    mutating func encode(_ value: Float, forKey key: Key) throws {
        node.set(.scalar(try JSONText.number(value, codingPath: codingPath + [key])), forKey: key.stringValue)
    }
    mutating func encode(_ value: Int, forKey key: Key) throws { node.set(.scalar(String(value)), forKey: key.stringValue) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { node.set(.scalar(String(value)), forKey: key.stringValue) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { node.set(.scalar(String(value)), forKey: key.stringValue) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { node.set(.scalar(String(value)), forKey: key.stringValue) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { node.set(.scalar(String(value)), forKey: key.stringValue) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { node.set(.scalar(String(value)), forKey: key.stringValue) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { node.set(.scalar(String(value)), forKey: key.stringValue) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { node.set(.scalar(String(value)), forKey: key.stringValue) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { node.set(.scalar(String(value)), forKey: key.stringValue) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { node.set(.scalar(String(value)), forKey: key.stringValue) }
    mutating func encode<Value: Encodable>(_ value: Value, forKey key: Key) throws {
        node.set(try EncoderImplementation.member(value, at: codingPath + [key]), forKey: key.stringValue)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        let child = EncodingNode()
        node.set(.node(child), forKey: key.stringValue)
        return EncoderImplementation(node: child, codingPath: codingPath + [key]).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let child = EncodingNode()
        node.set(.node(child), forKey: key.stringValue)
        return EncoderImplementation(node: child, codingPath: codingPath + [key]).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder { encoder(forKey: SuperKey()) }
    mutating func superEncoder(forKey key: Key) -> any Encoder { encoder(forKey: key) }

    private func encoder(forKey key: some CodingKey) -> any Encoder {
        let child = EncodingNode()
        node.set(.node(child), forKey: key.stringValue)
        return EncoderImplementation(node: child, codingPath: codingPath + [key])
    }
}

private struct UnkeyedContainer: UnkeyedEncodingContainer {
    let node: EncodingNode
    let codingPath: [any CodingKey]
    var count: Int { node.elements.count }

    private func append(_ text: String) { node.elements.append(.scalar(text)) }
    private var nextPath: [any CodingKey] { codingPath + [IndexKey(count)] }

    mutating func encodeNil() throws { append("null") }
    mutating func encode(_ value: Bool) throws { append(value ? "true" : "false") }
    mutating func encode(_ value: String) throws { append(JSONText.string(value)) }
    mutating func encode(_ value: Double) throws { append(try JSONText.number(value, codingPath: nextPath)) }
    mutating func encode(_ value: Float) throws { append(try JSONText.number(value, codingPath: nextPath)) }
    mutating func encode(_ value: Int) throws { append(String(value)) }
    mutating func encode(_ value: Int8) throws { append(String(value)) }
    mutating func encode(_ value: Int16) throws { append(String(value)) }
    mutating func encode(_ value: Int32) throws { append(String(value)) }
    mutating func encode(_ value: Int64) throws { append(String(value)) }
    mutating func encode(_ value: UInt) throws { append(String(value)) }
    mutating func encode(_ value: UInt8) throws { append(String(value)) }
    mutating func encode(_ value: UInt16) throws { append(String(value)) }
    mutating func encode(_ value: UInt32) throws { append(String(value)) }
    mutating func encode(_ value: UInt64) throws { append(String(value)) }
    mutating func encode<Value: Encodable>(_ value: Value) throws {
        node.elements.append(try EncoderImplementation.member(value, at: nextPath))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        EncoderImplementation(node: appendNode(), codingPath: nextPath).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        EncoderImplementation(node: appendNode(), codingPath: nextPath).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder { EncoderImplementation(node: appendNode(), codingPath: nextPath) }

    private func appendNode() -> EncodingNode {
        let child = EncodingNode()
        node.elements.append(.node(child))
        return child
    }
}

private struct SingleValueContainer: SingleValueEncodingContainer {
    let node: EncodingNode
    let codingPath: [any CodingKey]

    private func set(_ text: String) { node.content = .scalar(text) }

    mutating func encodeNil() throws { set("null") }
    mutating func encode(_ value: Bool) throws { set(value ? "true" : "false") }
    mutating func encode(_ value: String) throws { set(JSONText.string(value)) }
    mutating func encode(_ value: Double) throws { set(try JSONText.number(value, codingPath: codingPath)) }
    mutating func encode(_ value: Float) throws { set(try JSONText.number(value, codingPath: codingPath)) }
    mutating func encode(_ value: Int) throws { set(String(value)) }
    mutating func encode(_ value: Int8) throws { set(String(value)) }
    mutating func encode(_ value: Int16) throws { set(String(value)) }
    mutating func encode(_ value: Int32) throws { set(String(value)) }
    mutating func encode(_ value: Int64) throws { set(String(value)) }
    mutating func encode(_ value: UInt) throws { set(String(value)) }
    mutating func encode(_ value: UInt8) throws { set(String(value)) }
    mutating func encode(_ value: UInt16) throws { set(String(value)) }
    mutating func encode(_ value: UInt32) throws { set(String(value)) }
    mutating func encode(_ value: UInt64) throws { set(String(value)) }
    mutating func encode<Value: Encodable>(_ value: Value) throws {
        try value.encode(to: EncoderImplementation(node: node, codingPath: codingPath))
    }
}
