public import Foundation
public import IsolatedCore
import Synchronization

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Talks to an `isolated serve` server: calls, streamed as they run, and the management API.
///
/// Every request carries the key as `Authorization: Bearer …`; the key never appears in an
/// error this client throws.
public final class ServerClient: Sendable {
    /// The server's base URL, like `http://127.0.0.1:8080`.
    public let baseURL: URL
    /// The largest result this client accepts from a call; a larger one fails with
    /// `resultTooLarge` before it is read.
    public let maxResultBytes: Int
    private let key: String?
    private let session: URLSession
    private let streams: StreamRouter

    /// The default of ``maxResultBytes`` and of the server's `--max-result-bytes`: 1 GiB.
    public static let defaultMaxResultBytes = 1 << 30

    /// A client for the server at `baseURL`, authenticating with `key`.
    public init(baseURL: URL, key: String?, maxResultBytes: Int = ServerClient.defaultMaxResultBytes) {
        self.baseURL = baseURL
        self.key = key
        self.maxResultBytes = maxResultBytes
        let streams = StreamRouter()
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 24 * 60 * 60
        configuration.timeoutIntervalForResource = 24 * 60 * 60
        self.streams = streams
        self.session = URLSession(configuration: configuration, delegate: streams, delegateQueue: nil)
    }

    deinit { session.invalidateAndCancel() }

    /// A client for `ISOLATED_SERVER` with `ISOLATED_KEY`, or nil when `ISOLATED_SERVER` is not
    /// set; `ISOLATED_MAX_RESULT_BYTES` sets ``maxResultBytes``.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws(IsolatedError) -> ServerClient? {
        guard let server = environment["ISOLATED_SERVER"], !server.isEmpty else { return nil }
        guard let url = URL(string: server), url.scheme == "http" || url.scheme == "https", url.host != nil else {
            throw IsolatedError(code: .invalidConfiguration, message: "ISOLATED_SERVER is not an http(s) URL: '\(server)'")
        }
        var maxResultBytes = defaultMaxResultBytes
        if let limit = environment["ISOLATED_MAX_RESULT_BYTES"], !limit.isEmpty {
            guard let bytes = Int(limit), bytes > 0 else {
                throw IsolatedError(code: .invalidConfiguration, message: "ISOLATED_MAX_RESULT_BYTES is not a positive number of bytes: '\(limit)'")
            }
            maxResultBytes = bytes
        }
        return ServerClient(baseURL: url, key: environment["ISOLATED_KEY"].flatMap { $0.isEmpty ? nil : $0 }, maxResultBytes: maxResultBytes)
    }

    /// Runs a call on the server; `events` receives its phases, progress and log lines as they stream.
    ///
    /// `recorded` receives the server's id for the call first, once the server has recorded
    /// its start: from then on the call is in the history (`isolated invocations`), even if
    /// the server or the connection dies before the result arrives.
    ///
    /// Arguments go up and the result comes back as raw bytes (the binary forms of the body and
    /// the stream), read in time and memory linear in their size.
    public func invoke(
        _ request: InvocationRequest,
        recorded: @escaping @Sendable (String) -> Void = { _ in },
        events: @escaping @Sendable (InvocationEvent) -> Void
    ) async throws(IsolatedError) -> (id: String?, payload: [UInt8], report: CallReport) {
        let body: Data
        do {
            body = try InvocationBody.binary(request)
        } catch {
            throw IsolatedError(code: .codingFailed, message: "cannot encode the call to \(request.function.reference): \(error)")
        }
        var urlRequest = makeRequest("POST", "v1/invocations")
        urlRequest.httpBody = body
        urlRequest.setValue(InvocationBody.binaryMediaType, forHTTPHeaderField: "Content-Type")
        urlRequest.setValue(StreamEvent.binaryMediaType, forHTTPHeaderField: "Accept")

        let call = CallStream(
            function: request.function.reference, server: baseURL, maxResultBytes: maxResultBytes, recorded: recorded, events: events)
        let task = session.dataTask(with: urlRequest)
        let outcome = await withTaskCancellationHandler {
            await call.outcome {
                streams.register(task.taskIdentifier, call: call)
                task.resume()
            }
        } onCancel: {
            task.cancel()
        }
        if case .failure(let error) = outcome, error.code == .cancelled {
            throw IsolatedError(code: .cancelled, message: "the call to \(request.function.reference) was cancelled; the server lets it finish")
        }
        return try outcome.get()
    }

    /// `GET`s `path` and decodes the JSON response.
    public func get<Value: Decodable>(_ path: String, as type: Value.Type = Value.self) async throws(IsolatedError) -> Value {
        try await send(makeRequest("GET", path), as: type)
    }

    /// Sends `method` to `path` with an optional JSON body and decodes the JSON response.
    public func send<Value: Decodable>(
        _ method: String,
        _ path: String,
        body: (some Encodable)? = String?.none,
        as type: Value.Type = Value.self
    ) async throws(IsolatedError) -> Value {
        var request = makeRequest(method, path)
        if let body {
            request.httpBody = try? JSONEncoder().encode(body)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        return try await send(request, as: type)
    }

    /// `GET`s `path` and returns the body as text.
    public func text(_ path: String) async throws(IsolatedError) -> String {
        let (status, chunks) = try await stream(makeRequest("GET", path))
        let body = try await collect(chunks)
        guard status == 200 else { throw Self.failure(status: status, body: body, server: baseURL) }
        return String(decoding: body, as: UTF8.self)
    }

    private func send<Value: Decodable>(_ request: URLRequest, as type: Value.Type) async throws(IsolatedError) -> Value {
        let (status, chunks) = try await stream(request)
        let body = try await collect(chunks)
        guard (200..<300).contains(status) else { throw Self.failure(status: status, body: body, server: baseURL) }
        do {
            return try JSONDecoder.server.decode(Value.self, from: body)
        } catch {
            throw IsolatedError(code: .codingFailed, message: "the server at \(baseURL) sent an unreadable \(Value.self): \(error)")
        }
    }

    private func makeRequest(_ method: String, _ path: String) -> URLRequest {
        var request = URLRequest(url: URL(string: path, relativeTo: baseURL.appendingPathComponent("/"))!.absoluteURL)
        request.httpMethod = method
        if let key { request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization") }
        return request
    }

    private func stream(_ request: URLRequest) async throws(IsolatedError) -> (status: Int, chunks: AsyncThrowingStream<Data, any Error>) {
        let (chunks, continuation) = AsyncThrowingStream.makeStream(of: Data.self)
        let task = session.dataTask(with: request)
        // A caller that stops reading (its task was cancelled) closes the connection.
        continuation.onTermination = { _ in task.cancel() }
        do {
            let status = try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (response: CheckedContinuation<Int, any Error>) in
                    streams.register(task.taskIdentifier, response: response, chunks: continuation)
                    task.resume()
                }
            } onCancel: {
                task.cancel()
            }
            return (status, chunks)
        } catch {
            throw Self.connectionError(error, server: baseURL, during: "\(request.httpMethod ?? "GET") \(request.url?.path ?? "")")
        }
    }

    private func collect(_ chunks: AsyncThrowingStream<Data, any Error>) async throws(IsolatedError) -> Data {
        var body = Data()
        do {
            for try await chunk in chunks { body.append(chunk) }
        } catch {
            throw Self.connectionError(error, server: baseURL, during: "reading a response")
        }
        return body
    }

    static func connectionError(_ error: any Error, server: URL, during what: String) -> IsolatedError {
        if error is CancellationError || (error as? URLError)?.code == .cancelled {
            return IsolatedError(code: .cancelled, message: "\(what) was cancelled")
        }
        return IsolatedError(
            code: .serverUnavailable,
            message: "cannot reach the Isolated server at \(server) (ISOLATED_SERVER) for \(what): \(error.localizedDescription); "
                + "is `isolated serve` running there?",
            underlying: error
        )
    }

    static func failure(status: Int, body: Data, server: URL) -> IsolatedError {
        if let response = try? JSONDecoder().decode(ErrorResponse.self, from: body) { return response.error }
        let text = String(decoding: body.prefix(500), as: UTF8.self)
        return IsolatedError(code: .serverUnavailable, message: "the server at \(server) answered \(status): \(text)")
    }
}

/// The body of every error response: `{"error": {"code": …, "message": …}}`.
public struct ErrorResponse: Sendable, Codable {
    /// What went wrong.
    public var error: IsolatedError

    /// Creates a response.
    public init(error: IsolatedError) { self.error = error }
}

extension JSONDecoder {
    /// Dates as ISO 8601, as the server writes them.
    package static var server: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}

/// Routes the session's delegate callbacks to the request that started each task: a call's
/// stream is read right here, on the delegate queue; other responses go to a task as chunks.
private final class StreamRouter: NSObject, URLSessionDataDelegate, Sendable {
    private enum Receiver {
        case chunks(response: CheckedContinuation<Int, any Error>?, chunks: AsyncThrowingStream<Data, any Error>.Continuation)
        case call(CallStream)
    }

    private let receivers = Mutex<[Int: Receiver]>([:])

    func register(_ task: Int, response: CheckedContinuation<Int, any Error>, chunks: AsyncThrowingStream<Data, any Error>.Continuation) {
        receivers.withLock { $0[task] = .chunks(response: response, chunks: chunks) }
    }

    func register(_ task: Int, call: CallStream) {
        receivers.withLock { $0[task] = .call(call) }
    }

    func urlSession(
        _ session: URLSession,
        dataTask: URLSessionDataTask,
        didReceive response: URLResponse,
        completionHandler: @escaping @Sendable (URLSession.ResponseDisposition) -> Void
    ) {
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        let receiver = receivers.withLock { receivers -> Receiver? in
            let receiver = receivers[dataTask.taskIdentifier]
            if case .chunks(_, let chunks) = receiver { receivers[dataTask.taskIdentifier] = .chunks(response: nil, chunks: chunks) }
            return receiver
        }
        switch receiver {
        case .chunks(let waiting, _): waiting?.resume(returning: status)
        case .call(let call): call.receive(status: status)
        case nil: break
        }
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        switch receivers.withLock({ $0[dataTask.taskIdentifier] }) {
        case .chunks(_, let chunks): chunks.yield(data)
        case .call(let call): call.receive(data)
        case nil: break
        }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        switch receivers.withLock({ $0.removeValue(forKey: task.taskIdentifier) }) {
        case .chunks(let waiting, let chunks):
            if let error {
                waiting?.resume(throwing: error)
                chunks.finish(throwing: error)
            } else {
                waiting?.resume(returning: (task.response as? HTTPURLResponse)?.statusCode ?? 0)
                chunks.finish()
            }
        case .call(let call):
            call.complete(error: error)
        case nil:
            break
        }
    }
}
