import Foundation
import TestSupport

/// One of the benchmark's Python scripts (isolate's side, the fal-serverless client's rows): its
/// JSON document on standard output, read from a file; its progress on our standard error as it
/// comes; a deadline, past which its process group is killed.
enum BenchmarkScript {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func run(
        _ script: String, arguments: [String], environment: [String: String] = [:], repository: URL, timeout: Duration
    ) async -> Result<SystemRun, Failure> {
        let resultPath = ExternalProcess.temporaryFile()
        defer { try? FileManager.default.removeItem(atPath: resultPath) }
        let child: ExternalProcess
        do {
            child = try await ExternalProcess.start(
                "/usr/bin/env", ["python3", script] + arguments, environment: environment, directory: repository.path,
                standardOutputPath: resultPath)
        } catch {
            return .failure(Failure(description: "cannot run python3 \(script): \(error)"))
        }
        defer { try? FileManager.default.removeItem(atPath: child.outputPath) }
        let status: Int32
        do {
            status = try await child.wait(timeout: timeout) { FileHandle.standardError.write($0) }
        } catch {
            return .failure(Failure(description: "\(script) did not finish within \(timeout) and was stopped"))
        }
        // What it started and failed to stop must not outlive the comparison.
        child.signalGroup(SIGKILL)
        let data = FileManager.default.contents(atPath: resultPath) ?? Data()
        do {
            return .success(try JSONDecoder().decode(SystemRun.self, from: data))
        } catch {
            let text = String(decoding: data.prefix(2000), as: UTF8.self)
            return .failure(Failure(description: "\(script) exited with \(status) and printed no readable JSON (\(error)): \(text)"))
        }
    }
}
