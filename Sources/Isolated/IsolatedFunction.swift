import Foundation
import IsolatedClient
public import IsolatedCore
import IsolatedEngine

/// An isolated function as the `@Isolated` macro describes it; its ``call(_:returning:)``
/// is the body the macro gives the function.
public struct IsolatedFunction: Sendable {
    /// The shipped source and entry point.
    public var source: FunctionSource
    /// The packages its environment needs.
    public var requirements: [Requirement]
    /// The machine type it runs on.
    public var machineType: MachineType
    /// Seconds its runner stays warm after each call.
    public var keepAlive: Int
    /// The most runners it may have at once.
    public var maxConcurrency: Int?
    /// Whether its runners can reach the network.
    public var network: NetworkAccess
    /// Seconds one call may run; nil for the engine's default.
    public var timeout: Int?
    /// How many more times a call is tried when the machinery fails.
    public var retries: Int
    /// How many runners to keep warm between calls.
    public var minWarm: Int

    /// Describes a function; the macro fills every argument from the declaration.
    public init(
        name: String,
        source: String,
        entry: String,
        stub: String = "",
        file: String,
        line: Int,
        requirements: [Requirement] = [],
        machineType: MachineType = "XS",
        keepAlive: Int = 10,
        uses: [ShippedDeclaration] = [],
        maxConcurrency: Int? = nil,
        network: NetworkAccess = .enabled,
        timeout: Int? = nil,
        retries: Int = 0,
        minWarm: Int = 0
    ) {
        self.source = FunctionSource(
            name: name,
            source: source,
            entry: entry,
            stub: stub,
            file: file,
            line: line,
            dependencies: uses.map(\.source)
        )
        self.requirements = requirements
        self.machineType = machineType
        self.keepAlive = keepAlive
        self.maxConcurrency = maxConcurrency
        self.network = network
        self.timeout = timeout
        self.retries = retries
        self.minWarm = minWarm
    }

    /// Calls the function with `arguments` and decodes its result.
    public func call<each Argument: Encodable & Sendable, Result: Decodable & Sendable>(
        _ argument: repeat each Argument,
        returning: Result.Type
    ) async throws(IsolatedError) -> Result {
        let result = try await invoke(PayloadCoding.arguments(repeat each argument, for: source.reference))
        let started = ContinuousClock.now
        do {
            let value = try PayloadCoding.result(Result.self, from: result.payload, of: source.reference)
            Isolation.record(result.report, transfer: ContinuousClock.now - started)
            return value
        } catch {
            var error = error
            error.report = result.report
            throw error
        }
    }

    /// Calls a function that returns nothing.
    public func call<each Argument: Encodable & Sendable>(_ argument: repeat each Argument) async throws(IsolatedError) {
        let result = try await invoke(PayloadCoding.arguments(repeat each argument, for: source.reference))
        Isolation.record(result.report, transfer: .zero)
    }

    private func invoke(_ arguments: [[UInt8]]) async throws(IsolatedError) -> InvocationResult {
        let request = InvocationRequest(
            function: source,
            requirements: requirements,
            machineType: machineType,
            keepAlive: keepAlive,
            maxConcurrency: maxConcurrency,
            network: network,
            timeout: timeout,
            retries: retries == 0 ? nil : retries,
            minWarm: minWarm == 0 ? nil : minWarm,
            arguments: arguments
        )
        do {
            switch try await Isolation.target() {
            case .engine(let engine):
                return try await engine.invoke(request, events: Isolation.eventHandler)
            case .server(let server):
                let (_, payload, report) = try await server.invoke(request, events: Isolation.eventHandler)
                return InvocationResult(payload: payload, report: report)
            }
        } catch {
            if let report = error.report { Isolation.record(report, transfer: nil) }
            throw error
        }
    }
}
