import IsolatedWire
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The runner's end of the socket to the engine.
final class RunnerChannel: Sendable {
    private static let shared = Mutex<RunnerChannel?>(nil)

    /// The channel of this worker, once ``Runner/run(_:)`` has started.
    static var current: RunnerChannel? {
        get { shared.withLock { $0 } }
        set { shared.withLock { $0 = newValue } }
    }

    private struct Calls {
        var nextID: UInt64 = 1
        var pending: [UInt64: CheckedContinuation<Result<[UInt8], IsolatedError>, Never>] = [:]
        var invocation: UInt64 = 0
    }

    /// The socket.
    let descriptor: Int32
    private let writeLock = Mutex(())
    private let calls = Mutex(Calls())

    init(descriptor: Int32) { self.descriptor = descriptor }

    /// The invocation being served, which nested calls are made on behalf of.
    var currentInvocation: UInt64 {
        get { calls.withLock { $0.invocation } }
        set { calls.withLock { $0.invocation = newValue } }
    }

    /// Calls the isolated function shipped as `function` through the engine, which adds the
    /// settings of the call being served, and waits for the outcome.
    func call(_ function: String, arguments: [[UInt8]]) async -> Result<[UInt8], IsolatedError> {
        await withCheckedContinuation { continuation in
            let (id, parent) = calls.withLock { calls in
                defer { calls.nextID += 1 }
                calls.pending[calls.nextID] = continuation
                return (calls.nextID, calls.invocation)
            }
            send(.call(id: id, parent: parent, function: function, arguments: arguments))
        }
    }

    /// Hands a nested call's outcome to the call waiting for it.
    func complete(_ id: UInt64, _ result: Result<[UInt8], IsolatedError>) {
        calls.withLock { $0.pending.removeValue(forKey: id) }?.resume(returning: result)
    }

    func send(_ message: RunnerMessage) {
        let bytes = message.frame.bytes
        // The engine is gone: nothing left to serve.
        if !writeLock.withLock({ _ in Self.writeAll(descriptor, bytes) }) { _exit(0) }
    }

    /// Sends a call's result, written from its own storage between the frame's header and the
    /// call's id, in one system call when the socket takes it whole.
    func sendReturned(id: UInt64, _ result: EncodedPayload) {
        let header = RunnerMessage.returnedHeader(resultCount: result.count)
        let trailer = RunnerMessage.returnedTrailer(id: id)
        let written = header.withUnsafeBytes { header in
            trailer.withUnsafeBytes { trailer in
                result.withBuffers { body in writeLock.withLock { _ in Self.writeAll(descriptor, [header] + body + [trailer]) } }
            }
        }
        if !written { _exit(0) }
    }

    @discardableResult
    static func writeAll(_ descriptor: Int32, _ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { writeAll(descriptor, [$0]) }
    }

    /// Writes every buffer, in order, with as few `writev` calls as the descriptor allows.
    static func writeAll(_ descriptor: Int32, _ buffers: [UnsafeRawBufferPointer]) -> Bool {
        var vectors = buffers.filter { !$0.isEmpty }.map { iovec(iov_base: UnsafeMutableRawPointer(mutating: $0.baseAddress), iov_len: $0.count) }
        var first = 0
        while first < vectors.count {
            let count = vectors.withUnsafeBufferPointer { writev(descriptor, $0.baseAddress! + first, Int32($0.count - first)) }
            if count < 0 {
                if errno == EINTR { continue }
                return false
            }
            var written = count
            while first < vectors.count, written >= vectors[first].iov_len {
                written -= vectors[first].iov_len
                first += 1
            }
            if written > 0 {
                vectors[first].iov_base = vectors[first].iov_base.map { $0 + written }
                vectors[first].iov_len -= written
            }
        }
        return true
    }
}
