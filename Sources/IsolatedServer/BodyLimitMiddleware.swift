import Hummingbird
import NIOCore

/// Caps every request body as it streams in: a call's at the server's `--max-request-bytes`,
/// any other at 1 MiB (keys are the only other bodies). The generated code would otherwise read
/// a JSON body of any size into memory; here a body over its limit ends with `413` as soon as it
/// passes the limit, or before it is read when its `Content-Length` says so.
struct BodyLimitMiddleware<Context: RequestContext>: RouterMiddleware {
    let maxCallBytes: Int
    static var maxOtherBytes: Int { 1 << 20 }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let limit = request.uri.path == "/v1/invocations" ? maxCallBytes : Self.maxOtherBytes
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limit { throw NIOTooManyBytesError(maxBytes: limit) }
        var request = request
        request.body = RequestBody(asyncSequence: LimitedBody(base: request.body, limit: limit))
        return try await next(request, context)
    }
}

/// A request body that fails with `NIOTooManyBytesError` once more than `limit` bytes arrive.
private struct LimitedBody: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let base: RequestBody
    let limit: Int

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: RequestBody.AsyncIterator
        let limit: Int
        var count = 0

        mutating func next() async throws -> ByteBuffer? {
            guard let buffer = try await base.next() else { return nil }
            count += buffer.readableBytes
            guard count <= limit else { throw NIOTooManyBytesError(maxBytes: limit) }
            return buffer
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: base.makeAsyncIterator(), limit: limit) }
}
