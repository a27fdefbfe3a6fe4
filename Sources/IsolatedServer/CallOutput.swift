import Foundation
import IsolatedClient

/// A call's response stream as the call writes it: each event one JSON line, a binary
/// result's bytes after its line. Writes never wait; once the client has gone they are dropped.
struct CallOutput: Sendable {
    private let stream: AsyncStream<ArraySlice<UInt8>>.Continuation

    init(_ stream: AsyncStream<ArraySlice<UInt8>>.Continuation) {
        self.stream = stream
    }

    /// Writes `event` as one line, with `bytes` after it in the same chunk.
    func write(_ event: StreamEvent, then bytes: ArraySlice<UInt8> = []) {
        guard var line = try? JSONEncoder().encode(event) else { return }
        line.append(UInt8(ascii: "\n"))
        line.append(contentsOf: bytes)
        stream.yield(ArraySlice(line))
    }

    /// Writes raw bytes in slices of the caller's array, so a large result is never copied whole
    /// into one more buffer.
    func write(bytes: ArraySlice<UInt8>) {
        let slice = 1 << 20
        for start in stride(from: bytes.startIndex, to: bytes.endIndex, by: slice) {
            guard case .enqueued = stream.yield(bytes[start..<min(start + slice, bytes.endIndex)]) else { return }
        }
    }

    /// Ends the stream.
    func finish() {
        stream.finish()
    }
}
