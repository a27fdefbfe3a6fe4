package import IsolatedCore
import Synchronization

/// The first `limit` bytes of a call's output, gathered as it prints, for its record: one byte
/// past the limit is kept, so the store marks the record truncated.
package final class LogBuffer: Sendable {
    private let state = Mutex<(text: String, bytes: Int)>(("", 0))
    private let limit: Int

    package init(limit: Int) { self.limit = limit }

    package func append(_ line: LogLine) {
        state.withLock { state in
            guard state.bytes <= limit else { return }
            state.text += line.text + "\n"
            state.bytes += line.text.utf8.count + 1
        }
    }

    package var text: String { state.withLock { $0.text } }
}
