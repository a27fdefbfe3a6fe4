public import Foundation
import IsolatedClient
public import IsolatedCore
public import IsolatedEngine
import Logging
import Synchronization

/// Which engine `@Isolated` calls go to, and what they report.
///
/// With no configuration, calls run on an embedded engine in this process, started on first
/// use; its warm runners live as long as the process. With `ISOLATED_SERVER` (a URL) and
/// `ISOLATED_KEY` set, they go to that `isolated serve` server instead, whose warm runners
/// every client shares. ``withEngine(_:operation:)`` sends the calls made inside it to another
/// engine, such as one a test configured, and ``withServer(_:key:operation:)`` to a server,
/// whatever the environment says.
public enum Isolation {
    /// Set by the innermost ``withEngine(_:operation:)`` or ``withServer(_:key:operation:)``.
    @TaskLocal private static var chosen: Target?
    @TaskLocal private static var collector: ReportCollector?
    @TaskLocal private static var handler: (@Sendable (InvocationEvent) -> Void)?

    private static let embedded: Engine = {
        let engine = Engine(logger: Logger(label: "isolated"))
        Task.detached { try await engine.run() }
        return engine
    }()

    /// Where calls made here go: the innermost ``withEngine(_:operation:)``'s engine or
    /// ``withServer(_:key:operation:)``'s server, the `ISOLATED_SERVER` server, or the embedded engine.
    static func target() async throws(IsolatedError) -> Target {
        if let chosen { return chosen }
        if let server = try server.get() { return .server(server) }
        await embedded.untilRunning()
        return .engine(embedded)
    }

    enum Target: Sendable {
        case engine(Engine)
        case server(ServerClient)
    }

    private static let server: Result<ServerClient?, IsolatedError> = Result { () throws(IsolatedError) in try ServerClient.fromEnvironment() }

    /// The engine calls made here go to: the innermost ``withEngine(_:operation:)``'s, or the embedded one.
    public static func currentEngine() async -> Engine {
        var engine = embedded
        if case .engine(let chosen) = chosen { engine = chosen }
        await engine.untilRunning()
        return engine
    }

    /// Runs `operation` with every isolated call in it going to `engine`, which must be running.
    public static func withEngine<Value>(
        _ engine: Engine,
        isolation: isolated (any Actor)? = #isolation,
        operation: () async throws -> Value
    ) async rethrows -> Value {
        try await $chosen.withValue(.engine(engine), operation: operation, isolation: isolation)
    }

    /// Runs `operation` with every isolated call in it going to the `isolated serve` server at
    /// `url`, authenticated with `key`, as `ISOLATED_SERVER` and `ISOLATED_KEY` would send them.
    public static func withServer<Value>(
        _ url: URL,
        key: String?,
        isolation: isolated (any Actor)? = #isolation,
        operation: () async throws -> Value
    ) async rethrows -> Value {
        try await $chosen.withValue(.server(ServerClient(baseURL: url, key: key)), operation: operation, isolation: isolation)
    }

    /// Runs `operation` and returns, with its value, the report of every isolated call it made, in order.
    public static func withCallReports<Value>(
        isolation: isolated (any Actor)? = #isolation,
        _ operation: () async throws -> Value
    ) async rethrows -> (value: Value, reports: [CallReport]) {
        let collector = ReportCollector()
        let value = try await $collector.withValue(collector, operation: operation, isolation: isolation)
        return (value, collector.reports)
    }

    /// Runs `operation` with the events of every isolated call in it (phases, build progress,
    /// the function's output) going to `handler` instead of the terminal.
    public static func withEventHandler<Value>(
        _ handler: @escaping @Sendable (InvocationEvent) -> Void,
        isolation: isolated (any Actor)? = #isolation,
        operation: () async throws -> Value
    ) async rethrows -> Value {
        try await $handler.withValue(handler, operation: operation, isolation: isolation)
    }

    static func record(_ report: CallReport, transfer: Duration?) {
        var report = report
        if let transfer { report.phases.append(CallReport.Timing(phase: .transfer, duration: transfer)) }
        collector?.append(report)
    }

    static var eventHandler: @Sendable (InvocationEvent) -> Void {
        handler ?? { TerminalProgress.shared.handle($0) }
    }
}

private final class ReportCollector: Sendable {
    private let storage = Mutex<[CallReport]>([])

    func append(_ report: CallReport) { storage.withLock { $0.append(report) } }
    var reports: [CallReport] { storage.withLock { $0 } }
}
