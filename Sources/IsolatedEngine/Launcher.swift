import Foundation
package import IsolatedCore

/// Starts, watches and stops runner processes. Keep-alive, queueing and scheduling stay in the
/// engine; a launcher only provides processes connected to it.
package protocol Launcher: Sendable {
    /// Starts a runner for the compiled function `request.worker`; it is ready once its handle's
    /// ``RunnerHandle/waitUntilReady()`` returns.
    func launch(_ request: LaunchRequest) async throws(IsolatedError) -> any RunnerHandle
    /// Checks what the launcher needs, before the engine's first runner; returns the machine
    /// types that can never run, each with the reason in words.
    func prepare(machineTypes: [MachineTypeSpec]) async throws(IsolatedError) -> [String: String]
    /// Releases what ``prepare(machineTypes:)`` set up, after the engine's last runner.
    func shutdown() async
}

extension Launcher {
    /// Nothing to check: the engine checks its own machine's capacity.
    package func prepare(machineTypes: [MachineTypeSpec]) async throws(IsolatedError) -> [String: String] { [:] }
    /// Nothing to release.
    package func shutdown() async {}
}

/// What a launcher needs to start one runner.
package struct LaunchRequest: Sendable {
    package var runnerID: String
    package var worker: WorkerExecutable
    package var function: String
    package var machineType: MachineTypeSpec
    package var network: NetworkAccess
    package var onIdleLog: @Sendable (LogLine.Stream, String) -> Void
    package var onExit: @Sendable (ChildProcess.Termination) -> Void
    /// Called with the scheduler's reason while a cluster runner's job waits in the cluster's
    /// queue, and with nil once the job has its resources.
    package var onQueued: @Sendable (String?) -> Void

    package init(
        runnerID: String,
        worker: WorkerExecutable,
        function: String,
        machineType: MachineTypeSpec,
        network: NetworkAccess,
        onIdleLog: @escaping @Sendable (LogLine.Stream, String) -> Void,
        onExit: @escaping @Sendable (ChildProcess.Termination) -> Void,
        onQueued: @escaping @Sendable (String?) -> Void = { _ in }
    ) {
        self.runnerID = runnerID
        self.worker = worker
        self.function = function
        self.machineType = machineType
        self.network = network
        self.onIdleLog = onIdleLog
        self.onExit = onExit
        self.onQueued = onQueued
    }
}

/// What a runner runs: a compiled Swift function version, or a Python environment's interpreter
/// running the Python runner; and the directories it reads at run time.
package struct WorkerExecutable: Sendable, Hashable {
    /// The executable.
    package var path: String
    /// Its arguments after its own path.
    package var arguments: [String]
    /// Variables added to the runner's scrubbed environment.
    package var environment: [String: String]
    /// Its own directory, its environment's and the runtime's (for Python, the interpreter's
    /// installation too): what a sandboxed runner may read of what the sandbox hides.
    package var libraryDirectories: [String]
    /// Where each of its runners finds a key of its own for calling the server back (a Python
    /// runner's client); nil for runners that call back through their channel.
    package var credentialVariables: RunnerCredentials.Variables?
    /// The key of the environment it was built in, which call reports and the history name.
    package var environmentKey: String?
    /// Where the same worker linked into one static executable is, or will be once the engine
    /// has linked it in the background (``EngineConfiguration/linksWorkersStatically``); nil
    /// for a worker that is not linked so.
    package var staticPath: String?

    /// What a new runner on this machine starts: the static executable once it is there.
    package var localExecutable: String {
        if let staticPath, FileManager.default.isExecutableFile(atPath: staticPath) { return staticPath }
        return path
    }

    package init(
        path: String,
        arguments: [String] = [],
        environment: [String: String] = [:],
        libraryDirectories: [String],
        credentialVariables: RunnerCredentials.Variables? = nil,
        environmentKey: String? = nil,
        staticPath: String? = nil
    ) {
        self.path = path
        self.arguments = arguments
        self.environment = environment
        self.libraryDirectories = libraryDirectories
        self.credentialVariables = credentialVariables
        self.environmentKey = environmentKey
        self.staticPath = staticPath
    }

    /// Hashes the path alone, which names the version; the runner pool hashes its key, this
    /// included, several times a call, and hashing the environment's variables showed.
    package func hash(into hasher: inout Hasher) { hasher.combine(path) }
}
