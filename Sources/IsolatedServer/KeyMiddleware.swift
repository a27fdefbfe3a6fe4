import Hummingbird
import IsolatedCore
import IsolatedStore

/// Refuses requests without a valid, unrevoked key (`Authorization: Bearer <key>`) with `401`,
/// except for the paths the document says need none (`/healthz`). The key itself is never
/// logged or repeated in an error.
struct KeyMiddleware<Context: RequestContext>: RouterMiddleware {
    let store: Store
    let metrics: ServerMetrics
    let allowKeyless: Bool
    static var keylessPaths: Set<String> { ["/healthz"] }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if Self.keylessPaths.contains(request.uri.path) { return try await next(request, context) }
        guard let header = request.headers[.authorization] else {
            if allowKeyless {
                return try await RequestKey.$current.withValue(nil) { try await next(request, context) }
            }
            metrics.recordRejection("unauthorized")
            throw IsolatedError(
                code: .unauthorized,
                message:
                    "this server needs an API key: send 'Authorization: Bearer <key>' (set ISOLATED_KEY); create one with `isolated keys create NAME`"
            )
        }
        let secret = header.hasPrefix("Bearer ") ? String(header.dropFirst("Bearer ".count)) : ""
        guard let key = try await store.authenticate(secret: secret) else {
            metrics.recordRejection("unauthorized")
            throw IsolatedError(
                code: .unauthorized, message: "the API key is not valid, or has been revoked; create one with `isolated keys create NAME`")
        }
        return try await RequestKey.$current.withValue(key) { try await next(request, context) }
    }
}

/// The key that authenticated the request being handled.
enum RequestKey {
    /// The key; nil for keyless development access.
    @TaskLocal static var current: KeyRecord?
    /// Its id.
    static var id: String? { current?.id }
}
