import Foundation
package import IsolatedCore
import Logging

/// A Python environment as calls name it: the Python version asked for and the requirements.
struct PythonEnvironmentKey: Hashable {
    var pythonVersion: String
    var requirements: [String]
    var runnerEnvironment: [String: String]
    var runnerReadableDirectories: [String]
}

extension Engine {
    /// Where the client inside a Python runner (fal-serverless, with `IS_ISOLATE_AGENT=1`) reads
    /// the key its nested calls carry: the runner's own, from ``RunnerCredentials``.
    static let pythonCredentialVariables = RunnerCredentials.Variables(id: "FAL_KEY_ID", secret: "FAL_KEY_SECRET")

    /// The runner holding key `secret`, while it lives, and the tag of the Python call it is
    /// running: who makes a nested call with that key.
    package func runnerCaller(secret: String) -> (credential: RunnerCredentials.Credential, parentTag: String?)? {
        guard let credential = runnerCredentials.credential(secret: secret) else { return nil }
        return (credential, runningTags[credential.runnerID])
    }

    /// Runs one Python call: finds or builds its environment with uv, reuses a warm Python runner
    /// of that environment and machine type or starts one, and runs the callable there. The
    /// result is the callable's return value, serialized with its own method; an exception it
    /// raised fails the call with `functionThrew`, its ``RemoteError`` carrying the traceback
    /// and the exception serialized, for the caller's client to raise again.
    package func invoke(
        python call: PythonCall,
        events: @escaping @Sendable (InvocationEvent) -> Void = { _ in }
    ) async throws(IsolatedError) -> InvocationResult {
        let callID = newCallID()
        var report = CallReport(callID: callID, function: call.reference)
        do throws(IsolatedError) {
            try await checkRunning()
            let machine = try validate(
                function: call.reference, keepAlive: call.keepAlive, timeout: call.timeout, maxConcurrency: call.maxConcurrency,
                machineType: call.machineType, callers: [])
            let worker = try await pythonWorker(for: call, report: &report, events: events)
            report.environmentKey = worker.environmentKey
            let result = try await run(call, machine: machine, worker: worker, callID: callID, report: &report, events: events)
            callFinished(runtime: "python", report: result.report, error: nil)
            return result
        } catch {
            var error = error
            error.function = error.function ?? report.function
            if error.chain.isEmpty { error.chain = [report.function] }
            error.report = report
            callFinished(runtime: "python", report: report, error: error)
            logger.debug("call failed", metadata: Self.metadata(report).merging(["error": "\(error.code)"]) { $1 })
            throw error
        }
    }

    /// The interpreter of the call's environment running the Python runner: from memory on the
    /// warm path, else from the store, which builds the environment when needed.
    private func pythonWorker(
        for call: PythonCall,
        report: inout CallReport,
        events: @escaping @Sendable (InvocationEvent) -> Void
    ) async throws(IsolatedError) -> WorkerExecutable {
        let key = PythonEnvironmentKey(
            pythonVersion: call.pythonVersion, requirements: call.requirements, runnerEnvironment: call.runnerEnvironment,
            runnerReadableDirectories: call.runnerReadableDirectories)
        if let worker = pythonWorkers[key] {
            if FileManager.default.isExecutableFile(atPath: worker.path) {
                report.phases.append(CallReport.Timing(phase: .environment, duration: .zero, outcome: "cached"))
                return worker
            }
            pythonWorkers[key] = nil
        }
        let started = ContinuousClock.now
        let detail = "Python \(call.pythonVersion)" + (call.requirements.isEmpty ? "" : ": \(call.requirements.joined(separator: ", "))")
        events(.phaseStarted(.environment, detail: detail))
        let (environment, built) = try await store.pythonEnvironment(pythonVersion: call.pythonVersion, requirements: call.requirements) {
            events(.progress(.environment, $0))
        }
        let runner = try await store.pythonRunner(for: environment.interpreter)
        let timing = CallReport.Timing(phase: .environment, duration: ContinuousClock.now - started, outcome: built ? "built" : "cached")
        report.phases.append(timing)
        events(.phaseFinished(timing))
        // A sandboxed runner sees nothing of what the sandbox hides but these; the system's own
        // interpreter directories stay visible anyway.
        let prefix = environment.interpreter.prefix
        let interpreter = ["/usr", "/usr/local", "/"].contains(prefix) ? [] : [prefix]
        let worker = WorkerExecutable(
            path: environment.python,
            arguments: ["-I", "-u", "\(runner)/isolated_runner.py"],
            environment: call.runnerEnvironment.merging(["IS_ISOLATE_AGENT": "1", "PYTHONUNBUFFERED": "1"]) { $1 },
            libraryDirectories: [environment.directory, runner] + interpreter + call.runnerReadableDirectories,
            credentialVariables: Self.pythonCredentialVariables,
            environmentKey: environment.key
        )
        pythonWorkers[key] = worker
        return worker
    }

    /// One attempt: the callable run on a runner of its environment and machine type.
    private func run(
        _ call: PythonCall,
        machine: MachineTypeSpec,
        worker: WorkerExecutable,
        callID: UInt64,
        report: inout CallReport,
        events: @escaping @Sendable (InvocationEvent) -> Void
    ) async throws(IsolatedError) -> InvocationResult {
        let runnerRequest = RunnerScheduler.Request(
            key: RunnerPool.Key(worker: worker, machineType: machine.name, network: .enabled),
            machine: machine,
            function: call.reference,
            keepAlive: .seconds(call.keepAlive),
            maxConcurrency: call.maxConcurrency
        )
        var arguments = [Array(call.function.method.utf8), call.function.definition]
        if let setup = call.setup { arguments += [Array(setup.method.utf8), setup.definition] }
        defer {
            if let runnerID = report.runnerID { runningTags[runnerID] = nil }
        }
        return try await attempt(
            runnerRequest, arguments: arguments, requestedTimeout: call.timeout, warmMinimum: nil, callerDeadline: nil, callID: callID,
            report: &report, events: events
        ) { lease in
            if let tag = call.tag { runningTags[lease.runnerID] = tag }
            return { id, _, _ in
                let error = IsolatedError(
                    code: .invalidShipment,
                    message: "a Python function makes nested calls through its client (fal-serverless), not the runner's channel")
                lease.handle.reply(.callFailed(id: id, error: (try? PayloadCoding.encode(error)) ?? []))
            }
        }
    }
}
