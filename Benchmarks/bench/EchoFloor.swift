import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The floor under a warm call to another process: one byte to a child and back. The child is
/// `cat` on one end of a socket pair.
///
/// From a thread blocked on the reply that is two wake-ups, as few as any call into another
/// process takes. From a task, whose reply a thread of its own reads and resumes on the
/// cooperative pool, it is three, as in a warm embedded call: the runner, the engine's thread
/// reading its socket, the caller's task.
enum EchoFloor {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// The latency of each of `count` round trips from a blocked thread, in milliseconds, after `warmUp` more.
    static func blockingRoundTrips(_ count: Int, warmUp: Int) async throws -> [Double] {
        try await withEcho { socket in
            try await withCheckedThrowingContinuation { continuation in
                Thread {
                    var latencies: [Double] = []
                    latencies.reserveCapacity(count)
                    var byte: UInt8 = 1
                    for index in 0..<(warmUp + count) {
                        let start = ContinuousClock.now
                        guard write(socket, &byte, 1) == 1, read(socket, &byte, 1) == 1 else {
                            continuation.resume(throwing: Failure(description: "the echo child stopped: \(String(cString: strerror(errno)))"))
                            return
                        }
                        if index >= warmUp { latencies.append(milliseconds(ContinuousClock.now - start)) }
                    }
                    continuation.resume(returning: latencies)
                }
                .start()
            }
        }
    }

    /// The latency of each of `count` round trips from this task, in milliseconds, after `warmUp` more.
    static func asyncRoundTrips(_ count: Int, warmUp: Int) async throws -> [Double] {
        try await withEcho { socket in
            let waiting = Mutex<CheckedContinuation<Bool, Never>?>(nil)
            // The reader ends when the socket closes, after the last round trip.
            Thread {
                var byte: UInt8 = 0
                while true {
                    let replied = read(socket, &byte, 1) == 1
                    waiting.withLock { $0.take() }?.resume(returning: replied)
                    if !replied { return }
                }
            }
            .start()
            var latencies: [Double] = []
            latencies.reserveCapacity(count)
            for index in 0..<(warmUp + count) {
                let start = ContinuousClock.now
                let replied = await withCheckedContinuation { continuation in
                    waiting.withLock { $0 = continuation }
                    var byte: UInt8 = 1
                    if write(socket, &byte, 1) != 1 { waiting.withLock { $0.take() }?.resume(returning: false) }
                }
                guard replied else { throw Failure(description: "the echo child stopped") }
                if index >= warmUp { latencies.append(milliseconds(ContinuousClock.now - start)) }
            }
            return latencies
        }
    }

    /// Runs `body` with this side of a socket pair whose other side a `cat` child echoes.
    private static func withEcho(_ body: (Int32) async throws -> [Double]) async throws -> [Double] {
        var ends: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &ends) == 0 else {
            throw Failure(description: "socketpair failed: \(String(cString: strerror(errno)))")
        }
        let child = FileHandle(fileDescriptor: ends[1], closeOnDealloc: true)
        let echo = Process()
        echo.executableURL = URL(fileURLWithPath: "/bin/cat")
        echo.standardInput = child
        echo.standardOutput = child
        do {
            try echo.run()
        } catch {
            close(ends[0])
            throw error
        }
        try? child.close()
        defer {
            // The child sees the end of its input, and the reader thread of its output.
            shutdown(ends[0], Int32(SHUT_WR))
            echo.waitUntilExit()
            close(ends[0])
        }
        return try await body(ends[0])
    }
}
