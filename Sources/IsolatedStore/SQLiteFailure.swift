import VaporCSQLite

/// A failed SQLite call: its extended result code and SQLite's message.
struct SQLiteFailure: Error, CustomStringConvertible {
    /// The extended result code; its low byte is the primary code.
    let code: Int32
    /// What SQLite said.
    let message: String

    var description: String { "SQLite error \(code): \(message)" }

    /// What the failure most likely means for the store's file, and what to do.
    var advice: String {
        let unusable = "the file is not a usable SQLite database; move it aside to start with an empty store, or restore it from a backup"
        // SQLITE_IOERR_CORRUPTFS, a macro Swift cannot import.
        if code == SQLITE_IOERR | (33 << 8) { return unusable }
        return switch code & 0xff {
        case SQLITE_NOTADB, SQLITE_CORRUPT:
            unusable
        case SQLITE_BUSY, SQLITE_LOCKED:
            "another process held the file's lock for longer than the store's busy timeout; try again, or stop the other process"
        case SQLITE_READONLY, SQLITE_PERM, SQLITE_CANTOPEN, SQLITE_AUTH:
            "check that the file and its directory exist and are readable and writable by this user"
        case SQLITE_FULL:
            "the disk is full; free some space, or prune old invocations"
        default:
            "check the file, or move it aside to start with an empty store"
        }
    }
}
