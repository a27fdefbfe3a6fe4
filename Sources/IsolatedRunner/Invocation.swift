import IsolatedWire

/// One call of the worker's function: its encoded arguments, and how to encode its result.
///
/// The entry point generated for each function decodes each argument with
/// ``argument(_:as:)`` and encodes what the function returns with ``result(_:)``.
public struct Invocation: Sendable {
    /// The engine's id for the call.
    public let id: UInt64
    let arguments: [[UInt8]]

    init(id: UInt64, arguments: [[UInt8]]) {
        self.id = id
        self.arguments = arguments
    }

    /// Decodes argument `index`.
    public func argument<Value: Decodable>(_ index: Int, as type: Value.Type) throws -> Value {
        guard arguments.indices.contains(index) else {
            throw StageError(
                error: RemoteError(
                    stage: .argumentDecoding,
                    typeName: "ArgumentCountMismatch",
                    message: "the call sent \(arguments.count) arguments; argument \(index) is missing"
                )
            )
        }
        do {
            return try PayloadCoding.decode(type, from: arguments[index])
        } catch {
            throw StageError(
                error: RemoteError(
                    stage: .argumentDecoding,
                    typeName: String(describing: Swift.type(of: error)),
                    message: "argument \(index) is not a valid \(Value.self): \(error)"
                )
            )
        }
    }

    /// Encodes the function's result.
    public func result<Value: Encodable>(_ value: Value) throws -> EncodedResult {
        do {
            return EncodedResult(payload: try PayloadCoding.encodedPayload(value))
        } catch {
            throw StageError(
                error: RemoteError(
                    stage: .resultEncoding,
                    typeName: String(describing: Swift.type(of: error)),
                    message: "the result could not be encoded as \(Value.self): \(error)"
                )
            )
        }
    }

    /// The encoded result of a function that returns nothing.
    public func void() -> EncodedResult { EncodedResult(payload: EncodedPayload(encoded: [])) }
}

/// An error the runner raises itself, already classified.
struct StageError: Error {
    var error: RemoteError
}
