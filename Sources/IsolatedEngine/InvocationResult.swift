public import IsolatedCore

/// What a successful call returns: the encoded result and how the call went.
public struct InvocationResult: Sendable {
    /// The result, encoded with ``PayloadCoding``.
    public var payload: [UInt8]
    /// The call's phases and runner.
    public var report: CallReport

    /// Creates a result.
    public init(payload: [UInt8], report: CallReport) {
        self.payload = payload
        self.report = report
    }
}
