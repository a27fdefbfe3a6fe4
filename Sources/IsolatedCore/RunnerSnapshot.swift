public import Foundation
public import IsolatedWire

/// One runner as the engine sees it at a moment.
public struct RunnerSnapshot: Sendable, Hashable, Codable {
    /// What the runner is doing.
    public enum State: String, Sendable, Hashable, Codable {
        /// Starting up.
        case starting
        /// Running a call.
        case busy
        /// Warm, waiting for a call until its keep-alive ends.
        case idle
        /// Told to stop; exiting.
        case stopping
    }

    /// The engine's id for the runner.
    public var id: String
    /// The function it runs.
    public var function: FunctionReference
    /// Its process id, once started.
    public var processID: Int32?
    /// Its machine type.
    public var machineType: String
    /// What it is doing.
    public var state: State
    /// Calls it has served.
    public var calls: Int
    /// The keep-alive its last call asked for, in seconds.
    public var keepAlive: Int
    /// When it was launched.
    public var startedAt: Date
    /// The cluster node it runs on; nil for a runner on the engine's own machine.
    public var node: String?
    /// Its cluster job's id; nil for a runner on the engine's own machine.
    public var job: String?

    /// Creates a snapshot.
    package init(
        id: String, function: FunctionReference, processID: Int32?, machineType: String, state: State, calls: Int, keepAlive: Int,
        startedAt: Date, node: String?, job: String?
    ) {
        self.id = id
        self.function = function
        self.processID = processID
        self.machineType = machineType
        self.state = state
        self.calls = calls
        self.keepAlive = keepAlive
        self.startedAt = startedAt
        self.node = node
        self.job = job
    }
}
