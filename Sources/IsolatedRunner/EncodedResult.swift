import IsolatedWire

/// What a call of the worker's function returned, encoded; a string or byte array stays in its
/// own storage until the runner writes it to the engine.
public struct EncodedResult: Sendable {
    let payload: EncodedPayload
}
