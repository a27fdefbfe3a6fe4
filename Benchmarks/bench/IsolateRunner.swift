import Foundation

/// Runs fal's `isolate` side of the comparison: `Benchmarks/isolate/bench.py`, which installs
/// `isolate==0.26.12` into a throwaway virtual environment and prints its figures as JSON.
enum IsolateRunner {
    static func run(repository: URL, quick: Bool) -> SystemRun {
        let script = repository.appendingPathComponent("Benchmarks/isolate/bench.py").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, "--json"] + (quick ? ["--quick"] : [])
        process.currentDirectoryURL = repository
        let output = Pipe()
        process.standardOutput = output
        // Its progress goes straight to the terminal, beside ours.
        process.standardError = FileHandle.standardError
        do {
            try process.run()
        } catch {
            return SystemRun(system: "isolate", scenarios: [:], error: "cannot run python3 \(script): \(error)")
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        do {
            return normalized(try JSONDecoder().decode(SystemRun.self, from: data))
        } catch {
            let text = String(decoding: data.prefix(2000), as: UTF8.self)
            return SystemRun(
                system: "isolate", scenarios: [:],
                error: "\(script) exited with \(process.terminationStatus) and printed no readable JSON (\(error)): \(text)")
        }
    }

    /// isolate's `throughput_32` goes through its server; its embedded counterpart, 32 agents
    /// with one caller each, is a variant. Both become the rows they compare with.
    private static func normalized(_ run: SystemRun) -> SystemRun {
        var run = run
        if let server = run.scenarios["throughput_32"] {
            run.scenarios["throughput_32_server"] = server
            var embedded = server.variants?["embedded_agents"] ?? Measurement(error: "no embedded-agents variant")
            embedded.how = embedded.how ?? "32 caller threads, each with its own embedded gRPC agent (as in warm_embedded), without a server"
            run.scenarios["throughput_32"] = embedded
        }
        return run
    }
}
