import Foundation
import Hummingbird
package import IsolatedClient
import IsolatedCore
import IsolatedEngine
package import IsolatedStore
import Logging
import NIOCore
import Synchronization

extension Server {
    func addInvocationRoutes(to group: RouterGroup<BasicRequestContext>) {
        group.post("v1/invocations") { request, _ in try await self.invoke(request) }
        group.get("v1/invocations") { request, _ -> [InvocationInfo] in
            let limit = request.uri.queryParameters.get("limit", as: Int.self) ?? 50
            let function = request.uri.queryParameters.get("function")
            return try await store.invocations(limit: min(max(limit, 1), 1000), function: function).map(InvocationInfo.init)
        }
        group.get("v1/invocations/:id") { _, context -> InvocationInfo in
            let id = try context.parameters.require("id")
            guard let record = try await store.invocation(id: id) else { throw Self.noSuchInvocation(id) }
            return InvocationInfo(record)
        }
        group.get("v1/invocations/:id/logs") { _, context -> Response in
            let id = try context.parameters.require("id")
            guard let logs = try await store.logs(id: id) else { throw Self.noSuchInvocation(id) }
            return Response(
                status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: ResponseBody(byteBuffer: ByteBuffer(string: logs)))
        }
    }

    static func noSuchInvocation(_ id: String) -> IsolatedError {
        IsolatedError(code: .notFound, message: "there is no invocation \(id); `isolated invocations` lists the recorded ones")
    }

    /// Runs one call and streams its events as newline-delimited JSON; the call is recorded
    /// from its start, with its phases, outcome, error and (up to the store's limit) output.
    private func invoke(_ request: Request) async throws -> Response {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: configuration.maxRequestBytes)
        } catch is NIOTooManyBytesError {
            metrics.recordRejection("tooLarge")
            throw IsolatedError(
                code: .requestTooLarge,
                message: "the call's body is larger than this server's limit of \(configuration.maxRequestBytes >> 20) MiB "
                    + "(isolated serve --max-request-bytes); pass large data another way"
            )
        }
        let body: InvocationBody
        do {
            body = try JSONDecoder().decode(InvocationBody.self, from: Data(buffer.readableBytesView))
        } catch let error as DecodingError {
            metrics.recordRejection("malformed")
            throw IsolatedError(code: .invalidRequest, message: "the call's body is not a valid invocation: \(Self.describe(error))")
        }
        let call = body.request
        let id = UUID().uuidString.lowercased()
        let started = InvocationRecord(
            id: id,
            function: call.function.reference,
            machineType: call.machineType.name,
            keyID: RequestKey.id,
            startedAt: Date()
        )
        logger.debug("call started", metadata: ["invocation": "\(id)", "function": "\(call.function.reference)"])
        return Response(
            status: .ok,
            headers: [.contentType: "application/x-ndjson"],
            body: ResponseBody { writer in
                try await self.run(call, started: started, writer: &writer)
            }
        )
    }

    private func run(_ call: InvocationRequest, started: InvocationRecord, writer: inout any ResponseBodyWriter) async throws {
        let id = started.id
        // The start is recorded while the call runs, not before it: one write off every call's path.
        async let recordedStart: Void = {
            do {
                try await store.recordStarted(started)
            } catch {
                logger.debug("cannot record the start of a call", metadata: ["invocation": "\(id)", "error": "\(error)"])
            }
        }()
        let (events, continuation) = AsyncStream.makeStream(of: StreamEvent.self)
        let logs = LogBuffer(limit: store.configuration.maxLogBytes)
        let metrics = self.metrics
        let engine = self.engine
        async let outcome: Result<InvocationResult, IsolatedError> = {
            defer { continuation.finish() }
            do throws(IsolatedError) {
                return .success(
                    try await engine.invoke(call) { event in
                        if case .log(let line) = event { logs.append(line) }
                        if case .phaseFinished(let timing) = event, timing.phase == .environment, timing.outcome == "built" {
                            metrics.recordEnvironmentBuild()
                        }
                        continuation.yield(.event(event))
                    }
                )
            } catch {
                return .failure(error)
            }
        }()
        // A client that goes away stops getting events; the call still finishes and is recorded.
        var connected = await Self.write(.invocation(id: id), to: &writer)
        for await event in events where connected {
            connected = await Self.write(event, to: &writer)
        }
        let result = await outcome
        let report: CallReport?
        let final: StreamEvent
        switch result {
        case .success(let value):
            report = value.report
            final = .result(payload: Data(value.payload), report: value.report)
        case .failure(let error):
            report = error.report
            final = .error(error)
        }
        await recordedStart
        await record(id: id, call: call, result: result, report: report, logs: logs.text)
        if connected, await Self.write(final, to: &writer) {
            try? await writer.finish(nil)
        }
    }

    private func record(id: String, call: InvocationRequest, result: Result<InvocationResult, IsolatedError>, report: CallReport?, logs: String) async
    {
        let outcome: InvocationRecord.Outcome
        let error: IsolatedError?
        switch result {
        case .success:
            outcome = .succeeded
            error = nil
        case .failure(let failure):
            outcome = failure.code == .cancelled ? .cancelled : .failed
            error = failure
        }
        let phases = report?.phases ?? []
        metrics.recordCall(
            outcome: outcome.rawValue,
            warm: report?.runnerID == nil ? nil : report?.warm,
            phases: phases.map { ($0.phase.rawValue, $0.duration.seconds) }
        )
        do {
            if !logs.isEmpty { try await store.appendLogs(id: id, logs) }
            try await store.recordFinished(
                id: id,
                endedAt: Date(),
                outcome: outcome,
                phases: phases,
                warm: report?.warm ?? false,
                runnerID: report?.runnerID,
                environmentKey: nil,
                error: error
            )
        } catch {
            logger.debug("cannot record the end of a call", metadata: ["invocation": "\(id)", "error": "\(error)"])
        }
    }

    /// Writes one event as a line; false once the client is gone.
    private static func write(_ event: StreamEvent, to writer: inout any ResponseBodyWriter) async -> Bool {
        guard var line = try? JSONEncoder().encode(event) else { return true }
        line.append(UInt8(ascii: "\n"))
        do {
            try await writer.write(ByteBuffer(bytes: line))
            return true
        } catch {
            return false
        }
    }

    /// A decoding error as a sentence naming the field: "arguments[2]: expected base64 data".
    static func describe(_ error: DecodingError) -> String {
        func path(_ codingPath: [any CodingKey]) -> String {
            let path = codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return path.isEmpty ? "the body" : String(path.drop { $0 == "." })
        }
        switch error {
        case .keyNotFound(let key, let context):
            let parent = path(context.codingPath)
            return "'\(key.stringValue)' is missing" + (context.codingPath.isEmpty ? "" : " in \(parent)")
        case .typeMismatch(let type, let context):
            return "\(path(context.codingPath)) should be \(type)"
        case .valueNotFound(let type, let context):
            return "\(path(context.codingPath)) should be \(type), not null"
        case .dataCorrupted(let context):
            return "\(path(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}

/// The first `limit` bytes of a call's output, and whether there was more.
private final class LogBuffer: Sendable {
    private let state = Mutex<(text: String, bytes: Int)>(("", 0))
    private let limit: Int

    init(limit: Int) { self.limit = limit }

    func append(_ line: LogLine) {
        state.withLock { state in
            // One byte past the limit, so the store marks the record truncated.
            guard state.bytes <= limit else { return }
            state.text += line.text + "\n"
            state.bytes += line.text.utf8.count + 1
        }
    }

    var text: String { state.withLock { $0.text } }
}

extension InvocationInfo {
    /// The API form of a recorded call.
    package init(_ record: InvocationRecord) {
        self.init(
            id: record.id,
            function: record.function.name,
            file: record.function.file,
            line: record.function.line,
            machineType: record.machineType,
            environmentKey: record.environmentKey,
            runnerID: record.runnerID,
            keyID: record.keyID,
            startedAt: record.startedAt,
            endedAt: record.endedAt,
            outcome: record.outcome.rawValue,
            warm: record.warm,
            phases: record.phases.map(PhaseTiming.init),
            error: record.error,
            logBytes: record.logBytes,
            logsTruncated: record.logsTruncated
        )
    }
}
