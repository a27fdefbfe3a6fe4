// C's stdout and stderr are mutable globals; only this file touches them, before any other
// thread of the worker exists or between calls.

#if canImport(Glibc)
    @preconcurrency import Glibc
#elseif canImport(Darwin)
    @preconcurrency import Darwin
#endif

enum StandardStreams {
    /// Makes `print` reach the pipe line by line, so the caller sees output live.
    static func useLineBuffering() {
        setvbuf(stdout, nil, _IOLBF, 0)
    }

    /// Pushes out whatever the function left in C's buffers.
    static func flush() {
        fflush(stdout)
        fflush(stderr)
    }
}
