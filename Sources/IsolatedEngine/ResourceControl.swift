import Foundation
package import IsolatedCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Confines each runner to its machine type's memory, CPU and process limits with cgroups, v1 or
/// v2, whichever the machine has; each runner gets its own group under the engine's.
package struct ResourceControl: Sendable {
    /// How limits are enforced on this machine.
    package enum Mode: Sendable, Equatable {
        /// cgroup v1: one directory per controller.
        case version1(memory: String, cpu: String, pids: String)
        /// cgroup v2: one unified directory.
        case version2(String)
        /// Not enforced, and why.
        case unavailable(String)
    }

    package let mode: Mode

    /// What is enforced, in a sentence, for `isolated doctor` and logs.
    package var summary: String {
        switch mode {
        case .version1(let memory, let cpu, let pids):
            "cgroup v1: memory, CPU quota and process count enforced per runner (under \(memory), \(cpu), \(pids))"
        case .version2(let root):
            "cgroup v2: memory, CPU quota and process count enforced per runner (under \(root))"
        case .unavailable(let reason):
            "not enforced: \(reason)"
        }
    }

    package var isEnforcing: Bool {
        if case .unavailable = mode { return false }
        return true
    }

    /// Finds a writable cgroup hierarchy and creates this engine's group in it.
    package static func detect(engineID: String = "isolated-\(getpid())") -> ResourceControl {
        let membership = (try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8)) ?? ""
        var paths: [String: String] = [:]
        for line in membership.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3 else { continue }
            for controller in parts[1].split(separator: ",") { paths[String(controller)] = String(parts[2]) }
            if parts[1].isEmpty { paths[""] = String(parts[2]) }
        }
        let root = "/sys/fs/cgroup"
        if FileManager.default.fileExists(atPath: "\(root)/memory/memory.limit_in_bytes") {
            var directories: [String: String] = [:]
            for controller in ["memory", "cpu", "pids"] {
                let base = "\(root)/\(controller)\(paths[controller] ?? "/")"
                let directory = (base.hasSuffix("/") ? base : base + "/") + engineID
                guard (try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)) != nil else {
                    return ResourceControl(
                        mode: .unavailable("the \(controller) cgroup at \(base) is not writable (run the engine as root or delegate a cgroup)"))
                }
                removeStaleGroups(in: (directory as NSString).deletingLastPathComponent)
                directories[controller] = directory
            }
            return ResourceControl(mode: .version1(memory: directories["memory"]!, cpu: directories["cpu"]!, pids: directories["pids"]!))
        }
        if FileManager.default.fileExists(atPath: "\(root)/cgroup.controllers"), let relative = paths[""] {
            let base = "\(root)\(relative)"
            let directory = (base.hasSuffix("/") ? base : base + "/") + engineID
            guard (try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)) != nil,
                write("+memory +cpu +pids", to: "\(directory)/cgroup.subtree_control")
            else {
                return ResourceControl(mode: .unavailable("the cgroup v2 group \(base) is not writable or does not delegate memory, cpu and pids"))
            }
            return ResourceControl(mode: .version2(directory))
        }
        return ResourceControl(mode: .unavailable("this machine has no cgroup hierarchy"))
    }

    /// Creates a runner's groups with `spec`'s limits; the runner joins them with ``Confinement/join(processID:)``
    /// or, sandboxed, by writing itself into ``Confinement/processFiles`` before it starts.
    package func prepare(runnerID: String, spec: MachineTypeSpec) throws(IsolatedError) -> Confinement? {
        let quota = Int(spec.cpus * 100_000)
        let settings: [(String, String)]
        let groups: [String]
        switch mode {
        case .unavailable:
            return nil
        case .version1(let memory, let cpu, let pids):
            groups = ["\(memory)/\(runnerID)", "\(cpu)/\(runnerID)", "\(pids)/\(runnerID)"]
            settings = [
                ("\(groups[0])/memory.limit_in_bytes", "\(spec.memory)"),
                ("\(groups[0])/memory.memsw.limit_in_bytes", "\(spec.memory)"),
                ("\(groups[1])/cpu.cfs_period_us", "100000"),
                ("\(groups[1])/cpu.cfs_quota_us", "\(quota)"),
                ("\(groups[2])/pids.max", "\(spec.processes)"),
            ]
        case .version2(let root):
            groups = ["\(root)/\(runnerID)"]
            settings = [
                ("\(groups[0])/memory.max", "\(spec.memory)"),
                ("\(groups[0])/memory.swap.max", "0"),
                ("\(groups[0])/cpu.max", "\(quota) 100000"),
                ("\(groups[0])/pids.max", "\(spec.processes)"),
            ]
        }
        let confinement = Confinement(mode: mode, runnerID: runnerID, groups: groups)
        for group in groups {
            guard (try? FileManager.default.createDirectory(atPath: group, withIntermediateDirectories: true)) != nil else {
                confinement.release()
                throw IsolatedError(code: .runnerStartFailed, message: "cannot create the cgroup \(group) for runner \(runnerID)")
            }
        }
        for (file, value) in settings where FileManager.default.fileExists(atPath: file) {
            // memsw and swap limits exist only where swap accounting is on; the rest must apply.
            guard Self.write(value, to: file) || file.hasSuffix("memsw.limit_in_bytes") || file.hasSuffix("swap.max") else {
                confinement.release()
                throw IsolatedError(code: .runnerStartFailed, message: "cannot set \(file) to \(value) for runner \(runnerID)")
            }
        }
        return confinement
    }

    /// Removes the engine's own (empty) groups when it stops.
    package func removeEngineGroups() {
        switch mode {
        case .version1(let memory, let cpu, let pids): for group in [memory, cpu, pids] { rmdir(group) }
        case .version2(let root): rmdir(root)
        case .unavailable: break
        }
    }

    // Groups of engines that are gone, left behind by a crash or SIGKILL.
    private static func removeStaleGroups(in parent: String) {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? [] where name.hasPrefix("isolated-") {
            guard let pid = Int32(name.dropFirst("isolated-".count)), kill(pid, 0) != 0, errno == ESRCH else { continue }
            let group = "\(parent)/\(name)"
            for child in (try? FileManager.default.contentsOfDirectory(atPath: group)) ?? [] {
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: "\(group)/\(child)", isDirectory: &isDirectory), isDirectory.boolValue {
                    Confinement.killAll(in: "\(group)/\(child)")
                    rmdir("\(group)/\(child)")
                }
            }
            rmdir(group)
        }
    }

    @discardableResult
    static func write(_ value: String, to path: String) -> Bool {
        let descriptor = open(path, O_WRONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        let bytes = Array(value.utf8)
        return bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) } == bytes.count
    }
}

/// One runner's cgroups: whether it ran out of memory, and their removal once it has exited.
package final class Confinement: Sendable {
    private let mode: ResourceControl.Mode
    private let runnerID: String
    private let groups: [String]
    private let memoryKills = Mutex<Int?>(nil)

    init(mode: ResourceControl.Mode, runnerID: String, groups: [String]) {
        self.mode = mode
        self.runnerID = runnerID
        self.groups = groups
    }

    /// The `cgroup.procs` file of each group: writing a process id there moves it in.
    package var processFiles: [String] { groups.map { "\($0)/cgroup.procs" } }

    /// Moves a started process into the groups; it must not have run any of the user's code yet.
    package func join(processID: Int32) throws(IsolatedError) {
        for file in processFiles where !ResourceControl.write("\(processID)", to: file) {
            throw IsolatedError(code: .runnerStartFailed, message: "cannot move runner \(runnerID) into \(file)")
        }
    }

    /// Whether the kernel killed something in the group for exceeding its memory limit; known after ``release()``.
    package var outOfMemory: Bool { (memoryKills.withLock { $0 } ?? 0) > 0 }

    /// Records the out-of-memory count, kills whatever the runner left behind, and removes the groups.
    package func release() {
        let kills = oomKills()
        memoryKills.withLock { if $0 == nil { $0 = kills } }
        for group in groups {
            Self.killAll(in: group)
            // The kernel frees a group only once its last process is reaped.
            for _ in 0..<50 where rmdir(group) != 0 && errno == EBUSY {
                usleep(10_000)
            }
        }
    }

    private func oomKills() -> Int {
        let file: String
        switch mode {
        case .version1: file = "\(groups[0])/memory.oom_control"
        case .version2: file = "\(groups[0])/memory.events"
        case .unavailable: return 0
        }
        guard let text = try? String(contentsOfFile: file, encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("oom_kill ") })
        else { return 0 }
        return Int(line.dropFirst("oom_kill ".count)) ?? 0
    }

    static func killAll(in group: String) {
        for _ in 0..<10 {
            let members = ((try? String(contentsOfFile: "\(group)/cgroup.procs", encoding: .utf8)) ?? "")
                .split(separator: "\n").compactMap { Int32($0) }
            if members.isEmpty { return }
            for member in members { kill(member, SIGKILL) }
            usleep(5_000)
        }
    }
}
