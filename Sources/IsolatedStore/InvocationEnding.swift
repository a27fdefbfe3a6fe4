package import Foundation
package import IsolatedCore

/// How a call ended, as the store records it: outcome, phases, runner, error and output.
package struct InvocationEnding: Sendable {
    package var id: String
    /// `nil` keeps the function already recorded: a Python call's is known only once its runner has read it.
    package var function: FunctionReference?
    package var endedAt: Date
    package var outcome: InvocationRecord.Outcome
    package var phases: [CallReport.Timing]
    package var warm: Bool
    /// `nil` keeps the one already recorded.
    package var runnerID: String?
    /// `nil` keeps the one already recorded.
    package var environmentKey: String?
    package var error: IsolatedError?
    /// Output to append to what is recorded (up to ``StoreConfiguration/maxLogBytes`` in all).
    package var logs: String

    package init(
        id: String,
        function: FunctionReference? = nil,
        endedAt: Date = Date(),
        outcome: InvocationRecord.Outcome,
        phases: [CallReport.Timing] = [],
        warm: Bool = false,
        runnerID: String? = nil,
        environmentKey: String? = nil,
        error: IsolatedError? = nil,
        logs: String = ""
    ) {
        self.id = id
        self.function = function
        self.endedAt = endedAt
        self.outcome = outcome
        self.phases = phases
        self.warm = warm
        self.runnerID = runnerID
        self.environmentKey = environmentKey
        self.error = error
        self.logs = logs
    }

    /// The ending of a call whose report is `report`: failed with `error`, or succeeded when it is `nil`.
    package init(id: String, report: CallReport?, error: IsolatedError?, logs: String) {
        self.init(
            id: id, function: report?.function, outcome: InvocationRecord.Outcome(endingWith: error), phases: report?.phases ?? [],
            warm: report?.warm ?? false, runnerID: report?.runnerID, environmentKey: report?.environmentKey, error: error, logs: logs)
    }
}
