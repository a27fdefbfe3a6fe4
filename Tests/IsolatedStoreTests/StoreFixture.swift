import Foundation
import IsolatedStore
import Logging
import SQLiteNIO

/// A directory of its own for one test, with the store's file in it and a way to look at that
/// file from outside the store, as another process would.
struct StoreFixture {
    let directory: String
    var path: String { "\(directory)/home/isolated.sqlite" }

    /// Runs `body` with a new directory, removed afterwards.
    static func withFixture(_ body: (StoreFixture) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("isolated-store-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await body(StoreFixture(directory: directory))
    }

    /// Opens the store at ``path``.
    func open(
        _ configuration: StoreConfiguration = StoreConfiguration(),
        logger: Logger = Logger(label: "IsolatedStoreTests")
    ) async throws -> Store {
        try await Store(path: path, configuration: configuration, logger: logger)
    }

    /// The rows of `sql`, read through a connection of its own.
    func query(_ sql: String) async throws -> [SQLiteRow] {
        let connection = try await SQLiteConnection.open(storage: .file(path: path))
        do {
            let rows = try await connection.query(sql)
            try await connection.close()
            return rows
        } catch {
            try await connection.close()
            throw error
        }
    }

    /// Every byte of the store's files: the database, and its WAL and shared-memory files if present.
    func rawBytes() throws -> Data {
        let home = URL(fileURLWithPath: path).deletingLastPathComponent().path
        return try FileManager.default.contentsOfDirectory(atPath: home).sorted().reduce(into: Data()) { bytes, name in
            bytes += try Data(contentsOf: URL(fileURLWithPath: "\(home)/\(name)"))
        }
    }
}
