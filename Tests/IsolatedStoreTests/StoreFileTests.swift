import Foundation
import IsolatedCore
import IsolatedStore
import SQLiteNIO
import Testing

@Suite("The store's file")
struct StoreFileTests {
    @Test("opening creates the directory and the file, in WAL mode, and migrates it once")
    func createsAndMigrates() async throws {
        try await StoreFixture.withFixture { fixture in
            let store = try await fixture.open()
            #expect(FileManager.default.fileExists(atPath: fixture.path))
            #expect(try await fixture.query("PRAGMA journal_mode").first?.column("journal_mode")?.string == "wal")
            try await store.close()
            try await fixture.open().close()
            let versions = try await fixture.query("SELECT version FROM schema_versions")
            #expect(versions.map { $0.column("version")?.integer } == [1, 2, 3])
        }
    }

    @Test("phases kept in Swift's Duration coding are migrated to seconds, in the phases and in each error's report")
    func migratesDurationsToSeconds() async throws {
        try await StoreFixture.withFixture { fixture in
            try await fixture.open().close()
            // Back to schema version 2, with a call recorded the way version 2 wrote it.
            struct OldTiming: Encodable {
                var phase: String
                var duration: Duration
                var outcome: String?
            }
            let old = [
                OldTiming(phase: "environment", duration: .seconds(25.5), outcome: "built"),
                OldTiming(phase: "run", duration: .milliseconds(250), outcome: nil),
            ]
            let phases = String(decoding: try JSONEncoder().encode(old), as: UTF8.self)
            #expect(phases.contains("\"duration\":[0,"), "Duration is no longer coded as [high, low]: \(phases)")
            let report = CallReport(callID: 1, function: FunctionReference(name: "greeting", file: "main.swift", line: 3))
            var error = try #require(
                try JSONSerialization.jsonObject(
                    with: JSONEncoder().encode(IsolatedError(code: .functionThrew, message: "no", report: report))) as? [String: Any])
            var reportObject = try #require(error["report"] as? [String: Any])
            reportObject["phases"] = try JSONSerialization.jsonObject(with: Data(phases.utf8))
            error["report"] = reportObject
            let errorText = String(decoding: try JSONSerialization.data(withJSONObject: error), as: UTF8.self)
            for statement in [
                "DELETE FROM schema_versions WHERE version = 3",
                """
                INSERT INTO invocations (id, function, file, line, machine_type, started_at, ended_at, phases, warm, outcome, error) \
                VALUES ('old', 'greeting', 'main.swift', 3, 'XS', 0, 1, '\(phases)', 0, 'failed', '\(errorText)')
                """,
            ] {
                _ = try await fixture.query(statement)
            }
            let store = try await fixture.open()
            let migrated = try #require(try await store.invocation(id: "old"))
            let expected = [
                CallReport.Timing(phase: .environment, duration: .seconds(25.5), outcome: "built"),
                CallReport.Timing(phase: .run, duration: .milliseconds(250)),
            ]
            #expect(migrated.phases == expected)
            #expect(migrated.error?.report?.phases == expected)
            try await store.close()
            let stored = try #require(try await fixture.query("SELECT phases FROM invocations").first?.column("phases")?.string)
            #expect(stored.contains("\"seconds\":25.5") && !stored.contains("duration"), "\(stored)")
        }
    }

    @Test("a file from before key scopes is migrated: its keys become admin keys and still work, and its calls have no parent")
    func migratesVersionOne() async throws {
        try await StoreFixture.withFixture { fixture in
            try FileManager.default.createDirectory(atPath: "\(fixture.directory)/home", withIntermediateDirectories: true)
            // A secret of the shipped form, isk_<12 hex digits>_<43 base64url characters>; the store keeps its SHA-256.
            let (id, secret) = ("0123456789ab", "isk_0123456789ab_" + String(repeating: "A", count: 43))
            // Schema version 1 as it shipped, with a key and a call recorded by that version.
            for statement in [
                "CREATE TABLE schema_versions (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL) STRICT",
                "INSERT INTO schema_versions VALUES (1, 0)",
                """
                CREATE TABLE keys (id TEXT PRIMARY KEY, name TEXT NOT NULL, secret_hash TEXT NOT NULL, created_at INTEGER NOT NULL, \
                last_used_at INTEGER, revoked_at INTEGER) STRICT
                """,
                """
                CREATE TABLE invocations (id TEXT PRIMARY KEY, function TEXT NOT NULL, file TEXT NOT NULL, line INTEGER NOT NULL, \
                environment_key TEXT, machine_type TEXT NOT NULL, runner_id TEXT, key_id TEXT, started_at INTEGER NOT NULL, ended_at INTEGER, \
                phases TEXT NOT NULL, warm INTEGER NOT NULL, outcome TEXT NOT NULL, error TEXT, log_bytes INTEGER NOT NULL DEFAULT 0, \
                logs_truncated INTEGER NOT NULL DEFAULT 0) STRICT
                """,
                "CREATE INDEX invocations_by_start ON invocations (started_at)",
                "CREATE INDEX invocations_by_function ON invocations (function, started_at)",
                """
                CREATE TABLE invocation_logs (invocation_id TEXT NOT NULL REFERENCES invocations (id) ON DELETE CASCADE, text TEXT NOT NULL) STRICT
                """,
                "CREATE INDEX invocation_logs_by_invocation ON invocation_logs (invocation_id)",
                "INSERT INTO keys (id, name, secret_hash, created_at) VALUES ('\(id)', 'laptop', '\(SHA256.hex(secret))', 0)",
                """
                INSERT INTO invocations (id, function, file, line, machine_type, started_at, ended_at, phases, warm, outcome) \
                VALUES ('old', 'greeting', 'main.swift', 3, 'XS', 0, 1, '[]', 0, 'succeeded')
                """,
            ] {
                _ = try await fixture.query(statement)
            }
            let store = try await fixture.open()
            #expect(try await store.keys().map(\.scope) == [.admin])
            #expect(try await store.authenticate(secret: secret)?.scope == .admin)
            let old = try #require(try await store.invocation(id: "old"))
            #expect(old.parentID == nil && old.function.name == "greeting")
            #expect(try await store.createKey(name: "new").record.scope == .invoke)
            try await store.close()
            let versions = try await fixture.query("SELECT version FROM schema_versions ORDER BY version")
            #expect(versions.map { $0.column("version")?.integer } == [1, 2, 3])
        }
    }

    @Test("a file that is not a database is an error naming it, and is left as it was")
    func garbageFile() async throws {
        try await StoreFixture.withFixture { fixture in
            let garbage = Data(String(repeating: "not a database at all; ", count: 200).utf8)
            try FileManager.default.createDirectory(atPath: "\(fixture.directory)/home", withIntermediateDirectories: true)
            try garbage.write(to: URL(fileURLWithPath: fixture.path))
            let error = await #expect(throws: IsolatedError.self) { try await fixture.open() }
            #expect(error?.code == .storageFailed)
            #expect(error?.message.contains("the store at \(fixture.path) could not") == true)
            #expect(error?.message.contains("not a usable SQLite database; move it aside") == true)
            #expect(FileManager.default.contents(atPath: fixture.path) == garbage)
        }
    }

    @Test("a file a newer Isolated migrated is refused, naming its version")
    func newerSchema() async throws {
        try await StoreFixture.withFixture { fixture in
            try await fixture.open().close()
            _ = try await fixture.query("INSERT INTO schema_versions (version, applied_at) VALUES (99, 0)")
            let error = await #expect(throws: IsolatedError.self) { try await fixture.open() }
            #expect(error?.message.contains("the store at \(fixture.path) has schema version 99") == true)
        }
    }

    @Test("a closed store refuses operations with an error naming it; closing again does nothing")
    func closed() async throws {
        try await StoreFixture.withFixture { fixture in
            let store = try await fixture.open()
            try await store.close()
            let error = await #expect(throws: IsolatedError.self) { try await store.keys() }
            #expect(error?.message == "the store at \(fixture.path) is closed; open it again to use it")
            try await store.close()
        }
    }

    @Test("two stores on one file, as two processes would have, see each other's writes")
    func twoConnections() async throws {
        try await StoreFixture.withFixture { fixture in
            let server = try await fixture.open()
            let tool = try await fixture.open(StoreConfiguration(interruptsRunningInvocations: false))
            let key = try await tool.createKey(name: "from the tool")
            #expect(try await server.authenticate(secret: key.secret)?.id == key.record.id)
            try await tool.close()
            try await server.close()
        }
    }
}
