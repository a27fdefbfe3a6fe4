/// Something that happened during a call, reported to the caller as it happens.
public enum InvocationEvent: Sendable, Hashable {
    /// A phase began; `detail` says what it is doing ("building environment for swift-algorithms").
    case phaseStarted(CallReport.Phase, detail: String?)
    /// A phase ended.
    case phaseFinished(CallReport.Timing)
    /// A line of progress from a long phase, such as an environment build.
    case progress(CallReport.Phase, String)
    /// A line the function printed.
    case log(LogLine)
}

/// A line a function printed, attributed to the call that printed it.
public struct LogLine: Sendable, Hashable, Codable {
    /// Which of the function's output streams.
    public enum Stream: String, Sendable, Hashable, Codable {
        /// Standard output.
        case stdout
        /// Standard error.
        case stderr
    }

    /// The call that printed it.
    public var callID: UInt64
    /// The function that printed it.
    public var function: String
    /// The stream.
    public var stream: Stream
    /// The text, without its newline.
    public var text: String

    /// Creates a log line.
    public init(callID: UInt64, function: String, stream: Stream, text: String) {
        self.callID = callID
        self.function = function
        self.stream = stream
        self.text = text
    }
}
