import Foundation
package import IsolatedCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The engine's side of one runner process: its socket and its two output pipes, served by one
/// I/O thread that polls all three.
///
/// The process is the runner itself, or, for a runner on another machine, the local process
/// that started it there and forwards its output (`srun`); such a runner's socket is a TCP
/// connection it opens itself, handed over with ``attach(channel:placement:)``.
///
/// Reading the pipes and the socket on one thread keeps attribution exact. A local runner's
/// output is in its pipes before its result is on the socket, so the pipes are read empty when
/// the result arrives; a runner on another machine writes ``LogMarker`` to both pipes before it
/// sends a call's result, and the call completes only once the result and both markers have
/// been read. Either way every line printed during the call reaches that call's log handler
/// before the caller sees the result.
package final class RunnerConnection: RunnerHandle {
    private struct PendingCall {
        var id: UInt64
        var continuation: CheckedContinuation<RunOutcome, Never>
        var onLog: @Sendable (LogLine.Stream, String) -> Void
        var onNestedCall: @Sendable (_ id: UInt64, _ function: String, _ arguments: [[UInt8]]) -> Void
        var outcome: RunOutcome?
        var markersSeen = 0
        var printed = 0
    }

    private struct State {
        var ready: CheckedContinuation<Result<Int32, RunnerStartFailure>, Never>?
        var readyProcessID: Int32?
        var call: PendingCall?
        var tail: [String] = []
        var termination: ChildProcess.Termination?
        var lastPong: UInt64 = 0
        var openPipes = 2
        var unresponsive = false
        var timedOut = false
        var calledFunction: FunctionReference?
        var placement: RunnerPlacement?
        var awaitingChannel: Bool
        var outOfMemory = false
        var lossReason: String?
    }

    /// What a line the runner's process printed says about how the runner ended, for runners
    /// whose limits and machine are managed elsewhere (a cluster's nodes).
    package enum Diagnosis: Sendable, Equatable {
        /// Its memory limit killed it.
        case outOfMemory
        /// Its machine or its job went away, for this reason.
        case lost(String)
    }

    private static let tailLength = 20

    package let process: ChildProcess
    /// The runner's cgroups, where limits are enforced.
    package let confinement: Confinement?
    private let state: Mutex<State>
    /// The engine's end of the channel, nil once closed. Writers and the I/O thread's close
    /// take this one lock, so a frame can never be written to a descriptor number that was
    /// closed and reused by another runner's socket.
    private let channel: Mutex<Int32?>
    private let resolveProcessID: (@Sendable (Int32) -> Int32?)?
    private let maxOutputBytesPerCall: Int
    private let onIdleLog: @Sendable (LogLine.Stream, String) -> Void
    private let onExit: @Sendable (ChildProcess.Termination) -> Void
    private let terminate: (@Sendable () -> Void)?
    private let diagnose: (@Sendable (Substring) -> Diagnosis?)?
    /// Wakes the I/O thread when a channel is attached; nil for a runner whose channel is inherited.
    private let wake: (engine: Int32, thread: Int32)?
    /// Whether a call ends only once a marker has arrived on every open pipe: for a runner on
    /// another machine, whose output travels apart from its channel. A local runner's pipes are
    /// read empty when its reply arrives instead.
    private let usesMarkers: Bool

    /// Starts serving the process's descriptors; `onExit` runs once, on the I/O thread, when it ends.
    ///
    /// - Parameters:
    ///   - resolveProcessID: Turns the process id the runner reports (its own, in its PID
    ///     namespace) into the engine's view of it.
    ///   - terminate: Kills the runner and everything it started, where signalling the process's
    ///     group cannot (a runner on another machine); the process's group gets SIGKILL too.
    ///   - diagnose: What a line the process printed says about the runner's end, for limits
    ///     and machines managed elsewhere (a cluster's nodes).
    package init(
        process: ChildProcess,
        confinement: Confinement? = nil,
        resolveProcessID: (@Sendable (Int32) -> Int32?)? = nil,
        maxOutputBytesPerCall: Int = .max,
        terminate: (@Sendable () -> Void)? = nil,
        diagnose: (@Sendable (Substring) -> Diagnosis?)? = nil,
        onIdleLog: @escaping @Sendable (LogLine.Stream, String) -> Void,
        onExit: @escaping @Sendable (ChildProcess.Termination) -> Void
    ) {
        self.process = process
        self.channel = Mutex(process.channel)
        self.state = Mutex(State(awaitingChannel: process.channel == nil))
        self.usesMarkers = process.channel == nil
        self.confinement = confinement
        self.resolveProcessID = resolveProcessID
        self.maxOutputBytesPerCall = maxOutputBytesPerCall
        self.terminate = terminate
        self.diagnose = diagnose
        self.onIdleLog = onIdleLog
        self.onExit = onExit
        // A local runner's pipes are read until empty when its reply arrives.
        for pipe in [process.standardOutput, process.standardError] { _ = fcntl(pipe, F_SETFL, fcntl(pipe, F_GETFL) | O_NONBLOCK) }
        var sockets: [Int32] = [-1, -1]
        if process.channel == nil, socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &sockets) == 0 {
            wake = (sockets[0], sockets[1])
        } else {
            wake = nil
        }
        let thread = Thread { [self] in serve() }
        thread.name = "isolated-runner-\(process.processID)"
        thread.start()
    }

    package func waitUntilReady() async throws(RunnerStartFailure) -> Int32 {
        try await withCheckedContinuation { (continuation: CheckedContinuation<Result<Int32, RunnerStartFailure>, Never>) in
            state.withLock { state in
                if let processID = state.readyProcessID {
                    continuation.resume(returning: .success(processID))
                } else if let termination = state.termination {
                    continuation.resume(returning: .failure(RunnerStartFailure(termination: termination, tail: state.tail)))
                } else {
                    state.ready = continuation
                }
            }
        }.get()
    }

    /// Runs one call; `onLog` receives each line the function prints and `onNestedCall` each
    /// nested isolated call it makes, on the I/O thread. Answer nested calls with ``reply(_:)``.
    package func invoke(
        id: UInt64,
        arguments: [[UInt8]],
        onLog: @escaping @Sendable (LogLine.Stream, String) -> Void,
        onNestedCall: @escaping @Sendable (_ id: UInt64, _ function: String, _ arguments: [[UInt8]]) -> Void
    ) async -> RunOutcome {
        await withCheckedContinuation { continuation in
            let crashed: RunOutcome? = state.withLock { state in
                if let termination = state.termination { return .crashed(termination, tail: state.tail) }
                precondition(state.call == nil, "a runner serves one call at a time")
                state.call = PendingCall(id: id, continuation: continuation, onLog: onLog, onNestedCall: onNestedCall)
                state.calledFunction = nil
                return nil
            }
            if let crashed {
                continuation.resume(returning: crashed)
                return
            }
            // A failed write means the runner is gone; the I/O thread reports the crash.
            send(.invoke(id: id, arguments: arguments))
        }
    }

    /// Answers a nested call with `.callReturned` or `.callFailed`.
    package func reply(_ message: RunnerMessage) { send(message) }

    /// What the runner said its latest call runs, if it said.
    package var calledFunction: FunctionReference? { state.withLock { $0.calledFunction } }

    /// Sends a heartbeat probe.
    package func ping(_ sequence: UInt64) { send(.ping(sequence)) }

    /// The last heartbeat the runner answered.
    package var lastPong: UInt64 { state.withLock { $0.lastPong } }

    /// Whether the process has ended.
    package var hasExited: Bool { state.withLock { $0.termination != nil } }

    /// Where the runner runs, once a runner on another machine has attached.
    package var placement: RunnerPlacement? { state.withLock { $0.placement } }

    /// Hands over the socket a runner on another machine opened; false when the runner's process
    /// has already ended or has a channel, and the socket should be closed.
    package func attach(channel descriptor: Int32, placement: RunnerPlacement) -> Bool {
        guard let wake else { return false }
        // The channel is set under the state's lock, so the I/O thread, which stops awaiting
        // under that lock before its last close, either closes this socket or never sees it.
        let attached = state.withLock { state in
            guard state.awaitingChannel else { return false }
            state.awaitingChannel = false
            state.placement = placement
            channel.withLock { $0 = descriptor }
            return true
        }
        guard attached else { return false }
        var byte: UInt8 = 1
        _ = Glibc.send(wake.engine, &byte, 1, Int32(MSG_NOSIGNAL))
        return true
    }

    /// Asks the runner to finish; it exits once its current call, if any, is done.
    package func stop() { send(.stop) }

    /// Kills the runner and everything it started.
    package func kill() {
        if let terminate {
            // The runner also exits the moment its socket closes.
            channel.withLock { channel in
                if let channel { shutdown(channel, Int32(SHUT_RDWR)) }
            }
            terminate()
        }
        process.signalGroup(SIGKILL)
    }

    package var lossReason: String? { state.withLock { $0.lossReason } }

    package var ranOutOfMemory: Bool { (confinement?.outOfMemory ?? false) || state.withLock { $0.outOfMemory } }

    /// Kills the runner because it stopped answering heartbeats. Kept here, not in the engine's
    /// table, so the call's outcome can say why even after the engine has forgotten the runner.
    package func killUnresponsive() {
        state.withLock { $0.unresponsive = true }
        kill()
    }

    /// Whether the runner was killed for not answering heartbeats.
    package var wasUnresponsive: Bool { state.withLock { $0.unresponsive } }

    /// Kills the runner because its call ran past its deadline; remembered here, like
    /// ``killUnresponsive()``, so the call reports it whatever reaches the engine first.
    package func killTimedOut() {
        state.withLock { $0.timedOut = true }
        kill()
    }

    /// Whether the runner was killed because its call ran past its deadline.
    package var wasTimedOut: Bool { state.withLock { $0.timedOut } }

    private func send(_ message: RunnerMessage) {
        let bytes = message.frame.bytes
        channel.withLock { channel in
            guard let channel else { return }
            var offset = 0
            while offset < bytes.count {
                let count = retryingInterrupted {
                    bytes.withUnsafeBytes { Glibc.send(channel, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
                }
                guard count >= 0 else { return }
                offset += count
            }
        }
    }

    /// Closes the engine's end of the channel, under the lock writers take.
    private func closeChannel() {
        channel.withLock { channel in
            if let descriptor = channel { close(descriptor) }
            channel = nil
        }
    }

    // MARK: - The I/O thread

    private func serve() {
        var descriptors = [
            pollfd(fd: process.channel ?? -1, events: Int16(POLLIN), revents: 0),
            pollfd(fd: process.standardOutput, events: Int16(POLLIN), revents: 0),
            pollfd(fd: process.standardError, events: Int16(POLLIN), revents: 0),
            pollfd(fd: wake?.thread ?? -1, events: Int16(POLLIN), revents: 0),
        ]
        var splitters = [LineSplitter(), LineSplitter()]
        var parser = FrameParser()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)

        // Until a runner on another machine attaches, the process's output is all there is; its
        // end (both pipes closed) means the runner never started.
        while descriptors[0].fd >= 0 || (descriptors[3].fd >= 0 && (descriptors[1].fd >= 0 || descriptors[2].fd >= 0)) {
            guard retryingInterrupted({ poll(&descriptors, 4, -1) }) >= 0 else { break }
            if descriptors[3].fd >= 0, descriptors[3].revents != 0 {
                descriptors[0].fd = channel.withLock { $0 } ?? -1
                descriptors[3].fd = -1
                continue
            }
            for index in [1, 2, 0] where descriptors[index].fd >= 0 && descriptors[index].revents != 0 {
                let count = retryingInterrupted { buffer.withUnsafeMutableBytes { read(descriptors[index].fd, $0.baseAddress, $0.count) } }
                if count < 0, errno == EAGAIN { continue }
                if count <= 0 {
                    if index > 0, let rest = splitters[index - 1].finish() { receive(line: rest, from: index) }
                    if index == 0 { closeChannel() } else { close(descriptors[index].fd) }
                    descriptors[index].fd = -1
                    if index > 0 { pipeClosed() }
                    continue
                }
                if index == 0 {
                    parser.append(buffer[0..<count])
                    do {
                        while let frame = try parser.next() {
                            let message = try RunnerMessage(frame)
                            if !usesMarkers, Self.endsCall(message) { readPipes(&descriptors, &splitters, &buffer) }
                            receive(message)
                        }
                    } catch {
                        // A runner that breaks the protocol cannot be trusted with more calls.
                        kill()
                    }
                } else {
                    let lines = buffer.withUnsafeBytes { splitters[index - 1].lines(in: UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
                    for line in lines { receive(line: line, from: index) }
                }
            }
        }

        // A channel attached as the process ended was never read: closing it ends that runner.
        state.withLock { $0.awaitingChannel = false }
        closeChannel()
        if let wake {
            close(wake.engine)
            close(wake.thread)
        }
        // The socket closed: the process is ending. Reap it, then read what it printed last,
        // without waiting on pipes a child of the runner may still hold open.
        let termination = process.waitForTermination()
        drain(&descriptors, &splitters, &buffer)
        for index in 1...2 where descriptors[index].fd >= 0 { close(descriptors[index].fd) }
        finish(termination)
    }

    /// Whether `message` is a runner's reply to its call.
    private static func endsCall(_ message: RunnerMessage) -> Bool {
        switch message {
        case .returned, .threw, .failed: true
        default: false
        }
    }

    /// Reads what a local runner's pipes hold when its reply arrives, a line left unfinished
    /// included: it wrote all of it before the reply, so this is all the call printed, and no
    /// end-of-call marker is needed.
    private func readPipes(_ descriptors: inout [pollfd], _ splitters: inout [LineSplitter], _ buffer: inout [UInt8]) {
        for index in 1...2 where descriptors[index].fd >= 0 {
            while true {
                let count = retryingInterrupted { buffer.withUnsafeMutableBytes { read(descriptors[index].fd, $0.baseAddress, $0.count) } }
                if count < 0 { break }
                if count == 0 {
                    if let rest = splitters[index - 1].finish() { receive(line: rest, from: index) }
                    close(descriptors[index].fd)
                    descriptors[index].fd = -1
                    pipeClosed()
                    break
                }
                let lines = buffer.withUnsafeBytes { splitters[index - 1].lines(in: UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
                for line in lines { receive(line: line, from: index) }
            }
            if descriptors[index].fd >= 0, let rest = splitters[index - 1].finish() { receive(line: rest, from: index) }
        }
    }

    private func drain(_ descriptors: inout [pollfd], _ splitters: inout [LineSplitter], _ buffer: inout [UInt8]) {
        while descriptors[1].fd >= 0 || descriptors[2].fd >= 0 {
            guard retryingInterrupted({ poll(&descriptors, 3, 100) }) > 0 else { return }
            for index in 1...2 where descriptors[index].fd >= 0 && descriptors[index].revents != 0 {
                let count = retryingInterrupted { buffer.withUnsafeMutableBytes { read(descriptors[index].fd, $0.baseAddress, $0.count) } }
                if count < 0, errno == EAGAIN { continue }
                if count <= 0 {
                    if let rest = splitters[index - 1].finish() { receive(line: rest, from: index) }
                    close(descriptors[index].fd)
                    descriptors[index].fd = -1
                    continue
                }
                let lines = buffer.withUnsafeBytes { splitters[index - 1].lines(in: UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
                for line in lines { receive(line: line, from: index) }
            }
        }
    }

    private func receive(line: Substring, from index: Int) {
        let stream: LogLine.Stream = index == 1 ? .stdout : .stderr
        let limit = maxOutputBytesPerCall
        var handler: (@Sendable (LogLine.Stream, String) -> Void)?
        var completed: (CheckedContinuation<RunOutcome, Never>, RunOutcome)?
        var overLimit = false
        let diagnosis = diagnose?(line)
        let text: String? = state.withLock { state in
            switch diagnosis {
            case .outOfMemory: state.outOfMemory = true
            case .lost(let reason): state.lossReason = state.lossReason ?? reason
            case nil: break
            }
            handler = state.call?.onLog
            var text: Substring? = line
            if let (before, id) = LogMarker.parse(line) {
                text = before.isEmpty ? nil : before
                if state.call?.id == id {
                    state.call!.markersSeen += 1
                    completed = completion(&state)
                }
            }
            if let printed = text?.utf8.count, state.call != nil {
                state.call!.printed += printed + 1
                if state.call!.printed > limit {
                    // What is over the limit goes nowhere; the runner is killed below.
                    if state.call!.outcome == nil {
                        state.call!.outcome = .printedTooMuch(limit: limit, tail: state.tail)
                        overLimit = true
                    }
                    return nil
                }
            }
            if let text {
                state.tail.append(String(text))
                if state.tail.count > Self.tailLength { state.tail.removeFirst() }
            }
            return text.map(String.init)
        }
        if overLimit { kill() }
        if let text { (handler ?? onIdleLog)(stream, text) }
        if let (continuation, outcome) = completed { continuation.resume(returning: outcome) }
    }

    private func pipeClosed() {
        let completed = state.withLock { state -> (CheckedContinuation<RunOutcome, Never>, RunOutcome)? in
            state.openPipes -= 1
            return completion(&state)
        }
        if let (continuation, outcome) = completed { continuation.resume(returning: outcome) }
    }

    private func receive(_ message: RunnerMessage) {
        switch message {
        case .ready(let reported):
            let processID = resolveProcessID.map { $0(reported) ?? process.processID } ?? reported
            let ready = state.withLock { state in
                state.readyProcessID = processID
                defer { state.ready = nil }
                return state.ready
            }
            ready?.resume(returning: .success(processID))
        case .returned(let id, let result):
            settle(id: id, .returned(result))
        case .threw(let id, let error):
            settle(id: id, .threw(error))
        case .failed(let id, let error):
            let decoded =
                (try? PayloadCoding.decode(IsolatedError.self, from: error))
                ?? IsolatedError(code: .codingFailed, message: "the runner sent an unreadable error")
            settle(id: id, .failed(decoded))
        case .call(let id, let parent, let function, let arguments):
            let handler = state.withLock { $0.call?.id == parent ? $0.call?.onNestedCall : nil }
            if let handler {
                handler(id, function, arguments)
            } else {
                let error = IsolatedError(code: .invalidShipment, message: "a nested call arrived outside the call that made it")
                reply(.callFailed(id: id, error: (try? PayloadCoding.encode(error)) ?? []))
            }
        case .pong(let sequence):
            state.withLock { $0.lastPong = max($0.lastPong, sequence) }
        case .calling(let id, let function):
            state.withLock { state in
                if state.call?.id == id { state.calledFunction = function }
            }
        case .invoke, .ping, .stop, .callReturned, .callFailed, .attach:
            kill()
        }
    }

    private func settle(id: UInt64, _ outcome: RunOutcome) {
        let completed = state.withLock { state -> (CheckedContinuation<RunOutcome, Never>, RunOutcome)? in
            guard state.call?.id == id else { return nil }
            state.call!.outcome = outcome
            return completion(&state)
        }
        if let (continuation, outcome) = completed { continuation.resume(returning: outcome) }
    }

    /// The call is complete once its outcome has arrived and, from a runner that writes markers,
    /// a marker on every open pipe.
    private func completion(_ state: inout State) -> (CheckedContinuation<RunOutcome, Never>, RunOutcome)? {
        guard let call = state.call, let outcome = call.outcome, !usesMarkers || call.markersSeen >= state.openPipes else { return nil }
        state.call = nil
        return (call.continuation, outcome)
    }

    private func finish(_ termination: ChildProcess.Termination) {
        // Read the out-of-memory count and clear the cgroups before anyone learns of the end.
        confinement?.release()
        let (ready, call, tail) = state.withLock { state in
            state.termination = termination
            defer {
                state.ready = nil
                state.call = nil
            }
            return (state.ready, state.call, state.tail)
        }
        ready?.resume(returning: .failure(RunnerStartFailure(termination: termination, tail: tail)))
        if let call {
            call.continuation.resume(returning: call.outcome ?? .crashed(termination, tail: tail))
        }
        onExit(termination)
    }
}
