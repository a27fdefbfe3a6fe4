package import IsolatedCore

/// Starts, watches and stops runner processes. Keep-alive, queueing and scheduling stay in the
/// engine; a launcher only provides processes connected to it.
package protocol Launcher: Sendable {
    /// Starts a runner for the compiled function at `executable`.
    func launch(_ request: LaunchRequest) async throws(IsolatedError) -> RunnerConnection
}

/// What a launcher needs to start one runner.
package struct LaunchRequest: Sendable {
    package var runnerID: String
    package var executable: String
    package var function: String
    package var machineType: MachineTypeSpec
    package var onIdleLog: @Sendable (LogLine.Stream, String) -> Void
    package var onExit: @Sendable (ChildProcess.Termination) -> Void
}
