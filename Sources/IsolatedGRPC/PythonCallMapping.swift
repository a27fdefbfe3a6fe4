import Foundation
import GRPCCore
import IsolatedCore
import SwiftProtobuf

/// Between the fal-serverless wire messages and the engine's Python calls.
enum PythonCallMapping {
    /// The engine's call for a `HostedRun`; a request the engine cannot serve is refused with
    /// `INVALID_ARGUMENT` or `UNIMPLEMENTED`, naming what Isolated does instead. `tag` is the
    /// call's invocation id.
    static func call(
        from run: Controller_HostedRun,
        runnerEnvironment: [String: String],
        runnerReadableDirectories: [String],
        tag: String
    ) throws -> PythonCall {
        guard run.environments.count == 1, let environment = run.environments.first else {
            throw RPCError(
                code: .invalidArgument,
                message: "a call names exactly one environment; this one names \(run.environments.count)")
        }
        guard environment.kind == "virtualenv" else {
            throw RPCError(
                code: .unimplemented,
                message: "environments of kind \(environment.kind) are not supported: Isolated builds virtualenv environments with uv; "
                    + "use @isolated(\"virtualenv\", requirements=[...])")
        }
        let configuration = environment.configuration.fields
        guard case .stringValue(let version)? = configuration["python_version"]?.kind, !version.isEmpty else {
            throw RPCError(code: .invalidArgument, message: "the environment has no python_version; the client always sends its own")
        }
        var requirements: [String] = []
        if let value = configuration["requirements"]?.kind {
            guard case .listValue(let list) = value else {
                throw RPCError(code: .invalidArgument, message: "requirements must be a list of strings, like [\"pyjokes==0.6.0\"]")
            }
            for item in list.values {
                guard case .stringValue(let requirement)? = item.kind else {
                    throw RPCError(code: .invalidArgument, message: "requirements must be a list of strings, like [\"pyjokes==0.6.0\"]")
                }
                requirements.append(requirement)
            }
        }
        let machine = run.hasMachineRequirements ? run.machineRequirements : Controller_MachineRequirements()
        if machine.hasBaseImage {
            throw RPCError(
                code: .unimplemented,
                message: "base_image is not supported: Isolated runs functions in environments built from requirements, not images")
        }
        if machine.hasExposedPort {
            throw RPCError(code: .unimplemented, message: "exposed_port is not supported: Isolated functions return their results instead")
        }
        guard !run.function.method.isEmpty else {
            throw RPCError(code: .invalidArgument, message: "the call has no function")
        }
        return PythonCall(
            function: SerializedCallable(method: run.function.method, definition: [UInt8](run.function.definition)),
            setup: run.hasSetupFunc ? SerializedCallable(method: run.setupFunc.method, definition: [UInt8](run.setupFunc.definition)) : nil,
            pythonVersion: version,
            requirements: requirements,
            machineType: MachineType(machine.machineType.isEmpty ? "XS" : machine.machineType),
            keepAlive: machine.hasKeepAlive ? Int(machine.keepAlive) : 10,
            reference: FunctionReference(name: "python function", file: "(sent by fal-serverless)", line: 0),
            runnerEnvironment: runnerEnvironment,
            runnerReadableDirectories: runnerReadableDirectories,
            tag: tag
        )
    }

    /// One line the function printed, as the client prints it: source USER, level STDOUT or STDERR.
    static func message(for line: LogLine) -> Controller_HostedRunResult {
        var log = FalLog()
        log.message = line.text
        log.source = .user
        log.level = line.stream == .stderr ? .stderr : .stdout
        log.timestamp = Google_Protobuf_Timestamp(date: Date())
        var result = Controller_HostedRunResult()
        result.logs = [log]
        return result
    }

    /// The last message of a call that returned.
    static func returned(_ payload: [UInt8], method: String) -> Controller_HostedRunResult {
        var value = FalSerializedObject()
        value.method = method
        value.definition = Data(payload)
        return final(value)
    }

    /// The last message of a call whose function raised: the exception for the client to raise again.
    static func raised(_ error: IsolatedError, method: String) -> Controller_HostedRunResult? {
        guard error.code == .functionThrew, let remote = error.remote, let serialized = remote.serialized else { return nil }
        var value = FalSerializedObject()
        value.method = method
        value.definition = Data(serialized)
        value.wasItRaised = true
        value.stringizedTraceback = remote.traceback ?? ""
        value.exceptionTypeName = remote.typeName
        value.exceptionMessage = remote.message
        return final(value)
    }

    private static func final(_ value: FalSerializedObject) -> Controller_HostedRunResult {
        var result = Controller_HostedRunResult()
        var status = Controller_HostedRunStatus()
        status.state = .success
        result.status = status
        result.returnValue = value
        return result
    }

    /// The gRPC error for a call the engine failed: the engine's message, with what it adds
    /// (uv's lines, the last lines printed), under the closest gRPC code. The client shows the
    /// message as it is.
    static func rpcError(for error: IsolatedError) -> RPCError {
        let code: RPCError.Code =
            switch error.code {
            case .invalidRequirement, .invalidSetting, .noSuchMachineType, .invalidRequest: .invalidArgument
            case .codingFailed where error.remote?.stage == .argumentDecoding: .invalidArgument
            case .pythonUnavailable, .machineTypeUnavailable, .environmentBuildFailed, .sandboxUnavailable: .failedPrecondition
            case .queueTimedOut, .outOfMemory, .outputLimitExceeded, .resultTooLarge: .resourceExhausted
            case .timedOut: .deadlineExceeded
            case .cancelled: .cancelled
            case .unauthorized: .unauthenticated
            case .engineUnavailable: .unavailable
            default: .internalError
            }
        var message = error.message
        // The client's hint for a missing package keys on the runner's own sentence.
        if error.code == .codingFailed, let remote = error.remote { message = "\(remote.message) \(message)" }
        let extra = error.details + (error.logTail.isEmpty ? [] : ["the last lines it printed:"] + error.logTail)
        if !extra.isEmpty { message += "\n" + extra.joined(separator: "\n") }
        return RPCError(code: code, message: message)
    }
}
