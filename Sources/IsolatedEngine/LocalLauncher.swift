import Foundation
package import IsolatedCore

#if canImport(Glibc)
    import Glibc
#endif

/// Runs each runner as a child process of the engine, in its own process group, working
/// directory and cgroups (its machine type's limits), with a scrubbed environment and, where
/// the machine allows it, in a ``Sandbox``, started ahead of the runner (``SpareSandboxes``).
package struct LocalLauncher: Launcher {
    private let runnersDirectory: String
    private let resources: ResourceControl
    private let maxOutputBytesPerCall: Int
    private let sandbox: @Sendable () async -> Sandbox
    private let spares = SpareSandboxes()

    /// - Parameter sandbox: The sandbox, found once its helper is built (on the first launch).
    package init(home: String, resources: ResourceControl, maxOutputBytesPerCall: Int, sandbox: @escaping @Sendable () async -> Sandbox) {
        runnersDirectory = "\(home)/runners"
        self.resources = resources
        self.maxOutputBytesPerCall = maxOutputBytesPerCall
        self.sandbox = sandbox
    }

    /// The only variables a function sees, besides `LANG`, `LC_ALL` and `TZ` when the engine has them.
    package static func environment(runnerID: String, function: String, machineType: String, home: String, temporary: String) -> [String: String] {
        [
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "HOME": home,
            "TMPDIR": temporary,
            "ISOLATED_RUNNER_FD": "3",
            "ISOLATED_RUNNER_ID": runnerID,
            "ISOLATED_FUNCTION": function,
            "ISOLATED_MACHINE_TYPE": machineType,
            // The runtime's backtracer would bury the crash message under registers and images;
            // the message already names the user's file and line.
            "SWIFT_BACKTRACE": "enable=no",
            // malloc asks for transparent huge pages for its large blocks: a 100 MiB result was
            // mostly page faults, 4 KiB at a time (call 380 → 190 ms).
            "GLIBC_TUNABLES": "glibc.malloc.hugetlb=1",
        ]
    }

    /// A runner's whole environment: ``environment(runnerID:function:machineType:home:temporary:)``,
    /// the engine's `LANG`, `LC_ALL` and `TZ`, and what its worker adds.
    package static func environment(for request: LaunchRequest, directory: String, sandboxed: Bool) -> [String: String] {
        var environment = environment(
            runnerID: request.runnerID, function: request.function, machineType: request.machineType.name, home: directory,
            temporary: sandboxed ? "/tmp" : "\(directory)/tmp")
        for name in ["LANG", "LC_ALL", "TZ"] {
            if let value = ProcessInfo.processInfo.environment[name] { environment[name] = value }
        }
        environment.merge(request.worker.environment) { $1 }
        return environment
    }

    package func launch(_ request: LaunchRequest) async throws(IsolatedError) -> any RunnerHandle {
        let sandbox = await sandbox()
        if request.network == .disabled, case .unavailable(let reason) = sandbox.mode {
            throw IsolatedError(
                code: .sandboxUnavailable,
                message: "\(request.function)() asks for network: .disabled, which needs the runner sandbox, and this engine has none: "
                    + "\(reason). Run the engine as root, or remove network: .disabled"
            )
        }
        let directory = "\(runnersDirectory)/\(request.runnerID)"
        do {
            try FileManager.default.createDirectory(atPath: "\(directory)/tmp", withIntermediateDirectories: true)
        } catch {
            throw IsolatedError(code: .runnerStartFailed, message: "cannot create the runner's directory \(directory): \(error)")
        }
        let environment = Self.environment(for: request, directory: directory, sandboxed: sandbox.isActive)
        // Before the runner starts, so no user code ever runs outside its limits. A sandbox
        // brings its own, made with it.
        var confinement = sandbox.isActive ? nil : try resources.prepare(runnerID: request.runnerID, spec: request.machineType)
        let process: ChildProcess
        do {
            switch sandbox.mode {
            case .namespaces(let helper):
                try Self.hand(directory, to: sandbox)
                let arguments = sandbox.startArguments(
                    runnerID: request.runnerID,
                    directory: directory,
                    readable: request.worker.libraryDirectories,
                    network: request.network,
                    memory: request.machineType.memory
                )
                let message = Sandbox.startMessage(
                    arguments: arguments + [request.worker.localExecutable] + request.worker.arguments, environment: environment)
                let started = try startedSandbox(machineType: request.machineType, helper: helper, message: message, runnerID: request.runnerID)
                confinement = started.confinement
                process = started.process
                // Its cgroups' wait overlaps this runner's start and the calls that follow.
                if let next = try? startSpare(helper, machineType: request.machineType) {
                    spares.keep(next, for: request.machineType.name)
                }
            case .unavailable:
                process = try ChildProcess.spawn(
                    executable: request.worker.localExecutable,
                    arguments: request.worker.arguments,
                    environment: environment,
                    workingDirectory: directory,
                    withChannel: true
                )
                do {
                    try confinement?.join(processID: process.processID)
                } catch {
                    process.signalGroup(SIGKILL)
                    _ = process.waitForTermination()
                    throw error
                }
            }
        } catch let error as IsolatedError {
            confinement?.release()
            throw error
        } catch {
            confinement?.release()
            throw IsolatedError(code: .runnerStartFailed, message: "cannot start a runner for \(request.function): \(error)")
        }
        let onExit = request.onExit
        let sandboxID = process.processID
        var resolve: (@Sendable (Int32) -> Int32?)?
        if sandbox.isActive {
            resolve = { (_: Int32) -> Int32? in Sandbox.runnerProcessID(sandbox: sandboxID) }
        }
        return RunnerConnection(
            process: process,
            confinement: confinement,
            resolveProcessID: resolve,
            maxOutputBytesPerCall: maxOutputBytesPerCall,
            onIdleLog: request.onIdleLog
        ) { termination in
            try? FileManager.default.removeItem(atPath: directory)
            onExit(termination)
        }
    }

    /// Kills the spare sandboxes.
    package func shutdown() async {
        spares.discardAll()
    }

    /// A sandbox in `machineType`'s cgroups that has read its runner's start `message`: the
    /// spare, or one started now.
    private func startedSandbox(machineType: MachineTypeSpec, helper: String, message: [UInt8], runnerID: String) throws(IsolatedError)
        -> SpareSandboxes.Spare
    {
        if let spare = spares.take(machineType.name) {
            if Self.deliver(message, to: spare) { return spare }
            // It ended while it waited (killed from outside): one started now, as if there had been none.
            spare.discard()
        }
        let started = try startSpare(helper, machineType: machineType)
        guard Self.deliver(message, to: started) else {
            started.discard()
            throw IsolatedError(code: .runnerStartFailed, message: "the sandbox of runner \(runnerID) ended before it could start the runner")
        }
        return started
    }

    /// Starts a sandbox in cgroups of its own with `machineType`'s limits, to wait for its runner.
    private func startSpare(_ helper: String, machineType: MachineTypeSpec) throws(IsolatedError) -> SpareSandboxes.Spare {
        let confinement = try resources.prepare(runnerID: "spare-\(UInt32.random(in: 0...UInt32.max))", spec: machineType)
        do {
            let process = try ChildProcess.spawn(
                executable: helper,
                arguments: (confinement?.processFiles ?? []).flatMap { ["--cgroup", $0] } + ["--wait"],
                environment: [:],
                workingDirectory: nil,
                withChannel: true
            )
            return SpareSandboxes.Spare(process: process, confinement: confinement)
        } catch {
            confinement?.release()
            throw IsolatedError(code: .runnerStartFailed, message: "cannot start a sandbox for a \(machineType.name) runner: \(error)")
        }
    }

    /// Writes a waiting sandbox's start message; false if it has ended.
    private static func deliver(_ message: [UInt8], to spare: SpareSandboxes.Spare) -> Bool {
        guard let channel = spare.process.channel else { return false }
        var sent = 0
        while sent < message.count {
            let result = message.withUnsafeBytes { send(channel, $0.baseAddress! + sent, message.count - sent, Int32(MSG_NOSIGNAL)) }
            if result < 0 && errno == EINTR { continue }
            guard result > 0 else { return false }
            sent += result
        }
        return true
    }

    /// Gives a runner's directory to the runner's user: it owns that, and only that.
    package static func hand(_ directory: String, to sandbox: Sandbox) throws(IsolatedError) {
        let (user, group) = sandbox.user
        for path in [directory, "\(directory)/tmp"] where chown(path, user, group) != 0 {
            throw IsolatedError(
                code: .runnerStartFailed, message: "cannot give \(path) to the runner's user \(user): \(String(cString: strerror(errno)))")
        }
    }
}
