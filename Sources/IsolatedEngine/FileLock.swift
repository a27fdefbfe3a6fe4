import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// An exclusive lock on a file, shared with other processes: two engines never build the same
/// environment at once. The kernel releases it if the holder dies.
package enum FileLock {
    /// Runs `body` holding the lock at `path`; waits without blocking a thread, calling `onWait` once if it has to.
    package static func withLock<Value>(
        isolation: isolated (any Actor)? = #isolation,
        path: String,
        onWait: () -> Void = {},
        _ body: () async throws -> Value
    ) async throws -> Value {
        let descriptor = try openLockFile(path)
        defer {
            flock(descriptor, LOCK_UN)
            close(descriptor)
        }
        var waited = false
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            if !waited {
                onWait()
                waited = true
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        return try await body()
    }

    /// Runs `body` holding the lock at `path` if no one holds it, or returns nil at once.
    package static func withLockIfFree<Value>(path: String, _ body: () throws -> Value) throws -> Value? {
        let descriptor = try openLockFile(path)
        defer {
            flock(descriptor, LOCK_UN)
            close(descriptor)
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else { return nil }
        return try body()
    }

    private static func openLockFile(_ path: String) throws -> Int32 {
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path, NSLocalizedDescriptionKey: String(cString: strerror(errno))])
        }
        return descriptor
    }
}
