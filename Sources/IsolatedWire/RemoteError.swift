/// An error raised inside a worker, carried back to the caller as data.
public struct RemoteError: Sendable, Equatable, Codable, CustomStringConvertible {
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

    /// Creates a remote error.
    public init(stage: Stage, typeName: String, message: String) {
        self.stage = stage
        self.typeName = typeName
        self.message = message
    }

    /// `TypeName: message`.
    public var description: String { "\(typeName): \(message)" }
}
