import Foundation

/// A value SQLite stores: a statement's bound parameter, or a column of a row it returns.
enum SQLValue: Sendable, Equatable {
    case integer(Int)
    case float(Double)
    case text(String)
    case blob([UInt8])
    case null

    /// `TEXT`, or `NULL` for `nil`.
    init(_ text: String?) {
        self = text.map { .text($0) } ?? .null
    }

    /// Microseconds since 1970 as `INTEGER`, or `NULL` for `nil`.
    init(_ date: Date?) {
        self = date.map { .integer($0.storedMicroseconds) } ?? .null
    }

    /// `1` or `0`.
    init(_ flag: Bool) {
        self = .integer(flag ? 1 : 0)
    }

    /// The text, when this is `TEXT`.
    var string: String? {
        guard case .text(let value) = self else { return nil }
        return value
    }
}

extension Date {
    /// The date the store gives back for this one: the store keeps microseconds since 1970, as
    /// integers, so that a date read back equals the date written, which a `REAL` would not
    /// guarantee.
    var stored: Date { Date(storedMicroseconds: storedMicroseconds) }

    /// Microseconds since 1970, rounded.
    var storedMicroseconds: Int { Int((timeIntervalSince1970 * 1_000_000).rounded()) }

    /// The date `microseconds` after 1970.
    init(storedMicroseconds microseconds: Int) {
        self.init(timeIntervalSince1970: Double(microseconds) / 1_000_000)
    }
}
