import Foundation
import IsolatedCore
import Logging

extension Engine {
    /// The compiled worker for the call's function version: from memory on the warm path, else
    /// from the store, which builds the environment and compiles the function when needed.
    func workerExecutable(
        for request: InvocationRequest,
        report: inout CallReport,
        events: @escaping @Sendable (InvocationEvent) -> Void
    ) async throws(IsolatedError) -> WorkerExecutable {
        let key = FunctionVersion(request.template)
        if let worker = versions[key] {
            if FileManager.default.isExecutableFile(atPath: worker.path) {
                report.phases.append(CallReport.Timing(phase: .environment, duration: .zero, outcome: "cached"))
                report.phases.append(CallReport.Timing(phase: .compile, duration: .zero, outcome: "cached"))
                return worker
            }
            // Removed since (`isolated envs rm` or `gc`, here or from another process): build it again.
            versions[key] = nil
            await store.forgetRemoved()
        }
        var started = ContinuousClock.now
        let detail = request.requirements.isEmpty ? "no requirements" : request.requirements.map(\.description).joined(separator: ", ")
        events(.phaseStarted(.environment, detail: detail))
        let toolchain = try await store.toolchain()
        let spec = try EnvironmentSpec(
            requirements: request.requirements,
            callerFile: request.function.file,
            toolchain: toolchain,
            configuration: configuration.buildConfiguration
        )
        let (environment, built) = try await store.environment(for: spec) { events(.progress(.environment, $0)) }
        var timing = CallReport.Timing(phase: .environment, duration: ContinuousClock.now - started, outcome: built ? "built" : "cached")
        report.phases.append(timing)
        events(.phaseFinished(timing))

        started = ContinuousClock.now
        events(.phaseStarted(.compile, detail: request.function.name))
        let (worker, compiled) = try await store.worker(for: key, in: environment)
        timing = CallReport.Timing(phase: .compile, duration: ContinuousClock.now - started, outcome: compiled ? "compiled" : "cached")
        report.phases.append(timing)
        events(.phaseFinished(timing))
        versions[key] = worker
        if worker.staticPath != nil {
            let (store, logger, function) = (store, logger, request.function)
            enqueue {
                do throws(IsolatedError) {
                    try await store.linkStatically(function, worker: worker)
                } catch {
                    logger.debug("worker not linked statically", metadata: ["function": "\(function.reference)", "error": "\(error.message)"])
                }
            }
        }
        return worker
    }
}
