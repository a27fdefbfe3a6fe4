import Foundation
import Hummingbird
import IsolatedClient
import IsolatedCore
import NIOCore

/// Turns every failure into a JSON ``ErrorResponse`` with the status its code calls for: `404`
/// and `405` for unknown routes and methods, `400` for malformed input, `413` for bodies over the limit.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let routes: RouteTable
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
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
        } catch is NIOTooManyBytesError {
            metrics.recordRejection("tooLarge")
            return Self.response(status: .contentTooLarge, error: IsolatedError(code: .invalidRequest, message: "the request body is too large"))
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
