package import IsolatedWire

extension JSONScanner {
    /// Scans a member's value into `slot` with `read`, or past it when `slot` holds the value of
    /// the same key written before, as `JSONDecoder` keeps a repeated key's first value.
    ///
    /// Throws where `read` answers nil (`null`, another type, a number it does not read), so a
    /// reader of event lines leaves the line to `JSONDecoder`.
    package mutating func member<Value>(_ slot: inout Value?, _ read: (JSONValue) -> Value?) throws(JSONParseError) {
        let value = try self.value()
        guard slot == nil else { return }
        guard let read = read(value) else { throw failure("Not read by hand: \(value.kind)") }
        slot = read
    }

    /// Scans a member's value into `slot` with `scan`, or past it as for ``member(_:_:)``.
    package mutating func member<Value>(
        _ slot: inout Value?, scanning scan: (inout JSONScanner) throws(JSONParseError) -> Value
    ) throws(JSONParseError) {
        guard slot == nil else {
            _ = try value()
            return
        }
        slot = try scan(&self)
    }

    /// The error for a line that lacks a field its type needs.
    package func missing(_ field: String) -> JSONParseError {
        failure("No \"\(field)\" read by hand")
    }
}
