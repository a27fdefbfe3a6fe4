import Synchronization

/// Values kept by key, up to a number of entries, for work a call would otherwise repeat: the
/// client's encoded header of each function it calls, the server's decoded header of each
/// function called. Past its capacity it starts again empty, which costs one more encoding of
/// each entry still in use and keeps a process that sees many functions from growing.
package final class BoundedCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private let entries = Mutex<[Key: Value]>([:])
    private let capacity: Int

    /// A cache of at most `capacity` entries.
    package init(capacity: Int) {
        self.capacity = capacity
    }

    /// The value kept for `key`, if any.
    package subscript(key: Key) -> Value? {
        entries.withLock { $0[key] }
    }

    /// Keeps `value` for `key`.
    package func keep(_ value: Value, for key: Key) {
        entries.withLock { entries in
            if entries.count >= capacity && entries[key] == nil { entries.removeAll(keepingCapacity: true) }
            entries[key] = value
        }
    }
}
