import Foundation
package import IsolatedCore
package import Logging

/// The server's durable records, API keys and invocation history, in one SQLite file
/// (the server's is `<ISOLATED_HOME>/isolated.sqlite`).
///
/// The file is in WAL mode, so readers in other processes do not block the server's writes,
/// and writes wait up to ``StoreConfiguration/busyTimeout`` for another process's lock.
/// Operations run one at a time, each atomically. Dates are kept to the microsecond.
/// Call ``close()`` when done.
package actor Store {
    /// The database file's path.
    package nonisolated let path: String
    package nonisolated let configuration: StoreConfiguration
    let logger: Logger
    /// `nil` once closed.
    private(set) var database: Database?
    var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []
    /// Endings queued by ``queueEnding(_:)``, written before the next operation runs.
    private var queuedEndings: [InvocationEnding] = []
    /// Starts waiting for the store, written together by the first of them to get its turn.
    var pendingStarts: [PendingStart] = []
    /// Keys recently verified against the database, by id: most requests then need no query.
    var verifiedKeys: [String: (record: KeyRecord, hash: String, at: ContinuousClock.Instant)] = [:]

    /// Opens the store at `path`, creating the file and its directory if needed, and brings
    /// its schema up to date. Unless the configuration says otherwise, invocations a previous
    /// server left `running` become `interrupted`.
    package init(path: String, configuration: StoreConfiguration = StoreConfiguration(), logger: Logger) async throws(IsolatedError) {
        let database = try await Database.open(path: path)
        do throws(IsolatedError) {
            try await database.perform { connection throws(IsolatedError) in
                try Self.prepare(connection, configuration: configuration, logger: logger)
            }
        } catch {
            await database.close()
            throw error
        }
        self.path = path
        self.configuration = configuration
        self.logger = logger
        self.database = database
    }

    private static func prepare(_ connection: Connection, configuration: StoreConfiguration, logger: Logger) throws(IsolatedError) {
        let timeout = configuration.busyTimeout.components
        let milliseconds = timeout.seconds * 1000 + timeout.attoseconds / 1_000_000_000_000_000
        try connection.rows("PRAGMA busy_timeout = \(milliseconds)", doing: "set its busy timeout")
        // The first statement that reads the file, so a file that is not a database fails here.
        let mode = try connection.rows("PRAGMA journal_mode = WAL", doing: "switch to WAL mode")
        logger.debug("opened the store", metadata: ["path": "\(connection.path)", "journal": "\(mode.first?.column("journal_mode") ?? .null)"])
        // With WAL, NORMAL survives a crash of the process and only risks the last commits on power loss,
        // without a sync per write.
        try connection.rows("PRAGMA synchronous = NORMAL", doing: "set its sync mode")
        try connection.rows("PRAGMA foreign_keys = ON", doing: "enable foreign keys")
        try Schema.migrate(connection, logger: logger)
        guard configuration.interruptsRunningInvocations else { return }
        let error = IsolatedError(
            code: .interrupted,
            message: "the server stopped during the call, so its result is unknown; call the function again"
        )
        let interrupted = try connection.rows(
            "UPDATE invocations SET outcome = ?, error = ? WHERE outcome = ? RETURNING id",
            [
                .text(InvocationRecord.Outcome.interrupted.rawValue), .text(try connection.json(error)),
                .text(InvocationRecord.Outcome.running.rawValue),
            ],
            doing: "mark the previous server's running invocations as interrupted"
        )
        if !interrupted.isEmpty {
            logger.debug("marked invocations as interrupted", metadata: ["path": "\(connection.path)", "count": "\(interrupted.count)"])
        }
    }

    /// Closes the file; later operations fail. Closing a closed store does nothing.
    package func close() async throws(IsolatedError) {
        await acquire()
        defer { release() }
        guard let database else { return }
        await writeQueuedEndings(to: database)
        self.database = nil
        await database.close()
    }

    deinit {
        database?.closeEventually()
    }

    /// Runs `body` on the database's thread once no other operation is running, after the
    /// queued endings, in the same hop.
    func serially<Value: Sendable>(_ body: @escaping @Sendable (Connection) throws(IsolatedError) -> Value) async throws(IsolatedError) -> Value {
        await acquire()
        defer { release() }
        guard let database else { throw closed }
        let write = takeQueuedEndings()
        return try await database.perform { connection throws(IsolatedError) in
            write(connection)
            return try body(connection)
        }
    }

    /// The error of an operation on a closed store.
    var closed: IsolatedError {
        IsolatedError(code: .storageFailed, message: "the store at \(path) is closed; open it again to use it")
    }

    /// Queues how a call ended, to be written behind the call: by ``writeQueuedEndings()``, or
    /// before the next operation, whichever runs first. So whatever reads the store after this
    /// returns sees the ending, while the caller need not wait for the disk; queued endings are
    /// written together, in one transaction. One lost with the process leaves its call
    /// `running`, which the next server marks `interrupted`.
    package func queueEnding(_ ending: InvocationEnding) {
        queuedEndings.append(ending)
    }

    /// Writes the queued endings, if any (another operation may already have).
    package func writeQueuedEndings() async {
        guard !queuedEndings.isEmpty else { return }
        await acquire()
        defer { release() }
        if let database { await writeQueuedEndings(to: database) }
    }

    /// Writes the queued endings in one hop to the database's thread.
    func writeQueuedEndings(to database: Database) async {
        guard !queuedEndings.isEmpty else { return }
        let write = takeQueuedEndings()
        _ = try? await database.perform { connection throws(IsolatedError) in write(connection) }
    }

    /// Takes the queued endings and returns what writes them, in one transaction, a lone one
    /// without output as one statement (atomic by itself, without a transaction's two more
    /// statements); failing to is logged, never another operation's failure.
    func takeQueuedEndings() -> @Sendable (Connection) -> Void {
        let endings = queuedEndings
        queuedEndings = []
        let (logger, maxLogBytes) = (logger, configuration.maxLogBytes)
        return { connection in
            guard !endings.isEmpty else { return }
            func writeAll() throws(IsolatedError) {
                for ending in endings where try !Self.write(ending, to: connection, maxLogBytes: maxLogBytes) {
                    logger.debug("cannot record the end of an unknown invocation", metadata: ["invocation": "\(ending.id)"])
                }
            }
            do {
                if endings.count == 1 && endings[0].logs.isEmpty {
                    try writeAll()
                } else {
                    try connection.transaction(doing: "record how \(endings.count) invocations ended") { () throws(IsolatedError) in try writeAll() }
                }
            } catch {
                logger.debug("cannot record the end of invocations", metadata: ["invocations": "\(endings.map(\.id))", "error": "\(error)"])
            }
        }
    }

    private func acquire() async {
        guard busy else {
            busy = true
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    /// Hands the turn to the next waiting operation, else to the first waiting start, which
    /// writes every start waiting then.
    func release() {
        if !waiting.isEmpty {
            waiting.removeFirst().resume()
        } else if !pendingStarts.isEmpty {
            pendingStarts.removeFirst().continuation.resume(returning: .lead)
        } else {
            busy = false
        }
    }

    /// A call's start waiting for its turn at the store.
    struct PendingStart {
        let record: InvocationRecord
        let continuation: CheckedContinuation<StartTurn, Never>
    }

    /// What a waiting start learns: that another start wrote it, or that it is its turn to write.
    enum StartTurn {
        case written(Result<Void, IsolatedError>)
        case lead
    }
}
