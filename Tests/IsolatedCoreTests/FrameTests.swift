import IsolatedCore
import IsolatedWire
import Testing

@Suite("Runner protocol framing")
struct FrameTests {
    static let messages: [RunnerMessage] = [
        .ready(processID: 4242),
        .invoke(id: 7, arguments: [Array("[1,2]".utf8), [], Array("\"x\"".utf8)]),
        .returned(id: 7, result: Array("[[1,2]]".utf8)),
        .threw(id: 8, error: RemoteError(stage: .function, typeName: "Oops", message: "it broke: ünïcode")),
        .threw(
            id: 9,
            error: RemoteError(
                stage: .function, typeName: "ValueError", message: "bad", traceback: "Traceback (most recent call last):\n", serialized: [0x80, 4, 0])
        ),
        .ping(3),
        .pong(3),
        .stop,
        .call(id: 2, parent: 7, function: "tellJokes", arguments: [[1, 104, 105], []]),
        .callReturned(id: 2, result: Array("[\"a\"]".utf8)),
        .callFailed(id: 3, error: Array("{}".utf8)),
        .calling(id: 7, function: FunctionReference(name: "tell_jokes", file: "/home/ada/jokes.py", line: 12)),
        .attach(token: "t0k3n", node: "node2", job: "41"),
    ]

    @Test("every message survives a round trip, however the bytes are split")
    func roundTrip() throws {
        let stream = Self.messages.flatMap(\.frame.bytes)
        for chunkSize in [1, 3, 7, 64, stream.count] {
            let (decoded, partial) = try Self.parse(stream, inReadsOf: chunkSize)
            #expect(decoded == Self.messages)
            #expect(!partial)
        }
    }

    /// The messages in `stream`, appended to one parser `size` bytes at a time, and whether bytes of a frame are left over.
    static func parse(_ stream: [UInt8], inReadsOf size: Int) throws -> (messages: [RunnerMessage], partial: Bool) {
        var parser = FrameParser()
        var decoded: [RunnerMessage] = []
        var offset = 0
        while offset < stream.count {
            parser.append(stream[offset..<min(offset + size, stream.count)])
            offset += size
            while let frame = try parser.next() { decoded.append(try RunnerMessage(frame)) }
        }
        return (decoded, parser.hasPartialFrame)
    }

    @Test("an error with a traceback or a serialized form travels as the raised frame, kind 12, its object last")
    func raisedFrame() throws {
        let error = RemoteError(stage: .function, typeName: "E", message: "m", traceback: "t", serialized: [7, 8])
        let bytes = RunnerMessage.threw(id: 1, error: error).frame.bytes
        #expect(bytes[4] == 12)
        #expect(Array(bytes.suffix(2)) == [7, 8])
        #expect(RunnerMessage.threw(id: 1, error: RemoteError(stage: .function, typeName: "E", message: "m")).frame.bytes[4] == 4)
    }

    @Test("the calling frame, kind 13, is the id, the name, the file and the line, as the Python runner packs them")
    func callingFrame() throws {
        let bytes = RunnerMessage.calling(id: 5, function: FunctionReference(name: "f", file: "a.py", line: 3)).frame.bytes
        // struct.pack("<IB", 1 + 8 + 5 + 8 + 4, 13) + pack("<Q", 5) + pack("<I", 1) + b"f" + pack("<I", 4) + b"a.py" + pack("<I", 3)
        #expect(bytes == [26, 0, 0, 0, 13, 5, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 102, 4, 0, 0, 0, 97, 46, 112, 121, 3, 0, 0, 0])
    }

    @Test("the attach frame, kind 14, is the token, the node and the job, as the Python runner packs them")
    func attachFrame() throws {
        let bytes = RunnerMessage.attach(token: "t", node: "n", job: "").frame.bytes
        // struct.pack("<IB", 1 + 5 + 5 + 4, 14) + pack("<I", 1) + b"t" + pack("<I", 1) + b"n" + pack("<I", 0)
        #expect(bytes == [15, 0, 0, 0, 14, 1, 0, 0, 0, 116, 1, 0, 0, 0, 110, 0, 0, 0, 0])
    }

    @Test("a large result written as header, body and id parses whole, in one piece or in reads of any size, followed by another frame or not")
    func largeResultHandOver() throws {
        let result = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0) }
        let wire = RunnerMessage.returnedHeader(resultCount: result.count) + result + RunnerMessage.returnedTrailer(id: 9)
        #expect(wire == RunnerMessage.returned(id: 9, result: result).frame.bytes)
        for tail in [[], RunnerMessage.pong(4).frame.bytes] {
            for chunkSize in [1 << 16, 4099, wire.count + tail.count] {
                let (decoded, partial) = try Self.parse(wire + tail, inReadsOf: chunkSize)
                #expect(decoded == [.returned(id: 9, result: result)] + (tail.isEmpty ? [] : [.pong(4)]))
                #expect(!partial)
            }
        }
    }

    @Test("a result shorter than its id is malformed")
    func truncatedResult() {
        #expect(throws: RunnerMessage.Malformed.self) {
            try RunnerMessage(Frame(kind: RunnerMessage.returned(id: 1, result: []).frame.kind, payload: [1, 2, 3]))
        }
    }

    @Test("a decoded result keeps the frame's storage instead of copying it")
    func resultTakesTheFrameStorage() throws {
        var frame = RunnerMessage.returned(id: 3, result: [UInt8](repeating: 7, count: 1 << 20)).frame
        let storage = frame.payload.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }
        guard case .returned(3, let result) = try RunnerMessage(consume frame) else {
            Issue.record("not a result")
            return
        }
        #expect(result == [UInt8](repeating: 7, count: 1 << 20))
        #expect(result.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) } == storage)
    }

    @Test("a corrupt length or an unknown kind is rejected, not trusted")
    func corruptInput() {
        var parser = FrameParser()
        parser.append([0xff, 0xff, 0xff, 0xff, 1])
        #expect(throws: FrameParser.Failure.self) { try parser.next() }
        #expect(throws: RunnerMessage.Malformed.self) { try RunnerMessage(Frame(kind: Frame.Kind(rawValue: 99))) }
        #expect(throws: RunnerMessage.Malformed.self) { try RunnerMessage(Frame(kind: RunnerMessage.ping(1).frame.kind, payload: [1, 2])) }
    }

    @Test("the log marker splits off text printed without a newline")
    func logMarker() throws {
        let line = "partial output" + LogMarker.line(for: 12).dropLast()
        let parsed = try #require(LogMarker.parse(Substring(line)))
        #expect(parsed.text == "partial output")
        #expect(parsed.id == 12)
        #expect(LogMarker.parse("an ordinary line") == nil)
    }
}
