import Foundation
package import IsolatedCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Confines each runner to its machine type's memory, CPU and process limits with cgroups, v1 or
/// v2, whichever the machine has; each runner gets its own group under the engine's.
///
/// Detecting the hierarchy only reads: the engine's group is created, and groups that dead
/// engines left behind are cleared, when the first runner is confined. So creating an engine,
/// `isolated doctor` and `isolated machine-types` change nothing on the machine.
package struct ResourceControl: Sendable {
    private let hierarchy: Result<any CgroupHierarchy, Unavailable>
    private let engineGroup: EngineGroup

    /// Why limits are not enforced.
    package struct Unavailable: Error, Sendable {
        /// The reason, in a sentence.
        package var reason: String
    }

    /// Limits not enforced, for `reason`.
    package init(unavailable reason: String) {
        hierarchy = .failure(Unavailable(reason: reason))
        engineGroup = EngineGroup()
    }

    private init(_ hierarchy: any CgroupHierarchy) {
        self.hierarchy = .success(hierarchy)
        engineGroup = EngineGroup()
    }

    /// What is enforced, in a sentence, for `isolated doctor` and logs.
    package var summary: String {
        switch hierarchy {
        case .success(let hierarchy): hierarchy.summary
        case .failure(let unavailable): "not enforced: \(unavailable.reason)"
        }
    }

    /// Whether runners are confined.
    package var isEnforcing: Bool { (try? hierarchy.get()) != nil }

    /// The engine's own groups: created with its first runner, removed when it stops.
    package var engineGroups: [String] { (try? hierarchy.get())?.engineGroups ?? [] }

    /// Finds the cgroup hierarchy this process may create groups in, without creating any;
    /// the engine's group will be named `engineID`.
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
            var parents: [String] = []
            for controller in ["memory", "cpu", "pids"] {
                let parent = "\(root)/\(controller)\(paths[controller] ?? "/")"
                guard access(parent, W_OK) == 0 else {
                    return ResourceControl(
                        unavailable: "the \(controller) cgroup at \(parent) is not writable (run the engine as root or delegate a cgroup)")
                }
                parents.append(parent)
            }
            return ResourceControl(CgroupV1(memory: parents[0], cpu: parents[1], pids: parents[2], engineID: engineID))
        }
        if FileManager.default.fileExists(atPath: "\(root)/cgroup.controllers"), let relative = paths[""] {
            let parent = "\(root)\(relative)"
            let controllers = (try? String(contentsOfFile: "\(parent)/cgroup.controllers", encoding: .utf8)) ?? ""
            guard access(parent, W_OK) == 0, ["memory", "cpu", "pids"].allSatisfy({ controllers.split(separator: " ").contains(Substring($0)) })
            else {
                return ResourceControl(unavailable: "the cgroup v2 group \(parent) is not writable or does not offer memory, cpu and pids")
            }
            return ResourceControl(CgroupV2(parent: parent, engineID: engineID))
        }
        return ResourceControl(unavailable: "this machine has no cgroup hierarchy")
    }

    /// Creates a runner's groups with `spec`'s limits (and, the first time, the engine's own);
    /// the runner joins them with ``Confinement/join(processID:)`` or, sandboxed, by writing
    /// itself into ``Confinement/processFiles`` before it starts. Nil when limits are not enforced.
    package func prepare(runnerID: String, spec: MachineTypeSpec) throws(IsolatedError) -> Confinement? {
        guard case .success(let hierarchy) = hierarchy else { return nil }
        try engineGroup.create(in: hierarchy)
        let confinement = Confinement(groups: hierarchy.runnerGroups(runnerID), oomEvents: hierarchy.oomEvents(runnerID), runnerID: runnerID)
        for group in confinement.groups {
            guard (try? FileManager.default.createDirectory(atPath: group, withIntermediateDirectories: true)) != nil else {
                confinement.release()
                throw IsolatedError(code: .runnerStartFailed, message: "cannot create the cgroup \(group) for runner \(runnerID)")
            }
        }
        for (file, value, required) in hierarchy.limits(runnerID, spec: spec) where FileManager.default.fileExists(atPath: file) {
            guard Self.write(value, to: file) || !required else {
                confinement.release()
                throw IsolatedError(code: .runnerStartFailed, message: "cannot set \(file) to \(value) for runner \(runnerID)")
            }
        }
        return confinement
    }

    /// Removes the engine's own (empty) groups when it stops, if it created them.
    package func removeEngineGroups() {
        guard case .success(let hierarchy) = hierarchy, engineGroup.created else { return }
        for group in hierarchy.engineGroups { rmdir(group) }
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

/// The engine's own groups, created once, when the first runner needs them.
private final class EngineGroup: Sendable {
    private let state = Mutex<Bool>(false)

    var created: Bool { state.withLock { $0 } }

    func create(in hierarchy: any CgroupHierarchy) throws(IsolatedError) {
        let result: Result<Void, IsolatedError> = state.withLock { created in
            guard !created else { return .success(()) }
            for group in hierarchy.engineGroups {
                guard (try? FileManager.default.createDirectory(atPath: group, withIntermediateDirectories: true)) != nil else {
                    return .failure(IsolatedError(code: .runnerStartFailed, message: "cannot create the engine's cgroup \(group)"))
                }
            }
            if case .failure(let error) = hierarchy.enableControllers() { return .failure(error) }
            for group in hierarchy.engineGroups { Self.removeStaleGroups(in: (group as NSString).deletingLastPathComponent) }
            created = true
            return .success(())
        }
        try result.get()
    }

    /// Groups of engines whose process is gone, left behind by a crash or SIGKILL.
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
}

/// One runner's cgroups: whether it ran out of memory, and their removal once it has exited.
package final class Confinement: Sendable {
    let groups: [String]
    private let oomEvents: String
    private let runnerID: String
    private let memoryKills = Mutex<Int?>(nil)

    init(groups: [String], oomEvents: String, runnerID: String) {
        self.groups = groups
        self.oomEvents = oomEvents
        self.runnerID = runnerID
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
        guard let text = try? String(contentsOfFile: oomEvents, encoding: .utf8),
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
