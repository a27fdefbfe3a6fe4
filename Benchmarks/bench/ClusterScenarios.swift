import Foundation
import Isolated
import IsolatedCore
import IsolatedEngine
import TestSupport

/// Isolated's rows on the two-node Slurm cluster on loopback (`scripts/slurm-cluster.sh`, started
/// here unless `SLURM_CONF` names one): a new runner as a Slurm job, on an embedded engine with
/// the Slurm launcher, and a warm call on a cluster runner through `isolated serve --launcher slurm`.
struct ClusterScenarios {
    let home: String
    let quick: Bool

    static let ids = ["cluster_new_runner", "cluster_warm_server"]

    func run(progress: (String) -> Void) async -> [String: Measurement] {
        progress("isolated: starting the Slurm cluster on loopback")
        let file: String
        do {
            file = try await SlurmCluster.configurationFile()
        } catch {
            return Dictionary(uniqueKeysWithValues: Self.ids.map { ($0, Measurement.failed(error, how: "the loopback Slurm cluster")) })
        }
        // For the server process too, which reads it like srun does.
        setenv("SLURM_CONF", file, 1)
        var results: [String: Measurement] = [:]

        let count = quick ? 5 : 20
        let newRunnerHow =
            "a keepAlive: 0 function on an embedded engine with the Slurm launcher: every call is a new srun job (a sandboxed runner on a node, "
            + "connecting back over TCP) of an already compiled version; \(count) calls"
        progress("isolated: cluster_new_runner")
        let engine = Engine(
            configuration: EngineConfiguration(
                home: home, launcher: .slurm(SlurmConfiguration(runnerAddress: "127.0.0.1:0", configurationFile: file))))
        do {
            results["cluster_new_runner"] = try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await engine.run() }
                await engine.untilRunning()
                defer { engine.shutdown() }
                return try await Isolation.withEngine(engine) {
                    _ = try await freshRunner(0)
                    var fresh: [Double] = []
                    for index in 0..<count { fresh.append(try await timed { _ = try await freshRunner(index) }) }
                    return Measurement.latencies(fresh, how: newRunnerHow)
                }
            }
        } catch {
            results["cluster_new_runner"] = .failed(error, how: newRunnerHow)
        }

        let warmCount = quick ? 100 : 1000
        let warmHow =
            "trivial(Int) -> Int through @Isolated with the server set to isolated serve --launcher slurm on loopback, its warm runner a Slurm "
            + "job on a node; \(warmCount) calls after 50 to warm up"
        progress("isolated: cluster_warm_server")
        do {
            let server = try await ServerProcess.start(home: home, arguments: ["--launcher", "slurm"])
            do {
                results["cluster_warm_server"] = try await Isolation.withServer(server.url, key: server.key) {
                    for index in 0..<50 { _ = try await trivial(index) }
                    var warm: [Double] = []
                    for index in 0..<warmCount { warm.append(try await timed { _ = try await trivial(index) }) }
                    return Measurement.latencies(warm, how: warmHow)
                }
            } catch {
                results["cluster_warm_server"] = .failed(error, how: warmHow)
            }
            await server.stop()
        } catch {
            results["cluster_warm_server"] = .failed(error, how: warmHow)
        }
        return results
    }
}
