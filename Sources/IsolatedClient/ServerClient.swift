import AsyncHTTPClient
public import Foundation
import HTTPTypes
public import IsolatedCore
import NIOCore
import NIOSSL
import OpenAPIRuntime
import Synchronization

/// Talks to an `isolated serve` server: calls, streamed as they run, and the management API.
///
/// Every operation goes through the client generated from the server's `openapi.json`
/// (`Generated/`), over async-http-client. Every request carries the key as
/// `Authorization: Bearer …`; the key never appears in an error this client throws.
public final class ServerClient: Sendable {
    /// The server's base URL, like `http://127.0.0.1:8080`.
    public let baseURL: URL
    /// The largest result this client accepts from a call; a larger one fails with
    /// `resultTooLarge` before it is read.
    public let maxResultBytes: Int
    let api: Client
    /// Each called function's header, encoded: the function's source and settings are the same from call to call.
    let headers = BoundedCache<InvocationBody, [UInt8]>(capacity: 256)

    /// The default of ``maxResultBytes`` and of the server's `--max-result-bytes`: 1 GiB.
    public static let defaultMaxResultBytes = 1 << 30

    /// A client for the server at `baseURL`, authenticating with `key`. An `https` server's
    /// certificate must chain to the system's roots or to a certificate in the PEM file
    /// `certificateAuthority`.
    public init(baseURL: URL, key: String?, maxResultBytes: Int = ServerClient.defaultMaxResultBytes, certificateAuthority: String? = nil) {
        self.baseURL = baseURL
        self.maxResultBytes = maxResultBytes
        let transport = HTTPClientTransport(client: HTTPClients.client(trusting: certificateAuthority), timeout: .hours(24))
        api = Client(
            serverURL: baseURL,
            configuration: Configuration(dateTranscoder: .iso8601),
            transport: transport,
            middlewares: [ErrorResponseMiddleware(server: baseURL), KeyMiddleware(key: key)]
        )
    }

    /// A client for `ISOLATED_SERVER` with `ISOLATED_KEY`, or nil when `ISOLATED_SERVER` is not
    /// set; `ISOLATED_MAX_RESULT_BYTES` sets ``maxResultBytes``, and `ISOLATED_CA_FILE` names a
    /// PEM file of certificates to trust beside the system's, for a server whose certificate
    /// a private authority signed.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws(IsolatedError) -> ServerClient? {
        guard let server = environment["ISOLATED_SERVER"], !server.isEmpty else { return nil }
        guard let url = URL(string: server), url.scheme == "http" || url.scheme == "https", url.host != nil else {
            throw IsolatedError(code: .invalidConfiguration, message: "ISOLATED_SERVER is not an http(s) URL: '\(server)'")
        }
        var maxResultBytes = defaultMaxResultBytes
        if let limit = environment["ISOLATED_MAX_RESULT_BYTES"], !limit.isEmpty {
            guard let bytes = Int(limit), bytes > 0 else {
                throw IsolatedError(code: .invalidConfiguration, message: "ISOLATED_MAX_RESULT_BYTES is not a positive number of bytes: '\(limit)'")
            }
            maxResultBytes = bytes
        }
        var authority: String?
        if let file = environment["ISOLATED_CA_FILE"], !file.isEmpty {
            do {
                guard !(try NIOSSLCertificate.fromPEMFile(file)).isEmpty else {
                    throw IsolatedError(code: .invalidConfiguration, message: "it holds no certificate")
                }
            } catch {
                throw IsolatedError(
                    code: .invalidConfiguration,
                    message: "ISOLATED_CA_FILE names \(file), which cannot be read as PEM certificates: \(error)",
                    underlying: error)
            }
            authority = file
        }
        return ServerClient(
            baseURL: url, key: environment["ISOLATED_KEY"].flatMap { $0.isEmpty ? nil : $0 }, maxResultBytes: maxResultBytes,
            certificateAuthority: authority)
    }

    /// Runs `operation` of the generated client, mapping what it throws to an ``IsolatedError``:
    /// the server's own error, or one saying the server cannot be reached for `what`.
    func perform<Value>(_ what: String, _ operation: () async throws -> Value) async throws(IsolatedError) -> Value {
        do {
            return try await operation()
        } catch let error as ClientError {
            if let error = error.underlyingError as? IsolatedError { throw error }
            throw Self.connectionError(error.underlyingError, server: baseURL, during: what)
        } catch {
            throw Self.connectionError(error, server: baseURL, during: what)
        }
    }

    static func connectionError(_ error: any Error, server: URL, during what: String) -> IsolatedError {
        if error is CancellationError || (error as? HTTPClientError) == .cancelled {
            return IsolatedError(code: .cancelled, message: "\(what) was cancelled")
        }
        return IsolatedError(
            code: .serverUnavailable,
            message: "cannot reach the Isolated server at \(server) (ISOLATED_SERVER) for \(what): \(error); is `isolated serve` running there?",
            underlying: error
        )
    }

    static func failure(status: Int, body: Data, server: URL) -> IsolatedError {
        if let response = try? JSONDecoder().decode(ErrorResponse.self, from: body) { return response.error }
        let text = String(decoding: body.prefix(500), as: UTF8.self)
        return IsolatedError(code: .serverUnavailable, message: "the server at \(server) answered \(status): \(text)")
    }
}

/// The body of every error response: `{"error": {"code": …, "message": …}}`.
public struct ErrorResponse: Sendable, Hashable, Codable {
    /// What went wrong.
    public var error: IsolatedError

    /// Creates a response.
    public init(error: IsolatedError) { self.error = error }
}

extension JSONDecoder {
    /// Dates as ISO 8601, as the server writes them.
    package static var server: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}

/// The HTTP clients of this process, one per set of trusted roots: each keeps its connections
/// for the process's life, as `HTTPClient.shared` does, so calls reuse them. Not
/// `HTTPClient.shared` itself, whose browser-like settings fit calls badly: a 90 s read timeout
/// (a call may print nothing for longer), eight connections per host (more concurrent calls
/// would queue behind them and then time out), and retrying a refused connection until the
/// request's deadline (a stopped server should be reported at once). Idle connections close
/// after 20 s, before the server's own idle timeout (60 s by default) can close one under a
/// request being sent.
private enum HTTPClients {
    private static let clients = Mutex<[String: HTTPClient]>([:])

    static func client(trusting authority: String?) -> HTTPClient {
        clients.withLock { clients in
            if let client = clients[authority ?? ""] { return client }
            var tls = TLSConfiguration.makeClientConfiguration()
            if let authority { tls.additionalTrustRoots = [.file(authority)] }
            var pool = HTTPClient.Configuration.ConnectionPool(idleTimeout: .seconds(20), concurrentHTTP1ConnectionsPerHostSoftLimit: 4096)
            pool.retryConnectionEstablishment = false
            let configuration = HTTPClient.Configuration(
                tlsConfiguration: tls,
                redirectConfiguration: .disallow,
                timeout: .init(connect: .seconds(10), read: nil),
                connectionPool: pool,
                decompression: .disabled
            )
            let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
            clients[authority ?? ""] = client
            return client
        }
    }
}

/// Sends the key as `Authorization: Bearer …`.
private struct KeyMiddleware: ClientMiddleware {
    let key: String?

    func intercept(
        _ request: HTTPRequest, body: HTTPBody?, baseURL: URL, operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, URL) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        var request = request
        if let key { request.headerFields[.authorization] = "Bearer \(key)" }
        return try await next(request, body, baseURL)
    }
}

/// Turns every response that is not a success into the server's ``IsolatedError``, so the
/// generated client's callers handle only the documented success.
private struct ErrorResponseMiddleware: ClientMiddleware {
    let server: URL

    func intercept(
        _ request: HTTPRequest, body: HTTPBody?, baseURL: URL, operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, URL) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        let (response, responseBody) = try await next(request, body, baseURL)
        guard response.status.kind != .successful else { return (response, responseBody) }
        var text = Data()
        if let responseBody { text = try await Data(collecting: responseBody, upTo: 1 << 20) }
        throw ServerClient.failure(status: response.status.code, body: text, server: server)
    }
}
