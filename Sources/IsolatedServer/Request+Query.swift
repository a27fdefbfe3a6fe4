import Hummingbird
import IsolatedCore

extension Request {
    /// The query parameter `name`, or nil when the request leaves it out; a `400` naming it when
    /// it is not a number in `range`, as the OpenAPI document says.
    func query<Value: LosslessStringConvertible & Comparable>(_ name: String, in range: ClosedRange<Value>) throws(IsolatedError) -> Value? {
        let values = uri.queryParameters.getAll(name)
        guard let text = values.first else { return nil }
        guard values.count == 1, let value = Value(String(text)), range.contains(value) else {
            throw IsolatedError(
                code: .invalidRequest,
                message:
                    "the query parameter \(name) should be one number from \(range.lowerBound) to \(range.upperBound), not '\(values.joined(separator: "', '"))'"
            )
        }
        return value
    }
}
