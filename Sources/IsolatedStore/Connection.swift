import Foundation
import IsolatedCore
import VaporCSQLite

/// The store file's SQLite connection, with its statements prepared once and kept.
///
/// Used only on its ``Database``'s thread, one operation at a time: SQLite's calls block on
/// the disk and on other processes' locks, so they never run on the cooperative pool, and the
/// connection is opened without SQLite's own mutexes.
final class Connection: @unchecked Sendable {
    /// The database file's path.
    let path: String
    private let handle: OpaquePointer
    /// Prepared statements by their SQL text; a store runs a few dozen distinct ones.
    private var statements: [String: OpaquePointer] = [:]

    /// Most statements kept prepared: past it they are all finalized and prepared again as used,
    /// which bounds what the batched inserts' one statement per batch size can hold.
    static let maxPreparedStatements = 64

    /// Opens the file at `path`, creating it if needed.
    init(path: String) throws(IsolatedError) {
        sqlite_nio_sqlite3_initialize()
        var handle: OpaquePointer?
        let flags = SQLITE_OPEN_CREATE | SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        let code = sqlite_nio_sqlite3_open_v2(path, &handle, flags, nil)
        guard code == SQLITE_OK, let handle else {
            let message = handle.flatMap { sqlite_nio_sqlite3_errmsg($0) }.map { String(cString: $0) } ?? "error \(code)"
            sqlite_nio_sqlite3_close_v2(handle)
            throw Self.failure(SQLiteFailure(code: code, message: message), path: path, doing: "open it")
        }
        self.path = path
        self.handle = handle
    }

    /// Finalizes the statements and closes the file.
    func close() {
        for statement in statements.values { sqlite_nio_sqlite3_finalize(statement) }
        statements = [:]
        sqlite_nio_sqlite3_close_v2(handle)
    }

    /// Runs one statement and returns its rows; `doing` says what for, in error messages.
    @discardableResult
    func rows(_ sql: String, _ binds: [SQLValue] = [], doing: String) throws(IsolatedError) -> [Row] {
        do {
            return try run(sql, binds)
        } catch {
            throw Self.failure(error, path: path, doing: doing)
        }
    }

    /// Turns rows into values, with an error naming the file when a row is not what the schema promises.
    func decode<Value>(_ rows: [Row], doing: String, _ transform: (Row) throws -> Value) throws(IsolatedError) -> [Value] {
        do {
            return try rows.map(transform)
        } catch {
            throw IsolatedError(
                code: .storageFailed,
                message: "the store at \(path) could not \(doing): a record is not what this version of Isolated expects (\(error)); "
                    + "the file may have been changed by another program",
                underlying: error
            )
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
    func transaction<Value>(doing: String, _ body: () throws(IsolatedError) -> Value) throws(IsolatedError) -> Value {
        try rows("BEGIN IMMEDIATE", doing: doing)
        do {
            let value = try body()
            try rows("COMMIT", doing: doing)
            return value
        } catch {
            // The body's error is the one to report; a failed rollback leaves SQLite to roll back itself.
            _ = try? rows("ROLLBACK", doing: doing)
            throw error
        }
    }

    private func run(_ sql: String, _ binds: [SQLValue]) throws(SQLiteFailure) -> [Row] {
        let statement = try prepared(sql)
        // Reset even when a step fails, so the statement is ready for its next use and holds no lock.
        defer {
            sqlite_nio_sqlite3_reset(statement)
            sqlite_nio_sqlite3_clear_bindings(statement)
        }
        for (index, value) in binds.enumerated() {
            try check(bind(value, at: Int32(index + 1), to: statement))
        }
        let count = sqlite_nio_sqlite3_column_count(statement)
        let names = (0..<count).map { String(cString: sqlite_nio_sqlite3_column_name(statement, $0)) }
        var rows: [Row] = []
        while true {
            switch sqlite_nio_sqlite3_step(statement) {
            case SQLITE_ROW:
                rows.append(Row(names: names, values: (0..<count).map { column($0, of: statement) }))
            case SQLITE_DONE:
                return rows
            case let code:
                throw failure(code)
            }
        }
    }

    private func prepared(_ sql: String) throws(SQLiteFailure) -> OpaquePointer {
        if let statement = statements[sql] { return statement }
        if statements.count >= Self.maxPreparedStatements {
            for statement in statements.values { sqlite_nio_sqlite3_finalize(statement) }
            statements = [:]
        }
        var statement: OpaquePointer?
        let code = sqlite_nio_sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard code == SQLITE_OK, let statement else { throw failure(code) }
        statements[sql] = statement
        return statement
    }

    private func bind(_ value: SQLValue, at index: Int32, to statement: OpaquePointer) -> Int32 {
        switch value {
        case .integer(let value):
            sqlite_nio_sqlite3_bind_int64(statement, index, Int64(value))
        case .float(let value):
            sqlite_nio_sqlite3_bind_double(statement, index, value)
        case .text(let value):
            sqlite_nio_sqlite3_bind_text64(statement, index, value, UInt64(value.utf8.count), Self.transient, UInt8(SQLITE_UTF8))
        case .blob(let value):
            value.withUnsafeBytes { sqlite_nio_sqlite3_bind_blob64(statement, index, $0.baseAddress, UInt64($0.count), Self.transient) }
        case .null:
            sqlite_nio_sqlite3_bind_null(statement, index)
        }
    }

    private func column(_ index: Int32, of statement: OpaquePointer) -> SQLValue {
        switch sqlite_nio_sqlite3_column_type(statement, index) {
        case SQLITE_INTEGER:
            return .integer(Int(sqlite_nio_sqlite3_column_int64(statement, index)))
        case SQLITE_FLOAT:
            return .float(sqlite_nio_sqlite3_column_double(statement, index))
        case SQLITE_TEXT:
            // The length first: text may hold NUL characters, which a C string would end at.
            let count = Int(sqlite_nio_sqlite3_column_bytes(statement, index))
            let text = sqlite_nio_sqlite3_column_text(statement, index)
            return .text(String(decoding: UnsafeBufferPointer(start: text, count: text == nil ? 0 : count), as: UTF8.self))
        case SQLITE_BLOB:
            let count = Int(sqlite_nio_sqlite3_column_bytes(statement, index))
            let blob = sqlite_nio_sqlite3_column_blob(statement, index)
            return .blob(blob.map { Array(UnsafeRawBufferPointer(start: $0, count: count)) } ?? [])
        default:
            return .null
        }
    }

    private func check(_ code: Int32) throws(SQLiteFailure) {
        guard code == SQLITE_OK else { throw failure(code) }
    }

    private func failure(_ code: Int32) -> SQLiteFailure {
        SQLiteFailure(code: code, message: String(cString: sqlite_nio_sqlite3_errmsg(handle)))
    }

    /// SQLite copies the value before the call returns (`SQLITE_TRANSIENT`, a macro Swift cannot import).
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    /// An error for a failed statement, saying what the failure most likely means for this file.
    static func failure(_ error: SQLiteFailure, path: String, doing: String) -> IsolatedError {
        IsolatedError(code: .storageFailed, message: "the store at \(path) could not \(doing) (\(error.message)): \(error.advice)", underlying: error)
    }
}
