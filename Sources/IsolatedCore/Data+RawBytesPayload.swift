public import Foundation
public import IsolatedWire

/// `Data` travels as its raw bytes, like `[UInt8]`. Workers whose function loads Foundation
/// declare the same conformance in their generated source (the runtime itself has no Foundation).
extension Data: RawBytesPayload {
    /// The data whose bytes are `bytes`.
    public init(rawPayload bytes: ArraySlice<UInt8>) { self.init(bytes) }

    /// Calls `body` with the data's bytes.
    public func withRawPayload<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result { try withUnsafeBytes(body) }
}
