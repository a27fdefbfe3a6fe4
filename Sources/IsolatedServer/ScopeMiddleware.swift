import HTTPTypes
import IsolatedCore
import IsolatedStore
import OpenAPIRuntime

/// Refuses operations beyond the request key's scope with `403`, naming the scope: keys,
/// environments, runners and the machine check need an admin key. Keyless development access
/// on loopback may do everything.
struct ScopeMiddleware: ServerMiddleware {
    /// The operations (`operationId` in the document) only admin keys may run.
    static let adminOperations: Set<String> = [
        "listEnvironments", "removeEnvironment", "collectEnvironmentGarbage", "listRunners", "stopRunner", "doctor", "listKeys", "createKey",
        "revokeKey",
    ]

    let metrics: ServerMetrics

    func intercept(
        _ request: HTTPRequest,
        body: HTTPBody?,
        metadata: ServerRequestMetadata,
        operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        if Self.adminOperations.contains(operationID), let key = RequestKey.current, !key.scope.allows(.admin) {
            metrics.recordRejection("forbidden")
            throw IsolatedError.forbidden(key: key, needed: .admin, doing: "\(request.method) \(request.path ?? "")")
        }
        return try await next(request, body, metadata)
    }
}
