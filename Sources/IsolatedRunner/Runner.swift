import FoundationEssentials
import IsolatedWire
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The loop inside every worker, in the manner of the Lambda runtime: wait for the next
/// invocation, run it, send its result or error, repeat until told to stop.
///
/// The channel to the engine is the socket inherited as `ISOLATED_RUNNER_FD`, or, for a runner a
/// cluster's scheduler started on another machine, a TCP connection to `ISOLATED_RUNNER_CONNECT`
/// that it opens and proves with its launch's one-time token. A dedicated thread
/// reads it, so pings are answered while the function runs, and the worker exits as soon as the
/// engine's end closes: a runner never outlives its engine, even one killed with SIGKILL.
public enum Runner {
    /// Serves invocations with `handler` until the engine says stop or goes away.
    public static func run(_ handler: @escaping @Sendable (Invocation) async throws -> EncodedResult) async -> Never {
        // Line-buffered output streams live; a pipe would otherwise be block-buffered.
        StandardStreams.useLineBuffering()
        let (descriptor, remote) = connectToEngine()
        let channel = RunnerChannel(descriptor: descriptor)
        RunnerChannel.current = channel
        let (invocations, continuation) = AsyncStream.makeStream(of: Invocation.self)
        channel.send(.ready(processID: getpid()))
        startThread(named: "isolated-io") { channel.readLoop(invocations: continuation) }

        for await invocation in invocations {
            channel.currentInvocation = invocation.id
            let outcome: Result<EncodedPayload, Failure>
            do {
                outcome = .success(try await handler(invocation).payload)
            } catch let error as IsolatedError {
                // Usually a nested call's failure: it travels whole, so the caller sees the chain.
                outcome = .failure(Failure(.failed(id: invocation.id, error: (try? PayloadCoding.encode(error)) ?? [])))
            } catch let error as StageError {
                outcome = .failure(Failure(.threw(id: invocation.id, error: error.error)))
            } catch {
                let remote = RemoteError(stage: .function, typeName: String(describing: type(of: error)), message: describe(error))
                outcome = .failure(Failure(.threw(id: invocation.id, error: remote)))
            }
            StandardStreams.flush()
            // An engine on this machine reads the pipes empty when the reply arrives; one on
            // another reads them from the scheduler's copy, which may lag behind the reply.
            if remote {
                let marker = Array(LogMarker.line(for: invocation.id).utf8)
                RunnerChannel.writeAll(STDOUT_FILENO, marker)
                RunnerChannel.writeAll(STDERR_FILENO, marker)
            }
            switch outcome {
            case .success(let result): channel.sendReturned(id: invocation.id, result)
            case .failure(let failure): channel.send(failure.reply)
            }
        }
        exit(0)
    }

    /// The reply to a call that did not return.
    private struct Failure: Error {
        let reply: RunnerMessage
        init(_ reply: RunnerMessage) { self.reply = reply }
    }

    /// Runs `body` on a thread of its own, detached: a POSIX thread rather than Foundation's
    /// `Thread`, so the runner needs only FoundationEssentials (Foundation cost a runner 6.5 MB
    /// and 4.5 ms of start-up here).
    private static func startThread(named name: String, _ body: @escaping @Sendable () -> Void) {
        final class Box: Sendable {
            let body: @Sendable () -> Void
            init(_ body: @escaping @Sendable () -> Void) { self.body = body }
        }
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        #if canImport(Glibc)
            var thread = pthread_t()
            let created = pthread_create(
                &thread, nil,
                {
                    Unmanaged<Box>.fromOpaque($0!).takeRetainedValue().body()
                    return nil
                }, box)
        #else
            var thread: pthread_t?
            let created = pthread_create(
                &thread, nil,
                {
                    Unmanaged<Box>.fromOpaque($0).takeRetainedValue().body()
                    return nil
                }, box)
        #endif
        guard created == 0 else { fatalError("isolated runner: cannot start its I/O thread: error \(created)") }
        pthread_detach(thread)
    }

    /// The engine's socket, inherited or connected to and attached with the launch's token, and
    /// whether the engine is on another machine.
    private static func connectToEngine() -> (descriptor: Int32, remote: Bool) {
        let environment = ProcessInfo.processInfo.environment
        if let text = environment["ISOLATED_RUNNER_FD"], let descriptor = Int32(text) {
            _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
            return (descriptor, false)
        }
        guard let address = environment["ISOLATED_RUNNER_CONNECT"], let token = environment["ISOLATED_RUNNER_TOKEN"] else {
            fail("neither ISOLATED_RUNNER_FD nor ISOLATED_RUNNER_CONNECT is set; runners are started by the Isolated engine")
        }
        let descriptor: Int32
        do {
            descriptor = try EngineAddress(address).connect()
        } catch {
            fail("cannot reach the engine at \(address): \(error)")
        }
        let attach = RunnerMessage.attach(token: token, node: environment["SLURMD_NODENAME"] ?? hostName(), job: environment["SLURM_JOB_ID"] ?? "")
        guard RunnerChannel.writeAll(descriptor, attach.frame.bytes) else { fail("the engine at \(address) closed the connection") }
        keepOnly(Set((environment["ISOLATED_RUNNER_VARIABLES"] ?? "").split(separator: ",").map(String.init)))
        return (descriptor, true)
    }

    /// Removes what the cluster's scheduler added to the environment the engine gave, but the
    /// job's id, its node and its GPUs: the function sees what a local runner's function sees.
    private static func keepOnly(_ names: Set<String>) {
        let kept = names.union(["SLURM_JOB_ID", "SLURMD_NODENAME", "CUDA_VISIBLE_DEVICES"]).subtracting(["ISOLATED_RUNNER_TOKEN"])
        for name in ProcessInfo.processInfo.environment.keys where !kept.contains(name) { unsetenv(name) }
    }

    private static func hostName() -> String {
        var buffer = [UInt8](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "" }
        return String(decoding: buffer.prefix { $0 != 0 }, as: UTF8.self)
    }

    private static func fail(_ message: String) -> Never {
        RunnerChannel.writeAll(STDERR_FILENO, Array("isolated runner: \(message)\n".utf8))
        exit(2)
    }

    private static func describe(_ error: any Error) -> String {
        if let localized = error as? any LocalizedError, let description = localized.errorDescription {
            return description
        }
        return String(describing: error)
    }
}

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

    private let descriptor: Int32
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

    private func complete(_ id: UInt64, _ result: Result<[UInt8], IsolatedError>) {
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

    /// Reads frames until the engine stops the runner or closes its end.
    func readLoop(invocations continuation: AsyncStream<Invocation>.Continuation) {
        var parser = FrameParser()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            // End of file or a broken channel: the engine has gone away, so must the worker.
            guard count > 0 else { _exit(0) }
            parser.append(buffer[0..<count])
            do {
                while let frame = try parser.next() {
                    switch try RunnerMessage(frame) {
                    case .invoke(let id, let arguments):
                        continuation.yield(Invocation(id: id, arguments: arguments))
                    case .ping(let sequence):
                        send(.pong(sequence))
                    case .stop:
                        continuation.finish()
                        return
                    case .callReturned(let id, let result):
                        complete(id, .success(result))
                    case .callFailed(let id, let error):
                        let decoded =
                            (try? PayloadCoding.decode(IsolatedError.self, from: error))
                            ?? IsolatedError(code: .codingFailed, message: "the engine sent an unreadable error for a nested call")
                        complete(id, .failure(decoded))
                    case .ready, .returned, .threw, .pong, .failed, .call, .calling, .attach:
                        RunnerChannel.writeAll(STDERR_FILENO, Array("isolated runner: unexpected message from the engine\n".utf8))
                        _exit(3)
                    }
                }
            } catch {
                RunnerChannel.writeAll(STDERR_FILENO, Array("isolated runner: \(error)\n".utf8))
                _exit(3)
            }
        }
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
