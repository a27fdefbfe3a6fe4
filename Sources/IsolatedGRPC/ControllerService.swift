import Foundation
import GRPCCore
import IsolatedCore
import IsolatedEngine
import IsolatedStore
import Logging
import SwiftProtobuf

/// `controller.IsolateController`, the service the fal-serverless client calls: each `Run`
/// becomes a ``PythonCall`` on the engine, its output streamed back as logs and its result (or
/// the exception it raised) as the last message. `Docs/FalProtocol.md` describes the client.
struct ControllerService: Controller_IsolateController.ServiceProtocol {
    let engine: Engine
    let store: Store
    let configuration: GRPCConfiguration
    /// What a runner's client needs to call this server back: set once the server listens.
    let runnerEnvironment: [String: String]
    /// Where `runnerEnvironment` points, for a sandboxed runner to read.
    let runnerReadableDirectories: [String]
    let logger: Logger

    func run(
        request: ServerRequest<Controller_HostedRun>,
        context: ServerContext
    ) async throws -> StreamingServerResponse<Controller_HostedRunResult> {
        let caller = try await authenticate(request.metadata)
        let id = UUID().uuidString.lowercased()
        let call = try PythonCallMapping.call(
            from: request.message, runnerEnvironment: runnerEnvironment, runnerReadableDirectories: runnerReadableDirectories, tag: id)
        let (engine, store) = (self.engine, self.store)
        let interval = configuration.heartbeatInterval
        let logs = LogBuffer(limit: store.configuration.maxLogBytes)
        // Recorded like the HTTP API's calls, so `isolated invocations` and `logs` show them, and
        // before it runs: a call that cannot be recorded does not run.
        do {
            try await store.recordStarted(
                InvocationRecord(
                    id: id, function: call.reference, machineType: call.machineType.name, keyID: caller.keyID, parentID: caller.parentID,
                    startedAt: Date()))
        } catch {
            throw RPCError(code: .unavailable, message: "the function did not run, because its start could not be recorded: \(error.message)")
        }
        logger.debug("call started", metadata: ["invocation": "\(id)", "function": "\(call.reference)"])
        return StreamingServerResponse { writer in
            let (items, continuation) = AsyncStream.makeStream(of: StreamItem.self)
            let outcome = try await withThrowingTaskGroup(of: Result<InvocationResult, IsolatedError>?.self) { group in
                group.addTask {
                    defer { continuation.finish() }
                    do throws(IsolatedError) {
                        return .success(try await engine.invoke(python: call) { continuation.yield(.event($0)) })
                    } catch {
                        return .failure(error)
                    }
                }
                // The client pings every 30 s; a message now and then keeps a silent call's stream alive.
                group.addTask {
                    while true {
                        do {
                            try await Task.sleep(for: interval)
                        } catch {
                            return nil
                        }
                        continuation.yield(.heartbeat)
                    }
                }
                for await item in items {
                    switch item {
                    case .event(.log(let line)):
                        logs.append(line)
                        try await writer.write(PythonCallMapping.message(for: line))
                    case .event:
                        continue
                    case .heartbeat:
                        try await writer.write(Controller_HostedRunResult())
                    }
                }
                var outcome: Result<InvocationResult, IsolatedError>?
                while let next = try await group.next() {
                    if let next {
                        outcome = next
                        group.cancelAll()
                    }
                }
                return outcome!
            }
            let (report, error): (CallReport?, IsolatedError?) =
                switch outcome {
                case .success(let result): (result.report, nil)
                case .failure(let error): (error.report, error)
                }
            // Queued before the result goes out, so the history read after it has the call's end;
            // written to disk after it, off the call's path.
            await store.queueEnding(InvocationEnding(id: id, report: report, error: error, logs: logs.text))
            do {
                switch outcome {
                case .success(let result):
                    try await writer.write(PythonCallMapping.returned(result.payload, method: call.function.method))
                case .failure(let error):
                    guard let raised = PythonCallMapping.raised(error, method: call.function.method) else {
                        throw PythonCallMapping.rpcError(for: error)
                    }
                    try await writer.write(raised)
                }
            } catch {
                await store.writeQueuedEndings()
                throw error
            }
            await store.writeQueuedEndings()
            return [:]
        }
    }

    /// Who makes a call: a user's key, nobody (keyless access), or a runner making a nested call
    /// with the key the engine gave it.
    enum Caller {
        case user(KeyRecord?)
        case runner(RunnerCredentials.Credential, parentID: String?)

        var keyID: String? {
            switch self {
            case .user(let key): key?.id
            case .runner(let credential, _): credential.id
            }
        }

        var parentID: String? {
            if case .runner(_, let parentID) = self { parentID } else { nil }
        }
    }

    /// The client sends `auth-key-id` and `auth-key` (FAL_KEY_ID and FAL_KEY_SECRET): a user's
    /// key, or inside a runner, the runner's own.
    func authenticate(_ metadata: Metadata) async throws -> Caller {
        if let secret = metadata[stringValues: "auth-key"].first(where: { _ in true }), let runner = await engine.runnerCaller(secret: secret) {
            return .runner(runner.credential, parentID: runner.parentTag)
        }
        return .user(try await authenticateUser(metadata))
    }

    /// A user's key, or nil for keyless access.
    private func authenticateUser(_ metadata: Metadata) async throws -> KeyRecord? {
        if configuration.allowKeyless, metadata[stringValues: "auth-key"].first(where: { _ in true }) == nil { return nil }
        guard let secret = metadata[stringValues: "auth-key"].first(where: { _ in true }) else {
            throw RPCError(
                code: .unauthenticated,
                message: "this server needs an API key: set FAL_KEY_ID and FAL_KEY_SECRET to a key from `isolated keys create NAME`"
            )
        }
        let key: KeyRecord?
        do {
            key = try await store.authenticate(secret: secret)
        } catch {
            throw RPCError(code: .unavailable, message: "cannot check the API key: \(error.message)")
        }
        guard let key, metadata[stringValues: "auth-key-id"].first(where: { _ in true }).map({ $0 == key.id }) ?? true else {
            throw RPCError(
                code: .unauthenticated, message: "the API key is not valid, or has been revoked; create one with `isolated keys create NAME`")
        }
        return key
    }

    private enum StreamItem: Sendable {
        case event(InvocationEvent)
        case heartbeat
    }
}
