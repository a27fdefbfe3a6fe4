import Foundation

/// How arguments and results are encoded for the trip between caller and worker: JSON, so any
/// `Codable` type works and a payload stays readable in logs and records.
public enum PayloadCoding {
    /// Encodes a value.
    public static func encode<Value: Encodable>(_ value: Value) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return Array(try encoder.encode(value))
    }

    /// Decodes a value.
    public static func decode<Value: Decodable>(_ type: Value.Type, from bytes: [UInt8]) throws -> Value {
        try JSONDecoder().decode(type, from: Data(bytes))
    }
}
