import IsolatedWire

/// The memo of every `@Cached` function in this worker: each result is computed once per
/// function and arguments and kept for as long as the worker lives. Concurrent first calls
/// compute it once; a thrown error is not kept, so the next call tries again.
public enum CachedFunctions {
    // Built only from `any Hashable & Sendable` values, so sharing it is safe.
    private struct Key: Hashable, @unchecked Sendable {
        var function: String
        var arguments: [AnyHashable]
    }

    private static let values = SingleFlight<Key, any Sendable>()

    /// The memoized result of `function` for `arguments`, computing it with `compute` the first time.
    public static func value<Value: Sendable>(
        of function: String,
        arguments: [any Hashable & Sendable],
        as type: Value.Type,
        compute: @escaping @Sendable () async throws -> Value
    ) async throws -> Value {
        let key = Key(function: function, arguments: arguments.map { AnyHashable($0) })
        guard let value = try await values.value(for: key, build: { try await compute() }) as? Value else {
            preconditionFailure("@Cached \(function) memoized a value of another type")
        }
        return value
    }
}
