import IsolatedWire
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The worker's thread: it reads the engine's channel and runs the function, as the executor an
/// invocation's task prefers. A warm call then wakes one thread, where handing each invocation
/// from a reader thread to the cooperative pool woke two.
///
/// While a job runs, this thread does not read the channel. ``watch()`` runs on a second thread
/// and reads it instead once a job has run for ``takeOver``, so a function that computes for
/// minutes still answers heartbeats; it gives reading back when the job ends.
final class RunnerLoop: TaskExecutor {
    /// Who reads the channel.
    private enum Reader {
        case loop
        case watcher
    }

    private struct State {
        var jobs: [UnownedJob] = []
        var next = 0
        /// The loop waits in `poll` and must be woken for a new job.
        var sleeping = false
        /// When the running job started; nil between jobs.
        var busySince: ContinuousClock.Instant?
        var reader = Reader.loop
        /// The loop wants reading back.
        var handBack = false
        var serving = false
        var stopping = false
    }

    /// How long a job runs before the watcher starts reading the channel.
    static let takeOver = Duration.milliseconds(100)

    private let channel: RunnerChannel
    private let serve: @Sendable (Invocation) async -> Void
    private let state = Mutex(State())
    /// Frames split across reads; only the thread that reads the channel touches it.
    private let parser = Mutex(FrameParser())
    /// A socket pair that wakes the loop out of `poll` when a job arrives from another thread.
    private let wake: (read: Int32, write: Int32)

    init(channel: RunnerChannel, serve: @escaping @Sendable (Invocation) async -> Void) {
        self.channel = channel
        self.serve = serve
        var sockets: [Int32] = [-1, -1]
        #if canImport(Glibc)
            let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
        #else
            let type = SOCK_STREAM
        #endif
        guard socketpair(AF_UNIX, type, 0, &sockets) == 0 else {
            RunnerChannel.writeAll(STDERR_FILENO, Array("isolated runner: cannot create its wake-up socket\n".utf8))
            exit(2)
        }
        wake = (sockets[0], sockets[1])
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let sleeping = state.withLock { state in
            state.jobs.append(job)
            defer { state.sleeping = false }
            return state.sleeping
        }
        if sleeping {
            var byte: UInt8 = 1
            _ = write(wake.write, &byte, 1)
        }
    }

    /// Runs jobs and reads the channel until the engine stops the runner or goes away.
    func run() -> Never {
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        var descriptors = [
            pollfd(fd: channel.descriptor, events: Int16(POLLIN), revents: 0), pollfd(fd: wake.read, events: Int16(POLLIN), revents: 0),
        ]
        while true {
            runJobs()
            reclaimReading()
            let idle = state.withLock { state in
                state.sleeping = state.next == state.jobs.count
                return state.sleeping
            }
            guard idle else { continue }
            let ready = poll(&descriptors, 2, -1)
            state.withLock { $0.sleeping = false }
            guard ready > 0 else { continue }
            if descriptors[1].revents != 0 { _ = buffer.withUnsafeMutableBytes { read(wake.read, $0.baseAddress, $0.count) } }
            if descriptors[0].revents != 0 { readChannel(into: &buffer) }
        }
    }

    /// Reads the channel in the loop's place whenever a job runs longer than ``takeOver``.
    func watch() -> Never {
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            // Ten looks a second: an idle runner's watcher costs ten wake-ups a second, and a
            // long job is taken over within twice `takeOver`.
            var pause = timespec(tv_sec: 0, tv_nsec: Int(Self.takeOver.components.attoseconds / 1_000_000_000))
            nanosleep(&pause, nil)
            let taken = state.withLock { state in
                guard state.reader == .loop, !state.handBack, let since = state.busySince, ContinuousClock.now - since >= Self.takeOver else {
                    return false
                }
                state.reader = .watcher
                return true
            }
            guard taken else { continue }
            while state.withLock({ $0.busySince != nil && !$0.handBack }) {
                var descriptor = pollfd(fd: channel.descriptor, events: Int16(POLLIN), revents: 0)
                if poll(&descriptor, 1, 2) > 0 { readChannel(into: &buffer) }
            }
            state.withLock { state in
                state.reader = .loop
                state.handBack = false
            }
        }
    }

    private func runJobs() {
        while let job = nextJob() {
            job.runSynchronously(on: asUnownedTaskExecutor())
            state.withLock { $0.busySince = nil }
        }
    }

    private func nextJob() -> UnownedJob? {
        state.withLock { state in
            guard state.next < state.jobs.count else {
                state.jobs.removeAll(keepingCapacity: true)
                state.next = 0
                return nil
            }
            defer { state.next += 1 }
            state.busySince = .now
            return state.jobs[state.next]
        }
    }

    /// Waits for the watcher to stop reading, if it took over during the last job.
    private func reclaimReading() {
        let watched = state.withLock { state in
            guard state.reader == .watcher else { return false }
            state.handBack = true
            return true
        }
        guard watched else { return }
        while state.withLock({ $0.reader == .watcher }) {
            var pause = timespec(tv_sec: 0, tv_nsec: 200_000)
            nanosleep(&pause, nil)
        }
    }

    /// Reads once from the channel and acts on every whole frame; the engine gone, the worker exits.
    private func readChannel(into buffer: inout [UInt8]) {
        let count = buffer.withUnsafeMutableBytes { read(channel.descriptor, $0.baseAddress, $0.count) }
        if count < 0, errno == EINTR || errno == EAGAIN { return }
        // End of file or a broken channel: the engine has gone away, so must the worker.
        guard count > 0 else { _exit(0) }
        do {
            let messages = try parser.withLock { parser in
                parser.append(buffer[0..<count])
                var messages: [RunnerMessage] = []
                while let frame = try parser.next() { messages.append(try RunnerMessage(frame)) }
                return messages
            }
            for message in messages { receive(message) }
        } catch {
            RunnerChannel.writeAll(STDERR_FILENO, Array("isolated runner: \(error)\n".utf8))
            _exit(3)
        }
    }

    private func receive(_ message: RunnerMessage) {
        switch message {
        case .invoke(let id, let arguments):
            state.withLock { $0.serving = true }
            let (serve, invocation) = (self.serve, Invocation(id: id, arguments: arguments))
            Task(executorPreference: self) {
                await serve(invocation)
                self.served()
            }
        case .ping(let sequence):
            channel.send(.pong(sequence))
        case .stop:
            // The call being served, if any, finishes first.
            if state.withLock({ state in
                state.stopping = true
                return !state.serving
            }) {
                exit(0)
            }
        case .callReturned(let id, let result):
            channel.complete(id, .success(result))
        case .callFailed(let id, let error):
            let decoded =
                (try? PayloadCoding.decode(IsolatedError.self, from: error))
                ?? IsolatedError(code: .codingFailed, message: "the engine sent an unreadable error for a nested call")
            channel.complete(id, .failure(decoded))
        case .ready, .returned, .threw, .pong, .failed, .call, .calling, .attach:
            RunnerChannel.writeAll(STDERR_FILENO, Array("isolated runner: unexpected message from the engine\n".utf8))
            _exit(3)
        }
    }

    private func served() {
        if state.withLock({ state in
            state.serving = false
            return state.stopping
        }) {
            exit(0)
        }
    }
}
