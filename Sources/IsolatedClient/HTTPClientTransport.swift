import AsyncHTTPClient
import Foundation
import HTTPTypes
import NIOCore
import NIOHTTP1
import OpenAPIRuntime

/// The generated client's requests over async-http-client: swift-openapi-async-http-client's
/// transport, with one change measured to matter. A request body of known length up to
/// ``wholeBodyLimit`` is sent as bytes, so async-http-client writes it right after the head on
/// its event loop; the package's transport streamed every body, so the body of each call waited
/// for a task to be scheduled, read it and hand it back to the event loop (a round trip through
/// the cooperative pool between the head and the body, and a second wake-up of the server).
struct HTTPClientTransport: ClientTransport {
    /// The body sizes sent whole; a larger body streams, so it is never copied into one more buffer.
    static var wholeBodyLimit: Int { 1 << 20 }

    let client: HTTPClient
    let timeout: TimeAmount

    func send(_ request: HTTPRequest, body: HTTPBody?, baseURL: URL, operationID: String) async throws -> (HTTPResponse, HTTPBody?) {
        let response = try await client.execute(try await Self.request(request, body: body, baseURL: baseURL), timeout: timeout)
        var fields = HTTPFields()
        for header in response.headers {
            guard let name = HTTPField.Name(header.name) else { continue }
            fields.append(HTTPField(name: name, value: header.value))
        }
        let length: HTTPBody.Length =
            if let header = fields[.contentLength], let count = Int64(header) { .known(count) } else { .unknown }
        let responseBody: HTTPBody? =
            switch request.method {
            case .head, .connect, .trace: nil
            default: HTTPBody(response.body.map { $0.readableBytesView }, length: length, iterationBehavior: .single)
            }
        return (HTTPResponse(status: .init(code: Int(response.status.code)), headerFields: fields), responseBody)
    }

    /// `request` relative to `baseURL`, with its body whole when that is small and its length known.
    static func request(_ request: HTTPRequest, body: HTTPBody?, baseURL: URL) async throws -> HTTPClientRequest {
        guard var components = URLComponents(url: baseURL, resolvingAgainstBaseURL: false),
            let relative = URLComponents(string: request.path ?? "")
        else { throw invalidURL(request, baseURL) }
        components.percentEncodedPath += relative.percentEncodedPath
        components.percentEncodedQuery = relative.percentEncodedQuery
        guard let url = components.url else { throw invalidURL(request, baseURL) }
        var converted = HTTPClientRequest(url: url.absoluteString)
        converted.method = HTTPMethod(rawValue: request.method.rawValue)
        for field in request.headerFields { converted.headers.add(name: field.name.canonicalName, value: field.value) }
        guard let body else { return converted }
        switch body.length {
        case .known(let length) where length <= wholeBodyLimit:
            var buffer = ByteBuffer()
            buffer.reserveCapacity(Int(length))
            for try await chunk in body { buffer.writeBytes(chunk) }
            converted.body = .bytes(buffer)
        case .known(let length):
            converted.body = .stream(body.map { ByteBuffer(bytes: $0) }, length: .known(length))
        case .unknown:
            converted.body = .stream(body.map { ByteBuffer(bytes: $0) }, length: .unknown)
        }
        return converted
    }

    private static func invalidURL(_ request: HTTPRequest, _ baseURL: URL) -> URLError {
        URLError(.badURL, userInfo: [NSLocalizedDescriptionKey: "the path \(request.path ?? "") cannot be joined to \(baseURL)"])
    }
}
