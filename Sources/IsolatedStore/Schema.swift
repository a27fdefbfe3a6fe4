import Foundation
import IsolatedCore
import Logging

/// The store's tables, as forward migrations: migration `n` takes a file from schema version
/// `n - 1` to `n`, and `schema_versions` records each one applied. Only ever append: files in
/// the field have already run the migrations that shipped.
enum Schema {
    /// Each migration's statements, oldest first. Dates are `INTEGER` microseconds since 1970; phases
    /// and errors are JSON; output is kept in chunks, so appending does not rewrite what is there.
    static let migrations: [[String]] = [
        [
            """
            CREATE TABLE keys (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                secret_hash TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                last_used_at INTEGER,
                revoked_at INTEGER
            ) STRICT
            """,
            """
            CREATE TABLE invocations (
                id TEXT PRIMARY KEY,
                function TEXT NOT NULL,
                file TEXT NOT NULL,
                line INTEGER NOT NULL,
                environment_key TEXT,
                machine_type TEXT NOT NULL,
                runner_id TEXT,
                key_id TEXT,
                started_at INTEGER NOT NULL,
                ended_at INTEGER,
                phases TEXT NOT NULL,
                warm INTEGER NOT NULL,
                outcome TEXT NOT NULL,
                error TEXT,
                log_bytes INTEGER NOT NULL DEFAULT 0,
                logs_truncated INTEGER NOT NULL DEFAULT 0
            ) STRICT
            """,
            "CREATE INDEX invocations_by_start ON invocations (started_at)",
            "CREATE INDEX invocations_by_function ON invocations (function, started_at)",
            """
            CREATE TABLE invocation_logs (
                invocation_id TEXT NOT NULL REFERENCES invocations (id) ON DELETE CASCADE,
                text TEXT NOT NULL
            ) STRICT
            """,
            "CREATE INDEX invocation_logs_by_invocation ON invocation_logs (invocation_id)",
        ],
        // Keys get scopes; the keys made before could do everything, so they stay admin keys.
        // A nested call made through a front door (a Python function's client) names its parent.
        [
            "ALTER TABLE keys ADD COLUMN scope TEXT NOT NULL DEFAULT 'admin' CHECK (scope IN ('invoke', 'admin'))",
            "ALTER TABLE invocations ADD COLUMN parent_id TEXT",
            "CREATE INDEX invocations_by_parent ON invocations (parent_id)",
        ],
        // Phase durations in seconds, as the API has them, instead of Swift's `Duration` coding (the
        // high and low words of its attoseconds), in the phases and in each error's report.
        [
            """
            UPDATE invocations SET phases = (\(legacyPhases("invocations.phases")))
            WHERE json_array_length(phases) > 0
            """,
            """
            UPDATE invocations SET error = json_set(error, '$.report.phases', json((\(legacyPhases("json_extract(invocations.error, '$.report.phases')")))))
            WHERE error IS NOT NULL AND json_type(error, '$.report.phases') = 'array'
            """,
        ],
    ]

    /// A query turning the JSON array of timings `array` from the `[high, low]` attoseconds form
    /// into seconds.
    private static func legacyPhases(_ array: String) -> String {
        """
        SELECT json_group_array(json_object(
            'phase', json_extract(value, '$.phase'),
            'seconds', (json_extract(value, '$.duration[0]') * 18446744073709551616.0 + json_extract(value, '$.duration[1]')) / 1e18,
            'outcome', json_extract(value, '$.outcome')))
        FROM json_each(\(array))
        """
    }

    /// Brings the file up to the newest schema version, one transaction per migration; another
    /// process migrating at the same time just finds its work done.
    static func migrate(_ connection: Connection, logger: Logger) throws(IsolatedError) {
        try connection.rows(
            "CREATE TABLE IF NOT EXISTS schema_versions (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL) STRICT",
            doing: "create its schema table"
        )
        var current = try version(of: connection)
        while current < migrations.count {
            let next = current + 1
            current = try connection.transaction(doing: "migrate to schema version \(next)") { () throws(IsolatedError) in
                let found = try version(of: connection)
                guard found < next else { return found }
                for statement in migrations[next - 1] {
                    try connection.rows(statement, doing: "migrate to schema version \(next)")
                }
                try connection.rows(
                    "INSERT INTO schema_versions (version, applied_at) VALUES (?, ?)",
                    [.integer(next), SQLValue(Date())],
                    doing: "migrate to schema version \(next)"
                )
                logger.debug("migrated the store", metadata: ["path": "\(connection.path)", "version": "\(next)"])
                return next
            }
        }
    }

    /// The file's schema version; an error if a newer Isolated wrote it, since this one would
    /// misread its records.
    private static func version(of connection: Connection) throws(IsolatedError) -> Int {
        let rows = try connection.rows("SELECT COALESCE(MAX(version), 0) AS version FROM schema_versions", doing: "read its schema version")
        let found = try connection.decode(rows, doing: "read its schema version") { try $0.integer("version") }.first ?? 0
        guard found <= migrations.count else {
            throw IsolatedError(
                code: .storageFailed,
                message: "the store at \(connection.path) has schema version \(found), but this Isolated knows versions up to "
                    + "\(migrations.count); upgrade Isolated, or use another ISOLATED_HOME"
            )
        }
        return found
    }
}
