import Foundation
package import IsolatedCore
import Logging

extension Store {
    private static let keyColumns = "id, name, scope, created_at, last_used_at, revoked_at"

    /// Creates an API key named `name` and returns it with its secret (see ``KeySecret`` for the
    /// form: `isk_<id>_<43 random characters>`). The secret is shown only here: the store keeps
    /// its SHA-256, so a lost secret cannot be recovered, only replaced.
    package func createKey(name: String, scope: KeyScope = .invoke) async throws(IsolatedError) -> (record: KeyRecord, secret: String) {
        let secret = KeySecret.generate()
        let record = KeyRecord(id: secret.id, name: name, scope: scope, createdAt: Date().stored)
        _ = try await serially { connection throws(IsolatedError) in
            try connection.rows(
                "INSERT INTO keys (id, name, scope, secret_hash, created_at) VALUES (?, ?, ?, ?, ?)",
                [.text(record.id), .text(name), .text(scope.rawValue), .text(secret.hash), SQLValue(record.createdAt)],
                doing: "create an API key"
            )
        }
        logger.debug("created an API key", metadata: ["key": "\(record.id)", "name": "\(name)", "scope": "\(scope)"])
        return (record, secret.text)
    }

    /// Every API key, revoked ones too, oldest first.
    package func keys() async throws(IsolatedError) -> [KeyRecord] {
        try await serially { connection throws(IsolatedError) in
            let rows = try connection.rows("SELECT \(Self.keyColumns) FROM keys ORDER BY created_at, id", doing: "list the API keys")
            return try connection.decode(rows, doing: "list the API keys", KeyRecord.init(row:))
        }
    }

    /// Revokes the key with id `id`, so it authenticates nothing from now on, and returns it.
    /// Revoking a revoked key keeps its first revocation time.
    @discardableResult
    package func revokeKey(id: String) async throws(IsolatedError) -> KeyRecord {
        let revoked = try await serially { connection throws(IsolatedError) in
            let rows = try connection.rows(
                "UPDATE keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ? RETURNING \(Self.keyColumns)",
                [SQLValue(Date()), .text(id)],
                doing: "revoke an API key"
            )
            return try connection.decode(rows, doing: "revoke an API key", KeyRecord.init(row:)).first
        }
        verifiedKeys[id] = nil
        guard let revoked else {
            // Quoted only when it looks like an id: a secret passed by mistake must not end up in the message.
            let named = KeySecret.isID(id) ? "with id \(id)" : "with that id (ids are 12 hex digits)"
            throw IsolatedError(
                code: .notFound,
                message: "there is no API key \(named) in the store at \(path), so there is nothing to revoke; `isolated keys` lists the keys"
            )
        }
        logger.debug("revoked an API key", metadata: ["key": "\(revoked.id)"])
        return revoked
    }

    /// The key `secret` belongs to, or `nil` when it is malformed, unknown or revoked. The
    /// hashes are compared in constant time. Notes the key's use, at most once per
    /// ``StoreConfiguration/lastUsedResolution``.
    package func authenticate(secret: String) async throws(IsolatedError) -> KeyRecord? {
        guard let presented = KeySecret(parsing: secret) else {
            logger.trace("rejected a malformed API key")
            return nil
        }
        let now = ContinuousClock.now
        if let verified = verifiedKeys[presented.id], now - verified.at < configuration.verifiedKeyLifetime {
            return KeySecret.hashesMatch(presented.hash, verified.hash) ? verified.record : nil
        }
        let (resolution, logger) = (configuration.lastUsedResolution, logger)
        let found = try await serially { connection throws(IsolatedError) -> (record: KeyRecord, hash: String)? in
            let rows = try connection.rows(
                "SELECT \(Self.keyColumns), secret_hash FROM keys WHERE id = ?",
                [.text(presented.id)],
                doing: "authenticate an API key"
            )
            let found = try connection.decode(rows, doing: "authenticate an API key") { row in
                (record: try KeyRecord(row: row), hash: try row.text("secret_hash"))
            }
            guard let (record, hash) = found.first, KeySecret.hashesMatch(presented.hash, hash), record.revokedAt == nil else {
                logger.trace("rejected an unknown, wrong or revoked API key", metadata: ["key": "\(presented.id)"])
                return nil
            }
            let now = Date().stored
            if let lastUsedAt = record.lastUsedAt, Duration.seconds(now.timeIntervalSince(lastUsedAt)) < resolution { return (record, hash) }
            // Bookkeeping: a key stays valid when its use cannot be noted (a full disk, say); what
            // the request then writes fails on its own, naming the cause.
            do {
                try connection.rows(
                    "UPDATE keys SET last_used_at = ? WHERE id = ?",
                    [SQLValue(now), .text(record.id)],
                    doing: "note an API key's use"
                )
            } catch {
                logger.debug("cannot note an API key's use", metadata: ["key": "\(record.id)", "error": "\(error)"])
                return (record, hash)
            }
            var used = record
            used.lastUsedAt = now
            return (used, hash)
        }
        guard let found else {
            verifiedKeys[presented.id] = nil
            return nil
        }
        verifiedKeys[presented.id] = (found.record, found.hash, now)
        return found.record
    }
}

extension KeyRecord {
    fileprivate init(row: Row) throws {
        guard let scope = KeyScope(rawValue: try row.text("scope")) else { throw Row.UnexpectedColumn(name: "scope") }
        self.init(
            id: try row.text("id"),
            name: try row.text("name"),
            scope: scope,
            createdAt: try row.date("created_at"),
            lastUsedAt: try row.optionalDate("last_used_at"),
            revokedAt: try row.optionalDate("revoked_at")
        )
    }
}
