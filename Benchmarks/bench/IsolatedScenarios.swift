import Foundation
import Isolated
import IsolatedClient
import IsolatedCore
import IsolatedEngine

/// Isolated's side of every scenario, on an engine embedded in this process and, for the
/// server rows, an `isolated serve` process on a loopback port.
struct IsolatedScenarios {
    let engine: Engine
    let home: String
    let quick: Bool

    /// A small requirement from the mirror, and a second environment that shares it.
    static let coldRequirements: [Requirement] = ["apple/swift-numerics@1.1.1"]
    static let sharedRequirements: [Requirement] = ["apple/swift-numerics@1.1.1", "apple/swift-algorithms@1.2.1"]
    /// An environment whose every package the shared one built.
    static let reusedRequirements: [Requirement] = ["apple/swift-algorithms@1.2.1"]

    func run(progress: (String) -> Void) async -> [String: Measurement] {
        var results: [String: Measurement] = [:]
        func measure(_ id: String, how: String, _ body: () async throws -> Measurement) async {
            guard selected(id) else { return }
            progress("isolated: \(id)")
            do {
                results[id] = try await body()
            } catch {
                results[id] = .failed(error, how: how)
            }
        }

        let warmCount = quick ? 200 : 2000
        let warmHow = "trivial(Int) -> Int on a warm XS runner of the embedded engine, through @Isolated; \(warmCount) calls after 100 to warm up"
        await measure("warm_embedded", how: warmHow) {
            for index in 0..<100 { _ = try await trivial(index) }
            var warm: [Double] = []
            for index in 0..<warmCount { warm.append(try await timed { _ = try await trivial(index) }) }
            return .latencies(warm, how: warmHow)
        }

        // The same call with the engine's and the runner's threads idle before each, as between a
        // client's calls through the server: what waking them costs on this machine.
        let spacedHow =
            "trivial(Int) -> Int on a warm XS runner of the embedded engine, through @Isolated; \(warmCount) calls after 10 to warm up, "
            + "each 1 ms after the one before (Task.sleep), so every thread involved is idle when it starts"
        await measure("warm_embedded_spaced", how: spacedHow) {
            for index in 0..<10 { _ = try await trivial(index) }
            var warm: [Double] = []
            for index in 0..<warmCount {
                try await Task.sleep(for: .milliseconds(1))
                warm.append(try await timed { _ = try await trivial(index) })
            }
            return .latencies(warm, how: spacedHow)
        }

        let floorHow =
            "one byte to a child process (cat, on one end of a socket pair) and back, from a thread blocked on the reply: the two "
            + "wake-ups any call to another process takes; \(warmCount) round trips after 100"
        await measure("floor_embedded", how: floorHow) {
            .latencies(try await EchoFloor.blockingRoundTrips(warmCount, warmUp: 100), how: floorHow)
        }
        let asyncFloorHow =
            "the same byte and child from a task, the reply read by a thread of its own and resumed on the cooperative pool: the "
            + "three wake-ups of a warm embedded call (the runner, the engine's thread reading its socket, the caller's task); "
            + "\(warmCount) round trips after 100"
        await measure("floor_embedded_async", how: asyncFloorHow) {
            .latencies(try await EchoFloor.asyncRoundTrips(warmCount, warmUp: 100), how: asyncFloorHow)
        }

        let freshCount = quick ? 5 : 30
        let freshHow = "a keepAlive: 0 function, so every call starts a new sandboxed runner of an already compiled version; \(freshCount) calls"
        await measure("new_runner", how: freshHow) {
            _ = try await freshRunner(0)
            var fresh: [Double] = []
            for index in 0..<freshCount { fresh.append(try await timed { _ = try await freshRunner(index) }) }
            return .latencies(fresh, how: freshHow)
        }

        let versionCount = quick ? 2 : 5
        let versionHow = "a function whose source is new each time (no requirements): swiftc compile, start, call; \(versionCount) versions"
        await measure("new_version", how: versionHow) {
            let stamp = UInt32.random(in: 0...UInt32.max)
            var versions: [Double] = []
            for index in 0..<versionCount {
                let request = Self.request("version", body: "\(stamp) + \(index)", returning: "Int", requirements: [])
                versions.append(try await timed { _ = try await engine.invoke(request) })
            }
            return .latencies(versions, how: versionHow)
        }

        let coldCount = quick ? 1 : 3
        let coldHow =
            "an environment with apple/swift-numerics 1.1.1 removed, and its recorded library products, then one call that uses "
            + "it: SwiftPM resolve and build (its repository cache warm), compile, start, call; \(coldCount) times"
        await measure("cold_environment", how: coldHow) {
            var cold: [PhasedSample] = []
            for _ in 0..<coldCount {
                try await removeEnvironment(Self.coldRequirements, forgetting: "swift-numerics")
                cold.append(try await phased(Self.coldRequest))
            }
            return .phased(cold, how: coldHow)
        }
        let sharedHow =
            "with the numerics environment built, every environment holding swift-algorithms 1.2.1 removed, and "
            + "algorithms' recorded library products, then one call: numerics' products are reused, algorithms is compiled; \(coldCount) times"
        await measure("shared_environment", how: sharedHow) {
            _ = try await engine.invoke(Self.coldRequest)
            var shared: [PhasedSample] = []
            for _ in 0..<coldCount {
                // The next row's environment (algorithms alone, which pins numerics too) would
                // seed this one whole: it goes, so algorithms is compiled here.
                try await removeEnvironment(Self.reusedRequirements)
                try await removeEnvironment(Self.sharedRequirements, forgetting: "swift-algorithms")
                shared.append(try await phased(Self.sharedRequest))
            }
            return .phased(shared, how: sharedHow)
        }
        let reusedHow =
            "with the numerics + algorithms environment built, an environment of swift-algorithms 1.2.1 alone removed, then "
            + "one call: every package in it was built before; \(coldCount) times"
        await measure("reused_environment", how: reusedHow) {
            _ = try await engine.invoke(Self.sharedRequest)
            var reused: [PhasedSample] = []
            for _ in 0..<coldCount {
                try await removeEnvironment(Self.reusedRequirements)
                let request = Self.request(
                    "reused", body: "[1, 2, 3].chunks(ofCount: 2).count", returning: "Int", requirements: Self.reusedRequirements)
                reused.append(try await phased(request))
            }
            return .phased(reused, how: reusedHow)
        }

        for (id, size, count) in Self.resultSizes(quick: quick) {
            let how =
                "a warm S runner returns a String of \(size >> 20) MiB, decoded by the caller through @Isolated; \(count) calls after one to warm up"
            await measure(id, how: how) { try await largeResults(bytes: size, count: count, how: how) }
        }

        let duration: Duration = quick ? .seconds(2) : .seconds(10)
        let throughputHow =
            "32 tasks calling trivial(Int) -> Int on the embedded engine for \(duration); it scales out to capacity (XS: half a CPU each)"
        await measure("throughput_32", how: throughputHow) { try await throughput(duration: duration, how: throughputHow) }

        await measure("idle_runner_rss_mb", how: "VmRSS of the idle warm runner of trivial") {
            guard let runner = await engine.runnerSnapshots().first(where: { $0.function.name == "trivial" && $0.state == .idle }),
                let processID = runner.processID, let runnerMemory = residentMegabytes(processID)
            else { return Measurement(error: "no idle runner of trivial", how: nil) }
            let helpers = sandboxHelpers(of: processID).compactMap(residentMegabytes).reduce(0, +)
            return Measurement(
                value: runnerMemory,
                how: "VmRSS of the idle warm runner of trivial; its sandbox's two helper processes (isolated-sandbox and the "
                    + "namespace's init) add \(String(format: "%.1f", helpers)) MB"
            )
        }

        await measureServer(into: &results, progress: progress)
        return results
    }

    private func measureServer(into results: inout [String: Measurement], progress: (String) -> Void) async {
        let ids =
            [
                "warm_server", "throughput_32_server", "floor_server", "floor_throughput_32_server", "idle_engine_rss_mb",
                "idle_runner_static_rss_mb", "new_runner_static_server",
            ] + Self.resultSizes(quick: quick).map { "\($0.id)_server" }
        guard ids.contains(where: selected) else { return }
        progress("isolated: starting isolated serve")
        let server: ServerProcess
        do {
            server = try await ServerProcess.start(home: home)
        } catch {
            for id in ids where selected(id) { results[id] = .failed(error, how: "isolated serve") }
            return
        }
        await measure(on: server, into: &results, progress: progress)
        await server.stop()
    }

    private func measure(on server: ServerProcess, into results: inout [String: Measurement], progress: (String) -> Void) async {
        /// One scenario through the server, its failure recorded as its figure.
        func onServer(_ id: String, how: String, _ body: () async throws -> Measurement) async {
            guard selected(id) else { return }
            progress("isolated: \(id)")
            do {
                results[id] = try await Isolation.withServer(server.url, key: server.key) { try await body() }
            } catch {
                results[id] = .failed(error, how: how)
            }
        }
        let client = ServerClient(baseURL: server.url, key: server.key)
        // isolated serve links trivial statically in the background after its first call: the
        // rows below measure a server past that, as one that has served trivial before is.
        progress("isolated: waiting for isolated serve to link trivial statically")
        let staticWorker: Result<String, StaticLinkFailure>
        do {
            staticWorker = try await Isolation.withServer(server.url, key: server.key) { try await linkedStatically(through: client) }
        } catch {
            staticWorker = .failure(StaticLinkFailure(description: "\(error)"))
        }
        let count = quick ? 100 : 1000
        let how =
            "trivial(Int) -> Int through @Isolated with the server set (async-http-client, binary stream) to isolated serve on loopback; "
            + "\(count) calls after 50 to warm up"
        await onServer("warm_server", how: how) {
            for index in 0..<50 { _ = try await trivial(index) }
            var warm: [Double] = []
            for index in 0..<count { warm.append(try await timed { _ = try await trivial(index) }) }
            return .latencies(warm, how: how)
        }
        let duration: Duration = quick ? .seconds(2) : .seconds(10)
        let throughputHow = "32 tasks calling trivial(Int) -> Int through isolated serve for \(duration)"
        await onServer("throughput_32_server", how: throughputHow) { try await throughput(duration: duration, how: throughputHow) }
        // The floor under both: the same server and client stack answering its cheapest request, with no call behind it.
        let floorHow =
            "GET /healthz of the same isolated serve through the same client (ServerClient: the generated OpenAPI client on "
            + "async-http-client); no call, no store; \(count) requests after 50 to warm up"
        await onServer("floor_server", how: floorHow) {
            for _ in 0..<50 { _ = try await client.health() }
            var latencies: [Double] = []
            for _ in 0..<count { latencies.append(try await timed { _ = try await client.health() }) }
            return .latencies(latencies, how: floorHow)
        }
        let floorThroughputHow = "32 tasks requesting GET /healthz of the same isolated serve through ServerClient for \(duration)"
        await onServer("floor_throughput_32_server", how: floorThroughputHow) {
            try await throughput(duration: duration, how: floorThroughputHow) { _ in _ = try await client.health() }
        }
        if selected("idle_engine_rss_mb") {
            try? await Task.sleep(for: .seconds(1))
            results["idle_engine_rss_mb"] =
                residentMegabytes(server.processID).map {
                    Measurement(
                        value: $0,
                        how: "VmRSS of the idle isolated serve process (engine, HTTP server, SQLite) after the calls above, runners excluded")
                } ?? Measurement(error: "cannot read the server's memory", how: nil)
        }
        await onServer("idle_runner_static_rss_mb", how: "VmRSS of an idle warm runner of trivial started from its static worker") {
            try await idleStaticRunner(through: client, staticWorker: staticWorker)
        }
        let freshCount = quick ? 5 : 30
        let freshHow =
            "freshRunner (keepAlive: 0) through @Isolated with the server set, once isolated serve has linked it statically, so every "
            + "call starts a new sandboxed runner from its static worker; \(freshCount) calls"
        await onServer("new_runner_static_server", how: freshHow) {
            _ = try await freshRunner(0)
            if case .failure(let failure) = try await linkedStaticWorker(of: "freshRunner") {
                return Measurement(error: failure.description, how: nil)
            }
            var fresh: [Double] = []
            for index in 0..<freshCount { fresh.append(try await timed { _ = try await freshRunner(index) }) }
            return .latencies(fresh, how: freshHow)
        }
        // After the idle figure, which would otherwise count what the large results left in the heap.
        for (id, size, count) in Self.resultSizes(quick: quick) {
            let how =
                "a warm S runner of isolated serve returns a String of \(size >> 20) MiB, streamed as raw bytes and decoded by the "
                + "caller through @Isolated with the server set; \(count) calls after one to warm up"
            await onServer("\(id)_server", how: how) { try await largeResults(bytes: size, count: count, how: how) }
        }
    }

    /// Why the server's static worker of trivial cannot be measured.
    struct StaticLinkFailure: Error, CustomStringConvertible {
        var description: String
    }

    /// Calls trivial through the server, then waits until the server has linked it statically;
    /// the static worker's path.
    private func linkedStatically(through client: ServerClient) async throws -> Result<String, StaticLinkFailure> {
        _ = try await trivial(0)
        guard let processID = try await client.runners().first(where: { $0.function.name == "trivial" })?.processID else {
            return .failure(StaticLinkFailure(description: "isolated serve lists no runner of trivial with its process"))
        }
        guard let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(processID)/exe") else {
            return .failure(StaticLinkFailure(description: "cannot read /proc/\(processID)/exe of trivial's runner"))
        }
        return try await linked((executable as NSString).deletingLastPathComponent + "/worker-static", of: "trivial")
    }

    /// `staticWorker`, once the server has linked it, waiting up to 5 minutes.
    private func linked(_ staticWorker: String, of name: String) async throws -> Result<String, StaticLinkFailure> {
        for _ in 0..<1200 {
            if FileManager.default.isExecutableFile(atPath: staticWorker) { return .success(staticWorker) }
            if FileManager.default.fileExists(atPath: staticWorker + ".failed") {
                return .failure(StaticLinkFailure(description: "isolated serve could not link \(name) statically: see \(staticWorker).failed"))
            }
            try await Task.sleep(for: .milliseconds(250))
        }
        return .failure(StaticLinkFailure(description: "isolated serve did not link \(name) statically (\(staticWorker)) within 5 minutes"))
    }

    /// The static worker of the benchmark's function `name`, once the server has linked it: in
    /// the newest of the home's function directories compiled from this benchmark's `name`.
    private func linkedStaticWorker(of name: String) async throws -> Result<String, StaticLinkFailure> {
        struct Compiled: Decodable {
            var name: String
            var file: String
        }
        let functions = "\(home)/functions"
        let directories = (try? FileManager.default.contentsOfDirectory(atPath: functions)) ?? []
        let newest = directories.compactMap { directory -> (path: String, modified: Date)? in
            let path = "\(functions)/\(directory)"
            guard let data = FileManager.default.contents(atPath: "\(path)/function.json"),
                let compiled = try? JSONDecoder().decode(Compiled.self, from: data),
                compiled.name == name, compiled.file.hasSuffix("/Benchmarks/bench/Functions.swift"),
                let modified = try? FileManager.default.attributesOfItem(atPath: "\(path)/function.json")[.modificationDate] as? Date
            else { return nil }
            return (path, modified)
        }
        .max { $0.modified < $1.modified }
        guard let directory = newest?.path else {
            return .failure(StaticLinkFailure(description: "no compiled \(name) in \(functions)"))
        }
        return try await linked("\(directory)/worker-static", of: name)
    }

    /// The resident memory of a new idle runner of trivial on the server, started once its
    /// static worker is there: the server's runners of trivial are stopped first.
    private func idleStaticRunner(through client: ServerClient, staticWorker linked: Result<String, StaticLinkFailure>) async throws -> Measurement {
        let staticWorker: String
        switch linked {
        case .success(let path): staticWorker = path
        case .failure(let failure): return Measurement(error: failure.description, how: nil)
        }
        for runner in try await client.runners() where runner.function.name == "trivial" { _ = try await client.stopRunner(runner.id) }
        _ = try await trivial(1)
        try await Task.sleep(for: .seconds(1))
        guard let runner = try await client.runners().first(where: { $0.function.name == "trivial" && $0.state == .idle }),
            let processID = runner.processID, let memory = residentMegabytes(processID)
        else { return Measurement(error: "no idle runner of trivial on isolated serve", how: nil) }
        let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(processID)/exe")
        guard executable == staticWorker else {
            return Measurement(error: "the new runner of trivial runs \(executable ?? "?"), not \(staticWorker)", how: nil)
        }
        return Measurement(
            value: memory,
            how: "VmRSS of an idle warm runner of trivial on isolated serve, started from the worker the server linked statically "
                + "in the background after trivial's first call")
    }

    /// `count` warm calls returning `bytes` bytes, after one to warm up.
    private func largeResults(bytes: Int, count: Int, how: String) async throws -> Measurement {
        _ = try await bigResult(bytes: bytes)
        var latencies: [Double] = []
        for _ in 0..<count { latencies.append(try await timed { _ = try await bigResult(bytes: bytes) }) }
        return .latencies(latencies, how: how)
    }

    /// The large-result scenarios: id, bytes and calls, the same embedded and through the server.
    static func resultSizes(quick: Bool) -> [(id: String, bytes: Int, count: Int)] {
        [("result_10mib", 10 << 20, quick ? 3 : 10), ("result_100mib", 100 << 20, quick ? 1 : 5), ("result_256mib", 256 << 20, 1)]
    }

    /// `call` made by 32 tasks at once for `duration`, after 64 calls to warm up; by default a call of `trivial`.
    private func throughput(
        duration: Duration, how: String, call: @escaping @Sendable (Int) async throws -> Void = { _ = try await trivial($0) }
    ) async throws -> Measurement {
        for index in 0..<64 { try await call(index) }
        let deadline = ContinuousClock.now + duration
        let started = ContinuousClock.now
        let latencies = try await withThrowingTaskGroup(of: [Double].self) { group in
            for caller in 0..<32 {
                group.addTask {
                    var latencies: [Double] = []
                    var index = caller
                    while ContinuousClock.now < deadline {
                        latencies.append(try await timed { try await call(index) })
                        index += 32
                    }
                    return latencies
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        let elapsed = milliseconds(ContinuousClock.now - started) / 1000
        var measurement = Measurement.latencies(latencies, how: how)
        measurement.callsPerSecond = Double(latencies.count) / elapsed
        return measurement
    }

    /// One call, timed whole and by the phases its report names.
    private func phased(_ request: InvocationRequest) async throws -> PhasedSample {
        var report: CallReport?
        let total = try await timed { report = try await engine.invoke(request).report }
        return PhasedSample(total: total, phases: report?.phases.map { ($0.phase.rawValue, milliseconds($0.duration)) } ?? [])
    }

    /// Removes the environment of exactly `requirements`, and the library products the engine
    /// recorded for the package `forgetting`, so the next build reads them as a new package's.
    private func removeEnvironment(_ requirements: [Requirement], forgetting identity: String? = nil) async throws {
        let written = Set(requirements.map(\.description))
        let keys = await engine.environments.summaries().filter { Set($0.requirements) == written }.map(\.key)
        if !keys.isEmpty { _ = try await engine.environments.remove(prefixes: keys) }
        guard let identity else { return }
        let products = "\(engine.environments.environmentsDirectory)/.products"
        for name in (try? FileManager.default.contentsOfDirectory(atPath: products)) ?? [] where name.hasPrefix("\(identity)@") {
            try FileManager.default.removeItem(atPath: "\(products)/\(name)")
        }
    }

    static var sharedRequest: InvocationRequest {
        request("shared", body: "[1, 2, 3].chunks(ofCount: 2).count + Int(Double.exp(0))", returning: "Int", requirements: sharedRequirements)
    }

    static var coldRequest: InvocationRequest {
        request("cold", body: "Int(Double.exp(0))", returning: "Int", requirements: coldRequirements)
    }

    static func request(_ name: String, body: String, returning: String, requirements: [Requirement]) -> InvocationRequest {
        InvocationRequest(
            function: FunctionSource(
                name: name,
                source: "func \(name)() async throws -> \(returning) {\n    \(body)\n}",
                entry: "return try await invocation.result(\(name)())",
                file: #filePath,
                line: #line
            ),
            requirements: requirements,
            machineType: "XS",
            keepAlive: 0,
            arguments: []
        )
    }

    /// The runner's sandbox process and the namespace's init: its parent and grandparent.
    private func sandboxHelpers(of processID: Int32) -> [Int32] {
        func parent(_ id: Int32) -> Int32? {
            guard let stat = try? String(contentsOfFile: "/proc/\(id)/stat", encoding: .utf8),
                let fields = stat.split(separator: ")").last?.split(separator: " "), fields.count > 2
            else { return nil }
            return Int32(fields[2])
        }
        func isSandbox(_ id: Int32) -> Bool {
            ((try? String(contentsOfFile: "/proc/\(id)/comm", encoding: .utf8)) ?? "").hasPrefix("isolated-sandbo")
        }
        guard let initProcess = parent(processID), let sandbox = parent(initProcess), isSandbox(initProcess), isSandbox(sandbox) else { return [] }
        return [initProcess, sandbox]
    }
}
