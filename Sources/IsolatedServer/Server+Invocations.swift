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
            let limit = try request.query("limit", in: 1...1000) ?? 50
            let function = request.uri.queryParameters.get("function")
            return try await store.invocations(limit: limit, function: function).map(InvocationInfo.init)
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
    ///
    /// The body is JSON, or the binary form (`InvocationBody.binaryMediaType`) whose arguments
    /// follow a JSON header line as raw bytes. A client that accepts the binary stream
    /// (`StreamEvent.binaryMediaType`) gets the result as raw bytes after its event line.
    private func invoke(_ request: Request) async throws -> Response {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: configuration.maxRequestBytes)
        } catch is NIOTooManyBytesError {
            metrics.recordRejection("tooLarge")
            throw IsolatedError(
                code: .requestTooLarge,
                message: "the call's body is larger than this server's limit of \(ByteCount.describe(configuration.maxRequestBytes)) "
                    + "(isolated serve --max-request-bytes); pass large data another way, or raise the limit"
            )
        }
        let call: InvocationRequest
        do {
            call = try Self.decodeInvocation(buffer, binary: request.headers[.contentType]?.hasPrefix(InvocationBody.binaryMediaType) == true)
        } catch {
            metrics.recordRejection("malformed")
            throw error
        }
        // What the document forbids gets 400 (422 for a type this machine cannot run) before the stream starts;
        // what it cannot say, a minWarm above maxConcurrency, fails the call in its stream.
        do {
            try engine.check(call)
        } catch {
            metrics.recordRejection("invalid")
            throw error
        }
        let binary = request.headers[values: .accept].contains { $0.contains(StreamEvent.binaryMediaType) }
        let id = UUID().uuidString.lowercased()
        let started = InvocationRecord(
            id: id,
            function: call.function.reference,
            machineType: call.machineType.name,
            keyID: RequestKey.id,
            startedAt: Date()
        )
        // Recorded before it runs and before the client learns its id: a call that cannot be
        // recorded does not run, and one whose id a client holds is in the history even if
        // the server dies next (it then becomes `interrupted`).
        do {
            try await store.recordStarted(started)
        } catch {
            metrics.recordRejection("unrecorded")
            throw IsolatedError(
                code: .storageFailed,
                message: "\(call.function.reference) did not run, because its start could not be recorded: \(error.message)",
                function: call.function.reference,
                underlying: error
            )
        }
        logger.debug("call started", metadata: ["invocation": "\(id)", "function": "\(call.function.reference)"])
        return Response(
            status: .ok,
            headers: [.contentType: binary ? StreamEvent.binaryMediaType : StreamEvent.jsonLinesMediaType],
            body: ResponseBody { writer in
                try await self.run(call, started: started, binary: binary, writer: &writer)
            }
        )
    }

    /// The call a body describes, in either form; a malformed one is an `invalidRequest` naming the field.
    static func decodeInvocation(_ buffer: ByteBuffer, binary: Bool) throws(IsolatedError) -> InvocationRequest {
        // A Result, because withUnsafeBytes rethrows untyped; the arguments are copied once, out of the buffer.
        let decoded = buffer.readableBytesView.withUnsafeBytes { bytes -> Result<InvocationRequest, IsolatedError> in
            var header = bytes
            var attached: UnsafeRawBufferPointer?
            if binary {
                guard let newline = bytes.firstIndex(of: UInt8(ascii: "\n")) else {
                    return .failure(
                        IsolatedError(
                            code: .invalidRequest,
                            message: "the call's binary body has no header line: it must start with a JSON object and a newline"))
                }
                header = UnsafeRawBufferPointer(rebasing: bytes[..<newline])
                attached = UnsafeRawBufferPointer(rebasing: bytes[(newline + 1)...])
            }
            do {
                let body = try JSONDecoder().decode(InvocationBody.self, from: Data(header))
                return .success(try body.request(attached: attached))
            } catch let error as DecodingError {
                return .failure(IsolatedError(code: .invalidRequest, message: "the call's body is not a valid invocation: \(Self.describe(error))"))
            } catch {
                return .failure(IsolatedError(code: .invalidRequest, message: "the call's body is not a valid invocation: \(error)"))
            }
        }
        return try decoded.get()
    }

    private func run(_ call: InvocationRequest, started: InvocationRecord, binary: Bool, writer: inout any ResponseBodyWriter) async throws {
        let id = started.id
        let (events, continuation) = AsyncStream.makeStream(of: StreamEvent.self)
        let logs = LogBuffer(limit: store.configuration.maxLogBytes)
        let engine = self.engine
        async let outcome: Result<InvocationResult, IsolatedError> = {
            defer { continuation.finish() }
            do throws(IsolatedError) {
                return .success(
                    try await engine.invoke(call) { event in
                        if case .log(let line) = event { logs.append(line) }
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
        let result = checkSize(of: await outcome, call: call)
        let report: CallReport?
        switch result {
        case .success(let value): report = value.report
        case .failure(let error): report = error.report
        }
        await record(id: id, call: call, result: result, report: report, logs: logs.text)
        guard connected else { return }
        switch result {
        case .success(let value) where binary:
            // The line and the result's first 64 KiB in one write: a small result is one chunk, one wakeup for the client.
            let head = min(value.payload.count, 1 << 16)
            connected = await Self.write(.resultBytes(count: value.payload.count, report: value.report), then: value.payload[..<head], to: &writer)
            if connected, head < value.payload.count { connected = await Self.write(bytes: value.payload[head...], to: &writer) }
        case .success(let value):
            connected = await Self.write(.result(payload: Data(value.payload), report: value.report), to: &writer)
        case .failure(let error):
            connected = await Self.write(.error(error), to: &writer)
        }
        if connected { try? await writer.finish(nil) }
    }

    /// The result, or `resultTooLarge` when it is over the server's limit.
    private func checkSize(of result: Result<InvocationResult, IsolatedError>, call: InvocationRequest) -> Result<InvocationResult, IsolatedError> {
        guard case .success(let value) = result, value.payload.count > configuration.maxResultBytes else { return result }
        return .failure(
            IsolatedError(
                code: .resultTooLarge,
                message: "the result of \(call.function.reference) is \(ByteCount.describe(value.payload.count)), over this server's "
                    + "limit of \(ByteCount.describe(configuration.maxResultBytes)) (isolated serve --max-result-bytes); "
                    + "return less, or raise the limit",
                function: call.function.reference,
                chain: [call.function.reference],
                report: value.report
            )
        )
    }

    /// Records how the call ended, with its output; failing to is logged, never the call's failure.
    private func record(id: String, call: InvocationRequest, result: Result<InvocationResult, IsolatedError>, report: CallReport?, logs: String) async
    {
        let error: IsolatedError? = if case .failure(let failure) = result { failure } else { nil }
        let phases = report?.phases ?? []
        do {
            if !logs.isEmpty { try await store.appendLogs(id: id, logs) }
            try await store.recordFinished(
                id: id,
                endedAt: Date(),
                outcome: InvocationRecord.Outcome(endingWith: error),
                phases: phases,
                warm: report?.warm ?? false,
                runnerID: report?.runnerID,
                environmentKey: report?.environmentKey,
                error: error
            )
        } catch {
            logger.debug("cannot record the end of a call", metadata: ["invocation": "\(id)", "error": "\(error)"])
        }
    }

    /// Writes one event as a line, and `bytes` after it; false once the client is gone.
    private static func write(_ event: StreamEvent, then bytes: ArraySlice<UInt8> = [], to writer: inout any ResponseBodyWriter) async -> Bool {
        guard var line = try? JSONEncoder().encode(event) else { return true }
        line.append(UInt8(ascii: "\n"))
        line.append(contentsOf: bytes)
        do {
            try await writer.write(ByteBuffer(bytes: line))
            return true
        } catch {
            return false
        }
    }

    /// Writes raw bytes in slices, so a large result is never copied whole into one more buffer;
    /// false once the client is gone.
    private static func write(bytes: ArraySlice<UInt8>, to writer: inout any ResponseBodyWriter) async -> Bool {
        let slice = 1 << 20
        do {
            for start in stride(from: bytes.startIndex, to: bytes.endIndex, by: slice) {
                try await writer.write(ByteBuffer(bytes: bytes[start..<min(start + slice, bytes.endIndex)]))
            }
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
            parentID: record.parentID,
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
