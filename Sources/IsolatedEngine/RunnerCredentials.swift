import IsolatedCore
import Synchronization

/// Keys the engine gives runners whose client calls the server back (a Python function's nested
/// calls go through fal-serverless inside its runner): one per runner, valid only while that
/// runner lives, never the caller's own key. A front door asks ``credential(secret:)`` who holds
/// a key it was shown; such a key may only make calls.
package final class RunnerCredentials: Sendable {
    /// The environment variables a runner reads its key from.
    package struct Variables: Sendable, Hashable {
        /// The variable naming the key's id.
        package var id: String
        /// The variable holding the key's secret.
        package var secret: String

        package init(id: String, secret: String) {
            self.id = id
            self.secret = secret
        }
    }

    /// A live runner's key.
    package struct Credential: Sendable, Hashable {
        /// The key's id, as histories record it: `runner:` and the runner's id.
        package var id: String
        /// The runner holding it.
        package var runnerID: String
    }

    /// Live keys by the SHA-256 of their secret, so the secrets themselves are not kept.
    private let live = Mutex<[String: Credential]>([:])

    package init() {}

    /// A new key for runner `runnerID`: its id and its secret.
    package func issue(runnerID: String) -> (id: String, secret: String) {
        var generator = SystemRandomNumberGenerator()
        let secret = "isr_" + (0..<4).map { _ in String(generator.next() as UInt64, radix: 16).leftPadded(to: 16) }.joined()
        let credential = Credential(id: "runner:\(runnerID)", runnerID: runnerID)
        live.withLock { $0[SHA256.hex(secret)] = credential }
        return (credential.id, secret)
    }

    /// Ends runner `runnerID`'s key: it has exited, or never started.
    package func revoke(runnerID: String) {
        live.withLock { keys in keys = keys.filter { $0.value.runnerID != runnerID } }
    }

    /// Whose key `secret` is, while that runner lives.
    package func credential(secret: String) -> Credential? {
        guard secret.hasPrefix("isr_") else { return nil }
        return live.withLock { $0[SHA256.hex(secret)] }
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
