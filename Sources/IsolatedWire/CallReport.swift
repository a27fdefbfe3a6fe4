/// What one isolated call did and how long each part took.
public struct CallReport: Sendable, Hashable, Codable {
    /// One phase of a call.
    public struct Phase: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
        /// The phase's stable name.
        public var rawValue: String
        /// Creates a phase.
        public init(rawValue: String) { self.rawValue = rawValue }

        /// Finding the environment, or building it.
        public static let environment = Phase(rawValue: "environment")
        /// Finding the compiled function version, or compiling it.
        public static let compile = Phase(rawValue: "compile")
        /// Waiting for a runner: for the machine's capacity, or the function's `maxConcurrency` (absent when no wait).
        public static let queue = Phase(rawValue: "queue")
        /// Starting a runner (absent when a warm runner was reused).
        public static let start = Phase(rawValue: "start")
        /// Sending the arguments and running the function.
        public static let run = Phase(rawValue: "run")
        /// Decoding the result.
        public static let transfer = Phase(rawValue: "transfer")
        /// Pausing before another attempt, after the machinery failed (a runner crashed, could
        /// not start or stopped answering); its outcome is the failure's code.
        public static let retry = Phase(rawValue: "retry")

        /// The raw value.
        public var description: String { rawValue }
    }

    /// How long a phase took, and what it found. Its JSON form is
    /// `{"phase": "run", "seconds": 0.00042, "outcome": "warm"}`, as the API and the history use.
    public struct Timing: Sendable, Hashable, Codable {
        /// The phase.
        public var phase: Phase
        /// How long it took.
        public var duration: Duration
        /// `cached`, `built`, `warm`, `cold`, … when the phase has such an outcome.
        public var outcome: String?

        /// Creates a timing.
        public init(phase: Phase, duration: Duration, outcome: String? = nil) {
            self.phase = phase
            self.duration = duration
            self.outcome = outcome
        }

        /// A timing of `seconds`; nil unless they are 0 or more and at most a trillion (31,700
        /// years), as `Duration(seconds:)` traps on a value past its range.
        package init?(phase: Phase, seconds: Double, outcome: String?) {
            guard (0...1e12).contains(seconds) else { return nil }
            self.init(phase: phase, duration: .seconds(seconds), outcome: outcome)
        }

        private enum CodingKeys: String, CodingKey {
            case phase, seconds, outcome
        }

        /// Decodes the JSON form, with the duration in seconds.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            let phase = try container.decode(Phase.self, forKey: .phase)
            let seconds = try container.decode(Double.self, forKey: .seconds)
            let outcome = try container.decodeIfPresent(String.self, forKey: .outcome)
            guard let timing = Self(phase: phase, seconds: seconds, outcome: outcome) else {
                throw DecodingError.dataCorruptedError(
                    forKey: .seconds, in: container, debugDescription: "a phase's seconds must be from 0 to a trillion, not \(seconds)")
            }
            self = timing
        }

        /// Encodes the JSON form, with the duration in seconds.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(phase, forKey: .phase)
            try container.encode(duration.seconds, forKey: .seconds)
            try container.encodeIfPresent(outcome, forKey: .outcome)
        }
    }

    /// The engine's id for the call.
    public var callID: UInt64
    /// The function called.
    public var function: FunctionReference
    /// The runner that ran it, once one was assigned.
    public var runnerID: String?
    /// The runner's process id, once one was assigned.
    public var processID: Int32?
    /// The cluster node its runner ran on; nil for a runner on the engine's own machine.
    public var node: String?
    /// The key of the built environment it ran in (`isolated envs list` shows it), once known;
    /// nil for a function without requirements.
    public var environmentKey: String?
    /// Whether the call reused a warm runner.
    public var warm: Bool
    /// The phases, in order.
    public var phases: [Timing]

    /// Creates a report.
    public init(
        callID: UInt64, function: FunctionReference, runnerID: String? = nil, processID: Int32? = nil, warm: Bool = false, phases: [Timing] = []
    ) {
        self.callID = callID
        self.function = function
        self.runnerID = runnerID
        self.processID = processID
        self.warm = warm
        self.phases = phases
    }

    /// The duration of one phase, if the call reached it.
    public func duration(of phase: Phase) -> Duration? {
        phases.first { $0.phase == phase }?.duration
    }

    /// How many times the call was tried: one more than its `retry` phases.
    public var attempts: Int { 1 + phases.count { $0.phase == .retry } }

    /// The sum of all phases.
    public var total: Duration { phases.reduce(.zero) { $0 + $1.duration } }
}

extension Duration {
    /// The duration in seconds, as a JSON number.
    package var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
