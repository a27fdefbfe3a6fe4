import ArgumentParser
import Foundation
import IsolatedEngine
import Logging

/// `isolated doctor`: what this machine offers runners, and what the engine enforces.
struct Doctor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Check the toolchain, the cache and what this machine can enforce.")

    @OptionGroup var options: HomeOptions

    struct Check: Codable {
        var name: String
        var status: String
        var detail: String
    }

    func run() async throws {
        try options.requireLocal("doctor")
        let configuration = EngineConfiguration(home: options.home)
        var checks: [Check] = []
        let store = EnvironmentStore(configuration: configuration, logger: Logger(label: "isolated.doctor"))
        var sandbox = Sandbox(mode: .unavailable("the runner runtime is not built"), home: configuration.home, configuration: configuration.sandbox)
        do {
            let toolchain = try await store.toolchain()
            checks.append(Check(name: "toolchain", status: "ok", detail: "\(toolchain.version) (\(toolchain.swiftc))"))
            let started = ContinuousClock.now
            let (_, runtime) = try await store.runtime()
            checks.append(Check(name: "runner runtime", status: "ok", detail: "\(runtime.directory) (ready in \(ContinuousClock.now - started))"))
            // The same probe the engine runs before its first runner.
            sandbox = await Sandbox.detect(helper: runtime.sandbox, home: configuration.home, configuration: configuration.sandbox)
        } catch {
            checks.append(Check(name: "toolchain", status: "error", detail: "\(error)"))
        }
        checks.append(homeCheck(configuration.home))
        let resources = ResourceControl.detect(engineID: "isolated-doctor-\(ProcessInfo.processInfo.processIdentifier)")
        resources.removeEngineGroups()
        checks.append(
            Check(name: "machine-type limits", status: resources.isEnforcing ? "enforced" : "not enforced", detail: resources.summary)
        )
        checks.append(namespaceCheck())
        checks.append(gpuCheck())
        checks.append(Check(name: "sandbox", status: sandbox.isActive ? "enforced" : "not enforced", detail: sandbox.summary))
        checks.append(
            Check(
                name: "environment",
                status: "scrubbed",
                detail: "functions see only "
                    + LocalLauncher.environment(runnerID: "", function: "", machineType: "", home: "", temporary: "").keys.sorted()
                    .joined(separator: ", ") + ", and LANG, LC_ALL and TZ when the engine has them"
            )
        )
        if options.json {
            try printJSON(checks)
        } else {
            printTable(["CHECK", "STATUS", "DETAIL"], checks.map { [$0.name, $0.status, $0.detail] })
        }
        if checks.contains(where: { $0.status == "error" }) { throw ExitCode.failure }
    }

    private func homeCheck(_ home: String) -> Check {
        do {
            try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
            let attributes = try FileManager.default.attributesOfFileSystem(forPath: home)
            let free = (attributes[.systemFreeSize] as? NSNumber)?.int64Value ?? 0
            let status = free < 2 << 30 ? "warning" : "ok"
            return Check(name: "home", status: status, detail: "\(home), \(formatBytes(free)) free (an environment takes 50 MB to 1 GB)")
        } catch {
            return Check(name: "home", status: "error", detail: "\(home) is not writable: \(error)")
        }
    }

    private func namespaceCheck() -> Check {
        let kinds = ["mnt", "pid", "ipc", "uts", "net", "user"].filter { FileManager.default.fileExists(atPath: "/proc/self/ns/\($0)") }
        return Check(
            name: "namespaces", status: kinds.isEmpty ? "unavailable" : "available",
            detail: "\(kinds.joined(separator: ", ")) exist in this kernel; the sandbox check says which runners get")
    }

    private func gpuCheck() -> Check {
        let devices = ((try? FileManager.default.contentsOfDirectory(atPath: "/dev")) ?? []).filter {
            $0.hasPrefix("nvidia") && $0.dropFirst(6).allSatisfy(\.isNumber)
        }
        return devices.isEmpty
            ? Check(name: "GPUs", status: "none", detail: "no /dev/nvidia* devices")
            : Check(name: "GPUs", status: "available", detail: devices.sorted().joined(separator: ", "))
    }
}
