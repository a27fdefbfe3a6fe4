import Foundation
import IsolatedCore

/// Reads one call's response stream as its chunks arrive: event lines become events at once,
/// a result's raw bytes go straight into their own array, and the outcome comes once.
struct CallReader {
    typealias Outcome = (id: String?, payload: [UInt8], report: CallReport)

    private var reader = EventStreamReader()
    private(set) var invocationID: String?
    private var result: CallReport?
    private let function: FunctionReference
    private let server: URL
    private let maxResultBytes: Int

    init(function: FunctionReference, server: URL, maxResultBytes: Int) {
        self.function = function
        self.server = server
        self.maxResultBytes = maxResultBytes
    }

    /// Reads `chunk`; `recorded` gets the call's id and `events` each event it completes, in
    /// order. The outcome once the stream has delivered it.
    mutating func read(
        _ chunk: ArraySlice<UInt8>, recorded: (String) -> Void, events: (InvocationEvent) -> Void
    ) throws(IsolatedError) -> Outcome? {
        chunk.withUnsafeBytes { reader.append($0) }
        do {
            while let item = try reader.next() {
                switch item {
                case .bytes(let payload):
                    if let report = result { return (invocationID, payload, report) }
                case .line(let line):
                    guard !line.isEmpty else { continue }
                    switch try decode(line) {
                    case .invocation(let id):
                        invocationID = id
                        recorded(id)
                    case .event(let event): events(event)
                    case .result(let payload, let report): return (invocationID, Array(payload), report)
                    case .resultBytes(let count, let report):
                        guard count <= maxResultBytes else {
                            throw IsolatedError(
                                code: .resultTooLarge,
                                message: "the result of \(function) is \(ByteCount.describe(count)), over this client's limit of "
                                    + "\(ByteCount.describe(maxResultBytes)) (ISOLATED_MAX_RESULT_BYTES); return less, or raise the limit",
                                function: function,
                                report: report
                            )
                        }
                        result = report
                        reader.expectBytes(count)
                    case .error(let error): throw error
                    }
                }
            }
        } catch let error as EventStreamReader.Failure {
            throw IsolatedError(code: .codingFailed, message: "the server at \(server) sent an unreadable stream: \(error)")
        } catch let error as IsolatedError {
            throw error
        } catch {
            throw IsolatedError(code: .codingFailed, message: "the server at \(server) sent an unreadable stream: \(error)")
        }
        return nil
    }

    /// The error for a stream that ended, or broke with `error`, before its outcome.
    func ended(by error: (any Error)?) -> IsolatedError {
        guard let error else {
            let cut = reader.isInsideItem ? " had arrived whole" : ""
            let recorded = invocationID.map { "`isolated logs \($0)` shows what it recorded" } ?? "it may have stopped"
            return IsolatedError(
                code: .serverUnavailable, message: "the server at \(server) closed the stream of \(function) before its result\(cut); \(recorded)")
        }
        var failure = ServerClient.connectionError(error, server: server, during: "the call to \(function)")
        if failure.code == .cancelled {
            failure.message = "the call to \(function) was cancelled; the server lets it finish"
        } else if let id = invocationID {
            failure.message += "; the server recorded the call as \(id), and `isolated invocations` shows how it ended"
        }
        return failure
    }

    private func decode(_ line: [UInt8]) throws(IsolatedError) -> StreamEvent {
        if let event = StreamEvent(writtenLine: line) { return event }
        do {
            return try JSONDecoder().decode(StreamEvent.self, from: Data(line))
        } catch {
            throw IsolatedError(code: .codingFailed, message: "the server at \(server) sent an unreadable event: \(error)")
        }
    }
}
