/// The engine's view of an injected clock: offsets from the moment the engine was created, so
/// any `Clock<Duration>` (a test clock included) can drive keep-alive and heartbeats.
package struct EngineClock: Sendable {
    package let now: @Sendable () -> Duration
    package let sleep: @Sendable (_ until: Duration) async throws -> Void

    package init<C: Clock>(_ clock: C) where C.Duration == Duration {
        let start = clock.now
        now = { start.duration(to: clock.now) }
        sleep = { offset in try await clock.sleep(until: start.advanced(by: offset), tolerance: nil) }
    }
}
