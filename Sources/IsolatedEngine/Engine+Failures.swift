import Foundation
import IsolatedCore
import Logging
import Synchronization

extension Engine {
    /// The error a call's outcome stands for, nil when it returned. How the runner ended is read
    /// from its handle: killed for its deadline, for silence, or by its memory limit.
    func failure(
        of outcome: RunOutcome,
        function: FunctionReference,
        requestedTimeout: Int?,
        machine: MachineTypeSpec,
        timeout: Duration,
        callerDeadline: Duration?,
        lease: RunnerScheduler.Lease
    ) -> IsolatedError? {
        switch outcome {
        case .returned:
            return nil
        case .threw(let remote):
            return Self.error(for: remote, function: function)
        case .failed(let error):
            return error
        case .printedTooMuch(let limit, let tail):
            return IsolatedError(
                code: .outputLimitExceeded,
                message: "\(function) printed more than \(ByteCount.describe(limit)) in one call, "
                    + "the engine's limit (EngineConfiguration.maxOutputBytesPerCall), and was stopped; "
                    + "return large data as the result or write it to a file instead",
                logTail: tail
            )
        case .crashed(let termination, let tail):
            if Task.isCancelled {
                return IsolatedError(code: .cancelled, message: "the call to \(function) was cancelled; its runner was stopped")
            }
            if lease.handle.ranOutOfMemory { return outOfMemoryError(function, machine: machine, tail: tail) }
            if lease.handle.wasTimedOut {
                return timedOutError(
                    function, requestedTimeout: requestedTimeout, timeout: timeout, callerDeadline: callerDeadline, deadline: lease.deadline,
                    tail: tail)
            }
            if lease.handle.wasUnresponsive {
                return IsolatedError(
                    code: .runnerUnresponsive,
                    message: "the runner for \(function) stopped answering heartbeats for "
                        + "\(configuration.heartbeatTimeout) and was killed; the next call gets a new runner",
                    logTail: tail
                )
            }
            if let reason = lease.handle.lossReason {
                let node = lease.handle.placement.map { " on node \($0.node) (job \($0.job))" } ?? ""
                return IsolatedError(
                    code: .runnerLost,
                    message: "the runner for \(function)\(node) was lost: \(reason); "
                        + "the next call gets a new runner, and retries: runs this one again elsewhere",
                    logTail: tail
                )
            }
            return IsolatedError(
                code: .runnerCrashed,
                message: "the runner for \(function) crashed: \(termination); the next call gets a new runner",
                logTail: tail
            )
        }
    }

    /// Whether a failure is of the machinery rather than of the function: worth another
    /// attempt on a new runner when the call allows retries. Thrown errors, compile errors,
    /// `outOfMemory` and `timedOut` never are.
    static func isRetryable(_ error: IsolatedError) -> Bool {
        // A failure with a chain came from a nested call, which retries on its own terms.
        error.chain.isEmpty && [.runnerCrashed, .runnerLost, .runnerStartFailed, .runnerUnresponsive].contains(error.code)
    }

    private func timedOutError(
        _ function: FunctionReference, requestedTimeout: Int?, timeout: Duration, callerDeadline: Duration?, deadline: Duration, tail: [String]
    ) -> IsolatedError {
        let limit = "\(timeout.components.seconds) s"
        if let callerDeadline, callerDeadline == deadline {
            return IsolatedError(
                code: .timedOut,
                message: "\(function) was still running when the call that made it reached its own timeout; "
                    + "its runner was stopped. Raise the outer function's timeout:",
                logTail: tail
            )
        }
        let source =
            requestedTimeout == nil ? "the engine's default timeout of \(limit) (EngineConfiguration.defaultTimeout)" : "its timeout of \(limit)"
        return IsolatedError(
            code: .timedOut,
            message: "\(function) ran longer than \(source) and was stopped; "
                + "the next call gets a new runner. Raise timeout: if it needs longer",
            logTail: tail
        )
    }

    private func outOfMemoryError(_ function: FunctionReference, machine: MachineTypeSpec, tail: [String]) -> IsolatedError {
        let unplaceable = self.unplaceable.withLock { $0 }
        let larger = configuration.machineTypes.types
            .filter { $0.memory > machine.memory && $0.gpus == 0 && unplaceable[$0.name] == nil && capacity.shortfall(of: $0) == nil }
            .map { "\($0.name) (\(ByteCount.describe($0.memory)))" }
        return IsolatedError(
            code: .outOfMemory,
            message: "\(function) used more than the \(ByteCount.describe(machine.memory)) of memory machine type "
                + "\(machine.name) allows and was killed"
                + (larger.isEmpty ? "" : "; choose a larger machine type: \(larger.joined(separator: ", "))"),
            logTail: tail
        )
    }

    private static func error(for remote: RemoteError, function: FunctionReference) -> IsolatedError {
        switch remote.stage {
        case .function:
            IsolatedError(code: .functionThrew, message: "\(function) threw \(remote)", function: function, remote: remote)
        default:
            IsolatedError(code: .codingFailed, message: "\(function): \(remote.message)", function: function, remote: remote)
        }
    }

    static func metadata(_ report: CallReport) -> Logger.Metadata {
        var metadata: Logger.Metadata = [
            "call": "\(report.callID)", "function": "\(report.function.name)", "warm": "\(report.warm)",
        ]
        if let runner = report.runnerID { metadata["runner"] = "\(runner)" }
        for timing in report.phases { metadata["phase.\(timing.phase)"] = "\(timing.duration)\(timing.outcome.map { " (\($0))" } ?? "")" }
        return metadata
    }
}
