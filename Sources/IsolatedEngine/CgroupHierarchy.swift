import IsolatedCore

/// A cgroup hierarchy runners are confined in: where the engine's and each runner's groups
/// live, and the files that set a machine type's limits. Describes paths only; creating and
/// writing them is ``ResourceControl``'s.
protocol CgroupHierarchy: Sendable {
    /// What is enforced, in a sentence.
    var summary: String { get }
    /// The engine's own groups, one per hierarchy the runners' groups live in.
    var engineGroups: [String] { get }
    /// Makes the controllers available to the engine's children, once its groups exist.
    func enableControllers() -> Result<Void, IsolatedError>
    /// The groups of one runner.
    func runnerGroups(_ runnerID: String) -> [String]
    /// The file whose `oom_kill` line counts the runner's out-of-memory kills.
    func oomEvents(_ runnerID: String) -> String
    /// Each limit file of a runner, its value for `spec`, and whether failing to write it fails the start.
    func limits(_ runnerID: String, spec: MachineTypeSpec) -> [(file: String, value: String, required: Bool)]
}

/// cgroup v1: one directory tree per controller (memory, cpu, pids).
struct CgroupV1: CgroupHierarchy {
    var memory: String
    var cpu: String
    var pids: String

    init(memory: String, cpu: String, pids: String, engineID: String) {
        self.memory = "\(memory.hasSuffix("/") ? memory : memory + "/")\(engineID)"
        self.cpu = "\(cpu.hasSuffix("/") ? cpu : cpu + "/")\(engineID)"
        self.pids = "\(pids.hasSuffix("/") ? pids : pids + "/")\(engineID)"
    }

    var summary: String { "cgroup v1: memory, CPU quota and process count enforced per runner (under \(memory), \(cpu), \(pids))" }
    var engineGroups: [String] { [memory, cpu, pids] }
    func enableControllers() -> Result<Void, IsolatedError> { .success(()) }
    func runnerGroups(_ runnerID: String) -> [String] { engineGroups.map { "\($0)/\(runnerID)" } }
    func oomEvents(_ runnerID: String) -> String { "\(memory)/\(runnerID)/memory.oom_control" }

    func limits(_ runnerID: String, spec: MachineTypeSpec) -> [(file: String, value: String, required: Bool)] {
        [
            ("\(memory)/\(runnerID)/memory.limit_in_bytes", "\(spec.memory)", true),
            // Exists only where swap accounting is on.
            ("\(memory)/\(runnerID)/memory.memsw.limit_in_bytes", "\(spec.memory)", false),
            ("\(cpu)/\(runnerID)/cpu.cfs_period_us", "100000", true),
            ("\(cpu)/\(runnerID)/cpu.cfs_quota_us", "\(Int(spec.cpus * 100_000))", true),
            ("\(pids)/\(runnerID)/pids.max", "\(spec.processes)", true),
        ]
    }
}

/// cgroup v2: one unified tree.
struct CgroupV2: CgroupHierarchy {
    var root: String

    init(parent: String, engineID: String) {
        root = "\(parent.hasSuffix("/") ? parent : parent + "/")\(engineID)"
    }

    var summary: String { "cgroup v2: memory, CPU quota and process count enforced per runner (under \(root))" }
    var engineGroups: [String] { [root] }

    func enableControllers() -> Result<Void, IsolatedError> {
        guard ResourceControl.write("+memory +cpu +pids", to: "\(root)/cgroup.subtree_control") else {
            return .failure(IsolatedError(code: .runnerStartFailed, message: "cannot delegate memory, cpu and pids to \(root)"))
        }
        return .success(())
    }

    func runnerGroups(_ runnerID: String) -> [String] { ["\(root)/\(runnerID)"] }
    func oomEvents(_ runnerID: String) -> String { "\(root)/\(runnerID)/memory.events" }

    func limits(_ runnerID: String, spec: MachineTypeSpec) -> [(file: String, value: String, required: Bool)] {
        [
            ("\(root)/\(runnerID)/memory.max", "\(spec.memory)", true),
            // Exists only where swap is accounted.
            ("\(root)/\(runnerID)/memory.swap.max", "0", false),
            ("\(root)/\(runnerID)/cpu.max", "\(Int(spec.cpus * 100_000)) 100000", true),
            ("\(root)/\(runnerID)/pids.max", "\(spec.processes)", true),
        ]
    }
}
