public import Foundation
public import IsolatedCore

/// The body of `POST /v1/invocations`: one call, its arguments encoded with ``PayloadCoding``
/// and sent as base64.
public struct InvocationBody: Sendable, Codable {
    /// The function: its source, entry point and shipped declarations.
    public var function: FunctionSource
    /// The packages its environment needs.
    public var requirements: [Requirement]
    /// The machine type to run on.
    public var machineType: MachineType
    /// Seconds the runner stays warm after the call.
    public var keepAlive: Int
    /// The most runners the function may have at once.
    public var maxConcurrency: Int?
    /// Whether its runners can reach the network; `enabled` when absent.
    public var network: NetworkAccess?
    /// Each argument, encoded with ``PayloadCoding``.
    public var arguments: [Data]

    /// The body for `request`.
    public init(_ request: InvocationRequest) {
        function = request.function
        requirements = request.requirements
        machineType = request.machineType
        keepAlive = request.keepAlive
        maxConcurrency = request.maxConcurrency
        network = request.network
        arguments = request.arguments.map { Data($0) }
    }

    /// The call this body describes.
    public var request: InvocationRequest {
        InvocationRequest(
            function: function,
            requirements: requirements,
            machineType: machineType,
            keepAlive: keepAlive,
            maxConcurrency: maxConcurrency,
            network: network ?? .enabled,
            arguments: arguments.map { Array($0) }
        )
    }
}
