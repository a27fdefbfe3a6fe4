/// Appends fixed-width integers and length-prefixed byte strings to a buffer.
package struct ByteWriter {
    package private(set) var bytes: [UInt8] = []

    package init(capacity: Int = 64) { bytes.reserveCapacity(capacity) }

    package mutating func write(_ value: UInt64) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    package mutating func write(_ value: UInt32) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    package mutating func write(_ value: UInt8) { bytes.append(value) }

    package mutating func write(bytes value: [UInt8]) {
        write(UInt32(value.count))
        bytes.append(contentsOf: value)
    }

    package mutating func write(_ value: String) { write(bytes: Array(value.utf8)) }

    /// Appends bytes with no count before them: a message's last field.
    package mutating func write(raw value: [UInt8]) { bytes.append(contentsOf: value) }
}

/// Reads what `ByteWriter` wrote, failing instead of trapping on truncated input.
package struct ByteReader {
    package struct Truncated: Error, CustomStringConvertible {
        package var description: String { "truncated message" }
    }

    private let bytes: [UInt8]
    private var offset = 0

    package init(_ bytes: [UInt8]) { self.bytes = bytes }

    package var isAtEnd: Bool { offset == bytes.count }

    /// How many bytes are left to read.
    package var remaining: Int { bytes.count - offset }

    package mutating func readUInt64() throws(Truncated) -> UInt64 {
        guard bytes.count - offset >= 8 else { throw Truncated() }
        var value: UInt64 = 0
        for index in 0..<8 { value |= UInt64(bytes[offset + index]) << (8 * UInt64(index)) }
        offset += 8
        return value
    }

    package mutating func readUInt32() throws(Truncated) -> UInt32 {
        guard bytes.count - offset >= 4 else { throw Truncated() }
        var value: UInt32 = 0
        for index in 0..<4 { value |= UInt32(bytes[offset + index]) << (8 * UInt32(index)) }
        offset += 4
        return value
    }

    package mutating func readUInt8() throws(Truncated) -> UInt8 {
        guard offset < bytes.count else { throw Truncated() }
        defer { offset += 1 }
        return bytes[offset]
    }

    package mutating func readBytes() throws(Truncated) -> [UInt8] {
        let count = Int(try readUInt32())
        guard bytes.count - offset >= count else { throw Truncated() }
        defer { offset += count }
        return Array(bytes[offset..<(offset + count)])
    }

    package mutating func readString() throws(Truncated) -> String {
        String(decoding: try readBytes(), as: UTF8.self)
    }
}
