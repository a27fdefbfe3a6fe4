public import IsolatedWire
import Synchronization

/// An isolated function as a worker calls it: through the engine, over the runner's own
/// channel, which the engine already trusts, so no key ever enters a worker.
///
/// The stub shipped for each isolated function a worker depends on (its own included) calls
/// ``named(_:)`` and ``call(_:returning:)``. The call names the function only: its settings
/// (machine type, keep-alive, …) are those its caller was called with, which the engine holds,
/// so changing them compiles nothing.
public struct NestedFunction: Sendable {
    private static let registry = Mutex<[String: FunctionReference]>([:])

    let function: FunctionReference

    /// Registers where an isolated function this worker may call is declared, for its errors;
    /// the generated entry point does this before serving calls.
    public static func register(_ name: String, file: String, line: Int) {
        registry.withLock { $0[name] = FunctionReference(name: name, file: file, line: line) }
    }

    /// The isolated function shipped under `name`.
    public static func named(_ name: String) -> NestedFunction {
        NestedFunction(function: registry.withLock { $0[name] } ?? FunctionReference(name: name, file: "?", line: 0))
    }

    /// Calls the function and decodes its result.
    public func call<each Argument: Encodable & Sendable, Result: Decodable & Sendable>(
        _ argument: repeat each Argument,
        returning: Result.Type
    ) async throws(IsolatedError) -> Result {
        let payload = try await invoke(PayloadCoding.arguments(repeat each argument, for: function))
        return try PayloadCoding.result(Result.self, from: payload, of: function)
    }

    /// Calls a function that returns nothing.
    public func call<each Argument: Encodable & Sendable>(_ argument: repeat each Argument) async throws(IsolatedError) {
        _ = try await invoke(PayloadCoding.arguments(repeat each argument, for: function))
    }

    private func invoke(_ arguments: [[UInt8]]) async throws(IsolatedError) -> [UInt8] {
        guard let channel = RunnerChannel.current else {
            throw IsolatedError(code: .notInWorker, message: "\(function) can only be called as a nested call inside a worker")
        }
        return try await channel.call(function.name, arguments: arguments).get()
    }
}
