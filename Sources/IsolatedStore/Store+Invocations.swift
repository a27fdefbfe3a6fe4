package import Foundation
package import IsolatedCore
import Logging

extension Store {
    private static let invocationColumns = """
        id, function, file, line, environment_key, machine_type, runner_id, key_id, parent_id, started_at, ended_at, \
        phases, warm, outcome, error, log_bytes, logs_truncated
        """

    /// Records a call that has started. Its output comes later, through ``appendLogs(id:_:)``,
    /// so the record's ``InvocationRecord/logBytes`` and ``InvocationRecord/logsTruncated`` are ignored.
    ///
    /// Starts are committed in groups: those that arrive while another operation holds the
    /// store wait, and the first of them to get its turn writes them all in one statement.
    /// Each returns once its own record is on disk, or throws why it is not.
    package func recordStarted(_ record: InvocationRecord) async throws(IsolatedError) {
        if busy {
            switch await withCheckedContinuation({ pendingStarts.append(PendingStart(record: record, continuation: $0)) }) {
            case .written(let result): return try result.get()
            case .lead: break
            }
        } else {
            busy = true
        }
        defer { release() }
        guard let database else { throw closed }
        let others = pendingStarts
        pendingStarts = []
        let records = [record] + others.map(\.record)
        let (write, path) = (takeQueuedEndings(), path)
        let results: [Result<Void, IsolatedError>]
        do {
            results = try await database.perform { connection in
                write(connection)
                return stride(from: 0, to: records.count, by: Self.startsPerStatement).flatMap { start in
                    Self.insert(records[start..<min(start + Self.startsPerStatement, records.count)], into: connection, path: path)
                }
            }
        } catch {
            results = records.map { _ in .failure(error) }
        }
        for (other, result) in zip(others, results.dropFirst()) { other.continuation.resume(returning: .written(result)) }
        try results[0].get()
    }

    /// Starts written by one statement: SQLite binds at most 32,766 values, 15 per start.
    static let startsPerStatement = 256

    /// Inserts `records` in one statement; each one's result, in order: a record whose id the
    /// store already has is not inserted.
    private static func insert(
        _ records: ArraySlice<InvocationRecord>, into connection: Connection, path: String
    ) -> [Result<Void, IsolatedError>] {
        let doing = records.count == 1 ? "record invocation \(records[records.startIndex].id)" : "record \(records.count) invocations"
        do throws(IsolatedError) {
            var binds: [SQLValue] = []
            binds.reserveCapacity(records.count * 15)
            for record in records {
                binds += [
                    .text(record.id), .text(record.function.name), .text(record.function.file), .integer(record.function.line),
                    SQLValue(record.environmentKey), .text(record.machineType), SQLValue(record.runnerID), SQLValue(record.keyID),
                    SQLValue(record.parentID), SQLValue(record.startedAt), SQLValue(record.endedAt),
                    .text(CallReport.Timing.json(record.phases)), SQLValue(record.warm), .text(record.outcome.rawValue),
                    SQLValue(try record.error.map(connection.json)),
                ]
            }
            let values = Array(repeating: "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", count: records.count).joined(separator: ", ")
            let rows = try connection.rows(
                """
                INSERT INTO invocations (id, function, file, line, environment_key, machine_type, runner_id, key_id, parent_id, \
                started_at, ended_at, phases, warm, outcome, error) VALUES \(values) ON CONFLICT DO NOTHING RETURNING id
                """,
                binds,
                doing: doing
            )
            let inserted = Set(rows.compactMap { $0.column("id")?.string })
            // Two records with one id in a batch: the first is inserted, the second is a conflict.
            var claimed: Set<String> = []
            return records.map { record in
                guard inserted.contains(record.id), claimed.insert(record.id).inserted else {
                    return .failure(
                        IsolatedError(
                            code: .storageFailed,
                            message: "the store at \(path) already has an invocation with id \(record.id); give each invocation a new id",
                            function: record.function
                        ))
                }
                return .success(())
            }
        } catch {
            return records.map { _ in .failure(error) }
        }
    }

    /// Records how the call `id` ended. A `nil` function, runner id or environment key keeps the
    /// one already recorded: a Python call's function is known only once its runner has read it.
    package func recordFinished(
        id: String,
        function: FunctionReference? = nil,
        endedAt: Date,
        outcome: InvocationRecord.Outcome,
        phases: [CallReport.Timing],
        warm: Bool,
        runnerID: String?,
        environmentKey: String?,
        error: IsolatedError?
    ) async throws(IsolatedError) {
        let ending = InvocationEnding(
            id: id, function: function, endedAt: endedAt, outcome: outcome, phases: phases, warm: warm, runnerID: runnerID,
            environmentKey: environmentKey, error: error)
        let maxLogBytes = configuration.maxLogBytes
        let updated = try await serially { connection throws(IsolatedError) in try Self.write(ending, to: connection, maxLogBytes: maxLogBytes) }
        guard updated else { throw noSuchInvocation(id, doing: "record its end") }
    }

    /// Appends `text` to the output of the call `id`. Only the first
    /// ``StoreConfiguration/maxLogBytes`` bytes are kept, cut at a character boundary; past
    /// them, output is dropped and ``InvocationRecord/logsTruncated`` is set.
    package func appendLogs(id: String, _ text: String) async throws(IsolatedError) {
        guard !text.isEmpty else { return }
        let maxLogBytes = configuration.maxLogBytes
        let found = try await serially { connection throws(IsolatedError) -> Bool in
            try connection.transaction(doing: "append to the output of invocation \(id)") { () throws(IsolatedError) -> Bool in
                try Self.appendLogs(id: id, text, to: connection, maxLogBytes: maxLogBytes)
            }
        }
        guard found else { throw noSuchInvocation(id, doing: "append to its output") }
    }

    /// Writes `ending`, its output first, inside the caller's transaction when it has output;
    /// `false` when there is no invocation `id`.
    static func write(_ ending: InvocationEnding, to connection: Connection, maxLogBytes: Int) throws(IsolatedError) -> Bool {
        let id = ending.id
        if !ending.logs.isEmpty, try !appendLogs(id: id, ending.logs, to: connection, maxLogBytes: maxLogBytes) { return false }
        let updated = try connection.rows(
            """
            UPDATE invocations SET ended_at = ?, outcome = ?, phases = ?, warm = ?, runner_id = COALESCE(?, runner_id), \
            environment_key = COALESCE(?, environment_key), error = ?, function = COALESCE(?, function), file = COALESCE(?, file), \
            line = COALESCE(?, line) WHERE id = ? RETURNING id
            """,
            [
                SQLValue(ending.endedAt), .text(ending.outcome.rawValue), .text(CallReport.Timing.json(ending.phases)), SQLValue(ending.warm),
                SQLValue(ending.runnerID), SQLValue(ending.environmentKey), SQLValue(try ending.error.map(connection.json)),
                SQLValue(ending.function?.name), SQLValue(ending.function?.file), ending.function.map { .integer($0.line) } ?? .null,
                .text(id),
            ],
            doing: "record the end of invocation \(id)"
        )
        return !updated.isEmpty
    }

    /// Appends `text` to the output of `id`, up to the store's limit; `false` when there is no such invocation.
    private static func appendLogs(id: String, _ text: String, to connection: Connection, maxLogBytes: Int) throws(IsolatedError) -> Bool {
        let rows = try connection.rows(
            "SELECT log_bytes, logs_truncated FROM invocations WHERE id = ?",
            [.text(id)],
            doing: "append to the output of invocation \(id)"
        )
        let sizes = try connection.decode(rows, doing: "append to the output of invocation \(id)") { row in
            (bytes: try row.integer("log_bytes"), truncated: try row.integer("logs_truncated") != 0)
        }
        guard let (bytes, truncated) = sizes.first else { return false }
        guard !truncated else { return true }
        let kept = text.utf8Prefix(maxLogBytes - bytes)
        if !kept.isEmpty {
            try connection.rows(
                "INSERT INTO invocation_logs (invocation_id, text) VALUES (?, ?)",
                [.text(id), .text(kept)],
                doing: "append to the output of invocation \(id)"
            )
        }
        try connection.rows(
            "UPDATE invocations SET log_bytes = log_bytes + ?, logs_truncated = ? WHERE id = ?",
            [.integer(kept.utf8.count), SQLValue(kept.utf8.count < text.utf8.count), .text(id)],
            doing: "append to the output of invocation \(id)"
        )
        return true
    }

    /// The newest `limit` invocations, newest first; only those of functions named `function`, if given.
    package func invocations(limit: Int = 100, function: String? = nil) async throws(IsolatedError) -> [InvocationRecord] {
        try await serially { connection throws(IsolatedError) in
            let rows = try connection.rows(
                """
                SELECT \(Self.invocationColumns) FROM invocations WHERE ?1 IS NULL OR function = ?1 \
                ORDER BY started_at DESC, rowid DESC LIMIT ?2
                """,
                [SQLValue(function), .integer(limit)],
                doing: "list invocations"
            )
            return try connection.decode(rows, doing: "list invocations", InvocationRecord.init(row:))
        }
    }

    /// The invocation with id `id`, or `nil` if there is none.
    package func invocation(id: String) async throws(IsolatedError) -> InvocationRecord? {
        try await serially { connection throws(IsolatedError) in
            let rows = try connection.rows(
                "SELECT \(Self.invocationColumns) FROM invocations WHERE id = ?",
                [.text(id)],
                doing: "read invocation \(id)"
            )
            return try connection.decode(rows, doing: "read invocation \(id)", InvocationRecord.init(row:)).first
        }
    }

    /// The output the store kept for the invocation `id`, or `nil` if there is no such invocation.
    package func logs(id: String) async throws(IsolatedError) -> String? {
        try await serially { connection throws(IsolatedError) -> String? in
            let exists = try connection.rows("SELECT 1 FROM invocations WHERE id = ?", [.text(id)], doing: "read invocation \(id)")
            guard !exists.isEmpty else { return nil }
            let rows = try connection.rows(
                "SELECT text FROM invocation_logs WHERE invocation_id = ? ORDER BY rowid",
                [.text(id)],
                doing: "read the output of invocation \(id)"
            )
            return try connection.decode(rows, doing: "read the output of invocation \(id)") { try $0.text("text") }.joined()
        }
    }

    /// Deletes the invocations that started before `date`, with their output, and returns how
    /// many it deleted. Running invocations are kept, so their end can still be recorded.
    @discardableResult
    package func deleteInvocations(olderThan date: Date) async throws(IsolatedError) -> Int {
        let deleted = try await serially { connection throws(IsolatedError) -> Int in
            try connection.rows(
                "DELETE FROM invocations WHERE started_at < ? AND outcome != ?",
                [SQLValue(date), .text(InvocationRecord.Outcome.running.rawValue)],
                doing: "delete old invocations"
            )
            let rows = try connection.rows("SELECT changes() AS count", doing: "delete old invocations")
            return try connection.decode(rows, doing: "delete old invocations") { try $0.integer("count") }.first ?? 0
        }
        logger.debug("deleted old invocations", metadata: ["path": "\(path)", "count": "\(deleted)", "before": "\(date)"])
        return deleted
    }

    private func noSuchInvocation(_ id: String, doing: String) -> IsolatedError {
        IsolatedError(
            code: .notFound,
            message: "there is no invocation with id \(id) in the store at \(path) to \(doing); record its start first"
        )
    }
}

extension InvocationRecord {
    fileprivate init(row: Row) throws {
        guard let outcome = Outcome(rawValue: try row.text("outcome")) else { throw Row.UnexpectedColumn(name: "outcome") }
        self.init(
            id: try row.text("id"),
            function: FunctionReference(name: try row.text("function"), file: try row.text("file"), line: try row.integer("line")),
            environmentKey: try row.optionalText("environment_key"),
            machineType: try row.text("machine_type"),
            runnerID: try row.optionalText("runner_id"),
            keyID: try row.optionalText("key_id"),
            parentID: try row.optionalText("parent_id"),
            startedAt: try row.date("started_at"),
            endedAt: try row.optionalDate("ended_at"),
            phases: try row.json([CallReport.Timing].self, "phases"),
            warm: try row.integer("warm") != 0,
            outcome: outcome,
            error: try row.optionalJSON(IsolatedError.self, "error"),
            logBytes: try row.integer("log_bytes"),
            logsTruncated: try row.integer("logs_truncated") != 0
        )
    }
}

extension String {
    /// The longest prefix of at most `maxBytes` UTF-8 bytes that ends on a Unicode scalar boundary.
    fileprivate func utf8Prefix(_ maxBytes: Int) -> String {
        guard utf8.count > maxBytes else { return self }
        var end = unicodeScalars.startIndex
        var bytes = 0
        while end < unicodeScalars.endIndex {
            let width = UTF8.width(unicodeScalars[end])
            guard bytes + width <= maxBytes else { break }
            bytes += width
            unicodeScalars.formIndex(after: &end)
        }
        return String(unicodeScalars[..<end])
    }
}
