import Foundation
import TestSupport

/// Runs fal's `isolate` side of the comparison: `Benchmarks/isolate/bench.py`, which installs
/// `isolate==0.26.12` into a throwaway virtual environment and prints its figures as JSON.
enum IsolateRunner {
    static func run(repository: URL, quick: Bool) async -> SystemRun {
        let script = repository.appendingPathComponent("Benchmarks/isolate/bench.py").path
        let resultPath = ExternalProcess.temporaryFile()
        defer { try? FileManager.default.removeItem(atPath: resultPath) }
        let child: ExternalProcess
        do {
            child = try await ExternalProcess.start(
                "/usr/bin/env", ["python3", script, "--json"] + (quick ? ["--quick"] : []), directory: repository.path,
                standardOutputPath: resultPath)
        } catch {
            return SystemRun(system: "isolate", scenarios: [:], error: "cannot run python3 \(script): \(error)")
        }
        defer { try? FileManager.default.removeItem(atPath: child.outputPath) }
        // Generous: the full run takes about 5 minutes here, the quick one under 2, most of it installing isolate.
        let timeout: Duration = quick ? .seconds(900) : .seconds(3600)
        let status: Int32
        do {
            // Its progress goes to the terminal as it comes, beside ours.
            status = try await child.wait(timeout: timeout) { FileHandle.standardError.write($0) }
        } catch {
            return SystemRun(system: "isolate", scenarios: [:], error: "\(script) did not finish within \(timeout) and was stopped")
        }
        // isolate's servers and agents it failed to stop must not outlive the comparison.
        child.signalGroup(SIGKILL)
        let data = FileManager.default.contents(atPath: resultPath) ?? Data()
        do {
            return normalized(try JSONDecoder().decode(SystemRun.self, from: data))
        } catch {
            let text = String(decoding: data.prefix(2000), as: UTF8.self)
            return SystemRun(
                system: "isolate", scenarios: [:],
                error: "\(script) exited with \(status) and printed no readable JSON (\(error)): \(text)")
        }
    }

    /// isolate's `throughput_32` goes through its server; its embedded counterpart, 32 agents
    /// with one caller each, is a variant. Its large results through `isolate.server` are
    /// variants too (at the default limit, and raised). Each becomes the row it compares with.
    private static func normalized(_ run: SystemRun) -> SystemRun {
        var run = run
        for id in ["result_10mib", "result_100mib"] {
            guard let variants = run.scenarios[id]?.variants, let server = variants["server"] ?? variants["server_raised_limit"] else { continue }
            var measurement = server
            // gRPC's error prints as several lines; its `details` line says it all.
            if let error = measurement.error, let details = error.split(separator: "\n").first(where: { $0.contains("details = ") }) {
                measurement.error = "RESOURCE_EXHAUSTED: " + (details.split(separator: "\"").dropFirst().first ?? details)
            }
            if let raised = variants["server_raised_limit"] {
                measurement.raisedLimit = Measurement.RaisedLimit(medianMs: raised.medianMs, samples: raised.samples, error: raised.error)
            }
            run.scenarios["\(id)_server"] = measurement
        }
        if let server = run.scenarios["throughput_32"] {
            run.scenarios["throughput_32_server"] = server
            var embedded = server.variants?["embedded_agents"] ?? Measurement(error: "no embedded-agents variant")
            embedded.how = embedded.how ?? "32 caller threads, each with its own embedded gRPC agent (as in warm_embedded), without a server"
            run.scenarios["throughput_32"] = embedded
        }
        return run
    }
}
