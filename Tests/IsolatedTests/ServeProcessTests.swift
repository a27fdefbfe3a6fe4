import Foundation
import Isolated
import IsolatedClient
import IsolatedCore
import Synchronization
import TestSupport
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `isolated serve` as a real process on a loopback port, driven the way a new user would: the
/// `isolated` CLI for keys, history and runners, and separate client processes (the demo and
/// an outside package) with `ISOLATED_SERVER` and `ISOLATED_KEY` set.
@Suite("isolated serve as a real process, with real client processes", .serialized, .timeLimit(.minutes(30)))
struct ServeProcessTests {
    /// The executables `swift test` built beside the test bundle.
    static let binaries: URL = {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: executable).deletingLastPathComponent()
    }()

    /// `isolated serve` on the test home's cache with a database of its own.
    static func startServer(database: String, arguments: [String] = []) async throws -> ServeProcess {
        try await ServeProcess.start(
            executable: binaries.appendingPathComponent("isolated").path,
            arguments: ["--home", TestEngine.home, "--database", database, "--shutdown-grace-period", "10"] + arguments,
            log: "\(database).log")
    }

    static func isolated(_ arguments: [String], key: String? = nil) async throws -> (Int32, String) {
        try await ExternalProcess.run(
            binaries.appendingPathComponent("isolated").path, arguments, environment: ["ISOLATED_KEY": key ?? "", "ISOLATED_SERVER": ""])
    }

    static func client(
        _ executable: String, _ arguments: [String] = [], server: ServeProcess, key: String, environment: [String: String] = [:]
    ) async throws -> (Int32, String) {
        // No ISOLATED_HOME: a client of a server needs no cache of its own.
        try await ExternalProcess.run(
            executable, arguments,
            environment: ["ISOLATED_SERVER": server.url.absoluteString, "ISOLATED_KEY": key, "ISOLATED_HOME": "/nonexistent"].merging(environment) {
                $1
            })
    }

    /// A fresh database path beside the test home's cache.
    static func newDatabase() throws -> String {
        try FileManager.default.createDirectory(atPath: "\(TestEngine.home)/servers", withIntermediateDirectories: true)
        return "\(TestEngine.home)/servers/\(UUID().uuidString).sqlite"
    }

    /// `isolated keys create NAME`, as a user runs it; returns the secret it prints.
    static func createKey(_ name: String, database: String) async throws -> String {
        let (status, output) = try await isolated(["keys", "create", name, "--home", TestEngine.home, "--database", database])
        #expect(status == 0, "\(output)")
        return try #require(output.split(separator: "\n").first { $0.hasPrefix("isk_") }.map(String.init))
    }

    /// A server on a fresh database, with a key named `name` created by the CLI.
    static func serverWithKey(_ name: String, arguments: [String] = []) async throws -> (server: ServeProcess, key: String, database: String) {
        let database = try newDatabase()
        let server = try await startServer(database: database, arguments: arguments)
        return (server, try await createKey(name, database: database), database)
    }

    static func waitUntilGone(_ processes: [Int32]) async throws -> [Int32] {
        var alive = processes
        for _ in 0..<100 where !alive.isEmpty {
            try await Task.sleep(for: .milliseconds(50))
            alive = alive.filter(processExists)
        }
        return alive
    }

    @Test("on the loopback Slurm cluster: the demo's functions run as jobs, runners list their node and job, and a SIGKILLed server leaves no job")
    func demoOnACluster() async throws {
        try await SlurmCluster.exclusively { try await demoOnAClusterAlone() }
    }

    /// ``demoOnACluster()``, with the cluster to itself: it checks that no job is left.
    private func demoOnAClusterAlone() async throws {
        // The server's srun finds the cluster as a user's would: SLURM_CONF in its environment.
        setenv("SLURM_CONF", try await SlurmCluster.configurationFile(), 1)
        let (server, key, database) = try await Self.serverWithKey("cluster", arguments: ["--launcher", "slurm"])
        let (demo, demoOutput) = try await Self.client(Self.binaries.appendingPathComponent("Demo").path, server: server, key: key)
        #expect(demo == 0, "\(demoOutput)")
        #expect(demoOutput.contains("the second call reused the warm worker (same runner)"), "\(demoOutput)")

        // Runners are an admin key's to see.
        let (_, created) = try await Self.isolated([
            "keys", "create", "operator", "--scope", "admin", "--home", TestEngine.home, "--database", database,
        ])
        let admin = try #require(created.split(separator: "\n").first { $0.hasPrefix("isk_") }.map(String.init))
        let (listed, listing) = try await Self.isolated(["runners", "list", "--json", "--server", server.url.absoluteString], key: admin)
        #expect(listed == 0, "\(listing)")
        let runners = try JSONDecoder().decode([ListedRunner].self, from: Data(listing.utf8))
        #expect(!runners.isEmpty, "the demo's keep-alive runners are gone: \(listing)")
        #expect(runners.allSatisfy { ($0.node ?? "").hasPrefix("node") && $0.job != nil }, "\(listing)")
        let jobs = try await SlurmCluster.jobs(namedLike: "isolated-")
        #expect(runners.allSatisfy { runner in jobs.contains { $0.hasPrefix("\(runner.job ?? "-") ") } }, "\(jobs)")

        // Killed outright, the server cancels nothing; each runner sees its channel close and exits, ending its job.
        _ = try await server.stop(SIGKILL)
        var left = try await SlurmCluster.jobs(namedLike: "isolated-")
        for _ in 0..<300 where !left.isEmpty {
            try await Task.sleep(for: .milliseconds(100))
            left = try await SlurmCluster.jobs(namedLike: "isolated-")
        }
        #expect(left.isEmpty, "jobs outlived the killed server")
    }

    /// What `isolated runners list --json` says of a runner's placement.
    struct ListedRunner: Decodable {
        var id: String
        var node: String?
        var job: String?
    }

    @Test("from the CLI: a key, the demo and two client processes sharing a warm runner, 401 without a key, metrics, SIGTERM leaving nothing")
    func serveAsANewUserWould() async throws {
        let consumer = try await ExternalPackageTests.executable()
        let (server, key, database) = try await Self.serverWithKey("process tests")

        let (refused, refusedOutput) = try await Self.isolated(["runners", "list", "--server", server.url.absoluteString])
        #expect(refused != 0 && refusedOutput.contains("this server needs an API key"), "\(refusedOutput)")

        let (demo, demoOutput) = try await Self.client(Self.binaries.appendingPathComponent("Demo").path, server: server, key: key)
        #expect(demo == 0, "\(demoOutput)")
        for expected in [
            "joke: ", "the second call reused the warm worker (same runner)", "picking a joke in runner r", "loading the model… (once per worker)",
            "says: FUNCTIONS!",
        ] {
            #expect(demoOutput.contains(expected), "\(demoOutput)")
        }

        let (first, firstOutput) = try await Self.client(consumer, ["runner"], server: server, key: key)
        let (second, secondOutput) = try await Self.client(consumer, ["runner"], server: server, key: key)
        #expect(first == 0 && second == 0, "\(firstOutput)\n\(secondOutput)")
        let firstRunner = firstOutput.split(separator: "\n").first { $0.hasPrefix("runner: r") }
        #expect(
            firstRunner != nil && firstRunner == secondOutput.split(separator: "\n").first { $0.hasPrefix("runner: r") },
            "\(firstOutput)\n\(secondOutput)")

        var request = URLRequest(url: server.url.appendingPathComponent("metrics"))
        request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization")
        let metrics = String(decoding: try await URLSession.shared.data(for: request).0, as: UTF8.self)
        #expect(metrics.contains(#"isolated_runner_starts_total{kind="warm"}"#), "\(metrics)")
        #expect(metrics.contains(#"isolated_calls_total{outcome="succeeded",runtime="swift"}"#), "\(metrics)")

        let started = server.descendants
        #expect(!started.isEmpty, "the server has no runners after the calls")
        #expect(try await server.stop(SIGTERM) == 0)
        #expect(try await Self.waitUntilGone(started).isEmpty, "processes outlived the server's graceful shutdown")
        let serverLog = server.process.output
        #expect(!serverLog.contains(key) && !serverLog.contains(String(key.suffix(20))), "the server logged the key")

        // The history is in the database: a restarted server still lists the calls, with phases.
        let restarted = try await Self.startServer(database: database)
        let (listed, listing) = try await Self.isolated(["invocations", "--json", "--server", restarted.url.absoluteString], key: key)
        #expect(listed == 0, "\(listing)")
        for function in ["whichRunner", "getTwo", "isolatedJoke", "tellJokes", "predict"] {
            #expect(listing.contains("\"function\" : \"\(function)\""), "\(listing)")
        }
        #expect(listing.contains("\"phase\" : \"run\""))
        let (logs, logsOutput) = try await Self.isolated(["invocations", "--server", restarted.url.absoluteString], key: key)
        #expect(logs == 0 && logsOutput.contains("succeeded"), "\(logsOutput)")
        #expect(try await restarted.stop(SIGTERM) == 0)
    }

    @Test("a 64 MiB result and a 32 MiB argument round-trip byte for byte, in memory a small multiple of their size")
    func largePayloads() async throws {
        let consumer = try await ExternalPackageTests.executable()
        let (server, key, _) = try await Self.serverWithKey("payloads")
        for (mode, mebibytes) in [("result", 64), ("echo", 32)] {
            let (status, output) = try await Self.client(consumer, ["payload", mode, "\(mebibytes)"], server: server, key: key)
            #expect(status == 0, "\(output)")
            #expect(output.contains("payload: identical, \(mebibytes << 20) bytes"), "\(output)")
            let growth = try #require(output.split(separator: "\n").first { $0.hasPrefix("peak memory growth: ") }?.split(separator: " ")[3])
            // Measured here: 2.3 times the bytes a call moves, for a 64 MiB result (the bytes
            // received, the decoded value, and chunks waiting in URLSession's stream) and for a
            // 32 MiB echo (which also holds its argument encoded, in the body and in
            // URLSession's copy of it). Base64 in JSON lines took minutes at this size.
            let moved = (mode == "echo" ? 2 : 1) * (mebibytes << 20)
            #expect(try #require(Int(growth)) <= 4 * moved, "\(mode): \(output)")
        }
        #expect(try await server.stop(SIGTERM) == 0)
    }

    @Test("a result over the server's or the client's limit, and an argument over the server's, fail with an error naming the limit")
    func payloadLimits() async throws {
        let consumer = try await ExternalPackageTests.executable()
        let (server, key, _) = try await Self.serverWithKey(
            "limits", arguments: ["--max-result-bytes", "\(8 << 20)", "--max-request-bytes", "\(4 << 20)"])

        let (result, resultOutput) = try await Self.client(consumer, ["payload", "result", "16"], server: server, key: key)
        #expect(result == 3, "\(resultOutput)")
        #expect(
            resultOutput.contains("resultTooLarge: the result of patternBytes() at ")
                && resultOutput.contains("is 16.0 MiB, over this server's limit of 8 MiB (isolated serve --max-result-bytes)"),
            "\(resultOutput)")

        let (client, clientOutput) = try await Self.client(
            consumer, ["payload", "result", "2"], server: server, key: key, environment: ["ISOLATED_MAX_RESULT_BYTES": "\(1 << 20)"])
        #expect(client == 3, "\(clientOutput)")
        #expect(clientOutput.contains("is 2.0 MiB, over this client's limit of 1 MiB (ISOLATED_MAX_RESULT_BYTES)"), "\(clientOutput)")

        let (argument, argumentOutput) = try await Self.client(consumer, ["payload", "echo", "8"], server: server, key: key)
        #expect(argument == 3, "\(argumentOutput)")
        #expect(
            argumentOutput.contains(
                "requestTooLarge: the call's body is larger than this server's limit of 4 MiB (isolated serve --max-request-bytes)"),
            "\(argumentOutput)")

        // Within the limits, the same server and runners still serve.
        let (small, smallOutput) = try await Self.client(consumer, ["payload", "result", "1"], server: server, key: key)
        #expect(small == 0 && smallOutput.contains("payload: identical"), "\(smallOutput)")
        #expect(try await server.stop(SIGTERM) == 0)
    }

    @Test("a thousand calls from 32 clients, the server SIGKILLed among them and restarted: each call recorded once, finished or interrupted")
    func killedAmongAThousandCalls() async throws {
        let (server, key, database) = try await Self.serverWithKey("faults")
        let client = ServerClient(baseURL: server.url, key: key)
        let function: IsolatedFunction = _isolatedShipped(sleepyRunnerID: ())
        let request = InvocationRequest(
            function: function.source, requirements: function.requirements, machineType: function.machineType, keepAlive: function.keepAlive,
            arguments: [try PayloadCoding.encode(5)])
        // Warm: the function is built and compiled before the clients start, so the kill lands among calls, not a build.
        _ = try await client.invoke(request) { _ in }

        let calls = CallLedger()
        let total = 1000
        let killed = try await withThrowingTaskGroup(of: [Int32].self) { group in
            for _ in 0..<32 {
                group.addTask {
                    while let call = calls.next(upTo: total) {
                        do {
                            _ = try await client.invoke(request, recorded: { calls.recorded(call, id: $0) }) { _ in }
                            calls.finished(call, outcome: "succeeded")
                        } catch let error as IsolatedError {
                            calls.finished(call, outcome: error.code == .functionThrew ? "failed" : "lost: \(error.code)")
                        }
                    }
                    return []
                }
            }
            group.addTask {
                while calls.succeeded < 300 { try await Task.sleep(for: .milliseconds(5)) }
                let runners = server.descendants
                _ = try await server.stop(SIGKILL)
                return runners
            }
            var runners: [Int32] = []
            for try await found in group { runners += found }
            return runners
        }
        #expect(!killed.isEmpty, "the server had no runner when it was killed")
        #expect(try await Self.waitUntilGone(killed).isEmpty, "runners outlived the killed server")
        let ledger = calls.entries
        let lost = ledger.values.filter { $0.outcome?.hasPrefix("lost") == true }
        #expect(ledger.values.filter { $0.outcome == "succeeded" }.count >= 300)
        #expect(!lost.isEmpty, "no call was in flight or refused when the server died")

        // A new server on the same database marks what the first left running as interrupted.
        let restarted = try await Self.startServer(database: database)
        let (status, output) = try await Self.isolated([
            "invocations", "--json", "--limit", "1000", "--home", TestEngine.home, "--database", database,
        ])
        #expect(status == 0, "\(output)")
        let records = try JSONDecoder.server.decode([InvocationInfo].self, from: Data(output.utf8))
        let outcomes = Dictionary(records.map { ($0.id, $0.outcome) }) { first, _ in first }
        #expect(outcomes.count == records.count, "an invocation is recorded twice")
        #expect(records.allSatisfy { ["succeeded", "failed", "interrupted"].contains($0.outcome) }, "\(records.map(\.outcome))")
        for entry in ledger.values {
            if entry.outcome == "succeeded" {
                // Its end is written after its result goes out: the kill can land between the two.
                let id = try #require(entry.id, "a call succeeded without the server's id")
                #expect(
                    ["succeeded", "interrupted"].contains(outcomes[id]),
                    "\(id) succeeded for its client but is recorded as \(outcomes[id] ?? "missing")")
            } else if let id = entry.id {
                #expect(outcomes[id] != nil, "the server gave out \(id) but did not record it")
            }
        }
        // Every record belongs to a call a client made: one warm-up call plus the thousand at most.
        #expect(records.count <= total + 1)
        let unclaimed = Set(outcomes.keys).subtracting(ledger.values.compactMap(\.id))
        #expect(unclaimed.count <= 1 + 32, "\(unclaimed.count) records no client knows of")
        #expect(try await restarted.stop(SIGTERM) == 0)
    }

    @Test("after SIGKILL of the server, none of its runners survives it")
    func noRunnerOutlivesAKilledServer() async throws {
        let consumer = try await ExternalPackageTests.executable()
        let (server, key, _) = try await Self.serverWithKey("killed")
        let (status, output) = try await Self.client(consumer, ["runner"], server: server, key: key)
        #expect(status == 0, "\(output)")
        let started = server.descendants
        #expect(!started.isEmpty, "the server has no warm runner after the call")
        _ = try await server.stop(SIGKILL)
        #expect(try await Self.waitUntilGone(started).isEmpty, "processes outlived the killed server")
    }
}

extension ServeProcess {
    /// Every process the server started, its runners' sandboxes and runners among them.
    var descendants: [Int32] {
        var found: [Int32] = []
        var queue = [process.processID]
        while let parent = queue.popLast() {
            let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(parent)/task")) ?? []
            for task in tasks {
                let children = (try? String(contentsOfFile: "/proc/\(parent)/task/\(task)/children", encoding: .utf8)) ?? ""
                let ids = children.split(separator: " ").compactMap { Int32($0) }
                found += ids
                queue += ids
            }
        }
        return found
    }
}

/// What each of the fault test's calls saw: the id the server gave it, and how it ended for its client.
final class CallLedger: Sendable {
    struct Entry: Sendable {
        var id: String?
        var outcome: String?
    }

    private let state = Mutex<(issued: Int, entries: [Int: Entry])>((0, [:]))

    /// The next call's number, until `total` have been issued.
    func next(upTo total: Int) -> Int? {
        state.withLock { state in
            guard state.issued < total else { return nil }
            state.issued += 1
            state.entries[state.issued] = Entry()
            return state.issued
        }
    }

    func recorded(_ call: Int, id: String) { state.withLock { $0.entries[call]?.id = id } }
    func finished(_ call: Int, outcome: String) { state.withLock { $0.entries[call]?.outcome = outcome } }
    var succeeded: Int { state.withLock { $0.entries.values.count { $0.outcome == "succeeded" } } }
    var entries: [Int: Entry] { state.withLock { $0.entries } }
}
