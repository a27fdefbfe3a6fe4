import Foundation
import Subprocess
import Synchronization
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// Runs a tool (`swift build`, `swiftc`, the C compiler, the sandbox probe) to completion with
/// swift-subprocess, streaming its output line by line. Runners are not started this way:
/// they inherit the engine's channel as descriptor 3, and swift-subprocess closes every
/// descriptor above 2 in the child (see `ChildProcess`).
package enum Command {
    /// How the tool ended and what it printed.
    package struct Result: Sendable {
        package var termination: ChildProcess.Termination
        /// Both streams, interleaved as they arrived: for people.
        package var output: [String]
        /// Standard output alone: for parsing, which a warning on standard error must not break.
        package var standardOutput: [String]

        package var succeeded: Bool { termination == .exited(0) }
    }

    /// The tool could not be started.
    package struct LaunchFailure: Error, CustomStringConvertible {
        /// Why, as swift-subprocess says it.
        package var description: String
    }

    /// Runs `executable` in a process group of its own; cancelling the task kills the whole
    /// group at once (a compiler's children included).
    package static func run(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String] = ProcessInfo.processInfo.environment,
        workingDirectory: String? = nil,
        onLine: @escaping @Sendable (String) -> Void = { _ in }
    ) async throws(LaunchFailure) -> Result {
        var options = PlatformOptions()
        options.processGroupID = 0
        options.teardownSequence = [.send(signal: .kill, toProcessGroup: true, allowedDurationToNextStep: .zero)]
        var variables: [Subprocess.Environment.Key: String] = [:]
        for (name, value) in environment {
            if let key = Subprocess.Environment.Key(rawValue: name) { variables[key] = value }
        }
        let lines = Lines()
        let termination: TerminationStatus
        do {
            termination = try await Subprocess.run(
                .path(FilePath(executable)),
                arguments: Arguments(arguments),
                environment: .custom(variables),
                workingDirectory: workingDirectory.map { FilePath($0) },
                platformOptions: options,
                input: .none,
                output: .sequence,
                error: .sequence
            ) { execution in
                // Both pipes are read at once, or a tool filling one would block on it.
                try await withThrowingDiscardingTaskGroup { group in
                    group.addTask {
                        for try await line in execution.standardOutput.strings(separatedBy: Self.newline, bufferingPolicy: .unbounded) {
                            lines.append(line, standardOutput: true)
                            onLine(line)
                        }
                    }
                    group.addTask {
                        for try await line in execution.standardError.strings(separatedBy: Self.newline, bufferingPolicy: .unbounded) {
                            lines.append(line, standardOutput: false)
                            onLine(line)
                        }
                    }
                }
            }.terminationStatus
        } catch {
            throw LaunchFailure(description: "\(error)")
        }
        let (output, standardOutput) = lines.collected
        let status: ChildProcess.Termination =
            switch termination {
            case .exited(let code): .exited(code)
            case .signaled(let signal): .signaled(signal)
            }
        return Result(termination: status, output: output, standardOutput: standardOutput)
    }

    /// Lines end at `\n` only, as compilers write them.
    private static let newline = SubprocessOutputSequence.StringSequence<UTF8>.Separator.unicodeScalarSequence(["\n"])

    /// What the tool printed, gathered from both pipes' readers.
    private final class Lines: Sendable {
        private let state = Mutex<(all: [String], standardOutput: [String])>(([], []))

        func append(_ line: String, standardOutput: Bool) {
            state.withLock { state in
                state.all.append(line)
                if standardOutput { state.standardOutput.append(line) }
            }
        }

        var collected: (all: [String], standardOutput: [String]) { state.withLock { $0 } }
    }
}
