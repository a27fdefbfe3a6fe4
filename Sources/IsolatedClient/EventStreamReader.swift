#if canImport(Glibc)
    import Glibc
#endif

/// Splits a call's response stream into event lines and, after a line that announces them,
/// raw byte parts, however the stream's chunks arrive.
///
/// Linear in the stream's length: a newline is searched for only in bytes not searched
/// before, consumed bytes are dropped once they are most of the buffer, and an announced part
/// is copied once, straight into its own array, so memory stays at one event's size plus the
/// part itself.
package struct EventStreamReader: Sendable {
    /// One item of the stream.
    package enum Item: Sendable, Equatable {
        /// An event line, without its newline.
        case line([UInt8])
        /// A byte part announced by ``EventStreamReader/expectBytes(_:)``.
        case bytes([UInt8])
    }

    /// The stream cannot be read: a line longer than the limit.
    package struct Failure: Error, CustomStringConvertible {
        /// What was wrong.
        package var description: String
    }

    private var buffer: [UInt8] = []
    /// The first byte of `buffer` not yet consumed.
    private var start = 0
    /// How many bytes after `start` are known to hold no newline.
    private var scanned = 0
    /// The byte part being read, and how many bytes it will have.
    private var part: (bytes: [UInt8], count: Int)?
    private let maxLineBytes: Int

    /// A reader refusing event lines longer than `maxLineBytes`.
    package init(maxLineBytes: Int = 16 << 20) {
        self.maxLineBytes = maxLineBytes
    }

    /// Adds bytes read from the stream.
    package mutating func append(_ chunk: UnsafeRawBufferPointer) {
        var chunk = chunk[...]
        if var current = part, start == buffer.count {
            // A part being read takes its bytes straight from the chunk; cleared first, so
            // appending does not copy what it already holds.
            part = nil
            let taken = min(current.count - current.bytes.count, chunk.count)
            current.bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk.prefix(taken)))
            part = current
            chunk = chunk.dropFirst(taken)
        }
        if !chunk.isEmpty { buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk)) }
    }

    /// Makes the next `count` bytes of the stream one ``Item/bytes(_:)`` item, read after the line just returned.
    package mutating func expectBytes(_ count: Int) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count)
        let taken = min(count, buffer.count - start)
        bytes.append(contentsOf: buffer[start..<(start + taken)])
        start += taken
        scanned = 0
        compact()
        part = (bytes, count)
    }

    /// The next complete item, or nil until more bytes arrive.
    package mutating func next() throws(Failure) -> Item? {
        if let current = part {
            guard current.bytes.count == current.count else { return nil }
            part = nil
            return .bytes(current.bytes)
        }
        let available = buffer.count - start
        guard available > scanned else { return nil }
        let newline = buffer.withUnsafeBytes { raw -> Int? in
            let from = raw.baseAddress! + start + scanned
            guard let found = memchr(from, Int32(UInt8(ascii: "\n")), available - scanned) else { return nil }
            return UnsafeRawPointer(found) - raw.baseAddress!
        }
        guard let newline else {
            scanned = available
            guard available <= maxLineBytes else {
                throw Failure(description: "an event line is longer than \(maxLineBytes >> 20) MiB")
            }
            return nil
        }
        let line = Array(buffer[start..<newline])
        start = newline + 1
        scanned = 0
        compact()
        return .line(line)
    }

    /// How many bytes the reader holds outside byte parts: at most an event line and a chunk.
    package var bufferedByteCount: Int { buffer.count }

    /// Whether the stream ended inside an event line or a byte part.
    package var isInsideItem: Bool { part != nil || buffer.count > start }

    /// Drops consumed bytes once they are at least half the buffer, so each byte moves at most
    /// once more on average.
    private mutating func compact() {
        if start == buffer.count {
            buffer.removeAll(keepingCapacity: buffer.capacity <= 1 << 20)
            start = 0
        } else if start >= 1 << 16, start * 2 >= buffer.count {
            buffer.removeSubrange(0..<start)
            start = 0
        }
    }
}
