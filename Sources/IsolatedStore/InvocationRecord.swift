package import Foundation
package import IsolatedCore

/// One call the server ran, as its history keeps it.
///
/// The call's output is not part of the record, so listings stay small; ``Store/logs(id:)`` reads it.
package struct InvocationRecord: Sendable, Codable {
    /// How a call ended, or that it has not yet.
    package enum Outcome: String, Sendable, Hashable, Codable, CaseIterable {
        /// The call is still running.
        case running
        /// The function returned.
        case succeeded
        /// The call failed; ``InvocationRecord/error`` says how.
        case failed
        /// The caller cancelled the call.
        case cancelled
        /// The server stopped during the call, so its result is unknown.
        case interrupted

        /// How a call that ended with `error` (nil: it returned) is recorded.
        package init(endingWith error: IsolatedError?) {
            self = error == nil ? .succeeded : error?.code == .cancelled ? .cancelled : .failed
        }
    }

    /// The invocation's id, unique in the store (a UUID, say).
    package var id: String
    /// The function called: its name, file and line.
    package var function: FunctionReference
    /// The environment's key, once it is known.
    package var environmentKey: String?
    /// The machine type's name.
    package var machineType: String
    /// The runner that ran the call, once one was assigned.
    package var runnerID: String?
    /// The API key that made the call; `nil` when the server runs without keys.
    package var keyID: String?
    /// The invocation that made this one, for a nested call recorded on its own.
    package var parentID: String?
    /// When the call started.
    package var startedAt: Date
    /// When the call ended; `nil` while running, and for interrupted calls, whose end is unknown.
    package var endedAt: Date?
    /// The phases the call went through, in order.
    package var phases: [CallReport.Timing]
    /// Whether the call reused a warm runner.
    package var warm: Bool
    /// How the call ended.
    package var outcome: Outcome
    /// Why the call failed, for failed, cancelled and interrupted calls.
    package var error: IsolatedError?
    /// How many bytes of output the store kept.
    package var logBytes: Int
    /// Whether output was dropped for going over ``StoreConfiguration/maxLogBytes``.
    package var logsTruncated: Bool

    /// Creates a record; a new call's record has the defaults.
    package init(
        id: String,
        function: FunctionReference,
        environmentKey: String? = nil,
        machineType: String,
        runnerID: String? = nil,
        keyID: String? = nil,
        parentID: String? = nil,
        startedAt: Date,
        endedAt: Date? = nil,
        phases: [CallReport.Timing] = [],
        warm: Bool = false,
        outcome: Outcome = .running,
        error: IsolatedError? = nil,
        logBytes: Int = 0,
        logsTruncated: Bool = false
    ) {
        self.id = id
        self.function = function
        self.environmentKey = environmentKey
        self.machineType = machineType
        self.runnerID = runnerID
        self.keyID = keyID
        self.parentID = parentID
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.phases = phases
        self.warm = warm
        self.outcome = outcome
        self.error = error
        self.logBytes = logBytes
        self.logsTruncated = logsTruncated
    }
}
