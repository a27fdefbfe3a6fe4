import Foundation
import IsolatedCore
import Synchronization

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// One call's response, read on URLSession's delegate queue as its bytes arrive: event lines go
/// to the caller's handler at once, a result's raw bytes straight into their own array, and
/// the outcome resumes the waiting call once. Reading there, rather than passing every chunk
/// to a task through a stream, saves a task switch per chunk (hundreds for a 10 MiB result).
final class CallStream: Sendable {
    typealias Outcome = Result<(id: String?, payload: [UInt8], report: CallReport), IsolatedError>

    private struct State {
        var status: Int?
        var reader = EventStreamReader()
        /// The body of a response that is not a stream, for its error.
        var body = Data()
        var invocationID: String?
        var result: CallReport?
        var waiting: CheckedContinuation<Outcome, Never>?
        var outcome: Outcome?
    }

    private let state = Mutex(State())
    private let events: @Sendable (InvocationEvent) -> Void
    private let recorded: @Sendable (String) -> Void
    private let function: FunctionReference
    private let server: URL
    private let maxResultBytes: Int

    init(
        function: FunctionReference, server: URL, maxResultBytes: Int, recorded: @escaping @Sendable (String) -> Void,
        events: @escaping @Sendable (InvocationEvent) -> Void
    ) {
        self.function = function
        self.server = server
        self.maxResultBytes = maxResultBytes
        self.recorded = recorded
        self.events = events
    }

    /// Waits for the outcome; `start` begins the request once the wait is registered.
    func outcome(start: () -> Void) async -> Outcome {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> Outcome? in
                if let outcome = state.outcome { return outcome }
                state.waiting = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) } else { start() }
        }
    }

    func receive(status: Int) {
        state.withLock { $0.status = status }
    }

    func receive(_ data: Data) {
        var delivered: [InvocationEvent] = []
        var id: String?
        let finished = state.withLock { state -> (CheckedContinuation<Outcome, Never>, Outcome)? in
            guard state.outcome == nil else { return nil }
            guard state.status == 200 else {
                state.body.append(data)
                return nil
            }
            data.withUnsafeBytes { state.reader.append($0) }
            do {
                while state.outcome == nil, let item = try state.reader.next() {
                    try handle(item, &state, delivered: &delivered, id: &id)
                }
            } catch let error as IsolatedError {
                state.outcome = .failure(error)
            } catch {
                state.outcome = .failure(IsolatedError(code: .codingFailed, message: "the server at \(server) sent an unreadable stream: \(error)"))
            }
            return Self.take(&state)
        }
        // Outside the lock, the handler may print or take locks of its own; the outcome goes
        // after the events that came before it.
        if let id { recorded(id) }
        for event in delivered { events(event) }
        if let (continuation, outcome) = finished { continuation.resume(returning: outcome) }
    }

    private func handle(_ item: EventStreamReader.Item, _ state: inout State, delivered: inout [InvocationEvent], id: inout String?) throws {
        switch item {
        case .bytes(let payload):
            guard let report = state.result else { return }
            state.outcome = .success((state.invocationID, payload, report))
        case .line(let line):
            guard !line.isEmpty else { return }
            switch try decode(line) {
            case .invocation(let invocation):
                state.invocationID = invocation
                id = invocation
            case .event(let event): delivered.append(event)
            case .result(let payload, let report): state.outcome = .success((state.invocationID, Array(payload), report))
            case .resultBytes(let count, let report):
                guard count <= maxResultBytes else {
                    throw IsolatedError(
                        code: .resultTooLarge,
                        message: "the result of \(function) is \(ByteCount.describe(count)), over this client's "
                            + "limit of \(ByteCount.describe(maxResultBytes)) (ISOLATED_MAX_RESULT_BYTES); return less, or raise the limit",
                        function: function,
                        report: report
                    )
                }
                state.result = report
                state.reader.expectBytes(count)
            case .error(let error): throw error
            }
        }
    }

    /// The request ended: with an error, or with the whole body read.
    func complete(error: (any Error)?) {
        let finished = state.withLock { state -> (CheckedContinuation<Outcome, Never>, Outcome)? in
            guard state.outcome == nil else { return nil }
            if let error {
                var failure = ServerClient.connectionError(error, server: server, during: "the call to \(function)")
                if let id = state.invocationID, failure.code != .cancelled {
                    failure.message += "; the server recorded the call as \(id), and `isolated invocations` shows how it ended"
                }
                state.outcome = .failure(failure)
            } else if let status = state.status, status != 200 {
                state.outcome = .failure(ServerClient.failure(status: status, body: state.body, server: server))
            } else {
                let cut = state.reader.isInsideItem ? " had arrived whole" : ""
                let recorded = state.invocationID.map { "`isolated logs \($0)` shows what it recorded" } ?? "it may have stopped"
                state.outcome = .failure(
                    IsolatedError(
                        code: .serverUnavailable,
                        message: "the server at \(server) closed the stream of \(function) before its result\(cut); \(recorded)"
                    ))
            }
            return Self.take(&state)
        }
        if let (continuation, outcome) = finished { continuation.resume(returning: outcome) }
    }

    /// The waiting call and its outcome, once there are both; each is taken once.
    private static func take(_ state: inout State) -> (CheckedContinuation<Outcome, Never>, Outcome)? {
        guard let outcome = state.outcome, let waiting = state.waiting else { return nil }
        state.waiting = nil
        return (waiting, outcome)
    }

    private func decode(_ line: [UInt8]) throws -> StreamEvent {
        do {
            return try JSONDecoder().decode(StreamEvent.self, from: Data(line))
        } catch {
            throw IsolatedError(code: .codingFailed, message: "the server at \(server) sent an unreadable event: \(error)")
        }
    }
}
