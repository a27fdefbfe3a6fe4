import Foundation
import GRPCCore
import IsolatedCore
import IsolatedEngine
import IsolatedStore
import SwiftProtobuf

/// `fal-serverless key generate|list|revoke` and `usage workers`: the server's keys and runners,
/// for admin keys, as `isolated keys` and `isolated runners list` show them.
extension ControllerService {
    func createUserKey(
        request: ServerRequest<Controller_CreateUserKeyRequest>,
        context: ServerContext
    ) async throws -> ServerResponse<Controller_CreateUserKeyResponse> {
        try await authorizeAdmin(request.metadata, doing: "CreateUserKey")
        let scope: KeyScope = request.message.scope == .admin ? .admin : .invoke
        let name = request.message.hasAlias && !request.message.alias.isEmpty ? request.message.alias : "fal-serverless key"
        let (record, secret) = try await storeCall { () throws(IsolatedError) in try await store.createKey(name: name, scope: scope) }
        var response = Controller_CreateUserKeyResponse()
        response.keyID = record.id
        response.keySecret = secret
        return ServerResponse(message: response)
    }

    func listUserKeys(
        request: ServerRequest<Controller_ListUserKeysRequest>,
        context: ServerContext
    ) async throws -> ServerResponse<Controller_ListUserKeysResponse> {
        try await authorizeAdmin(request.metadata, doing: "ListUserKeys")
        let keys = try await storeCall { () throws(IsolatedError) in try await store.keys() }
        var response = Controller_ListUserKeysResponse()
        response.userKeys = keys.filter { $0.revokedAt == nil }.map { key in
            var info = Controller_UserKeyInfo()
            info.keyID = key.id
            info.createdAt = Google_Protobuf_Timestamp(date: key.createdAt)
            info.scope = key.scope == .admin ? .admin : .api
            info.alias = key.name
            return info
        }
        return ServerResponse(message: response)
    }

    func revokeUserKey(
        request: ServerRequest<Controller_RevokeUserKeyRequest>,
        context: ServerContext
    ) async throws -> ServerResponse<Controller_RevokeUserKeyResponse> {
        try await authorizeAdmin(request.metadata, doing: "RevokeUserKey")
        let id = request.message.keyID
        _ = try await storeCall { () throws(IsolatedError) in try await store.revokeKey(id: id) }
        return ServerResponse(message: Controller_RevokeUserKeyResponse())
    }

    func workerStatusList(
        request: ServerRequest<Controller_WorkerStatusListRequest>,
        context: ServerContext
    ) async throws -> ServerResponse<Controller_WorkerStatusListResponse> {
        try await authorizeAdmin(request.metadata, doing: "WorkerStatusList")
        let machineType = request.message.hasMachineType ? request.message.machineType : nil
        let now = Date()
        var response = Controller_WorkerStatusListResponse()
        response.workerStatus = await engine.runnerSnapshots()
            .filter { machineType == nil || $0.machineType == machineType }
            .map { runner in
                var status = Controller_WorkerStatus()
                status.workerID = runner.id
                status.startTime = Google_Protobuf_Timestamp(date: runner.startedAt)
                status.duration = Google_Protobuf_Duration(rounding: now.timeIntervalSince(runner.startedAt), rule: .towardZero)
                status.userID = runner.function.name
                status.machineType = runner.machineType
                return status
            }
        return ServerResponse(message: response)
    }

    /// Refuses a caller that is not an admin key (or keyless access on loopback) with the
    /// message the HTTP API gives.
    private func authorizeAdmin(_ metadata: Metadata, doing: String) async throws {
        switch try await authenticate(metadata) {
        case .user(nil):
            return
        case .user(let key?):
            guard key.scope.allows(.admin) else {
                let error = IsolatedError.forbidden(key: key, needed: .admin, doing: doing)
                throw RPCError(code: .permissionDenied, message: error.message)
            }
        case .runner(let credential, _):
            throw RPCError(
                code: .permissionDenied,
                message: "\(doing) needs an admin key; the key \(credential.id) belongs to a runner, which may only make calls")
        }
    }

    /// A store operation, its failure as the gRPC error closest to it.
    private func storeCall<T>(_ operation: () async throws(IsolatedError) -> T) async throws -> T {
        do {
            return try await operation()
        } catch {
            throw RPCError(code: error.code == .notFound ? .notFound : .unavailable, message: error.message)
        }
    }
}
