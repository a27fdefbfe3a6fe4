/// One message on the channel between the engine and a runner.
///
/// On the wire a frame is a 4-byte little-endian length, then a 1-byte kind, then the payload;
/// the length counts the kind byte and the payload. Binary framing keeps the warm path free of
/// JSON: only user arguments and results are encoded, and they travel as opaque bytes.
package struct Frame: Sendable, Equatable {
    /// What a frame carries; the payload's layout depends on it.
    package struct Kind: RawRepresentable, Sendable, Hashable {
        /// The byte that identifies the kind on the wire.
        package var rawValue: UInt8
        /// Creates a kind from its wire byte.
        package init(rawValue: UInt8) { self.rawValue = rawValue }
    }

    /// The largest frame either side accepts: guards against a corrupt length prefix.
    package static let maximumLength = 1 << 31

    /// The frame's kind.
    package var kind: Kind
    /// The frame's payload.
    package var payload: [UInt8]

    /// Creates a frame.
    package init(kind: Kind, payload: [UInt8] = []) {
        self.kind = kind
        self.payload = payload
    }

    /// The frame as bytes ready to write, header included.
    package var bytes: [UInt8] {
        var bytes = Self.header(kind: kind, payloadCount: payload.count, reserving: payload.count)
        bytes.append(contentsOf: payload)
        return bytes
    }

    /// The 5 bytes before a payload of `payloadCount` bytes, with room for `extra` more.
    package static func header(kind: Kind, payloadCount: Int, reserving extra: Int = 0) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(5 + extra)
        withUnsafeBytes(of: UInt32(payloadCount + 1).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(kind.rawValue)
        return bytes
    }
}

/// Splits a byte stream into frames, however the bytes arrive.
package struct FrameParser: Sendable {
    /// Raised when the stream cannot be a valid frame sequence.
    package struct Failure: Error, CustomStringConvertible {
        /// What was wrong.
        package var description: String
    }

    private var buffer: [UInt8] = []
    private var start = 0

    /// Creates an empty parser.
    package init() {}

    /// Adds bytes read from the stream.
    ///
    /// Concrete rather than generic: called from other modules, a generic version runs
    /// unspecialized, a byte at a time, which made a 10 MiB result take 300 ms.
    package mutating func append(_ bytes: UnsafeRawBufferPointer) {
        buffer.append(contentsOf: bytes)
    }

    /// Adds bytes read from the stream.
    package mutating func append(_ bytes: ArraySlice<UInt8>) {
        bytes.withUnsafeBytes { append($0) }
    }

    /// The next complete frame, or nil until more bytes arrive.
    package mutating func next() throws(Failure) -> Frame? {
        let available = buffer.count - start
        guard available >= 5 else { return compactIfDrained() }
        let length =
            Int(buffer[start]) | Int(buffer[start + 1]) << 8 | Int(buffer[start + 2]) << 16 | Int(buffer[start + 3]) << 24
        guard length >= 1, length <= Frame.maximumLength else {
            throw Failure(description: "invalid frame length \(length)")
        }
        guard available >= 4 + length else {
            buffer.reserveCapacity(start + 4 + length)
            return nil
        }
        let kind = Frame.Kind(rawValue: buffer[start + 4])
        if start == 0, available == 4 + length, length > 1 << 16 {
            // A large frame alone in the buffer: hand over the buffer instead of copying it.
            var payload = buffer
            buffer = []
            payload.removeFirst(5)
            return Frame(kind: kind, payload: payload)
        }
        let payload = Array(buffer[(start + 5)..<(start + 4 + length)])
        start += 4 + length
        _ = compactIfDrained()
        return Frame(kind: kind, payload: payload)
    }

    /// Whether bytes of an incomplete frame are buffered.
    package var hasPartialFrame: Bool { buffer.count > start }

    private mutating func compactIfDrained() -> Frame? {
        if start == buffer.count {
            buffer.removeAll(keepingCapacity: buffer.capacity <= 1 << 20)
            start = 0
        } else if start > 1 << 20 {
            buffer.removeSubrange(0..<start)
            start = 0
        }
        return nil
    }
}
