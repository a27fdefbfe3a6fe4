#if canImport(Glibc)
    import Glibc
#endif

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
///
/// A large frame is gathered in its own payload array from its header on, so the payload is
/// handed over without moving it: a 100 MiB result is one copy out of the read buffer.
package struct FrameParser: Sendable {
    /// Raised when the stream cannot be a valid frame sequence.
    package struct Failure: Error, CustomStringConvertible {
        /// What was wrong.
        package var description: String
    }

    /// Frames longer than this are gathered in their own payload array.
    private static let largeFrame = 1 << 16
    /// Payloads this large are always a mapping of their own in glibc's malloc, whose dynamic
    /// threshold stops at 32 MiB, so advice given for one never reaches the shared heap.
    private static let hugePayload = 32 << 20

    private var buffer: [UInt8] = []
    private var start = 0
    /// The kind of the large frame being gathered, nil when there is none.
    private var largeKind: Frame.Kind?
    private var largePayload: [UInt8] = []
    private var largeCount = 0

    /// Creates an empty parser.
    package init() {}

    /// Adds bytes read from the stream.
    ///
    /// Concrete rather than generic: called from other modules, a generic version runs
    /// unspecialized, a byte at a time, which made a 10 MiB result take 300 ms.
    package mutating func append(_ bytes: UnsafeRawBufferPointer) {
        var rest = bytes
        if largeKind != nil {
            let taken = min(largeCount - largePayload.count, rest.count)
            largePayload.append(contentsOf: UnsafeRawBufferPointer(rebasing: rest[..<taken]))
            rest = UnsafeRawBufferPointer(rebasing: rest[taken...])
        }
        if !rest.isEmpty { buffer.append(contentsOf: rest) }
    }

    /// Adds bytes read from the stream.
    package mutating func append(_ bytes: ArraySlice<UInt8>) {
        bytes.withUnsafeBytes { append($0) }
    }

    /// The next complete frame, or nil until more bytes arrive.
    package mutating func next() throws(Failure) -> Frame? {
        if let kind = largeKind {
            guard largePayload.count == largeCount else { return nil }
            largeKind = nil
            var payload: [UInt8] = []
            swap(&payload, &largePayload)
            return Frame(kind: kind, payload: payload)
        }
        let available = buffer.count - start
        guard available >= 5 else { return compactIfDrained() }
        let length =
            Int(buffer[start]) | Int(buffer[start + 1]) << 8 | Int(buffer[start + 2]) << 16 | Int(buffer[start + 3]) << 24
        guard length >= 1, length <= Frame.maximumLength else {
            throw Failure(description: "invalid frame length \(length)")
        }
        let kind = Frame.Kind(rawValue: buffer[start + 4])
        guard available >= 4 + length else {
            if length > Self.largeFrame {
                largeKind = kind
                largeCount = length - 1
                largePayload.reserveCapacity(largeCount)
                if largeCount >= Self.hugePayload { Self.adviseHugePages(largePayload) }
                largePayload.append(contentsOf: buffer[(start + 5)...])
                buffer.removeAll(keepingCapacity: true)
                start = 0
            }
            return nil
        }
        let payload = Array(buffer[(start + 5)..<(start + 4 + length)])
        start += 4 + length
        _ = compactIfDrained()
        return Frame(kind: kind, payload: payload)
    }

    /// Whether bytes of an incomplete frame are buffered.
    package var hasPartialFrame: Bool { largeKind != nil || buffer.count > start }

    /// Asks for transparent huge pages under a large payload's storage before it is first
    /// written: faulting in 100 MiB a 4 KiB page at a time cost more than copying it.
    private static func adviseHugePages(_ payload: [UInt8]) {
        #if canImport(Glibc)
            let pageSize = 4096
            payload.withUnsafeBufferPointer { buffer in
                guard let base = buffer.baseAddress.map(UInt.init(bitPattern:)) else { return }
                let start = (base + UInt(pageSize) - 1) & ~UInt(pageSize - 1)
                let end = (base + UInt(payload.capacity)) & ~UInt(pageSize - 1)
                guard end > start, let pointer = UnsafeMutableRawPointer(bitPattern: start) else { return }
                _ = madvise(pointer, Int(end - start), MADV_HUGEPAGE)
            }
        #endif
    }

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
