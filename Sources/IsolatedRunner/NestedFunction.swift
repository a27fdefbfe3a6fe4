public import IsolatedCore
import Synchronization

/// An isolated function as a worker calls it: through the engine, over the runner's own
/// channel, which the engine already trusts, so no key ever enters a worker.
///
/// The stub the engine ships for each isolated function a worker depends on (its own included)
/// calls ``named(_:)`` and ``call(_:returning:)``; the engine schedules the call like any other,
/// on its own environment, machine type and runners.
public struct NestedFunction: Sendable {
    private static let registry = Mutex<[String: CallTemplate]>([:])

    let template: CallTemplate

    /// Registers the template of an isolated function this worker may call; the generated entry
    /// point does this before serving calls.
    public static func register(_ name: String, template json: String) {
        guard let template = try? PayloadCoding.decode(CallTemplate.self, from: Array(json.utf8)) else {
            preconditionFailure("the engine shipped an unreadable call template for \(name)")
        }
        registry.withLock { $0[name] = template }
    }

    /// The isolated function registered under `name`.
    public static func named(_ name: String) -> NestedFunction {
        guard let template = registry.withLock({ $0[name] }) else {
            preconditionFailure("no call template was shipped for \(name)")
        }
        return NestedFunction(template: template)
    }

    /// Calls the function and decodes its result.
    public func call<each Argument: Encodable & Sendable, Result: Decodable & Sendable>(
        _ argument: repeat each Argument,
        returning: Result.Type
    ) async throws(IsolatedError) -> Result {
        let payload = try await invoke(PayloadCoding.arguments(repeat each argument, for: template.function.reference))
        return try PayloadCoding.result(Result.self, from: payload, of: template.function.reference)
    }

    /// Calls a function that returns nothing.
    public func call<each Argument: Encodable & Sendable>(_ argument: repeat each Argument) async throws(IsolatedError) {
        _ = try await invoke(PayloadCoding.arguments(repeat each argument, for: template.function.reference))
    }

    private func invoke(_ arguments: [[UInt8]]) async throws(IsolatedError) -> [UInt8] {
        guard let channel = RunnerChannel.current else {
            throw IsolatedError(code: .notInWorker, message: "\(template.function.reference) can only be called as a nested call inside a worker")
        }
        let request: [UInt8]
        do {
            request = try PayloadCoding.encode(template.request(arguments: arguments))
        } catch {
            throw IsolatedError(code: .codingFailed, message: "the nested call to \(template.function.reference) cannot be encoded: \(error)")
        }
        return try await channel.call(request).get()
    }
}
