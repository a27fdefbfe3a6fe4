import Foundation
import IsolatedCore
import Logging
import SQLiteNIO

/// One SQLite connection to the store's file, whose errors name the file and say what to do.
///
/// Not for two tasks at once: ``Store`` runs one operation at a time, since the statements of
/// interleaved operations would land inside each other's transactions.
struct Database: Sendable {
    /// The database file's path.
    let path: String
    private let connection: SQLiteConnection

    /// Opens the file at `path`, creating it and its directory if needed. SQLite reads the file
    /// lazily, so a file that is not a database only fails at the first statement.
    static func open(path: String, logger: Logger) async throws(IsolatedError) -> Database {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw IsolatedError(
                code: .storageFailed,
                message: "could not create \(directory) for the store at \(path) (\(error.localizedDescription)); check its permissions",
                underlying: error
            )
        }
        do {
            return Database(path: path, connection: try await SQLiteConnection.open(storage: .file(path: path), logger: logger))
        } catch {
            throw failure(error, path: path, doing: "open it")
        }
    }

    /// Runs one statement and returns its rows; `doing` says what for, in error messages.
    @discardableResult
    func rows(_ sql: String, _ binds: [SQLiteData] = [], doing: String) async throws(IsolatedError) -> [SQLiteRow] {
        do {
            return try await connection.query(sql, binds)
        } catch {
            throw Self.failure(error, path: path, doing: doing)
        }
    }

    /// Turns rows into values, with an error naming the file when a row is not what the schema promises.
    func decode<Value>(_ rows: [SQLiteRow], doing: String, _ transform: (SQLiteRow) throws -> Value) throws(IsolatedError) -> [Value] {
        do {
            return try rows.map(transform)
        } catch {
            throw Self.failure(error, path: path, doing: doing)
        }
    }

    /// `value` as JSON text, for the columns that hold phases and errors.
    func json(_ value: some Encodable) throws(IsolatedError) -> String {
        do {
            return String(decoding: try JSONEncoder().encode(value), as: UTF8.self)
        } catch {
            throw IsolatedError(code: .codingFailed, message: "could not encode a record for the store at \(path): \(error)", underlying: error)
        }
    }

    /// Runs `body` in a transaction that takes the write lock at once, so another process
    /// cannot change what `body` read before it writes.
    func transaction<Value>(doing: String, _ body: () async throws(IsolatedError) -> Value) async throws(IsolatedError) -> Value {
        try await rows("BEGIN IMMEDIATE", doing: doing)
        do {
            let value = try await body()
            try await rows("COMMIT", doing: doing)
            return value
        } catch {
            // The body's error is the one to report; a failed rollback leaves SQLite to roll back itself.
            _ = try? await rows("ROLLBACK", doing: doing)
            throw error
        }
    }

    /// Closes the connection.
    func close() async throws(IsolatedError) {
        do {
            try await connection.close()
        } catch {
            throw Self.failure(error, path: path, doing: "close it")
        }
    }

    /// Closes the connection without waiting, for a store dropped without ``close()``:
    /// SQLiteNIO asserts that every connection is closed before it goes away.
    func closeEventually() {
        _ = connection.close()
    }

    /// An error for a failed statement, saying what the failure most likely means for this file.
    private static func failure(_ error: any Error, path: String, doing: String) -> IsolatedError {
        let problem = "the store at \(path) could not \(doing)"
        guard let error = error as? SQLiteError else {
            return IsolatedError(
                code: .storageFailed,
                message: "\(problem): a record is not what this version of Isolated expects (\(error)); "
                    + "the file may have been changed by another program",
                underlying: error
            )
        }
        let advice =
            switch error.reason {
            case .notADatabase, .corrupt, .corruptIndex, .corruptSequenceSchema, .corruptVirtualTable, .ioErrorCorruptedFilesystem:
                "the file is not a usable SQLite database; move it aside to start with an empty store, or restore it from a backup"
            case .busy, .busyTimeout, .busyInRecovery, .locked:
                "another process held the file's lock for longer than the store's busy timeout; try again, "
                    + "or stop the other process"
            case .readOnly, .readonlyCantLock, .readonlyDirectory, .readonlyInRecovery, .readonlyInRollback, .readonlyBackingMoved,
                .permission, .cantOpen, .cantOpenDirectory, .cantOpenInvalidPath, .auth:
                "check that the file and its directory exist and are readable and writable by this user"
            case .full:
                "the disk is full; free some space, or prune old invocations"
            default:
                "check the file, or move it aside to start with an empty store"
            }
        return IsolatedError(code: .storageFailed, message: "\(problem) (\(error.message)): \(advice)", underlying: error)
    }
}
