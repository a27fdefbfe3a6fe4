import Foundation
import Hummingbird
import IsolatedClient
import IsolatedCore
import NIOCore
import OpenAPIRuntime

/// Turns every failure into a JSON ``ErrorResponse`` with the status its code calls for: `404`
/// and `405` for unknown routes and methods, `400` for malformed input, `413` for bodies over the limit.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let routes: RouteTable
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            do {
                return try await next(request, context)
            } catch let error as ServerError {
                // The generated code wraps what the handlers and its own parsing throw.
                throw Self.unwrap(error)
            }
        } catch let error as IsolatedError {
            return Self.response(status: Self.status(for: error.code), error: error)
        } catch let error as HTTPError where error.status == .notFound {
            let path = request.uri.path
            let allowed = routes.methods(for: path)
            if !allowed.isEmpty {
                return Self.response(
                    status: .methodNotAllowed,
                    error: IsolatedError(
                        code: .invalidRequest,
                        message: "\(request.method) is not allowed on \(path); it accepts \(allowed.joined(separator: ", "))"
                    ),
                    headers: [.allow: allowed.joined(separator: ", ")]
                )
            }
            let message = error.body ?? "there is no route \(request.method) \(path); the API is described at /openapi.json"
            return Self.response(status: .notFound, error: IsolatedError(code: .notFound, message: message))
        } catch let error as HTTPError {
            return Self.response(status: error.status, error: IsolatedError(code: .invalidRequest, message: error.body ?? "\(error.status)"))
        } catch let error as NIOTooManyBytesError {
            metrics.recordRejection("tooLarge")
            let limit = error.maxBytes ?? 0
            let tooLarge =
                request.uri.path == "/v1/invocations"
                ? Server.callTooLarge(limit: limit)
                : IsolatedError(
                    code: .requestTooLarge, message: "the request body is larger than \(ByteCount.describe(limit)), the limit for this route")
            return Self.response(status: .contentTooLarge, error: tooLarge)
        } catch let error as RefusedRequest {
            return Self.response(status: error.status, error: error.isolatedError)
        }
    }

    /// What a request the generated code refused or a handler failed comes down to: the
    /// handler's own error, or the status the runtime chose (`400`, `415`, …) naming what is wrong.
    static func unwrap(_ error: ServerError) -> any Error {
        // The runtime's parameter errors name the type, not the parameter: the query names it.
        let query = error.request.path?.split(separator: "?", maxSplits: 1).dropFirst().first.map { " (the query was '\($0)')" } ?? ""
        switch error.underlyingError {
        case let error as IsolatedError: return error
        case let error as NIOTooManyBytesError: return error
        case let decoding as DecodingError:
            let detail = APIHandler.describe(decoding, root: query.isEmpty ? "the body" : "a parameter")
            return IsolatedError(
                code: .invalidRequest, message: "the request for \(error.operationID) is not valid: \(detail)\(query)", underlying: decoding)
        case let underlying:
            if let nested = underlying as? ServerError { return unwrap(nested) }
            // The runtime's own refusals carry their status; 500 is a handler's unexpected
            // failure, not the request's, and is rendered as such.
            guard error.httpStatus != .internalServerError else { return underlying }
            return RefusedRequest(
                status: error.httpStatus,
                isolatedError: IsolatedError(
                    code: .invalidRequest, message: "the request for \(error.operationID) is not valid: \(underlying)\(query)", underlying: underlying
                ))
        }
    }

    static func status(for code: IsolatedError.Code) -> HTTPResponse.Status {
        switch code {
        case .notFound: .notFound
        case .invalidRequest, .invalidRequirement, .invalidSetting, .noSuchMachineType, .codingFailed, .nestingTooDeep: .badRequest
        case .machineTypeUnavailable: .unprocessableContent
        case .unauthorized: .unauthorized
        case .forbidden: .forbidden
        case .requestTooLarge: .contentTooLarge
        case .engineUnavailable, .toolchainUnavailable, .runtimeUnavailable, .storageFailed: .serviceUnavailable
        default: .internalServerError
        }
    }

    static func response(status: HTTPResponse.Status, error: IsolatedError, headers: HTTPFields = [:]) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let body = (try? encoder.encode(ErrorResponse(error: error))) ?? Data("{}".utf8)
        var fields = headers
        fields[.contentType] = "application/json"
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }
}

/// A refusal with a status of its own, from the generated code's checks (`415` for a content
/// type the operation does not take, …).
struct RefusedRequest: Error {
    var status: HTTPResponse.Status
    var isolatedError: IsolatedError
}
