#if canImport(Glibc)
    import Glibc
#endif

/// Makes a system call again for as long as a signal interrupts it (`EINTR`): the engine's one
/// answer to interrupted calls. Returns the call's result: not negative, or negative with
/// `errno` set to an error other than `EINTR`.
func retryingInterrupted<Result: SignedInteger>(_ call: () -> Result) -> Result {
    while true {
        let result = call()
        if result >= 0 || errno != EINTR { return result }
    }
}
