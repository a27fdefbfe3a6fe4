import Foundation
package import IsolatedCore
import IsolatedWire
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Runs each runner as a Slurm job (one `srun` per runner: an allocation and its one step),
/// sized from its machine type, on a node that has it; the node's cgroups enforce the limits.
///
/// `srun` is the engine's child: it forwards the runner's output live and ends with it. The
/// runner connects back over TCP to the engine's ``RunnerListener`` with a one-time token of
/// its launch. `srun` rather than `sbatch`: an interactive allocation reaches the job's first
/// instruction in tens of milliseconds where a batch job waits seconds for the controller's
/// scheduling pass (`BENCHMARKS.md`), and `srun` also gives the runner's output as it is
/// printed, its end and Slurm's reasons, without polling a file or the controller.
package final class SlurmLauncher: Launcher {
    private let configuration: SlurmConfiguration
    private let home: String
    private let maxOutputBytesPerCall: Int
    private let sandbox: @Sendable () async -> Sandbox
    /// Names this engine's jobs, so a job is found by name even before Slurm gives it an id.
    private let instance: String
    private let state = Mutex<State>(.created)
    private let staging: NodeStaging

    private enum State {
        case created
        case ready(SlurmCommands, RunnerListener)
        case stopped
    }

    package init(configuration: SlurmConfiguration, home: String, maxOutputBytesPerCall: Int, sandbox: @escaping @Sendable () async -> Sandbox) {
        self.configuration = configuration
        self.home = home
        self.maxOutputBytesPerCall = maxOutputBytesPerCall
        self.sandbox = sandbox
        var generator = SystemRandomNumberGenerator()
        instance = String(generator.next() as UInt32, radix: 36)
        staging = NodeStaging(home: home)
    }

    /// Finds Slurm's commands and the cluster's nodes, checks that every usable node sees the
    /// engine's home, asks Slurm which machine types no node can ever hold, and starts
    /// listening for runners.
    package func prepare(machineTypes: [MachineTypeSpec]) async throws(IsolatedError) -> [String: String] {
        let commands = try SlurmCommands(configuration: configuration)
        let address: EngineAddress
        do {
            address = try EngineAddress(configuration.runnerAddress)
        } catch {
            throw IsolatedError(
                code: .invalidConfiguration, message: "the runner address \(error); give host:port, as in --runner-address 10.0.0.5:7070")
        }
        let nodes = try await Self.nodes(commands)
        if configuration.sharedHome {
            // Only the nodes runners may land on must see it.
            let used = nodes.filter { node in machineTypes.contains { node.mayRun($0) } }
            try await Self.checkSharedHome(home, nodes: used, commands: commands)
        }
        var unplaceable: [String: String] = [:]
        for machine in machineTypes {
            let result = try await commands.run(
                commands.sbatch, ["--test-only", "--job-name=isolated-check"] + SlurmCommands.sizing(of: machine) + ["--wrap=true"])
            guard !result.succeeded else { continue }
            let said = result.output.last { !$0.isEmpty }.map { $0.replacingOccurrences(of: "sbatch: error: ", with: "") } ?? "\(result.termination)"
            unplaceable[machine.name] =
                "no node of the cluster can ever hold it (\(String(format: "%g", machine.cpus)) CPUs, \(ByteCount.describe(machine.memory))"
                + (machine.gpus > 0 ? ", \(machine.gpus) GPUs" : "") + "): Slurm says \"\(said)\"; the nodes: "
                + nodes.map(\.summary).joined(separator: "; ")
        }
        let listener = try RunnerListener(address: address)
        state.withLock { $0 = .ready(commands, listener) }
        return unplaceable
    }

    package func shutdown() async {
        let listener: RunnerListener? = state.withLock { state in
            defer { state = .stopped }
            if case .ready(_, let listener) = state { return listener }
            return nil
        }
        listener?.close()
    }

    package func launch(_ request: LaunchRequest) async throws(IsolatedError) -> any RunnerHandle {
        guard case .ready(let commands, let listener) = state.withLock({ $0 }) else {
            throw IsolatedError(code: .engineUnavailable, message: "the Slurm launcher is not ready; the engine starts it when it runs")
        }
        if request.network == .disabled {
            throw IsolatedError(
                code: .sandboxUnavailable,
                message: "\(request.function)() asks for network: .disabled, and a runner on a cluster node needs the network "
                    + "to reach the engine; remove network: .disabled, or run it on an engine without --launcher slurm"
            )
        }
        let sandbox = await sandbox()
        let directory = "\(home)/runners/\(request.runnerID)"
        do {
            try FileManager.default.createDirectory(atPath: "\(directory)/tmp", withIntermediateDirectories: true)
            if sandbox.isActive { try LocalLauncher.hand(directory, to: sandbox) }
        } catch {
            throw IsolatedError(code: .runnerStartFailed, message: "cannot create the runner's directory \(directory): \(error)")
        }
        let token = listener.expect()
        var environment = LocalLauncher.environment(for: request, directory: directory, sandboxed: sandbox.isActive)
        environment["ISOLATED_RUNNER_FD"] = nil
        environment["ISOLATED_RUNNER_VARIABLES"] = environment.keys.sorted().joined(separator: ",")
        environment["ISOLATED_RUNNER_CONNECT"] = listener.address.description
        environment["ISOLATED_RUNNER_TOKEN"] = token
        environment.merge(commands.environment) { current, _ in current }

        let name = "isolated-\(instance)-\(request.runnerID)"
        var command: [String] = []
        var helper: String?
        if case .namespaces(let path) = sandbox.mode {
            helper = path
            command.append(path)
            command += sandbox.arguments(
                runnerID: request.runnerID, directory: directory, readable: request.worker.libraryDirectories, network: request.network,
                // Slurm allocates whole CPUs; the type's fraction is applied inside the job.
                memory: request.machineType.memory, processFiles: [], cpuQuota: request.machineType.cpus)
        }
        command += [request.worker.path] + request.worker.arguments
        let sizing = SlurmCommands.sizing(of: request.machineType)
        let (executable, arguments): (String, [String])
        if configuration.sharedHome {
            (executable, arguments) = (
                commands.srun, ["--job-name=\(name)", "--chdir=\(directory)", "--kill-on-bad-exit=1", "--export=ALL"] + sizing + ["--"] + command
            )
        } else {
            var staged: [(directory: String, archive: String)] = []
            do {
                for needed in NodeStaging.directories(of: request.worker, sandboxHelper: helper, home: home) {
                    staged.append((needed, try await staging.archive(of: needed)))
                }
            } catch {
                listener.forget(token)
                throw error
            }
            let owner = sandbox.isActive ? "\(sandbox.user.0):\(sandbox.user.1)" : nil
            (executable, arguments) = (
                "/bin/bash",
                NodeStaging.arguments(
                    commands: commands, job: name, sizing: sizing, directory: directory, owner: owner, staged: staged, command: command)
            )
        }
        let process: ChildProcess
        do {
            process = try ChildProcess.spawn(
                executable: executable, arguments: arguments, environment: environment, workingDirectory: directory, withChannel: false)
        } catch {
            listener.forget(token)
            throw IsolatedError(code: .runnerStartFailed, message: "cannot start \(executable) for \(request.function): \(error)")
        }
        let (onExit, onIdleLog, onQueued) = (request.onExit, request.onIdleLog, request.onQueued)
        let connection = RunnerConnection(
            process: process,
            maxOutputBytesPerCall: maxOutputBytesPerCall,
            // By name: the job may still wait in the queue, with no id yet.
            terminate: { Self.runAside(commands.scancel, ["--name=\(name)"], commands: commands) },
            diagnose: Self.diagnose,
            onIdleLog: { stream, text in
                // srun (or salloc) says when the job waits for resources, and when it has them.
                if let job = Self.queuedJob(text) {
                    // Why it waits (`Resources`, `Priority`, …) is Slurm's to say.
                    Self.runAside(commands.squeue, ["--noheader", "--jobs=\(job)", "--format=%r"], commands: commands) { output in
                        let reason = output?.trimmingCharacters(in: .whitespacesAndNewlines)
                        onQueued("job \(job) waits in Slurm's queue" + (reason.map { $0.isEmpty || $0 == "None" ? "" : ": \($0)" } ?? ""))
                    }
                } else if text.hasSuffix(" has been allocated resources") || text.hasPrefix("salloc: Granted job allocation ") {
                    onQueued(nil)
                }
                onIdleLog(stream, text)
            }
        ) { termination in
            listener.forget(token)
            try? FileManager.default.removeItem(atPath: directory)
            onExit(termination)
        }
        listener.deliver(token, to: connection)
        return connection
    }

    /// What a line from `srun` or the node's `slurmstepd` says about the runner's end.
    package static func diagnose(_ line: Substring) -> RunnerConnection.Diagnosis? {
        if line.contains("oom_kill event") || line.contains("oom-kill event") || line.hasSuffix(": Out Of Memory") { return .outOfMemory }
        if line.hasPrefix("srun: error: Node failure on ") {
            return .lost("Slurm reports a node failure on \(line.dropFirst("srun: error: Node failure on ".count))")
        }
        // slurmstepd-node1: error: *** STEP 92.0 ON node1 CANCELLED AT 2026-12-02T07:12:17 DUE TO NODE FAILURE, SEE SLURMCTLD LOG … ***
        if let open = line.range(of: "*** "), let close = line.range(of: " ***", range: open.upperBound..<line.endIndex) {
            let words = line[open.upperBound..<close.lowerBound].split(separator: " ")
            guard words.count >= 5, words[2] == "ON", words[4] == "CANCELLED" else { return nil }
            let text = line[open.upperBound..<close.lowerBound]
            let reason = text.range(of: " DUE TO ").map { text[$0.upperBound...].prefix { $0 != "," }.lowercased() }
            return .lost(
                "Slurm cancelled \(words[0].lowercased()) \(words[1]) on \(words[3])"
                    + (reason.map { " due to \($0)" } ?? ", by scancel or an operator"))
        }
        return nil
    }

    /// The job of a `srun: job 12 queued and waiting for resources` line (or salloc's).
    package static func queuedJob(_ line: String) -> String? {
        let prefix = ["srun: job ", "salloc: job "].first { line.hasPrefix($0) }
        guard let prefix, line.hasSuffix(" queued and waiting for resources") else { return nil }
        let job = line.dropFirst(prefix.count).prefix { $0.isNumber }
        return job.isEmpty ? nil : String(job)
    }

    /// Runs one of Slurm's commands on a thread of its own, so no caller waits for it; `then`
    /// gets its standard output, or nil when it failed.
    private static func runAside(
        _ executable: String, _ arguments: [String], commands: SlurmCommands, then report: (@Sendable (String?) -> Void)? = nil
    ) {
        guard
            let process = try? ChildProcess.spawn(
                executable: executable, arguments: arguments, environment: commands.environment, workingDirectory: nil, withChannel: false)
        else { return report?(nil) ?? () }
        let thread = Thread {
            close(process.standardError)
            var output: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(process.standardOutput, $0.baseAddress, $0.count) }
                if count < 0, errno == EINTR { continue }
                guard count > 0 else { break }
                output += buffer[0..<count]
            }
            close(process.standardOutput)
            let succeeded = process.waitForTermination() == .exited(0)
            report?(succeeded ? String(decoding: output, as: UTF8.self) : nil)
        }
        thread.name = "isolated-slurm-\(URL(fileURLWithPath: executable).lastPathComponent)"
        thread.start()
    }

    /// The cluster's nodes; an error when Slurm does not answer or no node is usable.
    package static func nodes(_ commands: SlurmCommands) async throws(IsolatedError) -> [SlurmNode] {
        let result = try await commands.run(commands.sinfo, ["--noheader", "--Node", "--format=\(SlurmNode.format)"])
        guard result.succeeded else {
            throw IsolatedError(
                code: .invalidConfiguration,
                message: "cannot reach the Slurm cluster: sinfo \(result.termination): \(result.output.suffix(3).joined(separator: " ")); "
                    + "check that slurmctld runs and SLURM_CONF names its configuration"
            )
        }
        let nodes = SlurmNode.parse(result.standardOutput)
        guard nodes.contains(where: \.isUsable) else {
            throw IsolatedError(
                code: .invalidConfiguration,
                message: "the Slurm cluster has no usable node: "
                    + (nodes.isEmpty ? "sinfo lists none" : nodes.map(\.summary).joined(separator: "; "))
            )
        }
        return nodes
    }

    /// Runs a probe on every usable node: each must read a file the engine just wrote in its
    /// home, or no environment or worker would reach it.
    package static func checkSharedHome(_ home: String, nodes: [SlurmNode], commands: SlurmCommands) async throws(IsolatedError) {
        let directory = "\(home)/cluster"
        let content = UUID().uuidString
        let probe = "\(directory)/probe-\(content)"
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try Data(content.utf8).write(to: URL(fileURLWithPath: probe))
        } catch {
            throw IsolatedError(code: .invalidConfiguration, message: "cannot write \(probe): \(error)")
        }
        defer { try? FileManager.default.removeItem(atPath: probe) }
        let failures: [String] = await withTaskGroup(of: String?.self) { group in
            for node in nodes where node.isUsable {
                group.addTask {
                    let arguments = [
                        "--nodelist=\(node.name)", "--partition=\(node.partitions.first ?? "")", "--nodes=1", "--ntasks=1", "--mem=16M",
                        "--immediate=30", "--job-name=isolated-check",
                        "--quiet", "/bin/cat", probe,
                    ]
                    guard let result = try? await commands.run(commands.srun, arguments) else { return "\(node.name): srun did not start" }
                    if result.succeeded, result.standardOutput.first == content { return nil }
                    // The probe's own words before srun's summary of its exit.
                    let said = result.output.filter { !$0.hasPrefix("srun: ") && !$0.isEmpty }
                    return "\(node.name): \((said.isEmpty ? result.output : said).suffix(2).joined(separator: " "))"
                }
            }
            var failures: [String] = []
            for await failure in group { if let failure { failures.append(failure) } }
            return failures.sorted()
        }
        guard failures.isEmpty else {
            throw IsolatedError(
                code: .invalidConfiguration,
                message: "the engine's home \(home) must be on a file system every node mounts at the same path, "
                    + "and these nodes cannot read it: \(failures.joined(separator: "; ")); mount it there, set ISOLATED_HOME to a shared path, "
                    + "or have what runners need staged to the nodes (isolated serve --no-shared-home)"
            )
        }
    }
}
