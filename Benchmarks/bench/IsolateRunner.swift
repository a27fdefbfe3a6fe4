import Foundation

/// Runs fal's `isolate` side of the comparison: `Benchmarks/isolate/bench.py`, which installs
/// `isolate==0.26.12` into a throwaway virtual environment and prints its figures as JSON.
enum IsolateRunner {
    static func run(repository: URL, quick: Bool) async -> SystemRun {
        // Generous: the full run takes about 5 minutes here, the quick one under 2, most of it installing isolate.
        let run = await BenchmarkScript.run(
            repository.appendingPathComponent("Benchmarks/isolate/bench.py").path, arguments: ["--json"] + (quick ? ["--quick"] : []),
            repository: repository, timeout: quick ? .seconds(900) : .seconds(3600))
        switch run {
        case .success(let run): return normalized(run)
        case .failure(let failure): return SystemRun(system: "isolate", scenarios: [:], error: failure.description)
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
