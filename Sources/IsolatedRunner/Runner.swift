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
/// that it opens and proves with its launch's one-time token. One thread reads it and runs the
/// function (``RunnerLoop``); a second reads it instead while the function computes for long,
/// so pings are answered. The worker exits as soon as the engine's end closes: a runner never
/// outlives its engine, even one killed with SIGKILL.
public enum Runner {
    /// Serves invocations with `handler` until the engine says stop or goes away.
    ///
    /// `describe` gives the message of an error the function throws, where it has one of its own
    /// (a worker with Foundation passes `LocalizedError`'s `errorDescription`); otherwise the
    /// message is the error's description.
    public static func run(
        describingErrors describe: @escaping @Sendable (any Error) -> String? = { _ in nil },
        _ handler: @escaping @Sendable (Invocation) async throws -> EncodedResult
    ) async -> Never {
        // Line-buffered output streams live; a pipe would otherwise be block-buffered.
        StandardStreams.useLineBuffering()
        let (descriptor, remote) = connectToEngine()
        let channel = RunnerChannel(descriptor: descriptor)
        RunnerChannel.current = channel
        channel.send(.ready(processID: getpid()))
        let loop = RunnerLoop(channel: channel) { invocation in
            await serve(invocation, with: handler, describingErrors: describe, on: channel, remote: remote)
        }
        startThread { loop.run() }
        startThread { loop.watch() }
        // The loop's thread ends the process.
        while true { try? await Task.sleep(for: .seconds(3600)) }
    }

    /// Runs one invocation and sends its outcome.
    private static func serve(
        _ invocation: Invocation,
        with handler: @Sendable (Invocation) async throws -> EncodedResult,
        describingErrors describe: (any Error) -> String?,
        on channel: RunnerChannel,
        remote: Bool
    ) async {
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
            let remoteError = RemoteError(
                stage: .function, typeName: String(describing: type(of: error)), message: describe(error) ?? String(describing: error))
            outcome = .failure(Failure(.threw(id: invocation.id, error: remoteError)))
        }
        StandardStreams.flush()
        // An engine on this machine reads the output streams empty when the reply arrives; one on
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

    /// The reply to a call that did not return.
    private struct Failure: Error {
        let reply: RunnerMessage
        init(_ reply: RunnerMessage) { self.reply = reply }
    }

    /// Runs `body` on a thread of its own, detached: a POSIX thread rather than Foundation's
    /// `Thread`, so the runner needs only FoundationEssentials (Foundation cost a runner 6.5 MB
    /// and 4.5 ms of start-up here).
    private static func startThread(_ body: @escaping @Sendable () -> Void) {
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
        let environment = environmentVariables()
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
        for name in environmentVariables().keys where !kept.contains(name) { unsetenv(name) }
    }

    /// The process's environment, read from C's `environ` (Foundation's `ProcessInfo` would load Foundation).
    private static func environmentVariables() -> [String: String] {
        var variables: [String: String] = [:]
        var entry = environ
        while let pointer = entry.pointee {
            let text = String(cString: pointer)
            if let equals = text.firstIndex(of: "=") {
                variables[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            entry += 1
        }
        return variables
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
}
