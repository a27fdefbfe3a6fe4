import Foundation
package import IsolatedClient
import IsolatedCore
package import IsolatedEngine
package import IsolatedStore

/// Keys, environments, runners and the machine check: for admin keys (``ScopeMiddleware``).
extension APIHandler {
    func listEnvironments(_ input: Operations.ListEnvironments.Input) async throws -> Operations.ListEnvironments.Output {
        .ok(.init(body: .json(await server.engine.environments.summaries().map(EnvironmentInfo.init))))
    }

    func removeEnvironment(_ input: Operations.RemoveEnvironment.Input) async throws -> Operations.RemoveEnvironment.Output {
        let removed: [String]
        do {
            removed = try await server.engine.environments.remove(prefixes: [input.path.key])
            server.engine.environmentsChanged()
        } catch {
            throw IsolatedError(code: .notFound, message: error.localizedDescription)
        }
        return .ok(.init(body: .json(Removed(removed: removed))))
    }

    func collectEnvironmentGarbage(_ input: Operations.CollectEnvironmentGarbage.Input) async throws -> Operations.CollectEnvironmentGarbage.Output {
        // Up to about 27,000 years: any age an environment can have, and a finite number of seconds.
        let days = try Self.check(input.query.unusedForDays, "unusedForDays", in: 0...10_000_000) ?? 7
        let removed = try await server.engine.environments.collectGarbage(unusedFor: days * 86_400)
        server.engine.environmentsChanged()
        return .ok(.init(body: .json(Removed(removed: removed))))
    }

    func doctor(_ input: Operations.Doctor.Input) async throws -> Operations.Doctor.Output {
        .ok(.init(body: .json(await MachineCheck.all(configuration: server.engine.configuration, store: server.engine.environments))))
    }

    func listRunners(_ input: Operations.ListRunners.Input) async throws -> Operations.ListRunners.Output {
        .ok(.init(body: .json(await server.engine.runnerSnapshots())))
    }

    func stopRunner(_ input: Operations.StopRunner.Input) async throws -> Operations.StopRunner.Output {
        let id = input.path.id
        guard await server.engine.stopRunner(id) else {
            throw IsolatedError(code: .notFound, message: "there is no runner \(id); `isolated runners list` lists them")
        }
        return .ok(.init(body: .json(Removed(removed: [id]))))
    }

    func listKeys(_ input: Operations.ListKeys.Input) async throws -> Operations.ListKeys.Output {
        .ok(.init(body: .json(try await server.store.keys().map(KeyInfo.init))))
    }

    func createKey(_ input: Operations.CreateKey.Input) async throws -> Operations.CreateKey.Output {
        guard case .json(let body) = input.body else { throw IsolatedError(code: .invalidRequest, message: "the body should be JSON") }
        guard let scope = KeyScope(rawValue: body.scope?.rawValue ?? KeyScope.invoke.rawValue) else {
            throw IsolatedError(code: .invalidRequest, message: "scope should be invoke or admin, not '\(body.scope?.rawValue ?? "")'")
        }
        let (record, secret) = try await server.store.createKey(name: body.name, scope: scope)
        return .ok(.init(body: .json(CreatedKey(key: KeyInfo(record), secret: secret))))
    }

    func revokeKey(_ input: Operations.RevokeKey.Input) async throws -> Operations.RevokeKey.Output {
        .ok(.init(body: .json(KeyInfo(try await server.store.revokeKey(id: input.path.id)))))
    }
}

extension EnvironmentInfo {
    /// The API form of a built environment.
    package init(_ summary: EnvironmentSummary) {
        self.init(
            key: summary.key,
            runtime: summary.runtime,
            requirements: summary.requirements,
            bytes: summary.bytes,
            builtAt: summary.builtAt,
            lastUsed: summary.lastUsed,
            functions: summary.functions
        )
    }
}

extension KeyInfo {
    /// The API form of a key.
    package init(_ record: KeyRecord) {
        self.init(
            id: record.id, name: record.name, scope: record.scope.rawValue, createdAt: record.createdAt, lastUsedAt: record.lastUsedAt,
            revokedAt: record.revokedAt)
    }
}
