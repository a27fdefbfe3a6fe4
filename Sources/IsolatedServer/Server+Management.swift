import Foundation
import Hummingbird
package import IsolatedClient
import IsolatedCore
package import IsolatedEngine
package import IsolatedStore
import Logging

extension Server {
    /// Keys, environments, runners and the machine check: for admin keys.
    func addManagementRoutes(to authenticated: RouterGroup<BasicRequestContext>) {
        authenticated.get("v1/machine-types") { _, _ in engine.configuration.machineTypes }
        let group = authenticated.group().add(middleware: ScopeMiddleware<BasicRequestContext>(needed: .admin, metrics: metrics))

        group.get("v1/environments") { _, _ -> [EnvironmentInfo] in
            await engine.environments.summaries().map(EnvironmentInfo.init)
        }
        group.delete("v1/environments/:key") { _, context -> Removed in
            let key = try context.parameters.require("key")
            let removed: [String]
            do {
                removed = try await engine.environments.remove(prefixes: [key])
                engine.environmentsChanged()
            } catch {
                throw IsolatedError(code: .notFound, message: error.localizedDescription)
            }
            return Removed(removed: removed)
        }

        group.post("v1/environments/gc") { request, _ -> Removed in
            // Up to about 27,000 years: any age an environment can have, and a finite number of seconds.
            let days = try request.query("unusedForDays", in: 0...10_000_000.0) ?? 7
            let removed = try await engine.environments.collectGarbage(unusedFor: days * 86_400)
            engine.environmentsChanged()
            return Removed(removed: removed)
        }

        group.get("v1/doctor") { _, _ in
            await MachineCheck.all(configuration: engine.configuration, store: engine.environments)
        }

        group.get("v1/runners") { _, _ in await engine.runnerSnapshots() }
        group.delete("v1/runners/:id") { _, context -> Removed in
            let id = try context.parameters.require("id")
            guard await engine.stopRunner(id) else {
                throw IsolatedError(code: .notFound, message: "there is no runner \(id); `isolated runners list` lists them")
            }
            return Removed(removed: [id])
        }

        group.get("v1/keys") { _, _ -> [KeyInfo] in try await store.keys().map(KeyInfo.init) }
        group.post("v1/keys") { request, context -> CreatedKey in
            let body: NewKey
            do {
                body = try await request.decode(as: NewKey.self, context: context)
            } catch let error as DecodingError {
                throw IsolatedError(code: .invalidRequest, message: "the body is not a new key: \(Self.describe(error))")
            }
            guard let scope = KeyScope(rawValue: body.scope ?? KeyScope.invoke.rawValue) else {
                throw IsolatedError(code: .invalidRequest, message: "scope should be invoke or admin, not \(body.scope ?? "")")
            }
            let (record, secret) = try await store.createKey(name: body.name, scope: scope)
            return CreatedKey(key: KeyInfo(record), secret: secret)
        }
        group.delete("v1/keys/:id") { _, context -> KeyInfo in
            KeyInfo(try await store.revokeKey(id: try context.parameters.require("id")))
        }
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
