package import IsolatedCore

/// Starts, watches and stops runner processes. Keep-alive, queueing and scheduling stay in the
/// engine; a launcher only provides processes connected to it.
package protocol Launcher: Sendable {
    /// Starts a runner for the compiled function `request.worker`; it is ready once its handle's
    /// ``RunnerHandle/waitUntilReady()`` returns.
    func launch(_ request: LaunchRequest) async throws(IsolatedError) -> any RunnerHandle
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
}

/// A compiled function version, and the directories it loads libraries from at run time.
package struct WorkerExecutable: Sendable, Hashable {
    /// The executable.
    package var path: String
    /// Its own directory, its environment's and the runtime's: what a sandboxed runner may read
    /// of the engine's home.
    package var libraryDirectories: [String]

    package init(path: String, libraryDirectories: [String]) {
        self.path = path
        self.libraryDirectories = libraryDirectories
    }
}
