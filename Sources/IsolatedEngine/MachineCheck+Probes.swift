import Foundation
package import IsolatedCore
import IsolatedWire

extension MachineCheck {
    /// Every check, run with `store`'s toolchain and the same sandbox probe the engine runs
    /// before its first runner.
    package static func all(configuration: EngineConfiguration, store: EnvironmentStore) async -> [MachineCheck] {
        var checks: [MachineCheck] = []
        var sandbox = Sandbox(mode: .unavailable("the runner runtime is not built"), home: configuration.home, configuration: configuration.sandbox)
        do {
            let toolchain = try await store.toolchain()
            checks.append(MachineCheck(name: "toolchain", status: "ok", detail: "\(toolchain.version) (\(toolchain.swiftc))"))
            let started = ContinuousClock.now
            let (_, runtime) = try await store.runtime()
            let elapsed = ContinuousClock.now - started
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            checks.append(
                MachineCheck(name: "runner runtime", status: "ok", detail: "\(runtime.directory) (ready in \(String(format: "%.2f", seconds)) s)"))
            sandbox = await Sandbox.detect(helper: runtime.sandbox, home: configuration.home, configuration: configuration.sandbox)
        } catch {
            checks.append(MachineCheck(name: "toolchain", status: "error", detail: "\(error)"))
        }
        checks.append(home(configuration.home))
        let resources = ResourceControl.detect()
        checks.append(
            MachineCheck(name: "machine-type limits", status: resources.isEnforcing ? "enforced" : "not enforced", detail: resources.summary)
        )
        checks.append(namespaces())
        checks.append(gpus())
        checks.append(await python(home: configuration.home))
        checks.append(MachineCheck(name: "sandbox", status: sandbox.isActive ? "enforced" : "not enforced", detail: sandbox.summary))
        if case .slurm(let slurm) = configuration.launcher { checks.append(await cluster(slurm, home: configuration.home)) }
        checks.append(
            MachineCheck(
                name: "environment",
                status: "scrubbed",
                detail: "functions see only "
                    + LocalLauncher.environment(runnerID: "", function: "", machineType: "", home: "", temporary: "").keys.sorted()
                    .joined(separator: ", ") + ", and LANG, LC_ALL and TZ when the engine has them"
                    + (configuration.launcher.isCluster ? "; on the cluster also SLURM_JOB_ID, SLURMD_NODENAME and CUDA_VISIBLE_DEVICES" : "")
            )
        )
        return checks
    }

    /// The Slurm cluster runners run on: its nodes, and whether each reads the home.
    private static func cluster(_ configuration: SlurmConfiguration, home: String) async -> MachineCheck {
        let nodes: [SlurmNode]
        let commands: SlurmCommands
        do {
            commands = try SlurmCommands(configuration: configuration)
            nodes = try await SlurmLauncher.nodes(commands)
        } catch {
            return MachineCheck(name: "cluster", status: "error", detail: error.message)
        }
        let summary = "Slurm, runners connect back to \(configuration.runnerAddress); nodes: " + nodes.map(\.summary).joined(separator: "; ")
        do {
            try await SlurmLauncher.checkSharedHome(home, nodes: nodes, commands: commands)
            return MachineCheck(name: "cluster", status: "ok", detail: summary + "; every usable node reads the home \(home)")
        } catch {
            return MachineCheck(name: "cluster", status: "error", detail: summary + "; " + error.message)
        }
    }

    private static func home(_ home: String) -> MachineCheck {
        do {
            try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
            let attributes = try FileManager.default.attributesOfFileSystem(forPath: home)
            let free = (attributes[.systemFreeSize] as? NSNumber)?.int64Value ?? 0
            let status = free < 2 << 30 ? "warning" : "ok"
            let size = ByteCountFormatter.string(fromByteCount: free, countStyle: .file)
            return MachineCheck(name: "home", status: status, detail: "\(home), \(size) free (an environment takes 50 MB to 1 GB)")
        } catch {
            return MachineCheck(name: "home", status: "error", detail: "\(home) is not writable: \(error)")
        }
    }

    /// The interpreters Python functions can ask for, and uv; finds, never installs.
    private static func python(home: String) async -> MachineCheck {
        let versions = Array(Set(await PythonInterpreters.discover().all.map(\.minorVersion)))
            .sorted { PythonInterpreters.compare($0, $1) == .orderedAscending }
        let uv =
            PythonToolchain.existingUV(home: home)
            ?? "none yet: uv \(PythonToolchain.uvVersion) is installed from PyPI into the home at the first Python call"
        return MachineCheck(
            name: "python",
            status: versions.isEmpty ? "unavailable" : "available",
            detail: versions.isEmpty
                ? "no Python 3 on this machine: Python functions (isolated serve --grpc-port) cannot run"
                : "Python \(versions.joined(separator: ", ")) for Python functions (the fal-serverless client runs on 3.8 to 3.11); uv: \(uv)"
        )
    }

    private static func namespaces() -> MachineCheck {
        let kinds = ["mnt", "pid", "ipc", "uts", "net", "user"].filter { FileManager.default.fileExists(atPath: "/proc/self/ns/\($0)") }
        return MachineCheck(
            name: "namespaces",
            status: kinds.isEmpty ? "unavailable" : "available",
            detail: "\(kinds.joined(separator: ", ")) exist in this kernel; the sandbox check says which runners get"
        )
    }

    private static func gpus() -> MachineCheck {
        let devices = ((try? FileManager.default.contentsOfDirectory(atPath: "/dev")) ?? []).filter {
            $0.hasPrefix("nvidia") && $0.dropFirst(6).allSatisfy(\.isNumber)
        }
        return devices.isEmpty
            ? MachineCheck(name: "GPUs", status: "none", detail: "no /dev/nvidia* devices")
            : MachineCheck(name: "GPUs", status: "available", detail: devices.sorted().joined(separator: ", "))
    }
}
