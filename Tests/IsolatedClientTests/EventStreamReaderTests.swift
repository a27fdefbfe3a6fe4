import IsolatedClient
import Testing

@Suite("Reading a call's event stream")
struct EventStreamReaderTests {
    /// Lines, and a part announced by a line `bytes N`, as the client reads them.
    static func read(_ stream: [UInt8], chunkSize: Int, maxLineBytes: Int = 1 << 20) throws -> [EventStreamReader.Item] {
        var reader = EventStreamReader(maxLineBytes: maxLineBytes)
        var items: [EventStreamReader.Item] = []
        var offset = 0
        while offset < stream.count {
            let chunk = Array(stream[offset..<min(offset + chunkSize, stream.count)])
            chunk.withUnsafeBytes { reader.append($0) }
            offset += chunkSize
            while let item = try reader.next() {
                items.append(item)
                if case .line(let line) = item, line.starts(with: Array("bytes ".utf8)),
                    let count = Int(String(decoding: line.dropFirst(6), as: UTF8.self))
                {
                    reader.expectBytes(count)
                }
            }
        }
        #expect(!reader.isInsideItem)
        return items
    }

    @Test("lines and a raw part holding newlines come out whole, however the stream is split")
    func everySplit() throws {
        let part: [UInt8] = Array("a\nraw\n\npart\n".utf8) + [0, 255, 10]
        let stream = Array("{\"type\":\"invocation\"}\n\nlog line\nbytes \(part.count)\n".utf8) + part + Array("after\n".utf8)
        let expected: [EventStreamReader.Item] = [
            .line(Array("{\"type\":\"invocation\"}".utf8)), .line([]), .line(Array("log line".utf8)), .line(Array("bytes \(part.count)".utf8)),
            .bytes(part), .line(Array("after".utf8)),
        ]
        for chunkSize in 1...stream.count {
            #expect(try Self.read(stream, chunkSize: chunkSize) == expected, "chunks of \(chunkSize) bytes")
        }
    }

    @Test("an empty part and a part at the very end of the stream")
    func emptyAndFinalParts() throws {
        let stream = Array("bytes 0\nbytes 3\nxyz".utf8)
        for chunkSize in [1, 2, stream.count] {
            #expect(
                try Self.read(stream, chunkSize: chunkSize) == [
                    .line(Array("bytes 0".utf8)), .bytes([]), .line(Array("bytes 3".utf8)), .bytes(Array("xyz".utf8)),
                ])
        }
    }

    @Test("a large part goes straight into its own array: the line buffer stays empty while it arrives")
    func largePartIsNotBuffered() throws {
        let size = 8 << 20
        let part = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 9) }
        var reader = EventStreamReader()
        Array("bytes\n".utf8).withUnsafeBytes { reader.append($0) }
        #expect(try reader.next() == .line(Array("bytes".utf8)))
        reader.expectBytes(size)
        var largestBuffer = 0
        var received: [UInt8]?
        for start in stride(from: 0, to: size, by: 65_536) {
            part[start..<(start + 65_536)].withUnsafeBytes { reader.append($0) }
            largestBuffer = max(largestBuffer, reader.bufferedByteCount)
            if case .bytes(let bytes)? = try reader.next() { received = bytes }
        }
        #expect(largestBuffer == 0)
        #expect(received == part)
    }

    @Test("many lines arriving in small chunks never pile up in the buffer")
    func consumedLinesAreDropped() throws {
        var reader = EventStreamReader()
        let line = Array("{\"type\":\"log\",\"text\":\"\(String(repeating: "x", count: 100))\"}\n".utf8)
        var lines = 0
        var largestBuffer = 0
        for _ in 0..<20_000 {
            for start in stride(from: 0, to: line.count, by: 7) {
                line[start..<min(start + 7, line.count)].withUnsafeBytes { reader.append($0) }
                while case .line? = try reader.next() { lines += 1 }
                largestBuffer = max(largestBuffer, reader.bufferedByteCount)
            }
        }
        #expect(lines == 20_000)
        #expect(largestBuffer <= 2 * line.count, "the reader held \(largestBuffer) bytes")
    }

    @Test("a line longer than the limit is an error, and the stream ending inside an item is noticed")
    func limitsAndTruncation() throws {
        #expect(throws: EventStreamReader.Failure.self) {
            try Self.read(Array(repeating: UInt8(ascii: "x"), count: 2048), chunkSize: 100, maxLineBytes: 1024)
        }
        var reader = EventStreamReader()
        Array("bytes\nab".utf8).withUnsafeBytes { reader.append($0) }
        _ = try reader.next()
        reader.expectBytes(5)
        #expect(try reader.next() == nil)
        #expect(reader.isInsideItem)
    }
}
