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
            #expect(versions.map { $0.column("version")?.integer } == [1])
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
