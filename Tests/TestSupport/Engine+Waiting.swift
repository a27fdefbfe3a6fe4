public import IsolatedCore
public import IsolatedEngine

extension Engine {
    /// Waits, in real time, until `condition` holds for the engine's runners.
    public func waitForRunners(
        timeout: Duration = .seconds(10),
        until condition: @Sendable ([RunnerSnapshot]) -> Bool
    ) async throws -> [RunnerSnapshot] {
        let deadline = ContinuousClock.now + timeout
        while true {
            let runners = await runnerSnapshots()
            if condition(runners) { return runners }
            guard ContinuousClock.now < deadline else { return runners }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}
