import Foundation
import IsolatedClient
import IsolatedCore
import IsolatedEngine
import OpenAPIRuntime

/// The server's side of the contract: every operation of `openapi.json`, as the generated
/// `APIProtocol` declares it (`Generated/`, from scripts/generate-openapi.sh). Routing,
/// parameters, content types and JSON bodies are the generated code's; this type turns each
/// operation into the engine's or the store's work. Failures are thrown as ``IsolatedError``
/// and become the documented error body in ``ErrorMiddleware``.
struct APIHandler: APIProtocol {
    let server: Server
    let calls: CallSupervisor

    func health(_ input: Operations.Health.Input) async throws -> Operations.Health.Output {
        .ok(.init(body: .json(.init(status: .ok))))
    }

    func openAPIDocument(_ input: Operations.OpenAPIDocument.Input) async throws -> Operations.OpenAPIDocument.Output {
        .ok(.init(body: .json(try JSONDecoder().decode(OpenAPIObjectContainer.self, from: server.servedOpenAPIDocument()))))
    }

    func metrics(_ input: Operations.Metrics.Input) async throws -> Operations.Metrics.Output {
        .ok(.init(body: .plainText(HTTPBody(server.metrics.render()))))
    }

    func listMachineTypes(_ input: Operations.ListMachineTypes.Input) async throws -> Operations.ListMachineTypes.Output {
        .ok(.init(body: .json(server.engine.configuration.machineTypes)))
    }

    /// `value` when it lies in `range`, as the document says; otherwise a `400` naming the parameter.
    static func check<Value: Comparable>(_ value: Value?, _ name: String, in range: ClosedRange<Value>) throws(IsolatedError) -> Value? {
        guard let value else { return nil }
        guard range.contains(value) else {
            throw IsolatedError(
                code: .invalidRequest,
                message: "the query parameter \(name) should be a number from \(range.lowerBound) to \(range.upperBound), not \(value)"
            )
        }
        return value
    }
}
