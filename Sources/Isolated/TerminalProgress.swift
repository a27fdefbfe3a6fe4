import Foundation
import IsolatedCore
import Synchronization

/// Shows what a call is waiting for, and forwards what the function prints.
///
/// The function's output goes to this process's standard output and error, line by line, as it
/// is printed. Long phases (an environment build, a compile) are shown on standard error: a live
/// line on a terminal, one line per phase otherwise. Warm calls show nothing.
/// `ISOLATED_PROGRESS=off` silences the phases.
final class TerminalProgress: Sendable {
    static let shared = TerminalProgress()

    private let isTerminal = isatty(STDERR_FILENO) == 1
    private let enabled = ProcessInfo.processInfo.environment["ISOLATED_PROGRESS"] != "off"
    private let state = Mutex(State())

    private struct State {
        var liveLine = false
        /// What the environment phase under way is for, until its first progress line announces a build.
        var pendingBuild: String?
    }

    func handle(_ event: InvocationEvent) {
        switch event {
        case .log(let line):
            switch line.stream {
            case .stdout: print(line.text)
            case .stderr: write(line.text + "\n")
            }
        case .phaseStarted(.environment, let detail) where enabled:
            state.withLock { $0.pendingBuild = detail ?? "" }
        case .progress(_, let text) where enabled:
            // Progress comes only from real builds: announce the build once, then show each line live.
            if let detail = state.withLock({ state in
                defer { state.pendingBuild = nil }
                return state.pendingBuild
            }) {
                status("isolated: building the environment for \(detail)", final: !isTerminal)
            }
            if isTerminal { status("isolated: \(text)", final: false) }
        case .phaseFinished(let timing) where enabled && (timing.outcome == "built" || timing.outcome == "compiled"):
            let what = timing.phase == .environment ? "built the environment" : "compiled the function"
            status("isolated: \(what) in \(Self.format(timing.duration))", final: true)
        case .phaseFinished(let timing) where enabled && timing.phase == .environment:
            state.withLock { $0.pendingBuild = nil }
            clearLiveLine()
        default:
            break
        }
    }

    private func status(_ text: String, final: Bool) {
        if isTerminal {
            let width = 100
            let shown = text.count > width ? String(text.prefix(width - 1)) + "…" : text
            state.withLock { $0.liveLine = !final }
            write("\r\u{1B}[K" + shown + (final ? "\n" : ""))
        } else if final {
            write(text + "\n")
        }
    }

    private func clearLiveLine() {
        let wasLive = state.withLock { state in
            defer { state.liveLine = false }
            return state.liveLine
        }
        if wasLive { write("\r\u{1B}[K") }
    }

    private func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    static func format(_ duration: Duration) -> String {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return seconds < 1 ? "\(Int(seconds * 1000)) ms" : String(format: "%.1f s", seconds)
    }
}
