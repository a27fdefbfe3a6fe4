public import Foundation

/// The real Slurm cluster on loopback that `scripts/slurm-cluster.sh` runs (node1 at
/// 127.0.0.1; node2 at 127.0.0.4, with a GPU as a `gpu` GRES; node3, in partition `private`,
/// without the engine's home): the one `SLURM_CONF` names when
/// the test command started it, or started here, once per test process, and left running.
public enum SlurmCluster {
    private static let starter = Starter()
    private static let turns = Turns()

    /// Runs `body` while no other test of this process runs jobs on the cluster: tests in
    /// different suites run at once, and one that checks the cluster's jobs would see another's.
    public static func exclusively<Value>(_ body: () async throws -> Value) async throws -> Value {
        await turns.take()
        do {
            let value = try await body()
            await turns.hand()
            return value
        } catch {
            await turns.hand()
            throw error
        }
    }

    /// The cluster's `slurm.conf`.
    public static func configurationFile() async throws -> String {
        try await starter.configurationFile()
    }

    /// The jobs Slurm knows of whose name starts with `prefix`, as `id name state node` lines.
    public static func jobs(namedLike prefix: String) async throws -> [String] {
        let (status, output) = try await command("squeue", ["--noheader", "--format=%i %j %T %N"])
        guard status == 0 else { throw Failure(description: "squeue failed: \(output)") }
        return output.split(separator: "\n").map(String.init).filter { $0.split(separator: " ").dropFirst().first?.hasPrefix(prefix) ?? false }
    }

    /// Runs one of Slurm's commands against the cluster.
    public static func command(_ name: String, _ arguments: [String]) async throws -> (status: Int32, output: String) {
        let file = try await configurationFile()
        return try await ExternalProcess.run("/usr/bin/\(name)", arguments, environment: ["SLURM_CONF": file], timeout: .seconds(60))
    }

    /// The cluster could not be started or asked.
    public struct Failure: Error, CustomStringConvertible {
        /// What went wrong.
        public var description: String
    }

    /// One holder at a time, the rest waiting in arrival order.
    private actor Turns {
        private var taken = false
        private var waiting: [CheckedContinuation<Void, Never>] = []

        func take() async {
            guard taken else {
                taken = true
                return
            }
            await withCheckedContinuation { waiting.append($0) }
        }

        func hand() {
            if waiting.isEmpty {
                taken = false
            } else {
                waiting.removeFirst().resume()
            }
        }
    }

    private actor Starter {
        // A task, so callers arriving while the script runs wait for that one run.
        private var started: Task<String, any Error>?

        func configurationFile() async throws -> String {
            if started == nil { started = Task { try await Self.start() } }
            return try await started!.value
        }

        private static func start() async throws -> String {
            if let named = ProcessInfo.processInfo.environment["SLURM_CONF"], FileManager.default.fileExists(atPath: named) { return named }
            let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            let (status, output) = try await ExternalProcess.run(
                root.appendingPathComponent("scripts/slurm-cluster.sh").path, ["start", root.appendingPathComponent(".build/slurm").path],
                timeout: .seconds(600))
            guard status == 0, let line = output.split(separator: "\n").last(where: { $0.hasPrefix("SLURM_CONF=") }) else {
                throw Failure(description: "scripts/slurm-cluster.sh could not start the cluster:\n\(output.suffix(3000))")
            }
            return String(line.dropFirst("SLURM_CONF=".count))
        }
    }
}
