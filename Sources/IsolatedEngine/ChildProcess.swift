import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A child process started with `posix_spawn`, its output on two pipes and, optionally, one end of
/// a socket pair inherited as file descriptor 3.
///
/// Every descriptor the engine creates is close-on-exec, so one child never inherits another's
/// pipe or socket: a runner sees end-of-file the moment the engine (or its own end) goes away.
package struct ChildProcess: Sendable {
    /// How a process ended.
    package enum Termination: Sendable, Equatable, CustomStringConvertible {
        /// It exited with this status code.
        case exited(Int32)
        /// A signal killed it.
        case signaled(Int32)

        init(waitStatus status: Int32) {
            let signal = status & 0x7f
            self = signal == 0 ? .exited((status >> 8) & 0xff) : .signaled(signal)
        }

        package var description: String {
            switch self {
            case .exited(let code): "exited with status \(code)"
            case .signaled(let signal): "killed by signal \(signal) (\(Self.signalName(signal)))"
            }
        }

        package static func signalName(_ signal: Int32) -> String {
            switch signal {
            case SIGILL:
                "SIGILL: illegal instruction, which is how a Swift runtime trap such as fatalError, a failed precondition or a force-unwrapped nil ends"
            case SIGTRAP: "SIGTRAP: a runtime trap"
            case SIGABRT: "SIGABRT: abort"
            case SIGSEGV: "SIGSEGV: invalid memory access"
            case SIGBUS: "SIGBUS: bus error"
            case SIGFPE: "SIGFPE: arithmetic error"
            case SIGKILL: "SIGKILL: killed, by the engine or the system's out-of-memory killer"
            case SIGTERM: "SIGTERM: terminated"
            default: "signal \(signal)"
            }
        }
    }

    /// A failure to start the process.
    package struct SpawnError: Error, CustomStringConvertible {
        package var description: String
    }

    /// The process id; also its process group id.
    package let processID: Int32
    /// Read end of the child's standard output.
    package let standardOutput: Int32
    /// Read end of the child's standard error.
    package let standardError: Int32
    /// The engine's end of the socket whose other end the child has as descriptor 3.
    package let channel: Int32?

    /// Starts `executable` in its own process group.
    package static func spawn(
        executable: String,
        arguments: [String],
        environment: [String: String],
        workingDirectory: String?,
        withChannel: Bool
    ) throws(SpawnError) -> ChildProcess {
        var outputPipe: [Int32] = [-1, -1]
        var errorPipe: [Int32] = [-1, -1]
        var sockets: [Int32] = [-1, -1]
        // Socket pairs rather than pipes: they can be created close-on-exec atomically, which
        // Swift's Glibc module offers no pipe2 for.
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        guard socketpair(AF_UNIX, type, 0, &outputPipe) == 0, socketpair(AF_UNIX, type, 0, &errorPipe) == 0,
            !withChannel || socketpair(AF_UNIX, type, 0, &sockets) == 0
        else {
            throw SpawnError(description: "cannot create the child's sockets: \(String(cString: strerror(errno)))")
        }
        shutdown(outputPipe[0], Int32(SHUT_WR))
        shutdown(errorPipe[0], Int32(SHUT_WR))
        defer {
            // The child has its own copies now; keep only the engine's ends.
            close(outputPipe[1])
            close(errorPipe[1])
            if withChannel { close(sockets[1]) }
        }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, outputPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errorPipe[1], 2)
        if withChannel {
            // dup2 onto itself would keep close-on-exec set; make sure the source is not 3 already.
            var childEnd = sockets[1]
            if childEnd == 3 {
                childEnd = fcntl(sockets[1], F_DUPFD_CLOEXEC, 10)
                close(sockets[1])
                sockets[1] = childEnd
            }
            posix_spawn_file_actions_adddup2(&actions, childEnd, 3)
        }
        if let workingDirectory {
            guard let addChdir = Self.addChdir else {
                throw SpawnError(description: "this C library cannot set a child's working directory (posix_spawn_file_actions_addchdir_np)")
            }
            _ = addChdir(&actions, workingDirectory)
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var defaultSignals = sigset_t()
        sigemptyset(&defaultSignals)
        for signal in [SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGCHLD] { sigaddset(&defaultSignals, signal) }
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &defaultSignals)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var processID: pid_t = 0
        let result = posix_spawn(&processID, executable, &actions, &attributes, argv, envp)
        guard result == 0 else {
            close(outputPipe[0])
            close(errorPipe[0])
            if withChannel { close(sockets[0]) }
            throw SpawnError(description: "cannot start \(executable): \(String(cString: strerror(result)))")
        }
        return ChildProcess(
            processID: processID,
            standardOutput: outputPipe[0],
            standardError: errorPipe[0],
            channel: withChannel ? sockets[0] : nil
        )
    }

    // glibc 2.29+ has it, but Swift's Glibc module does not declare it.
    private typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
    private static let addChdir: AddChdir? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addchdir_np")
        .map { unsafeBitCast($0, to: AddChdir.self) }

    /// Waits for the process to end; blocks the calling thread.
    package func waitForTermination() -> Termination {
        var status: Int32 = 0
        guard retryingInterrupted({ waitpid(processID, &status, 0) }) >= 0 else { return .exited(-1) }
        return Termination(waitStatus: status)
    }

    /// Sends a signal to the process's whole group.
    package func signalGroup(_ signal: Int32) {
        kill(-processID, signal)
    }
}
