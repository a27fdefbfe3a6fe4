import Foundation
import SQLiteNIO

extension SQLiteData {
    /// `TEXT`, or `NULL` for `nil`.
    init(_ text: String?) {
        self = text.map { .text($0) } ?? .null
    }

    /// Seconds since 1970 as `REAL`, or `NULL` for `nil`.
    init(_ date: Date?) {
        self = date.map { .float($0.timeIntervalSince1970) } ?? .null
    }

    /// `1` or `0`.
    init(_ flag: Bool) {
        self = .integer(flag ? 1 : 0)
    }
}
