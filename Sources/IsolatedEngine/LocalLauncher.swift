import Foundation
package import IsolatedCore

#if canImport(Glibc)
    import Glibc
#endif

/// Runs each runner as a child process of the engine, in its own process group, working
/// directory and cgroups (its machine type's limits), with a scrubbed environment.
package struct LocalLauncher: Launcher {
    private let runnersDirectory: String
    private let resources: ResourceControl

    package init(home: String, resources: ResourceControl) {
        runnersDirectory = "\(home)/runners"
        self.resources = resources
    }

    package func launch(_ request: LaunchRequest) async throws(IsolatedError) -> RunnerConnection {
        let directory = "\(runnersDirectory)/\(request.runnerID)"
        do {
            try FileManager.default.createDirectory(atPath: "\(directory)/tmp", withIntermediateDirectories: true)
        } catch {
            throw IsolatedError(code: .runnerStartFailed, message: "cannot create the runner's directory \(directory): \(error)")
        }
        var environment = [
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "HOME": directory,
            "TMPDIR": "\(directory)/tmp",
            "ISOLATED_RUNNER_FD": "3",
            "ISOLATED_RUNNER_ID": request.runnerID,
            "ISOLATED_FUNCTION": request.function,
            "ISOLATED_MACHINE_TYPE": request.machineType.name,
            // The runtime's backtracer would bury the crash message under registers and images;
            // the message already names the user's file and line.
            "SWIFT_BACKTRACE": "enable=no",
        ]
        for name in ["LANG", "LC_ALL", "TZ"] {
            if let value = ProcessInfo.processInfo.environment[name] { environment[name] = value }
        }
        let process: ChildProcess
        do {
            process = try ChildProcess.spawn(
                executable: request.executable,
                arguments: [],
                environment: environment,
                workingDirectory: directory,
                withChannel: true
            )
        } catch {
            throw IsolatedError(code: .runnerStartFailed, message: "cannot start a runner for \(request.function): \(error)")
        }
        // Before the runner says it is ready, and so before any of the user's code runs.
        let confinement: Confinement?
        do {
            confinement = try resources.confine(processID: process.processID, runnerID: request.runnerID, spec: request.machineType)
        } catch {
            process.signalGroup(SIGKILL)
            _ = process.waitForTermination()
            throw error
        }
        let onExit = request.onExit
        return RunnerConnection(process: process, confinement: confinement, onIdleLog: request.onIdleLog) { termination in
            try? FileManager.default.removeItem(atPath: directory)
            onExit(termination)
        }
    }
}
