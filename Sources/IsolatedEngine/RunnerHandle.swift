package import IsolatedCore

/// The engine's hold on one launched runner, whatever launched it: a local child process or a
/// runner a cluster's scheduler started on another machine (both ``RunnerConnection``).
///
/// Every method returns at once; only ``waitUntilReady()`` and ``invoke(id:arguments:onLog:onNestedCall:)``
/// suspend. A handle remembers why it killed its runner, so a call's outcome can say why even
/// after the engine has forgotten the runner.
package protocol RunnerHandle: AnyObject, Sendable {
    /// Waits for the runner's hello; returns its process id as the engine sees it.
    func waitUntilReady() async throws(RunnerStartFailure) -> Int32
    /// Runs one call; `onLog` receives each line the function prints and `onNestedCall` each
    /// nested isolated call it makes. Answer nested calls with ``reply(_:)``.
    func invoke(
        id: UInt64,
        arguments: [[UInt8]],
        onLog: @escaping @Sendable (LogLine.Stream, String) -> Void,
        onNestedCall: @escaping @Sendable (_ id: UInt64, _ function: String, _ arguments: [[UInt8]]) -> Void
    ) async -> RunOutcome
    /// Answers a nested call with `.callReturned` or `.callFailed`.
    func reply(_ message: RunnerMessage)
    /// The function the runner said its latest call runs; nil when it did not say (a Swift
    /// runner's function is known before the call).
    var calledFunction: FunctionReference? { get }
    /// Sends a heartbeat probe.
    func ping(_ sequence: UInt64)
    /// The last heartbeat the runner answered.
    var lastPong: UInt64 { get }
    /// Whether the runner has ended.
    var hasExited: Bool { get }
    /// Asks the runner to finish; it exits once its current call, if any, is done.
    func stop()
    /// Kills the runner and everything it started.
    func kill()
    /// Kills the runner because it stopped answering heartbeats.
    func killUnresponsive()
    /// Whether the runner was killed for not answering heartbeats.
    var wasUnresponsive: Bool { get }
    /// Kills the runner because its call ran past its deadline.
    func killTimedOut()
    /// Whether the runner was killed because its call ran past its deadline.
    var wasTimedOut: Bool { get }
    /// Whether the runner's memory limit was hit.
    var ranOutOfMemory: Bool { get }
    /// Where the runner runs when that is another machine: its node and its job.
    var placement: RunnerPlacement? { get }
    /// Why the runner's machine or job went away under it, as the cluster said; nil otherwise.
    var lossReason: String? { get }
}

extension RunnerHandle {
    /// A runner on this machine has no placement to report.
    package var placement: RunnerPlacement? { nil }
    /// A runner on this machine is never lost, only crashed.
    package var lossReason: String? { nil }
}

/// Where a runner on a cluster runs.
package struct RunnerPlacement: Sendable, Hashable, Codable {
    /// The node's name, as the cluster knows it.
    package var node: String
    /// The cluster scheduler's job id; empty when unknown.
    package var job: String

    package init(node: String, job: String) {
        self.node = node
        self.job = job
    }
}

/// How a call on a runner ended.
package enum RunOutcome: Sendable {
    /// The function returned this encoded result.
    case returned([UInt8])
    /// The function (or argument decoding, or result encoding) failed in the worker.
    case threw(RemoteError)
    /// The function threw an ``IsolatedError``, usually from a nested call it made.
    case failed(IsolatedError)
    /// The runner ended during the call.
    case crashed(ChildProcess.Termination, tail: [String])
    /// The function printed more than `limit` bytes; the runner was killed.
    case printedTooMuch(limit: Int, tail: [String])
}

/// The runner ended before it was ready.
package struct RunnerStartFailure: Error {
    /// How it ended.
    package var termination: ChildProcess.Termination
    /// The last lines it printed.
    package var tail: [String]

    package init(termination: ChildProcess.Termination, tail: [String]) {
        self.termination = termination
        self.tail = tail
    }
}
