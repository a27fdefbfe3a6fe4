public import Foundation
public import IsolatedCore
import OpenAPIRuntime

extension ServerClient {
    /// Whether the server is up (`GET /healthz`); needs no key.
    public func health() async throws(IsolatedError) -> String {
        try await perform("GET /healthz") { try await api.health().ok.body.json.status.rawValue }
    }

    /// The OpenAPI document the server serves, as JSON.
    public func openAPIDocument() async throws(IsolatedError) -> Data {
        try await perform("GET /openapi.json") { try JSONEncoder().encode(try await api.openAPIDocument().ok.body.json) }
    }

    /// The server's metrics, in Prometheus' text format.
    public func metrics() async throws(IsolatedError) -> String {
        try await perform("GET /metrics") { try await text(try await api.metrics().ok.body.plainText) }
    }

    /// The most recent calls, newest first: at most `limit` (1 to 1000), of `function` when given.
    public func invocations(limit: Int? = nil, function: String? = nil) async throws(IsolatedError) -> [InvocationInfo] {
        try await perform("GET /v1/invocations") { try await api.listInvocations(query: .init(limit: limit, function: function)).ok.body.json }
    }

    /// The recorded call `id`.
    public func invocation(id: String) async throws(IsolatedError) -> InvocationInfo {
        try await perform("GET /v1/invocations/\(id)") { try await api.getInvocation(path: .init(id: id)).ok.body.json }
    }

    /// What the call `id` printed, as far as the server kept it.
    public func logs(id: String) async throws(IsolatedError) -> String {
        try await perform("GET /v1/invocations/\(id)/logs") { try await text(try await api.getInvocationLogs(path: .init(id: id)).ok.body.plainText) }
    }

    /// The machine types the server offers.
    public func machineTypes() async throws(IsolatedError) -> MachineTypeCatalog {
        try await perform("GET /v1/machine-types") { try await api.listMachineTypes().ok.body.json }
    }

    /// The built environments; needs an admin key.
    public func environments() async throws(IsolatedError) -> [EnvironmentInfo] {
        try await perform("GET /v1/environments") { try await api.listEnvironments().ok.body.json }
    }

    /// Removes the environments whose keys start with `key`; the keys removed. Needs an admin key.
    public func removeEnvironment(_ key: String) async throws(IsolatedError) -> [String] {
        try await perform("DELETE /v1/environments/\(key)") { try await api.removeEnvironment(path: .init(key: key)).ok.body.json.removed }
    }

    /// Removes environments unused for `unusedForDays` days (7 when nil); the keys removed. Needs an admin key.
    public func collectEnvironmentGarbage(unusedForDays: Double? = nil) async throws(IsolatedError) -> [String] {
        try await perform("POST /v1/environments/gc") {
            try await api.collectEnvironmentGarbage(query: .init(unusedForDays: unusedForDays)).ok.body.json.removed
        }
    }

    /// The runners alive now; needs an admin key.
    public func runners() async throws(IsolatedError) -> [RunnerSnapshot] {
        try await perform("GET /v1/runners") { try await api.listRunners().ok.body.json }
    }

    /// Stops the runner `id`; needs an admin key.
    public func stopRunner(_ id: String) async throws(IsolatedError) -> [String] {
        try await perform("DELETE /v1/runners/\(id)") { try await api.stopRunner(path: .init(id: id)).ok.body.json.removed }
    }

    /// What the server's machine offers runners, and what its engine enforces; needs an admin key.
    package func doctor() async throws(IsolatedError) -> [MachineCheck] {
        try await perform("GET /v1/doctor") { try await api.doctor().ok.body.json }
    }

    /// The server's keys; needs an admin key.
    public func keys() async throws(IsolatedError) -> [KeyInfo] {
        try await perform("GET /v1/keys") { try await api.listKeys().ok.body.json }
    }

    /// Creates a key named `name` with `scope` (`invoke` when nil); its secret is in the answer,
    /// this once. Needs an admin key.
    public func createKey(name: String, scope: String? = nil) async throws(IsolatedError) -> CreatedKey {
        let payload: Operations.CreateKey.Input.Body.JsonPayload.ScopePayload?
        if let scope {
            guard let known = Operations.CreateKey.Input.Body.JsonPayload.ScopePayload(rawValue: scope), known != ._empty_ else {
                throw IsolatedError(code: .invalidRequest, message: "scope should be invoke or admin, not '\(scope)'")
            }
            payload = known
        } else {
            payload = nil
        }
        return try await perform("POST /v1/keys") { try await api.createKey(body: .json(.init(name: name, scope: payload))).ok.body.json }
    }

    /// Revokes the key `id`; needs an admin key.
    public func revokeKey(_ id: String) async throws(IsolatedError) -> KeyInfo {
        try await perform("DELETE /v1/keys/\(id)") { try await api.revokeKey(path: .init(id: id)).ok.body.json }
    }

    private func text(_ body: HTTPBody) async throws -> String {
        String(decoding: try await Data(collecting: body, upTo: 256 << 20), as: UTF8.self)
    }
}
