/// Runs at most one build per key at a time within a process; later callers for the same key
/// wait for the first one's result. A failure is handed to the waiters and not remembered, so
/// the next call tries again.
package actor SingleFlight<Key: Hashable & Sendable, Value: Sendable> {
    private enum Entry {
        case running([CheckedContinuation<Value, any Error>])
        case done(Value)
    }

    private var entries: [Key: Entry] = [:]

    package init() {}

    /// Drops the finished values `isStale` picks, so the next call for their keys builds again.
    package func forget(where isStale: (Value) -> Bool) {
        entries = entries.filter { _, entry in
            guard case .done(let value) = entry else { return true }
            return !isStale(value)
        }
    }

    /// The value for `key`, computed by `build` unless it is ready or already being computed;
    /// `onWait` runs if this call waits for another's build.
    package func value(
        for key: Key,
        onWait: @Sendable () -> Void = {},
        build: @Sendable () async throws -> Value
    ) async throws -> Value {
        switch entries[key] {
        case .done(let value):
            return value
        case .running(var waiters):
            onWait()
            return try await withCheckedThrowingContinuation { continuation in
                waiters.append(continuation)
                entries[key] = .running(waiters)
            }
        case nil:
            entries[key] = .running([])
            let result: Result<Value, any Error>
            do {
                result = .success(try await build())
            } catch {
                result = .failure(error)
            }
            guard case .running(let waiters) = entries[key] else { preconditionFailure("single-flight entry changed while building") }
            switch result {
            case .success(let value): entries[key] = .done(value)
            case .failure: entries[key] = nil
            }
            for waiter in waiters { waiter.resume(with: result) }
            return try result.get()
        }
    }
}
