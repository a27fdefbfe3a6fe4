import IsolatedCore
import ServiceLifecycle

/// Runs the calls the HTTP API starts, each in a child task of its own group.
///
/// A call outlives its response: when the client goes away, the call still finishes and is
/// recorded. So it cannot run inside the response body, which stops with the connection; it
/// runs here, under the server's service group, and graceful shutdown (after the listener has
/// stopped) refuses new calls and waits for those in flight.
final class CallSupervisor: Service, Sendable {
    typealias Job = @Sendable () async -> Void

    private let jobs: AsyncStream<Job>
    private let submissions: AsyncStream<Job>.Continuation

    init() {
        (jobs, submissions) = AsyncStream.makeStream(of: Job.self)
    }

    /// Runs `job` beside the calls in flight; `engineUnavailable` once the server is stopping.
    func submit(_ job: @escaping Job) throws(IsolatedError) {
        guard case .enqueued = submissions.yield(job) else {
            throw IsolatedError(code: .engineUnavailable, message: "the server is shutting down; send the call to another server, or retry")
        }
    }

    func run() async {
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                for await job in jobs { group.addTask { await job() } }
            }
        } onGracefulShutdown: {
            self.submissions.finish()
        }
    }
}
