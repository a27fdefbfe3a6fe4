import Foundation
package import IsolatedClient
import Synchronization

/// A call's response stream as the call writes it: each event one JSON line, a binary result's
/// bytes after its line. Writes never wait; once the client has gone they are dropped.
///
/// Events are batched: one that is not the call's outcome waits up to the batching delay (the
/// ``EventBatcher``'s) for the ones after it, so a call that ends within the delay goes out in
/// one write (one wakeup for the client), and a longer one's progress goes out within the
/// delay. The outcome goes out at once, with whatever is waiting.
package final class CallOutput: AsyncSequence, Sendable {
    package typealias Element = ArraySlice<UInt8>

    private struct State {
        var pending: [ArraySlice<UInt8>] = []
        var pendingBytes = 0
        /// Whether what is pending goes out now: the outcome or enough bytes arrived, or the delay passed.
        var due = false
        var finished = false
        /// The client stopped reading.
        var abandoned = false
        /// The response body, waiting for something due.
        var reader: CheckedContinuation<Void, Never>?
        /// Whether the batcher was asked to make what is pending due.
        var flushing = false

        var readable: Bool { abandoned || finished || (due && !pending.isEmpty) }

        /// What is pending, small pieces joined into one chunk; a large result's slices are not copied.
        mutating func take() -> ArraySlice<UInt8> {
            var chunk = pending.removeFirst()
            while let next = pending.first, chunk.count + next.count <= CallOutput.joinLimit {
                chunk.append(contentsOf: next)
                pending.removeFirst()
            }
            pendingBytes -= chunk.count
            if pending.isEmpty && !finished { due = false }
            return chunk
        }
    }

    /// Pending bytes past which they go out without waiting, and the most joined into one chunk.
    package static var joinLimit: Int { 1 << 16 }
    private let state = Mutex(State())
    private let batcher: EventBatcher?

    /// An output whose progress `batcher` sends within its delay; without one, progress waits for the outcome.
    package init(batcher: EventBatcher? = nil) {
        self.batcher = batcher
    }

    /// Writes `event` as one line, with `bytes` after it in the same chunk. The call's outcome
    /// (a result or an error) goes out at once; any other event within the batching delay.
    package func write(_ event: StreamEvent, then bytes: ArraySlice<UInt8> = []) {
        guard let line = Self.line(event, then: bytes) else { return }
        switch event {
        case .result, .resultBytes, .error: append(line, due: true)
        case .invocation, .event: append(line, due: false)
        }
    }

    /// `event` as one JSON line, with `bytes` after it.
    private static func line(_ event: StreamEvent, then bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8>? {
        guard var line = try? event.line() else { return nil }
        line.append(UInt8(ascii: "\n"))
        line.append(contentsOf: bytes)
        return ArraySlice(line)
    }

    /// Writes raw bytes, at once, in slices of the caller's array, so a large result is never
    /// copied whole into one more buffer.
    package func write(bytes: ArraySlice<UInt8>) {
        let slice = 1 << 20
        for start in stride(from: bytes.startIndex, to: bytes.endIndex, by: slice) {
            guard append(bytes[start..<Swift.min(start + slice, bytes.endIndex)], due: true) else { return }
        }
    }

    /// Writes the call's outcome, with `bytes` after its line, and ends the stream, in one step:
    /// a reader woken by the outcome finds the stream ended.
    package func finish(with event: StreamEvent, then bytes: ArraySlice<UInt8> = []) {
        guard let line = Self.line(event, then: bytes) else { return finish() }
        state.withLock { state in
            guard !state.abandoned && !state.finished else { return }
            state.pending.append(line)
            state.pendingBytes += line.count
        }
        finish()
    }

    /// Ends the stream after what was written.
    package func finish() {
        let reader = state.withLock { state in
            state.finished = true
            state.due = true
            return state.reader.take()
        }
        reader?.resume()
    }

    /// Makes what is pending due: the batching delay has passed.
    func makeDue() {
        let reader = state.withLock { state in
            state.flushing = false
            guard !state.pending.isEmpty else { return nil as CheckedContinuation<Void, Never>? }
            state.due = true
            return state.reader.take()
        }
        reader?.resume()
    }

    @discardableResult
    private func append(_ bytes: ArraySlice<UInt8>, due: Bool) -> Bool {
        let (written, reader, flush) = state.withLock { state in
            guard !state.abandoned && !state.finished else { return (false, nil as CheckedContinuation<Void, Never>?, false) }
            state.pending.append(bytes)
            state.pendingBytes += bytes.count
            if due || state.pendingBytes >= Self.joinLimit { state.due = true }
            if state.due { return (true, state.reader.take(), false) }
            // The first event to wait asks the batcher to send it within the delay.
            defer { state.flushing = true }
            return (true, nil, !state.flushing)
        }
        reader?.resume()
        if flush { batcher?.flush(self) }
        return written
    }

    /// The response body's side: the next chunk once it is due; `nil` at the end. A cancelled
    /// reader (the client went away) ends the stream, and later writes are dropped.
    private func next() async -> ArraySlice<UInt8>? {
        while true {
            let chunk: ArraySlice<UInt8>?? = state.withLock { state in
                if state.abandoned { return .some(nil) }
                if state.due && !state.pending.isEmpty { return state.take() }
                return state.finished ? .some(nil) : nil
            }
            if let chunk { return chunk }
            await untilReadable()
        }
    }

    /// The whole response, once its first part is due, if the call has ended by then and it is
    /// at most `limit` bytes, so that it can go out in one write; otherwise `nil`, and the
    /// response streams from its start.
    package func whole(upTo limit: Int) async -> [UInt8]? {
        await untilReadable()
        return state.withLock { state in
            guard state.finished && !state.abandoned && state.pendingBytes <= limit else { return nil }
            var whole: [UInt8] = []
            whole.reserveCapacity(state.pendingBytes)
            for piece in state.pending { whole.append(contentsOf: piece) }
            state.pending = []
            state.pendingBytes = 0
            return whole
        }
    }

    /// Waits until something is due, the stream has ended, or the reader is cancelled.
    private func untilReadable() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let ready = state.withLock { state in
                    if Task.isCancelled { state.abandoned = true }
                    guard !state.readable else { return true }
                    state.reader = continuation
                    return false
                }
                if ready { continuation.resume() }
            }
        } onCancel: {
            let reader = state.withLock { state in
                state.abandoned = true
                return state.reader.take()
            }
            reader?.resume()
        }
    }

    package struct AsyncIterator: AsyncIteratorProtocol {
        let output: CallOutput

        package mutating func next() async -> ArraySlice<UInt8>? {
            await output.next()
        }
    }

    package func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(output: self)
    }
}
