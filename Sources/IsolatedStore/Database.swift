import Foundation
import IsolatedCore
import NIOPosix

/// The store's SQLite file, on a thread of its own: an operation's statements run there one
/// after another, in one hop from the caller and one back.
///
/// SQLiteNIO ran each statement on a shared pool and handed each row, then the result, to an
/// event loop before the caller's task resumed, and prepared every statement again. Here an
/// operation's statements, prepared once, run in one hop: under 32 callers the server made 2.6
/// futex calls per call instead of 6.5 (BENCHMARKS.md, "The store on its own thread").
struct Database: Sendable {
    /// The database file's path.
    let path: String
    private let thread: NIOThreadPool
    private let connection: Connection

    /// Opens the file at `path`, creating it and its directory if needed. SQLite reads the file
    /// lazily, so a file that is not a database only fails at the first statement.
    static func open(path: String) async throws(IsolatedError) -> Database {
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
        let thread = NIOThreadPool(numberOfThreads: 1)
        thread.start()
        do {
            let connection = try await perform(on: thread, path: path) { () throws(IsolatedError) in try Connection(path: path) }
            return Database(path: path, thread: thread, connection: connection)
        } catch {
            thread.shutdownGracefully { _ in }
            throw error
        }
    }

    /// Runs `body` with the connection on the database's thread and returns what it returns.
    /// It runs to its end even if the calling task is cancelled, so a transaction it opens is
    /// always closed.
    func perform<Value: Sendable>(_ body: @escaping @Sendable (Connection) throws(IsolatedError) -> Value) async throws(IsolatedError) -> Value {
        let connection = connection
        return try await Self.perform(on: thread, path: path) { () throws(IsolatedError) in try body(connection) }
    }

    /// Closes the file and stops its thread.
    func close() async {
        let connection = connection
        _ = try? await Self.perform(on: thread, path: path) { () throws(IsolatedError) in connection.close() }
        try? await thread.shutdownGracefully()
    }

    /// Closes the file without waiting, for a store dropped without ``Store/close()``.
    func closeEventually() {
        let (connection, thread) = (connection, thread)
        thread.submit { _ in
            connection.close()
            thread.shutdownGracefully { _ in }
        }
    }

    private static func perform<Value: Sendable>(
        on thread: NIOThreadPool,
        path: String,
        _ body: @escaping @Sendable () throws(IsolatedError) -> Value
    ) async throws(IsolatedError) -> Value {
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<Value, IsolatedError>, Never>) in
            thread.submit { state in
                guard case .active = state else {
                    return continuation.resume(
                        returning: .failure(IsolatedError(code: .storageFailed, message: "the store at \(path) is closed; open it again to use it")))
                }
                continuation.resume(returning: Result { () throws(IsolatedError) in try body() })
            }
        }
        return try result.get()
    }
}
