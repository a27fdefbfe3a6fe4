import Logging
import Synchronization

/// Keeps every log line, at every level, so a test can check what the store logged.
final class LogCapture: Sendable {
    private let lines = Mutex<[String]>([])

    /// A logger at trace level whose lines end up in ``text``.
    var logger: Logger {
        var logger = Logger(label: "IsolatedStoreTests") { _ in Handler(capture: self) }
        logger.logLevel = .trace
        return logger
    }

    /// Every line so far, with its metadata.
    var text: String { lines.withLock { $0.joined(separator: "\n") } }

    private struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        var metadataProvider: Logger.MetadataProvider?

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            capture.lines.withLock { $0.append("\(event.level) \(event.message) \(metadata.merging(event.metadata ?? [:]) { $1 })") }
        }
    }
}
