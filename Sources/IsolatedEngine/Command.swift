import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Runs a tool (`swift build`, `swiftc`) to completion, streaming its output line by line.
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

    /// Runs `executable`; cancelling the task kills the tool and its children.
    package static func run(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String] = ProcessInfo.processInfo.environment,
        workingDirectory: String? = nil,
        onLine: @escaping @Sendable (String) -> Void = { _ in }
    ) async throws(ChildProcess.SpawnError) -> Result {
        let process = try ChildProcess.spawn(
            executable: executable,
            arguments: arguments,
            environment: environment,
            workingDirectory: workingDirectory,
            withChannel: false
        )
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Result, Never>) in
                let thread = Thread {
                    let (output, standardOutput) = Self.collect(process, onLine: onLine)
                    continuation.resume(
                        returning: Result(termination: process.waitForTermination(), output: output, standardOutput: standardOutput)
                    )
                }
                thread.name = "isolated-command"
                thread.start()
            }
        } onCancel: {
            process.signalGroup(SIGKILL)
        }
    }

    private static func collect(_ process: ChildProcess, onLine: @Sendable (String) -> Void) -> (all: [String], standardOutput: [String]) {
        var output: [String] = []
        var standardOutput: [String] = []
        var splitters = [LineSplitter(), LineSplitter()]
        var descriptors = [
            pollfd(fd: process.standardOutput, events: Int16(POLLIN), revents: 0),
            pollfd(fd: process.standardError, events: Int16(POLLIN), revents: 0),
        ]
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        var open = 2
        func emit(_ line: Substring, from index: Int) {
            let text = String(line)
            output.append(text)
            if index == 0 { standardOutput.append(text) }
            onLine(text)
        }
        while open > 0 {
            guard retryingInterrupted({ poll(&descriptors, 2, -1) }) >= 0 else { break }
            for index in 0..<2 where descriptors[index].fd >= 0 && descriptors[index].revents != 0 {
                let count = retryingInterrupted { buffer.withUnsafeMutableBytes { read(descriptors[index].fd, $0.baseAddress, $0.count) } }
                if count <= 0 {
                    if let rest = splitters[index].finish() { emit(rest, from: index) }
                    close(descriptors[index].fd)
                    descriptors[index].fd = -1
                    open -= 1
                    continue
                }
                let lines = buffer.withUnsafeBytes { splitters[index].lines(in: UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
                for line in lines { emit(line, from: index) }
            }
        }
        return (output, standardOutput)
    }
}
