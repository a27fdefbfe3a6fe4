import IsolatedCore
import IsolatedEngine
import Testing

/// The keys runners get for calling the server back, with a fake launcher underneath.
@Suite("Runner keys: one per runner that asks for one, living exactly as long as the runner")
struct RunnerCredentialsTests {
    static let variables = RunnerCredentials.Variables(id: "KEY_ID", secret: "KEY_SECRET")

    static func request(_ runnerID: String, worker: WorkerExecutable) -> LaunchRequest {
        LaunchRequest(
            runnerID: runnerID, worker: worker, function: "f", machineType: Fixtures.small, network: .enabled, onIdleLog: { _, _ in },
            onExit: { _ in })
    }

    @Test("a runner whose worker names key variables gets a key of its own, which ends when the runner exits")
    func keyLivesAsLongAsItsRunner() async throws {
        let (base, credentials) = (FakeLauncher(), RunnerCredentials())
        let launcher = CredentialedLauncher(base: base, credentials: credentials)
        let worker = WorkerExecutable(path: "/workers/python", libraryDirectories: [], credentialVariables: Self.variables)
        _ = try await launcher.launch(Self.request("r1", worker: worker))
        _ = try await launcher.launch(Self.request("r2", worker: worker))

        let first = base.requests[0].worker.environment
        let second = base.requests[1].worker.environment
        let secret = try #require(first["KEY_SECRET"])
        #expect(first["KEY_ID"] == "runner:r1" && second["KEY_ID"] == "runner:r2")
        #expect(second["KEY_SECRET"] != secret)
        let credential = try #require(credentials.credential(secret: secret))
        #expect(credential.id == "runner:r1" && credential.runnerID == "r1")
        #expect(credentials.credential(secret: secret + "0") == nil)
        #expect(credentials.credential(secret: "isk_000000000000_\(secret)") == nil)

        base.runners[0].crash()
        #expect(credentials.credential(secret: secret) == nil)
        #expect(credentials.credential(secret: try #require(second["KEY_SECRET"]))?.runnerID == "r2")
    }

    @Test("a worker that names no key variables gets no key, and its environment is left as it was")
    func noVariablesNoKey() async throws {
        let base = FakeLauncher()
        let launcher = CredentialedLauncher(base: base, credentials: RunnerCredentials())
        _ = try await launcher.launch(
            Self.request("r1", worker: WorkerExecutable(path: "/workers/swift", environment: ["A": "1"], libraryDirectories: [])))
        #expect(base.requests[0].worker.environment == ["A": "1"])
    }
}
