package import IsolatedWire

/// The values a client reads from its event lines, each as `JSONDecoder` would decode it, or nil
/// where the value is not one `JSONDecoder` is certain to read the same way (an integer written
/// with a fraction or exponent, a number `JSONDecoder` rejects), so the caller can leave the line
/// to `JSONDecoder` and get its answer or error.
extension JSONValue {
    /// The text of a string.
    package var stringValue: String? {
        guard case .string(let text) = self else { return nil }
        return text
    }

    /// A boolean.
    package var boolValue: Bool? {
        guard case .bool(let bool) = self else { return nil }
        return bool
    }

    /// A whole number in `UInt64`'s range, written with digits only.
    package var uint64Value: UInt64? {
        guard let text = integerText else { return nil }
        // "-0" is zero; any other negative number is out of range.
        if text.utf8.first == UInt8(ascii: "-") { return text.utf8.dropFirst().allSatisfy { $0 == UInt8(ascii: "0") } ? 0 : nil }
        return UInt64(text)
    }

    /// A whole number in `Int64`'s range, written with digits only.
    package var int64Value: Int64? {
        integerText.flatMap { Int64($0) }
    }

    /// A finite number.
    package var doubleValue: Double? {
        guard case .number(let text) = self else { return nil }
        let mantissa = text.utf8.prefix { ($0 | 0x20) != UInt8(ascii: "e") }
        let mantissaIsZero = !mantissa.contains { (UInt8(ascii: "1")...UInt8(ascii: "9")).contains($0) }
        // `JSONDecoder` rejects some zeros with exponents ("0e1", "0.00e1"), so all are left to it,
        // as are numbers too large for a `Double` and numbers that round to zero.
        if mantissaIsZero, mantissa.count < text.utf8.count { return nil }
        guard let value = Double(text), value.isFinite, value != 0 || mantissaIsZero else { return nil }
        return value
    }

    /// The text of a number written with digits only, as a JSON integer.
    private var integerText: String? {
        guard case .number(let text) = self else { return nil }
        return text.utf8.contains { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") } ? nil : text
    }
}
