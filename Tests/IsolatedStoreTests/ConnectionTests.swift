import Foundation
import IsolatedCore
import Testing

@testable import IsolatedStore

@Suite("The store's SQLite connection")
struct ConnectionTests {
    /// Runs `body` with a connection to a new file, closed afterwards.
    static func withConnection(_ body: (Connection, String) throws -> Void) async throws {
        try await StoreFixture.withFixture { fixture in
            try FileManager.default.createDirectory(atPath: "\(fixture.directory)/home", withIntermediateDirectories: true)
            let connection = try Connection(path: fixture.path)
            defer { connection.close() }
            try body(connection, fixture.path)
        }
    }

    @Test("more distinct statements than it keeps prepared all run, and run again with new values")
    func manyStatements() async throws {
        try await Self.withConnection { connection, _ in
            let count = Connection.maxPreparedStatements * 2 + 5
            for round in 0..<2 {
                for index in 0..<count {
                    let rows = try connection.rows("SELECT ? + \(index) AS sum", [.integer(round)], doing: "add")
                    #expect(rows.map { $0.column("sum") } == [.integer(round + index)])
                }
            }
        }
    }

    @Test("a statement that failed is ready for its next use, and the failure names the file, the cause and what to do")
    func failedStatementIsReset() async throws {
        try await Self.withConnection { connection, path in
            try connection.rows("CREATE TABLE names (name TEXT PRIMARY KEY) STRICT", doing: "create a table")
            let insert = "INSERT INTO names (name) VALUES (?) RETURNING name"
            #expect(try connection.rows(insert, [.text("a")], doing: "add a name").first?.column("name") == .text("a"))
            let error = #expect(throws: IsolatedError.self) { try connection.rows(insert, [.text("a")], doing: "add a name") }
            #expect(error?.code == .storageFailed)
            #expect(error?.message.contains("the store at \(path) could not add a name (UNIQUE constraint failed: names.name)") == true)
            #expect(try connection.rows(insert, [.text("b")], doing: "add a name").first?.column("name") == .text("b"))
            // The failed insert holds no lock: a transaction can start.
            try connection.transaction(doing: "add a name") { () throws(IsolatedError) in
                try connection.rows(insert, [.text("c")], doing: "add a name")
            }
            #expect(
                try connection.rows("SELECT name FROM names ORDER BY name", doing: "list").compactMap { $0.column("name")?.string } == [
                    "a", "b", "c",
                ])
        }
    }

    @Test("output with NUL characters and text from every plane reads back whole")
    func textReadsBackWhole() async throws {
        try await StoreFixture.withFixture { fixture in
            let store = try await fixture.open()
            let text = "before\u{0}after\u{0}\nnaïve ✓ 𝄞 😀 \u{7F}\u{1}\n"
            try await store.recordStarted(InvocationHistoryTests.record("a"))
            try await store.appendLogs(id: "a", text)
            #expect(try await store.logs(id: "a") == text)
            #expect(try await store.invocation(id: "a")?.logBytes == text.utf8.count)
            try await store.close()
        }
    }

    @Test("an operation asked for by a cancelled task still runs to its end, so no transaction is left open")
    func cancelledTaskCompletes() async throws {
        try await StoreFixture.withFixture { fixture in
            let store = try await fixture.open()
            try await store.recordStarted(InvocationHistoryTests.record("a"))
            let append = Task {
                withUnsafeCurrentTask { $0?.cancel() }
                try await store.appendLogs(id: "a", "written\n")
            }
            try await append.value
            #expect(try await store.logs(id: "a") == "written\n")
            // Another connection to the file can take the write lock at once.
            let other = try await fixture.open(StoreConfiguration(busyTimeout: .zero, interruptsRunningInvocations: false))
            try await other.recordStarted(InvocationHistoryTests.record("b"))
            try await other.close()
            try await store.close()
        }
    }
}
