import Foundation
import IsolatedCore
import IsolatedEngine
import MetricsTestKit
import Synchronization
import TestSupport
import Testing

/// The Slurm launcher on a real Slurm cluster on loopback (`scripts/slurm-cluster.sh`):
/// node1, node2 with a GPU, and node3 without the engine's home. Every runner is a real job;
/// nothing is faked.
@Suite("Runners as jobs of a real Slurm cluster", .serialized, .timeLimit(.minutes(15)))
struct SlurmLauncherTests {
    static let catalog = MachineTypeCatalog(types: [
        MachineTypeSpec(name: "XS", cpus: 0.5, memory: 512 << 20, processes: 64),
        // Two fit on a node of the loopback cluster (12 GiB each): many at once spread over both.
        MachineTypeSpec(name: "M", cpus: 1, memory: 5 << 30, processes: 128),
        // No node has 4 CPUs.
        MachineTypeSpec(name: "L", cpus: 4, memory: 1 << 30, processes: 128),
        MachineTypeSpec(name: "GPU", cpus: 1, memory: 1 << 30, processes: 128, gpus: 1),
        // One fills a node.
        MachineTypeSpec(name: "BIG", cpus: 1, memory: 11 << 30, processes: 128),
    ])

    /// The catalog plus a type on node3, the node that does not mount the engine's home.
    static let privateCatalog = MachineTypeCatalog(
        types: catalog.types + [
            MachineTypeSpec(name: "PRIVATE", cpus: 1, memory: 512 << 20, processes: 64, cluster: ClusterPlacement(partition: "private"))
        ])

    static func withClusterEngine<Value: Sendable>(
        queueTimeout: Duration = .seconds(120), metrics: TestMetrics = TestMetrics(), sharedHome: Bool = true,
        _ body: @Sendable (Engine) async throws -> Value
    ) async throws -> Value {
        let file = try await SlurmCluster.configurationFile()
        let configuration = EngineConfiguration(
            home: EngineTests.home, machineTypes: sharedHome ? catalog : privateCatalog, queueTimeout: queueTimeout,
            launcher: .slurm(SlurmConfiguration(runnerAddress: "127.0.0.1:0", configurationFile: file, sharedHome: sharedHome)))
        let engine = Engine(configuration: configuration, metricsFactory: metrics)
        return try await SlurmCluster.exclusively {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await engine.run() }
                await engine.untilRunning()
                defer { engine.shutdown() }
                return try await body(engine)
            }
        }
    }

    /// A function reporting where it runs: its job, its node, its GPUs, and every variable it sees.
    static func whereAmI(machineType: MachineType = "XS", keepAlive: Int = 30, sleep milliseconds: Int = 0) -> InvocationRequest {
        InvocationRequest(
            function: FunctionSource(
                name: "whereAmI",
                source: """
                    func whereAmI(_ milliseconds: Int) async throws -> [String] {
                        try await Task.sleep(for: .milliseconds(milliseconds))
                        let environment = ProcessInfo.processInfo.environment
                        return [
                            environment["SLURM_JOB_ID"] ?? "-", environment["SLURMD_NODENAME"] ?? "-",
                            environment["CUDA_VISIBLE_DEVICES"] ?? "-", environment.keys.sorted().joined(separator: ","),
                        ]
                    }
                    """,
                entry: "return try await invocation.result(whereAmI(invocation.argument(0, as: Int.self)))",
                file: #filePath,
                line: 1
            ),
            requirements: [],
            machineType: machineType,
            keepAlive: keepAlive,
            arguments: [try! PayloadCoding.encode(milliseconds)]
        )
    }

    /// A function without arguments on `XS`, run on a new runner.
    static func request(_ name: String, returning: String, body: String) -> InvocationRequest {
        InvocationRequest(
            function: FunctionSource(
                name: name,
                source: "func \(name)() async throws -> \(returning) {\n\(body)\n}",
                entry: "return try await invocation.result(\(name)())",
                file: #filePath,
                line: 1
            ),
            requirements: [],
            machineType: "XS",
            keepAlive: 0,
            arguments: []
        )
    }

    static func decode(_ result: InvocationResult) throws -> (job: String, node: String, gpus: String, variables: [String]) {
        let fields = try PayloadCoding.decode([String].self, from: result.payload)
        return (fields[0], fields[1], fields[2], fields[3].split(separator: ",").map(String.init))
    }

    @Test("a runner is a Slurm job: its function sees the job and node and nothing else of Slurm's, and a warm call reuses the job")
    func runnerIsAJob() async throws {
        let metrics = TestMetrics()
        try await Self.withClusterEngine(metrics: metrics) { engine in
            let first = try Self.decode(try await engine.invoke(Self.whereAmI()))
            let second = try await engine.invoke(Self.whereAmI())
            #expect(second.report.warm)
            #expect(try Self.decode(second).job == first.job)
            #expect(first.job != "-" && first.node.hasPrefix("node"))
            let snapshot = try #require(await engine.runnerSnapshots().first)
            #expect(snapshot.node == first.node && snapshot.job == first.job)
            #expect(try await SlurmCluster.jobs(namedLike: "isolated-").contains { $0.hasPrefix("\(first.job) ") })
            // What a local runner's function sees, plus the job's id and node.
            let expected = Set(LocalLauncher.environment(runnerID: "", function: "", machineType: "", home: "", temporary: "").keys)
                .subtracting(["ISOLATED_RUNNER_FD"]).union(["SLURM_JOB_ID", "SLURMD_NODENAME"])
            #expect(Set(first.variables).subtracting(["LANG", "LC_ALL", "TZ"]) == expected)
            #expect(second.report.node == first.node)
            #expect(try metrics.expectCounter("isolated_cluster_calls_total", [("node", first.node), ("outcome", "succeeded")]).totalValue == 2)
        }
    }

    @Test("a GPU machine type is placed on the node with the GPU, and given it")
    func gpuOnTheGPUNode() async throws {
        try await Self.withClusterEngine { engine in
            let placed = try Self.decode(try await engine.invoke(Self.whereAmI(machineType: "GPU", keepAlive: 0)))
            #expect(placed.node == "node2")
            #expect(placed.gpus == "0")
        }
    }

    @Test("a machine type no node can hold is refused at once, with Slurm's reason and the nodes")
    func impossibleTypeRefused() async throws {
        try await Self.withClusterEngine { engine in
            let error = await #expect(throws: IsolatedError.self) { try await engine.invoke(Self.whereAmI(machineType: "L")) }
            #expect(error?.code == .machineTypeUnavailable)
            #expect(error?.message.contains("Requested node configuration is not available") == true, "\(String(describing: error))")
            #expect(error?.message.contains("node1: 2 CPUs") == true && error?.message.contains("types the cluster can run: XS, M, GPU, BIG") == true)
            let jobs = try await SlurmCluster.jobs(namedLike: "isolated-")
            #expect(jobs.isEmpty)
        }
    }

    @Test("a function that eats its node's memory limit fails with outOfMemory naming the limit and the type")
    func outOfMemoryOnANode() async throws {
        try await Self.withClusterEngine { engine in
            let request = Self.request(
                "eatsMemory", returning: "Int",
                body: """
                    var blocks: [[UInt8]] = []
                    for _ in 0..<64 { blocks.append([UInt8](repeating: 1, count: 32 << 20)) }
                    return blocks.count
                    """)
            let error = await #expect(throws: IsolatedError.self) { try await engine.invoke(request) }
            #expect(error?.code == .outOfMemory, "\(String(describing: error))")
            #expect(error?.message.contains("512 MiB") == true && error?.message.contains("XS") == true)
        }
    }

    @Test("Slurm allocates a whole CPU, and a half-CPU machine type still gets half of one inside its job")
    func fractionalCPU() async throws {
        try await Self.withClusterEngine { engine in
            let request = Self.request(
                "spins", returning: "Double",
                body: """
                    let start = Date()
                    var spins = 0
                    while Date().timeIntervalSince(start) < 1 { spins &+= 1 }
                    return Double(clock()) / Double(CLOCKS_PER_SEC)
                    """)
            let seconds = try PayloadCoding.decode(Double.self, from: try await engine.invoke(request).payload)
            #expect(seconds < 0.8, "used \(seconds) s of CPU in one second on 0.5 CPUs")
        }
    }

    @Test("twenty concurrent calls run as jobs spread over both nodes, the cluster queueing what does not fit")
    func concurrentCallsSpread() async throws {
        try await Self.withClusterEngine { engine in
            let nodes = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<20 {
                    group.addTask { try Self.decode(try await engine.invoke(Self.whereAmI(machineType: "M", keepAlive: 0, sleep: 300))).node }
                }
                return try await group.reduce(into: [String]()) { $0.append($1) }
            }
            #expect(nodes.count == 20)
            #expect(Set(nodes) == ["node1", "node2"])
        }
    }

    @Test("a runner's job ends when its keep-alive does, and no job outlives the engine")
    func keepAliveEndsTheJob() async throws {
        let job = try await Self.withClusterEngine { engine in
            let job = try Self.decode(try await engine.invoke(Self.whereAmI(keepAlive: 1))).job
            #expect(try await SlurmCluster.jobs(namedLike: "isolated-").contains { $0.hasPrefix("\(job) ") })
            try await Self.waitUntilGone(job)
            // A warm runner when the engine stops: its job ends too.
            return try Self.decode(try await engine.invoke(Self.whereAmI(keepAlive: 300))).job
        }
        try await Self.waitUntilGone(job)
    }

    @Test("minWarm keeps a warm runner as a job like any other, which ends with the engine")
    func warmMinimumIsAJob() async throws {
        let job = try await Self.withClusterEngine { engine in
            var request = Self.whereAmI(keepAlive: 0)
            request.minWarm = 1
            _ = try await engine.invoke(request)
            var warm: RunnerSnapshot?
            for _ in 0..<300 where warm == nil {
                warm = await engine.runnerSnapshots().first { $0.state == .idle && $0.job != nil }
                if warm == nil { try await Task.sleep(for: .milliseconds(100)) }
            }
            let job = try #require(warm?.job)
            #expect(try await SlurmCluster.jobs(namedLike: "isolated-").contains { $0.hasPrefix("\(job) ") })
            return job
        }
        try await Self.waitUntilGone(job)
    }

    @Test("a job Slurm ends under a call (its node set down) fails the call with runnerLost naming the node and the reason")
    func nodeDownLosesTheRunner() async throws {
        try await Self.withClusterEngine { engine in
            async let call = engine.invoke(Self.whereAmI(keepAlive: 0, sleep: 60_000))
            var node: String?
            for _ in 0..<600 where node == nil {
                node = await engine.runnerSnapshots().first { $0.state == .busy }?.node
                if node == nil { try await Task.sleep(for: .milliseconds(100)) }
            }
            let lost = try #require(node)
            _ = try await SlurmCluster.command("scontrol", ["update", "nodename=\(lost)", "state=down", "reason=isolated-test"])
            var error: IsolatedError?
            do { _ = try await call } catch let failure as IsolatedError { error = failure }
            try await Self.resume(lost)
            #expect(error?.code == .runnerLost, "\(String(describing: error))")
            #expect(error?.message.contains("on node \(lost)") == true, "\(String(describing: error))")
            #expect(error?.message.contains("node failure") == true, "\(String(describing: error))")
        }
    }

    @Test("with retries, a call whose node fails runs again on another node")
    func retriedElsewhere() async throws {
        try await Self.withClusterEngine { engine in
            var request = Self.whereAmI(keepAlive: 0, sleep: 3000)
            request.retries = 1
            async let call = engine.invoke(request)
            let lost = try #require(await Self.busyNode(engine))
            // Down ends its jobs; drained, it takes no new ones until resumed (a down node that
            // answers would rejoin at once).
            _ = try await SlurmCluster.command("scontrol", ["update", "nodename=\(lost)", "state=down", "reason=isolated-test"])
            _ = try await SlurmCluster.command("scontrol", ["update", "nodename=\(lost)", "state=drain", "reason=isolated-test"])
            let result: InvocationResult
            do {
                result = try await call
            } catch {
                try await Self.resume(lost)
                throw error
            }
            try await Self.resume(lost)
            #expect(result.report.attempts == 2)
            #expect(result.report.phases.contains { $0.phase == .retry && $0.outcome == "runnerLost" })
            #expect(try Self.decode(result).node != lost)
        }
    }

    @Test("a call whose job waits in Slurm's queue shows the queue phase with Slurm's reason; at the queue timeout its job is cancelled")
    func waitsInTheClustersQueue() async throws {
        try await Self.withClusterEngine(queueTimeout: .seconds(3)) { engine in
            // One BIG runner fills a node: two fill the cluster.
            async let first = engine.invoke(Self.whereAmI(machineType: "BIG", keepAlive: 0, sleep: 8000))
            async let second = engine.invoke(Self.whereAmI(machineType: "BIG", keepAlive: 0, sleep: 8000))
            for _ in 0..<600 where await engine.runnerSnapshots().count { $0.state == .busy } < 2 {
                try await Task.sleep(for: .milliseconds(50))
            }
            let events = Mutex<[InvocationEvent]>([])
            let error = await #expect(throws: IsolatedError.self) {
                try await engine.invoke(Self.whereAmI(machineType: "BIG", keepAlive: 0)) { event in events.withLock { $0.append(event) } }
            }
            #expect(error?.code == .queueTimedOut, "\(String(describing: error))")
            #expect(error?.message.contains("Resources") == true, "\(String(describing: error))")
            let queued = events.withLock { $0 }.compactMap { event -> String? in
                if case .phaseStarted(.queue, let detail) = event { return detail }
                return nil
            }
            #expect(queued.contains { $0.contains("waits in Slurm's queue: Resources") }, "\(queued)")
            #expect(error?.report?.phases.contains { $0.phase == .queue && $0.outcome == "timedOut" } == true)
            // The cancelled job leaves the queue; the two running ones finish their calls.
            for _ in 0..<300 where try await SlurmCluster.jobs(namedLike: "isolated-").count > 2 { try await Task.sleep(for: .milliseconds(100)) }
            #expect(try await SlurmCluster.jobs(namedLike: "isolated-").count <= 2)
            _ = try await (first, second)
        }
    }

    @Test("an engine whose home a node its types may run on cannot read refuses to start, naming the node")
    func unsharedHomeRefused() async throws {
        let file = try await SlurmCluster.configurationFile()
        let engine = Engine(
            configuration: EngineConfiguration(
                home: EngineTests.home, machineTypes: Self.privateCatalog,
                launcher: .slurm(SlurmConfiguration(runnerAddress: "127.0.0.1:0", configurationFile: file))))
        let error = await #expect(throws: IsolatedError.self) { try await engine.run() }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.message.contains("these nodes cannot read it: node3: /bin/cat: ") == true, "\(String(describing: error))")
    }

    @Test("without a shared home, what a runner needs is staged to its node with sbcast, once, and the function runs there")
    func stagedToANodeWithoutTheHome() async throws {
        try await Self.withClusterEngine(sharedHome: false) { engine in
            let first = try Self.decode(try await engine.invoke(Self.whereAmI(machineType: "PRIVATE", keepAlive: 0)))
            #expect(first.node == "node3")
            // A second runner finds everything on the node already.
            let second = try await engine.invoke(Self.whereAmI(machineType: "PRIVATE", keepAlive: 0))
            #expect(try Self.decode(second).node == "node3")
            // The marks are on node3's own view of the home, not on this machine's.
            let (_, onNode) = try await SlurmCluster.command(
                "srun", ["--partition=private", "--mem=16M", "--quiet", "/bin/sh", "-c", "find \(EngineTests.home) -name .isolated-staged | wc -l"])
            #expect((Int(onNode.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0) >= 2, "\(onNode)")
            let enumerator = FileManager.default.enumerator(atPath: EngineTests.home)
            var marksHere = 0
            while let path = enumerator?.nextObject() as? String { if path.hasSuffix("/.isolated-staged") { marksHere += 1 } }
            #expect(marksHere == 0)
        }
    }

    @Test("a call made while the engine still checks the cluster waits for it instead of failing")
    func callDuringStartWaits() async throws {
        let file = try await SlurmCluster.configurationFile()
        let engine = Engine(
            configuration: EngineConfiguration(
                home: EngineTests.home, machineTypes: Self.catalog,
                launcher: .slurm(SlurmConfiguration(runnerAddress: "127.0.0.1:0", configurationFile: file))))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await engine.run() }
            defer { engine.shutdown() }
            // No untilRunning(): the call arrives while the launcher probes the nodes (a few hundred
            // milliseconds), after run() has begun.
            try await Task.sleep(for: .milliseconds(50))
            let placed = try Self.decode(try await engine.invoke(Self.whereAmI(keepAlive: 0)))
            #expect(placed.node.hasPrefix("node"))
        }
    }

    @Test("isolated doctor's cluster check lists the nodes and says whether each reads the home")
    func doctorShowsTheCluster() async throws {
        let file = try await SlurmCluster.configurationFile()
        var configuration = EngineConfiguration(home: EngineTests.home)
        configuration.launcher = .slurm(SlurmConfiguration(runnerAddress: "127.0.0.1:0", configurationFile: file))
        let engine = Engine(configuration: configuration)
        let checks = await MachineCheck.all(configuration: configuration, store: engine.environments)
        let cluster = try #require(checks.first { $0.name == "cluster" })
        // node3 does not mount the home, and the check names it.
        #expect(cluster.status == "error", "\(cluster)")
        #expect(cluster.detail.contains("node2: 2 CPUs") && cluster.detail.contains("gpu:1"), "\(cluster)")
        #expect(cluster.detail.contains("these nodes cannot read it: node3: /bin/cat: "), "\(cluster)")
        #expect(checks.first { $0.name == "environment" }?.detail.contains("SLURM_JOB_ID") == true)
    }

    static func busyNode(_ engine: Engine) async throws -> String? {
        for _ in 0..<600 {
            if let node = await engine.runnerSnapshots().first(where: { $0.state == .busy })?.node { return node }
            try await Task.sleep(for: .milliseconds(100))
        }
        return nil
    }

    /// Puts a node back in service and waits until it takes jobs again, leaving the cluster as the test found it.
    static func resume(_ node: String) async throws {
        _ = try await SlurmCluster.command("scontrol", ["update", "nodename=\(node)", "state=resume"])
        for _ in 0..<600 {
            let (_, state) = try await SlurmCluster.command("sinfo", ["--noheader", "--nodes=\(node)", "--format=%T"])
            if state.trimmingCharacters(in: .whitespacesAndNewlines) == "idle" { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("node \(node) is not idle 60 s after it was resumed")
    }

    static func waitUntilGone(_ job: String) async throws {
        for _ in 0..<300 {
            if try await !SlurmCluster.jobs(namedLike: "isolated-").contains(where: { $0.hasPrefix("\(job) ") }) { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("job \(job) is still in squeue 30 s later")
    }
}
