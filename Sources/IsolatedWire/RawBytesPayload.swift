/// A type whose values travel as their raw bytes, behind ``PayloadCoding``'s raw-bytes marker,
/// rather than as JSON. `[UInt8]` travels so always; this protocol lets a type the runtime
/// cannot name do the same: Foundation's `Data` conforms where Foundation is loaded (the SDK,
/// and the workers of functions that use it), so the runtime itself need not load Foundation.
public protocol RawBytesPayload: Sendable {
    /// The value whose bytes are `bytes`.
    init(rawPayload bytes: ArraySlice<UInt8>)
    /// Calls `body` with the value's bytes.
    func withRawPayload<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result
}
