/// An error raised inside a worker, carried back to the caller as data.
public struct RemoteError: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Where in the worker the error arose.
    public struct Stage: RawRepresentable, Sendable, Hashable, Codable {
        /// The stage's wire value.
        public var rawValue: UInt8
        /// Creates a stage from its wire value.
        public init(rawValue: UInt8) { self.rawValue = rawValue }

        /// The user's function threw.
        public static let function = Stage(rawValue: 0)
        /// An argument could not be decoded in the worker.
        public static let argumentDecoding = Stage(rawValue: 1)
        /// The function's result could not be encoded in the worker.
        public static let resultEncoding = Stage(rawValue: 2)
    }

    /// Where the error arose.
    public var stage: Stage
    /// The error's type name, as `String(describing: type(of: error))` gives it in the worker.
    public var typeName: String
    /// The error's message: its `errorDescription` if it has one, otherwise its description.
    public var message: String
    /// The worker's traceback, where its runtime gives one (Python); nil for Swift.
    public var traceback: String?
    /// The error itself, serialized the way the caller's client reads it back to raise it again
    /// (a Python exception, pickled); nil for Swift, whose callers get ``typeName`` and ``message``.
    public var serialized: [UInt8]?

    /// Creates a remote error.
    public init(stage: Stage, typeName: String, message: String, traceback: String? = nil, serialized: [UInt8]? = nil) {
        self.stage = stage
        self.typeName = typeName
        self.message = message
        self.traceback = traceback
        self.serialized = serialized
    }

    /// `TypeName: message`.
    public var description: String { "\(typeName): \(message)" }
}
