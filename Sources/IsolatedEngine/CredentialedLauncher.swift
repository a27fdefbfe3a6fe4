package import IsolatedCore

/// A launcher that gives each runner whose worker asks for it a key of its own
/// (``RunnerCredentials``), in the variables the worker names, and ends the key when the
/// runner exits or fails to start.
package struct CredentialedLauncher: Launcher {
    let base: any Launcher
    let credentials: RunnerCredentials

    package init(base: any Launcher, credentials: RunnerCredentials) {
        self.base = base
        self.credentials = credentials
    }

    package func prepare(machineTypes: [MachineTypeSpec]) async throws(IsolatedError) -> [String: String] {
        try await base.prepare(machineTypes: machineTypes)
    }

    package func shutdown() async { await base.shutdown() }

    package func launch(_ request: LaunchRequest) async throws(IsolatedError) -> any RunnerHandle {
        guard let variables = request.worker.credentialVariables else { return try await base.launch(request) }
        let (id, secret) = credentials.issue(runnerID: request.runnerID)
        var request = request
        request.worker.environment[variables.id] = id
        request.worker.environment[variables.secret] = secret
        let (credentials, runnerID, onExit) = (self.credentials, request.runnerID, request.onExit)
        request.onExit = { termination in
            credentials.revoke(runnerID: runnerID)
            onExit(termination)
        }
        do {
            return try await base.launch(request)
        } catch {
            credentials.revoke(runnerID: runnerID)
            throw error
        }
    }
}
