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

    /// Encodes a call's arguments, one payload each; a failure names the argument and the function.
    public static func arguments<each Argument: Encodable>(
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
    public static func result<Value: Decodable>(_ type: Value.Type, from bytes: [UInt8], of function: FunctionReference) throws(IsolatedError)
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
