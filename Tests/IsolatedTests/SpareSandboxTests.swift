import Foundation
import IsolatedCore
import IsolatedEngine
import Testing

/// The sandbox each machine type keeps started ahead of its next runner, seen from the outside:
/// in the process tree, with its start time and its cgroup.
@Suite("Sandboxes started ahead of their runners", .timeLimit(.minutes(10)), .enabled(if: TestEngine.canSandbox))
struct SpareSandboxTests {
    /// A machine type of this test's own, so its waiting sandbox is told from other tests' by its memory limit.
    static let machine = MachineTypeSpec(name: "SPARE-TEST", cpus: 0.5, memory: 333 << 20, processes: 64)

    static func request(_ name: String) -> InvocationRequest {
        InvocationRequest(
            function: FunctionSource(
                name: name,
                source: "func \(name)() async throws -> Int {\n    Int(getpid())\n}",
                entry: "return try await invocation.result(\(name)())",
                file: #filePath,
                line: 1
            ),
            requirements: [],
            machineType: MachineType(machine.name),
            keepAlive: 60,
            arguments: []
        )
    }

    @Test("a runner starts in a sandbox that joined its cgroups before the call; one waits for the next, and none outlives the engine")
    func sandboxWaitsAhead() async throws {
        let waiting = try await TestEngine.with(configure: { $0.machineTypes = MachineTypeCatalog(types: $0.machineTypes.types + [Self.machine]) }) {
            engine in
            _ = try await engine.invoke(Self.request("spareFirst"))
            try await Task.sleep(for: .milliseconds(300))
            let asked = try Self.uptime()
            _ = try await engine.invoke(Self.request("spareSecond"))
            let worker = try #require(await engine.runnerSnapshots().first { $0.function.name == "spareSecond" }?.processID)
            // worker ← the namespace's init ← the sandbox
            let initProcess = try #require(Self.parent(of: worker))
            let sandbox = try #require(Self.parent(of: initProcess))
            let started = try Self.startTime(of: sandbox)
            #expect(started < asked - 0.2, "the second runner's sandbox started \(started - asked) s after its call was made")
            let spares = Self.waitingSandboxes(memory: Self.machine.memory)
            #expect(spares.count == 1, "one sandbox waits for the machine type's next runner")
            #expect(!spares.contains(sandbox))
            return spares
        }
        for spare in waiting {
            #expect(kill(spare, 0) != 0, "sandbox \(spare) outlived its engine")
        }
    }

    /// Seconds since boot, as `/proc` counts process start times.
    static func uptime() throws -> Double {
        try #require(Double(String(contentsOfFile: "/proc/uptime", encoding: .utf8).split(separator: " ").first ?? ""))
    }

    /// The fields of `/proc/PID/stat` after the command's name: the state first.
    static func statFields(_ processID: Int32) -> [Substring] {
        guard let stat = try? String(contentsOfFile: "/proc/\(processID)/stat", encoding: .utf8), let end = stat.lastIndex(of: ")") else { return [] }
        return stat[stat.index(after: end)...].split(separator: " ")
    }

    static func parent(of processID: Int32) -> Int32? {
        let fields = statFields(processID)
        return fields.count > 1 ? Int32(fields[1]) : nil
    }

    /// When the process started, in seconds since boot.
    static func startTime(of processID: Int32) throws -> Double {
        let fields = statFields(processID)
        let ticks = try #require(fields.count > 19 ? Double(fields[19]) : nil)
        return ticks / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// This process's children that are sandboxes still waiting for their runner, in a memory cgroup limited to `memory`.
    static func waitingSandboxes(memory: Int) -> [Int32] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        let children = tasks.flatMap { task in
            ((try? String(contentsOfFile: "/proc/self/task/\(task)/children", encoding: .utf8)) ?? "").split(separator: " ").compactMap { Int32($0) }
        }
        return children.filter { child in
            let arguments = ((try? String(contentsOfFile: "/proc/\(child)/cmdline", encoding: .utf8)) ?? "").split(separator: "\0").map(String.init)
            // Started with --wait, and not started its namespace's init yet.
            let started = (try? String(contentsOfFile: "/proc/\(child)/task/\(child)/children", encoding: .utf8)) ?? ""
            guard arguments.contains("--wait"), started.isEmpty else { return false }
            // cgroup v1's memory controller, or v2's one hierarchy.
            let limits = arguments.filter { $0.hasSuffix("/cgroup.procs") }.flatMap { procs in
                let group = (procs as NSString).deletingLastPathComponent
                return ["\(group)/memory.limit_in_bytes", "\(group)/memory.max"]
            }
            return limits.contains {
                (try? String(contentsOfFile: $0, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) == "\(memory)"
            }
        }
    }
}
