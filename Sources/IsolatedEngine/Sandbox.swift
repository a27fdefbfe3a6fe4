import Foundation
package import IsolatedCore

#if canImport(Glibc)
    import Glibc
#endif

/// What each runner is shut in, beyond its cgroups: its own mount, PID, IPC and UTS namespaces
/// (and network namespace when its function turns the network off), a read-only view of the
/// machine in which the engine's home is hidden but for the runner's own files, private `/tmp`
/// and `/dev/shm`, and an unprivileged user. `isolated-sandbox` (compiled with the runtime)
/// sets it up before the runner's executable is loaded.
package struct Sandbox: Sendable {
    /// Whether runners are sandboxed on this machine.
    package enum Mode: Sendable, Equatable {
        /// Every runner starts through this `isolated-sandbox` executable.
        case namespaces(helper: String)
        /// Runners start unsandboxed, and why.
        case unavailable(String)
    }

    package let mode: Mode
    private let home: String
    private let configuration: EngineConfiguration.SandboxConfiguration

    package init(mode: Mode, home: String, configuration: EngineConfiguration.SandboxConfiguration) {
        self.mode = mode
        self.home = home
        self.configuration = configuration
    }

    /// Whether runners are sandboxed.
    package var isActive: Bool {
        if case .namespaces = mode { return true }
        return false
    }

    /// The user and group runners run as.
    package var user: (user: UInt32, group: UInt32) { (configuration.userID, configuration.groupID) }

    /// What is enforced, in a sentence, for `isolated doctor`.
    package var summary: String {
        switch mode {
        case .namespaces:
            "mount, PID, IPC and UTS namespaces per runner (network namespace for functions with network: .disabled); "
                + "read-only file system with the engine's home hidden but for the runner's own files; private /tmp and /dev/shm; "
                + "runs as uid \(configuration.userID), gid \(configuration.groupID), with no_new_privs"
        case .unavailable(let reason):
            "not sandboxed: \(reason)"
        }
    }

    /// Tries the sandbox once with `helper`, as a runner would get it, and reports what works.
    package static func detect(helper: String, home: String, configuration: EngineConfiguration.SandboxConfiguration) async -> Sandbox {
        guard configuration.enabled else {
            return Sandbox(mode: .unavailable("disabled by configuration"), home: home, configuration: configuration)
        }
        guard geteuid() == 0 else {
            return Sandbox(
                mode: .unavailable("the engine is not running as root, which creating namespaces and dropping to another user need"),
                home: home,
                configuration: configuration
            )
        }
        let probe = Sandbox(mode: .namespaces(helper: helper), home: home, configuration: configuration)
        let arguments =
            ["--probe"]
            + probe.arguments(runnerID: "probe", directory: nil, readable: [], network: .disabled, memory: 1 << 20, processFiles: [])
        do {
            let result = try await Command.run(helper, arguments, environment: [:])
            guard result.succeeded else {
                let reason = result.output.last { !$0.isEmpty } ?? "it \(result.termination)"
                return Sandbox(mode: .unavailable("the sandbox cannot be set up here: \(reason)"), home: home, configuration: configuration)
            }
        } catch {
            return Sandbox(mode: .unavailable("cannot run \(helper): \(error)"), home: home, configuration: configuration)
        }
        return probe
    }

    /// `isolated-sandbox`'s options for one runner, up to and including `--`.
    ///
    /// - Parameters:
    ///   - directory: The runner's own directory: its working directory and `HOME`, the only
    ///     writable place under the engine's home.
    ///   - readable: Directories under the engine's home the runner needs, read-only: its
    ///     executable's, its environment's and the runtime's.
    ///   - cpus: A CPU quota the sandbox applies itself, in a CPU cgroup of its own, where the
    ///     engine cannot (a cluster node, whose scheduler allocates whole CPUs).
    package func arguments(
        runnerID: String,
        directory: String?,
        readable: [String],
        network: NetworkAccess,
        memory: Int,
        processFiles: [String],
        cpuQuota cpus: Double? = nil
    ) -> [String] {
        var arguments = processFiles.flatMap { ["--cgroup", $0] }
        if let cpus { arguments += ["--cpu-quota", "\(Int(cpus * 100_000)):100000"] }
        return arguments + startArguments(runnerID: runnerID, directory: directory, readable: readable, network: network, memory: memory)
    }

    /// The options of ``arguments(runnerID:directory:readable:network:memory:processFiles:cpuQuota:)``
    /// but the cgroups: what a sandbox started with `--wait` reads in its ``startMessage(arguments:environment:)``.
    package func startArguments(runnerID: String, directory: String?, readable: [String], network: NetworkAccess, memory: Int) -> [String] {
        var arguments = ["--read-only", "--hostname", "isolated-\(runnerID)", "--user", "\(configuration.userID):\(configuration.groupID)"]
        // Also what keeps the runner's user from reaching a readable directory elsewhere (a
        // Python interpreter under `/root/.pyenv`): covered, so the directory can be exposed in it.
        var hidden = [hiddenDirectory]
        for path in readable {
            if let blocked = Self.firstClosedDirectory(on: path), !hidden.contains(where: { blocked == $0 || blocked.hasPrefix("\($0)/") }) {
                hidden.append(blocked)
            }
        }
        arguments += hidden.flatMap { ["--hide", $0] }
        arguments += readable.flatMap { ["--expose", $0] }
        if let directory { arguments += ["--writable", directory, "--chdir", directory] }
        arguments += ["--tmpfs", "/tmp:\(memory)", "--tmpfs", "/dev/shm:\(memory)"]
        if network == .disabled { arguments.append("--no-network") }
        return arguments + ["--"]
    }

    /// The directory covered with an empty one: the engine's home or, when the runner's user
    /// could not even pass through one of its parents (`/root` is private), that parent, so the
    /// runner can reach what is exposed again.
    /// What a sandbox started with `--wait` reads on its channel before it starts the runner:
    /// `arguments` (options, `--`, the executable and its arguments) and the runner's environment,
    /// as `isolated-sandbox` documents it.
    package static func startMessage(arguments: [String], environment: [String: String]) -> [UInt8] {
        var body: [UInt8] = []
        for argument in arguments {
            body += argument.utf8
            body.append(0)
        }
        body.append(0)
        for (name, value) in environment.sorted(by: { $0.key < $1.key }) {
            body += "\(name)=\(value)".utf8
            body.append(0)
        }
        let size = UInt32(body.count)
        return [UInt8(size & 0xFF), UInt8(size >> 8 & 0xFF), UInt8(size >> 16 & 0xFF), UInt8(size >> 24)] + body
    }

    private var hiddenDirectory: String { Self.firstClosedDirectory(on: home) ?? home }

    /// The first directory on `path` (itself included) that others may not pass through.
    private static func firstClosedDirectory(on path: String) -> String? {
        var prefix = ""
        for component in path.split(separator: "/") {
            prefix += "/\(component)"
            var status = stat()
            if stat(prefix, &status) == 0, status.st_mode & S_IXOTH == 0 { return prefix }
        }
        return nil
    }

    /// The runner's process id as the engine sees it: `isolated-sandbox` starts the namespace's
    /// init, which starts the runner; inside, the runner's own id is 2.
    package static func runnerProcessID(sandbox: Int32) -> Int32? {
        guard let initID = firstChild(of: sandbox) else { return nil }
        return firstChild(of: initID)
    }

    private static func firstChild(of processID: Int32) -> Int32? {
        guard let children = try? String(contentsOfFile: "/proc/\(processID)/task/\(processID)/children", encoding: .utf8) else { return nil }
        return children.split(separator: " ").first.flatMap { Int32($0) }
    }
}
