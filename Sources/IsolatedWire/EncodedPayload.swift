/// An encoded payload kept as the value it was encoded from, so a string or a byte array is
/// written to a channel from its own storage instead of being copied into a new buffer first.
package struct EncodedPayload: Sendable {
    private enum Storage: Sendable {
        case encoded([UInt8])
        case text(String)
        case bytes([UInt8])
        case raw(any RawBytesPayload)
    }

    private let storage: Storage

    /// A payload already encoded as one array.
    package init(encoded bytes: [UInt8]) { storage = .encoded(bytes) }

    init(text: String) { storage = .text(text) }

    init(bytes: [UInt8]) { storage = .bytes(bytes) }

    init(raw: any RawBytesPayload) { storage = .raw(raw) }

    /// How many bytes the payload takes.
    package var count: Int {
        switch storage {
        case .encoded(let bytes): bytes.count
        case .text(let text): 1 + text.utf8.count
        case .bytes(let bytes): 1 + bytes.count
        case .raw(let raw): 1 + raw.withRawPayload(\.count)
        }
    }

    /// The payload as one array.
    package var bytes: [UInt8] {
        if case .encoded(let bytes) = storage { return bytes }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count)
        withBuffers { buffers in
            for buffer in buffers { bytes.append(contentsOf: buffer) }
        }
        return bytes
    }

    /// Calls `body` with the payload's bytes, in order: a raw value's marker, then its own storage.
    package func withBuffers<Result>(_ body: ([UnsafeRawBufferPointer]) throws -> Result) rethrows -> Result {
        switch storage {
        case .encoded(let bytes):
            return try bytes.withUnsafeBytes { try body([$0]) }
        case .text(var text):
            return try text.withUTF8 { utf8 in try Self.marked(PayloadCoding.rawText, UnsafeRawBufferPointer(utf8), body) }
        case .bytes(let bytes):
            return try bytes.withUnsafeBytes { try Self.marked(PayloadCoding.rawBytes, $0, body) }
        case .raw(let raw):
            return try raw.withRawPayload { try Self.marked(PayloadCoding.rawBytes, $0, body) }
        }
    }

    private static func marked<Result>(
        _ marker: UInt8,
        _ value: UnsafeRawBufferPointer,
        _ body: ([UnsafeRawBufferPointer]) throws -> Result
    ) rethrows -> Result {
        try withUnsafeBytes(of: marker) { try body([$0, value]) }
    }
}
