import Foundation
public import IsolatedCore
import OpenAPIRuntime

extension ServerClient {
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
            body = try InvocationBody.binary(request, headers: headers)
        } catch {
            throw IsolatedError(code: .codingFailed, message: "cannot encode the call to \(request.function.reference): \(error)")
        }
        let function = request.function.reference
        let stream = try await perform("the call to \(function)") { () async throws -> HTTPBody in
            let response = try await api.invoke(
                headers: .init(accept: [.init(contentType: .applicationVnd_isolated_events)]),
                body: .applicationVnd_isolated_invocation(HTTPBody(body))
            )
            guard case .applicationVnd_isolated_events(let stream) = try response.ok.body else {
                throw IsolatedError(
                    code: .codingFailed, message: "the server at \(baseURL) answered the call to \(function) without its binary stream")
            }
            return stream
        }
        var reader = CallReader(function: function, server: baseURL, maxResultBytes: maxResultBytes)
        do {
            for try await chunk in stream {
                if let outcome = try reader.read(chunk, recorded: recorded, events: events) { return outcome }
            }
        } catch let error as IsolatedError {
            throw error
        } catch {
            throw reader.ended(by: error)
        }
        throw reader.ended(by: Task.isCancelled ? CancellationError() : nil)
    }
}
