import Foundation
package import IsolatedClient
import IsolatedCore
import IsolatedEngine
package import IsolatedStore
import Logging
import NIOCore
import OpenAPIRuntime

extension APIHandler {
    func listInvocations(_ input: Operations.ListInvocations.Input) async throws -> Operations.ListInvocations.Output {
        let limit = try Self.check(input.query.limit, "limit", in: 1...1000) ?? 50
        return .ok(.init(body: .json(try await server.store.invocations(limit: limit, function: input.query.function).map(InvocationInfo.init))))
    }

    func getInvocation(_ input: Operations.GetInvocation.Input) async throws -> Operations.GetInvocation.Output {
        guard let record = try await server.store.invocation(id: input.path.id) else { throw Self.noSuchInvocation(input.path.id) }
        return .ok(.init(body: .json(InvocationInfo(record))))
    }

    func getInvocationLogs(_ input: Operations.GetInvocationLogs.Input) async throws -> Operations.GetInvocationLogs.Output {
        guard let logs = try await server.store.logs(id: input.path.id) else { throw Self.noSuchInvocation(input.path.id) }
        return .ok(.init(body: .plainText(HTTPBody(logs))))
    }

    static func noSuchInvocation(_ id: String) -> IsolatedError {
        IsolatedError(code: .notFound, message: "there is no invocation \(id); `isolated invocations` lists the recorded ones")
    }

    /// Starts one call and streams its events as JSON lines; the call is recorded from its
    /// start, with its phases, outcome, error and (up to the store's limit) output.
    ///
    /// The body is JSON, or the binary form (`InvocationBody.binaryMediaType`) whose arguments
    /// follow a JSON header line as raw bytes. A client that accepts the binary stream
    /// (`StreamEvent.binaryMediaType`) gets the result as raw bytes after its event line.
    func invoke(_ input: Operations.Invoke.Input) async throws -> Operations.Invoke.Output {
        let call: InvocationRequest
        do {
            switch input.body {
            case .json(let body):
                call = try Self.request(from: body, attached: nil)
            case .applicationVnd_isolated_invocation(let body):
                call = try Self.decodeBinary(try await collect(body), headers: server.headers)
            }
        } catch {
            server.metrics.recordRejection(error.code == .requestTooLarge ? "tooLarge" : "malformed")
            throw error
        }
        // What the document forbids gets 400 (422 for a type this machine cannot run) before the stream starts;
        // what it cannot say, a minWarm above maxConcurrency, fails the call in its stream.
        do {
            try server.engine.check(call)
        } catch {
            server.metrics.recordRejection("invalid")
            throw error
        }
        let binary = Self.accepts(input.headers.accept, StreamEvent.binaryMediaType)
        guard binary || Self.accepts(input.headers.accept, StreamEvent.jsonLinesMediaType) else {
            server.metrics.recordRejection("malformed")
            throw IsolatedError(
                code: .invalidRequest,
                message: "the call streams \(StreamEvent.jsonLinesMediaType) or \(StreamEvent.binaryMediaType), and Accept allows neither")
        }
        let started = InvocationRecord(
            id: UUID().uuidString.lowercased(),
            function: call.function.reference,
            machineType: call.machineType.name,
            keyID: RequestKey.id,
            startedAt: Date()
        )
        // Recorded before it runs and before the client learns its id: a call that cannot be
        // recorded does not run, and one whose id a client holds is in the history even if
        // the server dies next (it then becomes `interrupted`).
        do {
            try await server.store.recordStarted(started)
        } catch {
            server.metrics.recordRejection("unrecorded")
            throw IsolatedError(
                code: .storageFailed,
                message: "\(call.function.reference) did not run, because its start could not be recorded: \(error.message)",
                function: call.function.reference,
                underlying: error
            )
        }
        server.logger.debug("call started", metadata: ["invocation": "\(started.id)", "function": "\(call.function.reference)"])
        let output = CallOutput(batcher: server.batcher)
        try calls.submit { await self.run(call, started: started, binary: binary, to: output) }
        // A call that ends before its first event is due is answered whole, in one write.
        let body =
            if let whole = await output.whole(upTo: Server.wholeBodyLimit) {
                HTTPBody(whole)
            } else {
                HTTPBody(output, length: .unknown, iterationBehavior: .single)
            }
        return .ok(.init(body: binary ? .applicationVnd_isolated_events(body) : .applicationXNdjson(body)))
    }

    /// Whether `accept` allows `mediaType`: an empty list, a wildcard or the type itself, at a quality above zero.
    static func accepts(_ accept: [AcceptHeaderContentType<Operations.Invoke.AcceptableContentType>], _ mediaType: String) -> Bool {
        accept.isEmpty
            || accept.contains { entry in
                let type = entry.contentType.rawValue
                return entry.quality.doubleValue > 0 && (type == mediaType || type == "*/*" || type == "application/*")
            }
    }

    /// The binary body, whole, up to the server's limit.
    private func collect(_ body: HTTPBody) async throws(IsolatedError) -> [UInt8] {
        do {
            return try await [UInt8](collecting: body, upTo: server.configuration.maxRequestBytes)
        } catch is NIOTooManyBytesError {
            throw Server.callTooLarge(limit: server.configuration.maxRequestBytes)
        } catch {
            throw IsolatedError(code: .invalidRequest, message: "the call's body could not be read: \(error)", underlying: error)
        }
    }

    /// The call a binary body describes: a JSON header line, then the arguments' bytes; a
    /// malformed one is an `invalidRequest` naming the field. A header line the way
    /// ``InvocationBody/binary(_:headers:)`` writes it is decoded once per function, into `headers`.
    static func decodeBinary(_ bytes: [UInt8], headers: InvocationBody.DecodedHeaders? = nil) throws(IsolatedError) -> InvocationRequest {
        // A Result, because withUnsafeBytes rethrows untyped; the arguments are copied once, out of the body.
        let decoded = bytes.withUnsafeBytes { bytes -> Result<InvocationRequest, IsolatedError> in
            guard let newline = bytes.firstIndex(of: UInt8(ascii: "\n")) else {
                return .failure(
                    IsolatedError(
                        code: .invalidRequest, message: "the call's binary body has no header line: it must start with a JSON object and a newline"))
            }
            let line = UnsafeRawBufferPointer(rebasing: bytes[..<newline])
            let body: InvocationBody
            if let cached = cachedHeader(line, headers) {
                body = cached
            } else {
                do {
                    body = try JSONDecoder().decode(InvocationBody.self, from: Data(line))
                } catch let error as DecodingError {
                    return .failure(IsolatedError(code: .invalidRequest, message: "the call's body is not a valid invocation: \(describe(error))"))
                } catch {
                    return .failure(IsolatedError(code: .invalidRequest, message: "the call's body is not a valid invocation: \(error)"))
                }
            }
            return Result { () throws(IsolatedError) in try request(from: body, attached: UnsafeRawBufferPointer(rebasing: bytes[(newline + 1)...])) }
        }
        return try decoded.get()
    }

    /// The header `line` holds, from `headers` or decoded into it, when the line ends in
    /// `argumentBytes` as the client writes it; nil otherwise, or when the rest does not decode
    /// on its own or names the arguments again, and the line is then decoded whole.
    private static func cachedHeader(_ line: UnsafeRawBufferPointer, _ headers: InvocationBody.DecodedHeaders?) -> InvocationBody? {
        guard let headers, let (fields, sizes) = InvocationBody.split(headerLine: line) else { return nil }
        var body: InvocationBody
        if let cached = headers[fields] {
            body = cached
        } else {
            guard let decoded = try? JSONDecoder().decode(InvocationBody.self, from: Data(fields.bytes)),
                decoded.arguments == nil && decoded.argumentBytes == nil
            else { return nil }
            headers.keep(decoded, for: fields)
            body = decoded
        }
        body.argumentBytes = sizes
        return body
    }

    private static func request(from body: InvocationBody, attached: UnsafeRawBufferPointer?) throws(IsolatedError) -> InvocationRequest {
        do {
            return try body.request(attached: attached)
        } catch {
            throw IsolatedError(code: .invalidRequest, message: "the call's body is not a valid invocation: \(error)")
        }
    }

    /// Runs the call, writing its events to `output` as they happen. How it ended is queued in
    /// the store before its last event, so a client that reads the history after its result
    /// finds it there, and written to disk after that event, off the call's path. A client that
    /// goes away stops getting events; the call still finishes and is recorded.
    private func run(_ call: InvocationRequest, started: InvocationRecord, binary: Bool, to output: CallOutput) async {
        await run(call, started: started, binary: binary, writingTo: output)
        await server.store.writeQueuedEndings()
    }

    private func run(_ call: InvocationRequest, started: InvocationRecord, binary: Bool, writingTo output: CallOutput) async {
        let logs = LogBuffer(limit: server.store.configuration.maxLogBytes)
        output.write(.invocation(id: started.id))
        let result: Result<InvocationResult, IsolatedError>
        do throws(IsolatedError) {
            result = .success(
                try await server.engine.invoke(call) { event in
                    if case .log(let line) = event { logs.append(line) }
                    output.write(.event(event))
                })
        } catch {
            result = .failure(error)
        }
        let checked = checkSize(of: result, call: call)
        let ending: InvocationEnding =
            switch checked {
            case .success(let value): InvocationEnding(id: started.id, report: value.report, error: nil, logs: logs.text)
            case .failure(let error): InvocationEnding(id: started.id, report: error.report, error: error, logs: logs.text)
            }
        await server.store.queueEnding(ending)
        switch checked {
        case .success(let value) where binary && value.payload.count <= CallOutput.joinLimit:
            // The line and the result in one chunk: one write, one wakeup for the client.
            output.finish(with: .resultBytes(count: value.payload.count, report: value.report), then: value.payload[...])
        case .success(let value) where binary:
            output.write(.resultBytes(count: value.payload.count, report: value.report), then: value.payload[..<CallOutput.joinLimit])
            output.write(bytes: value.payload[CallOutput.joinLimit...])
            output.finish()
        case .success(let value):
            output.finish(with: .result(payload: Data(value.payload), report: value.report))
        case .failure(let error):
            output.finish(with: .error(error))
        }
    }

    /// The result, or `resultTooLarge` when it is over the server's limit.
    private func checkSize(of result: Result<InvocationResult, IsolatedError>, call: InvocationRequest) -> Result<InvocationResult, IsolatedError> {
        let limit = server.configuration.maxResultBytes
        guard case .success(let value) = result, value.payload.count > limit else { return result }
        return .failure(
            IsolatedError(
                code: .resultTooLarge,
                message: "the result of \(call.function.reference) is \(ByteCount.describe(value.payload.count)), over this server's "
                    + "limit of \(ByteCount.describe(limit)) (isolated serve --max-result-bytes); return less, or raise the limit",
                function: call.function.reference,
                chain: [call.function.reference],
                report: value.report
            )
        )
    }

    /// A decoding error as a sentence naming the field: "arguments[2]: expected base64 data".
    static func describe(_ error: DecodingError, root: String = "the body") -> String {
        func path(_ codingPath: [any CodingKey]) -> String {
            let path = codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return path.isEmpty ? root : String(path.drop { $0 == "." })
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
