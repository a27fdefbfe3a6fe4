import Foundation
import Hummingbird
import Isolated
import IsolatedClient
import IsolatedCore
import IsolatedEngine
import IsolatedServer
import IsolatedStore
import Logging
import Synchronization
import TestSupport
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The server in-process on a loopback port, through its HTTP API and the client the SDK uses.
@Suite("isolated serve: the HTTP API, keys, history and metrics", .serialized, .timeLimit(.minutes(15)))
struct ServerTests {
    static func request(_ function: IsolatedFunction, _ arguments: [[UInt8]]) -> InvocationRequest {
        InvocationRequest(
            function: function.source,
            requirements: function.requirements,
            machineType: function.machineType,
            keepAlive: function.keepAlive,
            arguments: arguments
        )
    }

    static func greet(_ client: ServerClient, _ name: String, logs: Lines = Lines()) async throws -> (String, CallReport) {
        let request = Self.request(_isolatedShipped(greeting: ()), [try PayloadCoding.encode(name)])
        let (_, payload, report) = try await client.invoke(request) { event in
            if case .log(let line) = event { logs.append(line.text) }
        }
        return (try PayloadCoding.decode(String.self, from: payload), report)
    }

    @Test("a call streams its log lines and result; a second client reuses the warm runner")
    func callsShareWarmRunners() async throws {
        try await TestServer.with { server in
            let logs = Lines()
            let (first, firstReport) = try await Self.greet(try await server.client(), "ada", logs: logs)
            let (second, secondReport) = try await Self.greet(try await server.client(), "grace")
            #expect(first.hasPrefix("hello, ada, from r") && second.hasPrefix("hello, grace, from r"))
            #expect(logs.all == ["greeting ada"])
            #expect(!firstReport.warm && secondReport.warm)
            #expect(firstReport.runnerID == secondReport.runnerID)
        }
    }

    @Test("a JSON body with an ndjson stream gets the result in base64; a binary body and stream carry it as raw bytes after its line")
    func bothForms() async throws {
        try await TestServer.with { server in
            let (_, secret) = try await server.store.createKey(name: "raw")
            let call = Self.request(_isolatedShipped(greeting: ()), [try PayloadCoding.encode("lin")])
            func post(_ body: Data, contentType: String, accept: String) async throws -> (String?, [UInt8]) {
                var request = URLRequest(url: server.url.appendingPathComponent("v1/invocations"))
                request.httpMethod = "POST"
                request.httpBody = body
                request.setValue("Bearer \(secret)", forHTTPHeaderField: "Authorization")
                request.setValue(contentType, forHTTPHeaderField: "Content-Type")
                request.setValue(accept, forHTTPHeaderField: "Accept")
                let (data, response) = try await URLSession.shared.data(for: request)
                return ((response as? HTTPURLResponse)?.value(forHTTPHeaderField: "Content-Type"), Array(data))
            }

            let (jsonType, json) = try await post(
                try JSONEncoder().encode(InvocationBody(call)), contentType: "application/json", accept: "application/x-ndjson")
            #expect(jsonType == StreamEvent.jsonLinesMediaType)
            let lines = json.split(separator: UInt8(ascii: "\n")).map { try? JSONDecoder().decode(StreamEvent.self, from: Data($0)) }
            guard case .result(let payload, _)? = lines.last else {
                Issue.record("the last line is not a result: \(String(decoding: json, as: UTF8.self))")
                return
            }
            #expect(try PayloadCoding.decode(String.self, from: Array(payload)).hasPrefix("hello, lin"))

            let (binaryType, binary) = try await post(
                try InvocationBody.binary(call), contentType: InvocationBody.binaryMediaType, accept: StreamEvent.binaryMediaType)
            #expect(binaryType == StreamEvent.binaryMediaType)
            var reader = EventStreamReader()
            binary.withUnsafeBytes { reader.append($0) }
            var result: [UInt8]?
            while let item = try reader.next() {
                switch item {
                case .line(let line):
                    if case .resultBytes(let count, _) = try JSONDecoder().decode(StreamEvent.self, from: Data(line)) { reader.expectBytes(count) }
                case .bytes(let bytes):
                    result = bytes
                }
            }
            #expect(try PayloadCoding.decode(String.self, from: try #require(result)).hasPrefix("hello, lin"))
            #expect(!reader.isInsideItem)
        }
    }

    @Test("@Isolated calls inside Isolation.withServer go to that server, even inside withEngine, and stream their output")
    func sdkCallsGoToTheServer() async throws {
        try await TestServer.with { server in
            let (_, secret) = try await server.store.createKey(name: "sdk")
            let lines = Lines()
            let other = Engine(configuration: EngineConfiguration(home: TestServer.home))
            let (answer, reports) = try await Isolation.withEngine(other) {
                try await Isolation.withServer(server.url, key: secret) {
                    try await Isolation.withEventHandler({ event in
                        if case .log(let line) = event { lines.append(line.text) }
                    }) {
                        try await Isolation.withCallReports { () async throws -> String in try await greeting("sdk") }
                    }
                }
            }
            #expect(answer.hasPrefix("hello, sdk, from r"))
            #expect(lines.all == ["greeting sdk"])
            let recorded = try await server.store.invocations(limit: 10, function: "greeting")
            #expect(recorded.map(\.runnerID) == [reports.first?.runnerID])
        }
    }

    @Test("a request without a key, or with a wrong or revoked one, gets 401 and a message that never repeats the key")
    func keysAreRequired() async throws {
        try await TestServer.with { server in
            let anonymous = ServerClient(baseURL: server.url, key: nil)
            let missing = try await #require(throws: IsolatedError.self) { try await anonymous.runners() }
            #expect(missing.code == .unauthorized)
            let wrong = ServerClient(baseURL: server.url, key: "isk_000000000000_not-a-real-secret")
            let refused = try await #require(throws: IsolatedError.self) { try await wrong.runners() }
            #expect(refused.code == .unauthorized && !refused.message.contains("not-a-real-secret"))
            let (record, secret) = try await server.store.createKey(name: "soon revoked", scope: .admin)
            let client = ServerClient(baseURL: server.url, key: secret)
            _ = try await client.runners()
            try await server.store.revokeKey(id: record.id)
            let revoked = try await #require(throws: IsolatedError.self) { try await client.runners() }
            #expect(revoked.code == .unauthorized)
            #expect(try await anonymous.health() == "ok")
        }
    }

    @Test("runners can be listed and stopped, and keys created and revoked, through the API")
    func managementRoutes() async throws {
        try await TestServer.with { server in
            let client = try await server.client()
            let (_, report) = try await Self.greet(client, "ken")
            let runnerID = try #require(report.runnerID)
            #expect(try await client.runners().map(\.id) == [runnerID])
            #expect(try await client.stopRunner(runnerID) == [runnerID])
            #expect(try await server.engine.waitForRunners { $0.isEmpty }.isEmpty)
            let missing = try await #require(throws: IsolatedError.self) {
                try await client.stopRunner(runnerID)
            }
            #expect(missing.code == .notFound)

            let created = try await client.createKey(name: "made through the API", scope: "admin")
            let made = ServerClient(baseURL: server.url, key: created.secret)
            #expect(
                try await made.keys().contains {
                    $0.id == created.key.id && $0.name == "made through the API" && $0.scope == "admin"
                })
            #expect(try await client.revokeKey(created.key.id).revokedAt != nil)
            let refused = try await #require(throws: IsolatedError.self) { try await made.keys() }
            #expect(refused.code == .unauthorized)
        }
    }

    @Test("an invoke key calls functions and reads their records, and gets 403 naming the admin scope for anything else")
    func invokeKeys() async throws {
        try await TestServer.with { server in
            let admin = try await server.client()
            let created = try await admin.createKey(name: "ci job")
            #expect(created.key.scope == "invoke")
            let invoker = ServerClient(baseURL: server.url, key: created.secret)
            _ = try await Self.greet(invoker, "grace")
            #expect(try await invoker.invocations().contains { $0.keyID == created.key.id })
            #expect(try await invoker.machineTypes().types.contains { $0.name == "XS" })
            let adminOnly: [@Sendable () async throws -> Void] = [
                { _ = try await invoker.keys() }, { _ = try await invoker.revokeKey(created.key.id) }, { _ = try await invoker.runners() },
                { _ = try await invoker.environments() },
            ]
            for operation in adminOnly {
                let refused = try await #require(throws: IsolatedError.self) { try await operation() }
                #expect(refused.code == .forbidden)
                #expect(refused.message.contains("needs an admin key") && refused.message.contains("--scope admin"), "\(refused.message)")
            }
            let malformed = try await #require(throws: IsolatedError.self) {
                try await admin.createKey(name: "x", scope: "root")
            }
            #expect(malformed.code == .invalidRequest && malformed.message.contains("invoke or admin"), "\(malformed.message)")
        }
    }

    @Test("calls are recorded with phases, outcome and logs, and the records survive a restart")
    func historySurvivesRestart() async throws {
        let database = TestServer.databasePath()
        let id = try await TestServer.with(database: database) { server in
            let client = try await server.client()
            _ = try await Self.greet(client, "linus")
            let failure = try await #require(throws: IsolatedError.self) {
                _ = try await client.invoke(Self.request(_isolatedShipped(failsOnPurpose: ()), [])) { _ in }
            }
            #expect(failure.code == .functionThrew)
            let invocations = try await client.invocations()
            return try #require(invocations.first { $0.function == "greeting" }).id
        }
        try await TestServer.with(database: database) { server in
            let client = try await server.client()
            let invocations = try await client.invocations()
            #expect(invocations.map(\.function) == ["failsOnPurpose", "greeting"])
            #expect(invocations.first?.outcome == "failed" && invocations.first?.error?.code == .functionThrew)
            let greeting = try #require(invocations.first { $0.id == id })
            #expect(greeting.outcome == "succeeded")
            #expect(greeting.phases.map(\.phase).contains("run"))
            // A function without requirements runs in no built environment, and names none.
            #expect(greeting.environmentKey == nil)
            #expect(try await client.logs(id: id) == "greeting linus\n")
        }
    }

    @Test("metrics, from swift-prometheus, count the engine's calls by outcome, cold and warm starts, phases, runners and environments")
    func metrics() async throws {
        try await TestServer.with { server in
            let client = try await server.client()
            _ = try await Self.greet(client, "a")
            _ = try await Self.greet(client, "b")
            let invoker = try await server.client(scope: .invoke)
            let refused = try await #require(throws: IsolatedError.self) { try await invoker.keys() }
            #expect(refused.code == .forbidden)
            let text = try await client.metrics()
            for line in [
                #"isolated_calls_total{outcome="succeeded",runtime="swift"} 2"#,
                #"isolated_runner_starts_total{kind="cold"} 1"#,
                #"isolated_runner_starts_total{kind="warm"} 1"#,
                #"isolated_phase_duration_seconds_count{phase="run"} 2"#,
                #"isolated_runners{state="idle"} 1.0"#,
                #"isolated_requests_rejected_total{reason="forbidden"} 1"#,
                "# TYPE isolated_phase_duration_seconds histogram",
            ] {
                #expect(text.contains(line), "\(line) in \(text)")
            }
            // Measured in the background after the engine starts (and after each build), never by a scrape.
            var measured = text
            for _ in 0..<600 where !measured.contains("isolated_environment_cache_bytes ") {
                try await Task.sleep(for: .milliseconds(100))
                measured = try await client.metrics()
            }
            #expect(measured.contains("isolated_environment_cache_bytes ") && measured.contains("isolated_environments "), "\(measured)")
        }
    }

    @Test("malformed bodies and settings get 400 naming the field, large ones 413, unknown routes 404 and wrong methods 405")
    func badRequests() async throws {
        try await TestServer.with(configuration: ServerConfiguration(port: 0, maxRequestBytes: 1 << 20)) { server in
            let (_, secret) = try await server.store.createKey(name: "raw", scope: .admin)
            func send(
                _ method: String, _ path: String, _ body: Data? = nil, contentType: String = "application/json", accept: String? = nil
            ) async throws -> (Int, ErrorResponse?) {
                // The path may carry a query, which appendingPathComponent would escape.
                var request = URLRequest(url: try #require(URL(string: "\(server.url.absoluteString)/\(path)")))
                request.httpMethod = method
                request.httpBody = body
                request.setValue(contentType, forHTTPHeaderField: "Content-Type")
                request.setValue("Bearer \(secret)", forHTTPHeaderField: "Authorization")
                if let accept { request.setValue(accept, forHTTPHeaderField: "Accept") }
                let (data, response) = try await URLSession.shared.data(for: request)
                return ((response as? HTTPURLResponse)?.statusCode ?? 0, try? JSONDecoder().decode(ErrorResponse.self, from: data))
            }
            let (malformed, malformedError) = try await send("POST", "v1/invocations", Data(#"{"function": {"name": "f"}}"#.utf8))
            #expect(malformed == 400)
            #expect(malformedError?.error.message.contains("'source' is missing in function") == true, "\(String(describing: malformedError))")
            let header =
                #"{"function": {"name": "f", "source": "", "entry": "", "stub": "", "file": "f.swift", "line": 1, "dependencies": []}, "#
                + #""requirements": [], "#
                + #""machineType": "XS", "keepAlive": 0, "argumentBytes": [3, 4]}"#
            let (mismatched, mismatchedError) = try await send(
                "POST", "v1/invocations", Data((header + "\nabcdef").utf8), contentType: InvocationBody.binaryMediaType)
            #expect(mismatched == 400)
            #expect(mismatchedError?.error.message.contains("argumentBytes add up to 7 bytes, but 6 follow the header line") == true)
            let (headless, headlessError) = try await send("POST", "v1/invocations", Data(header.utf8), contentType: InvocationBody.binaryMediaType)
            #expect(headless == 400 && headlessError?.error.message.contains("has no header line") == true)
            // Settings the engine refuses are refused before the stream starts, so the status says so.
            let function = #"{"function": {"name": "f", "source": "", "entry": "", "stub": "", "file": "f.swift", "line": 1, "dependencies": []}, "#
            let (badSetting, badSettingError) = try await send(
                "POST", "v1/invocations",
                Data((function + #""requirements": [], "machineType": "XS", "keepAlive": 0, "minWarm": -1, "arguments": []}"#).utf8))
            #expect(badSetting == 400 && badSettingError?.error.code == .invalidSetting, "\(String(describing: badSettingError))")
            // A shipped isolated function's settings are checked too; settings that only conflict together fail in the stream.
            let shipped =
                #"{"function": {"name": "f", "source": "", "entry": "", "file": "f.swift", "line": 1, "dependencies": [{"kind": "isolated", "#
                + #""name": "g", "source": "", "file": "g.swift", "line": 1, "call": {"function": {"name": "g", "source": "", "entry": "", "#
                + #""file": "g.swift", "line": 1}, "requirements": [], "machineType": "XS", "keepAlive": 0, "network": "enabled", "timeout": 0}}]}, "#
                + #""requirements": [], "machineType": "XS", "keepAlive": 0, "arguments": []}"#
            let (badShipped, badShippedError) = try await send("POST", "v1/invocations", Data(shipped.utf8))
            #expect(badShipped == 400 && badShippedError?.error.message.contains("g, shipped with the call: timeout must be 1 or more") == true)
            let conflicting =
                function + #""requirements": [], "machineType": "XS", "keepAlive": 0, "maxConcurrency": 1, "minWarm": 2, "arguments": []}"#
            var streamed = URLRequest(url: server.url.appendingPathComponent("v1/invocations"))
            streamed.httpMethod = "POST"
            streamed.httpBody = Data(conflicting.utf8)
            streamed.setValue("application/json", forHTTPHeaderField: "Content-Type")
            streamed.setValue("Bearer \(secret)", forHTTPHeaderField: "Authorization")
            let (events, eventsResponse) = try await URLSession.shared.data(for: streamed)
            #expect((eventsResponse as? HTTPURLResponse)?.statusCode == 200)
            #expect(String(decoding: events, as: UTF8.self).contains("minWarm (2) is more than maxConcurrency (1) allows"))
            let (badType, badTypeError) = try await send(
                "POST", "v1/invocations", Data((function + #""requirements": [], "machineType": "XXL", "keepAlive": 0, "arguments": []}"#).utf8))
            #expect(badType == 400 && badTypeError?.error.code == .noSuchMachineType)
            let (unacceptable, unacceptableError) = try await send(
                "POST", "v1/invocations", Data((function + #""requirements": [], "machineType": "XS", "keepAlive": 0, "arguments": []}"#).utf8),
                accept: "application/json")
            #expect(unacceptable == 400 && unacceptableError?.error.message.contains("Accept allows neither") == true)
            #expect(
                try await server.store.invocations().count == 1, "refused calls are not recorded; the conflicting one is, as it failed in its stream")
            let (large, largeError) = try await send("POST", "v1/invocations", Data(repeating: UInt8(ascii: " "), count: 2 << 20))
            #expect(large == 413 && largeError?.error.code == .requestTooLarge)
            let (unknown, unknownError) = try await send("GET", "v1/nothing-here")
            #expect(unknown == 404 && unknownError?.error.message.contains("/openapi.json") == true)
            let (wrongMethod, wrongMethodError) = try await send("PUT", "v1/runners")
            #expect(wrongMethod == 405 && wrongMethodError?.error.message.contains("GET") == true)
            // The collection route, not an environment named "gc": Allow lists POST alone.
            var options = URLRequest(url: server.url.appendingPathComponent("v1/environments/gc"))
            options.httpMethod = "OPTIONS"
            options.setValue("Bearer \(secret)", forHTTPHeaderField: "Authorization")
            let (_, optionsResponse) = try await URLSession.shared.data(for: options)
            let allowed = try #require(optionsResponse as? HTTPURLResponse)
            #expect(allowed.statusCode == 405 && allowed.value(forHTTPHeaderField: "Allow") == "POST")
            for (limit, refused) in [("1001", true), ("0", true), ("abc", true), ("1000", false)] {
                let (status, error) = try await send("GET", "v1/invocations?limit=\(limit)")
                #expect((status == 400) == refused, "limit=\(limit): \(status)")
                if refused { #expect(error?.error.message.contains("limit") == true, "\(String(describing: error))") }
            }
            let (scope, scopeError) = try await send("POST", "v1/keys", Data(#"{"name": "x", "scope": "root"}"#.utf8))
            #expect(scope == 400 && scopeError?.error.message.contains("scope") == true && scopeError?.error.message.contains("root") == true)
            let (hugeKey, hugeKeyError) = try await send("POST", "v1/keys", Data(#"{"name": "\#(String(repeating: "x", count: 2 << 20))"}"#.utf8))
            #expect(hugeKey == 413 && hugeKeyError?.error.code == .requestTooLarge)
            let (wrongType, wrongTypeError) = try await send("POST", "v1/keys", Data("name=x".utf8), contentType: "application/x-www-form-urlencoded")
            #expect(wrongType == 415 && wrongTypeError?.error.message.contains("application/json") == true, "\(String(describing: wrongTypeError))")
            let (object, objectError) = try await send("POST", "v1/environments/gc?unusedForDays%5Ba%5D=1&unusedForDays=x")
            #expect(object == 400 && objectError?.error.message.contains("unusedForDays") == true, "\(String(describing: objectError))")
        }
    }

    @Test("a client that goes away mid-call: the call finishes and is recorded, and its runner serves the next call warm")
    func clientDisconnectsMidCall() async throws {
        try await TestServer.with { server in
            let client = try await server.client()
            let (started, startedContinuation) = AsyncStream.makeStream(of: Void.self)
            let call = Task {
                try await client.invoke(Self.request(_isolatedShipped(slowGreeting: ()), [try PayloadCoding.encode("ada")])) { event in
                    if case .log = event { startedContinuation.yield() }
                }
            }
            var iterator = started.makeAsyncIterator()
            await iterator.next()
            call.cancel()
            let gone = try await #require(throws: IsolatedError.self) { try await call.value }
            #expect(gone.code == .cancelled)

            var record: InvocationRecord?
            for _ in 0..<100 {
                record = try await server.store.invocations(limit: 1, function: "slowGreeting").first
                if record?.outcome != .running { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(record?.outcome == .succeeded)
            let id = try #require(record?.id)
            let logs = try await server.store.logs(id: id)
            #expect(logs == "started greeting ada\n")

            let request = Self.request(_isolatedShipped(slowGreeting: ()), [try PayloadCoding.encode("grace")])
            let (_, payload, report) = try await server.client().invoke(request) { _ in }
            #expect(try PayloadCoding.decode(String.self, from: payload).hasPrefix("hello, grace"))
            #expect(report.warm && report.runnerID == record?.runnerID)
        }
    }

    @Test("32 clients calling at once all get their own results, and the server answers /healthz meanwhile")
    func manyConcurrentClients() async throws {
        try await TestServer.with { server in
            let (_, secret) = try await server.store.createKey(name: "crowd")
            let results = try await withThrowingTaskGroup(of: (Int, String).self) { group in
                for index in 0..<32 {
                    group.addTask {
                        let client = ServerClient(baseURL: server.url, key: secret)
                        return (index, try await Self.greet(client, "caller \(index)").0)
                    }
                }
                group.addTask { (-1, try await ServerClient(baseURL: server.url, key: nil).health()) }
                return try await group.reduce(into: [Int: String]()) { $0[$1.0] = $1.1 }
            }
            #expect(results[-1]?.contains("ok") == true)
            for index in 0..<32 {
                #expect(results[index]?.hasPrefix("hello, caller \(index), from r") == true, "\(String(describing: results[index]))")
            }
            let recorded = try await server.store.invocations(limit: 100, function: "greeting")
            #expect(recorded.count == 32 && recorded.allSatisfy { $0.outcome == .succeeded })
            // Half-CPU XS runners on this machine's cores: at most two per core.
            let cores = ProcessInfo.processInfo.activeProcessorCount
            #expect(await server.engine.runnerSnapshots().count <= cores * 2)
        }
    }

    @Test("doctor and environment garbage collection work through the API, with a 400 for a bad age")
    func doctorAndGarbageCollection() async throws {
        try await TestServer.with { server in
            let client = try await server.client()
            let checks = try await client.doctor()
            #expect(checks.map(\.name).starts(with: ["toolchain", "runner runtime", "home"]))
            #expect(checks.contains { $0.name == "sandbox" })
            #expect(checks.contains { $0.name == "python" && $0.status == "available" && $0.detail.contains("3.11") })
            #expect(!checks.contains { $0.status == "error" }, "\(checks)")
            #expect(try await client.collectEnvironmentGarbage(unusedForDays: 36500) == [])
            let refused = try await #require(throws: IsolatedError.self) {
                try await client.collectEnvironmentGarbage(unusedForDays: -1)
            }
            #expect(refused.code == .invalidRequest && refused.message.contains("unusedForDays"))
        }
    }

    @Test(
        "the committed OpenAPI document is the one the binary serves and the committed code was generated from, and describes exactly the routes the server serves"
    )
    func openAPIMatchesRoutes() async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let path = root.appendingPathComponent("Sources/IsolatedServer/openapi.json")
        let text = try String(contentsOf: path, encoding: .utf8)
        #expect(Server.openAPIDocument == text, "the embedded document differs from openapi.json: run scripts/embed-openapi.sh")
        let generatedFrom = try String(
            contentsOf: root.appendingPathComponent("Sources/IsolatedClient/Generated/openapi.json.sha256"), encoding: .utf8)
        #expect(
            generatedFrom.trimmingCharacters(in: .whitespacesAndNewlines) == SHA256.hex(text),
            "the generated code was made from another openapi.json: run scripts/generate-openapi.sh")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: path)) as? [String: Any])
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        let documented = Set(paths.flatMap { path, operations in operations.keys.map { "\($0.uppercased()) \(path)" } })
        try await TestServer.with { server in
            let routes = try Server(engine: server.engine, store: server.store, configuration: ServerConfiguration(), logger: .init(label: "t"))
                .router().routes
            let served = Set(
                routes.map { route in
                    // "GET /v1/runners/:id"
                    let parts = route.description.split(separator: " ", maxSplits: 1)
                    let path = parts[1].split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }
                    return "\(parts[0]) /\(path.joined(separator: "/"))"
                }
            )
            let client = try await server.client()
            let document = try #require(
                try JSONSerialization.jsonObject(with: try await client.openAPIDocument()) as? [String: Any])
            let body = (document["components"] as? [String: Any]).flatMap { $0["schemas"] as? [String: Any] }
                .flatMap { $0["InvocationBody"] as? [String: Any] }.flatMap { $0["properties"] as? [String: Any] }
            let machineTypes = (body?["machineType"] as? [String: Any])?["enum"] as? [String]
            #expect(machineTypes == server.engine.runnableMachineTypes && machineTypes?.contains("XS") == true, "\(String(describing: machineTypes))")
            #expect(
                served == documented,
                "served but not documented: \(served.subtracting(documented)); documented but not served: \(documented.subtracting(served))")
        }
    }
}

/// Lines a call printed, collected from its event handler.
final class Lines: Sendable {
    private let lines = Mutex<[String]>([])

    func append(_ line: String) { lines.withLock { $0.append(line) } }
    var all: [String] { lines.withLock { $0 } }
}
