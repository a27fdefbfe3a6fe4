import HTTPTypes
import Hummingbird
import NIOCore
import OpenAPIRuntime

/// The generated server's routes on a Hummingbird router: swift-openapi-hummingbird's adapter,
/// with one change measured to matter. A response whose body has a known length of at most
/// ``Server/wholeBodyLimit`` goes out whole, its head, body and end in one write (Hummingbird's path for
/// a `ByteBuffer` body); the adapter streamed every body, one write and one flush for the head,
/// each chunk and the end. A warm call's response is such a body when the call ends within the
/// event batching delay, and so is every JSON answer of the management API.
struct RouterTransport<Context: RequestContext>: ServerTransport {
    let router: Router<Context>

    func register(
        _ handler: @escaping @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?),
        method: HTTPRequest.Method,
        path: String
    ) throws {
        router.on(RouterPath(path), method: method) { request, context in
            let length: HTTPBody.Length =
                if let header = request.headers[.contentLength], let count = Int(header) { .known(Int64(count)) } else { .unknown }
            let body = HTTPBody(request.body.map { [UInt8](buffer: $0) }, length: length, iterationBehavior: .single)
            let parameters = [String: Substring](context.parameters.map { (String($0.0), $0.1) }) { first, _ in first }
            let (head, responseBody) = try await handler(request.head, body, ServerRequestMetadata(pathParameters: parameters))
            return Response(status: head.status, headers: head.headerFields, body: try await Self.body(responseBody))
        }
    }

    private static func body(_ body: HTTPBody?) async throws -> ResponseBody {
        guard let body else { return ResponseBody(byteBuffer: ByteBuffer()) }
        if case .known(let length) = body.length, length <= Server.wholeBodyLimit {
            var buffer = ByteBuffer()
            buffer.reserveCapacity(Int(length))
            for try await chunk in body { buffer.writeBytes(chunk) }
            return ResponseBody(byteBuffer: buffer)
        }
        let buffers = body.map { ByteBuffer(bytes: $0) }
        if case .known(let length) = body.length {
            return ResponseBody(contentLength: Int(length)) { writer in
                for try await buffer in buffers { try await writer.write(buffer) }
                try await writer.finish(nil)
            }
        }
        return ResponseBody(asyncSequence: buffers)
    }
}
