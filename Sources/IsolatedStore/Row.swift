import Foundation

/// One row a statement returned, its columns by name.
struct Row: Sendable {
    /// The statement's column names, shared by its rows.
    let names: [String]
    /// The values, in the order of `names`.
    let values: [SQLValue]

    /// The column `name`, or `nil` when the statement has none by that name.
    func column(_ name: String) -> SQLValue? {
        names.firstIndex(of: name).map { values[$0] }
    }

    /// A column that is missing or holds the wrong type: the file does not match the schema.
    struct UnexpectedColumn: Error, CustomStringConvertible {
        /// The column's name.
        var name: String
        /// Which column, for error messages.
        var description: String { "column \(name) is missing or has an unexpected type" }
    }

    /// A `TEXT` column.
    func text(_ name: String) throws -> String {
        guard case .text(let value)? = column(name) else { throw UnexpectedColumn(name: name) }
        return value
    }

    /// A `TEXT` column that may be `NULL`.
    func optionalText(_ name: String) throws -> String? {
        if case .null? = column(name) { return nil }
        return try text(name)
    }

    /// An `INTEGER` column.
    func integer(_ name: String) throws -> Int {
        guard case .integer(let value)? = column(name) else { throw UnexpectedColumn(name: name) }
        return value
    }

    /// An `INTEGER` column of microseconds since 1970.
    func date(_ name: String) throws -> Date {
        Date(storedMicroseconds: try integer(name))
    }

    /// An `INTEGER` column of microseconds since 1970 that may be `NULL`.
    func optionalDate(_ name: String) throws -> Date? {
        if case .null? = column(name) { return nil }
        return try date(name)
    }

    /// A `TEXT` column of JSON.
    func json<Value: Decodable>(_ type: Value.Type, _ name: String) throws -> Value {
        try JSONDecoder().decode(type, from: Data(text(name).utf8))
    }

    /// A `TEXT` column of JSON that may be `NULL`.
    func optionalJSON<Value: Decodable>(_ type: Value.Type, _ name: String) throws -> Value? {
        try optionalText(name).map { try JSONDecoder().decode(type, from: Data($0.utf8)) }
    }
}
