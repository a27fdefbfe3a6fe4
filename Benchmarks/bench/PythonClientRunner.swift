import Foundation

/// Isolated's Python rows: `Benchmarks/python/bench_fal.py` calls an `isolated serve
/// --grpc-port` process through the real fal-serverless 0.6.41 client (its virtual environment
/// made in `.build/python-tests` when missing) and prints its figures as JSON.
enum PythonClientRunner {
    static let scenarioIDs = ["python_warm_server", "python_channel", "python_new_runner", "python_cold_environment", "python_shared_environment"]

    static func run(repository: URL, home: String, quick: Bool, progress: (String) -> Void) async -> [String: Measurement] {
        progress("python: starting isolated serve --grpc-port 0")
        let server: ServerProcess
        do {
            server = try await ServerProcess.start(home: home, grpc: true)
        } catch {
            return failed("cannot start isolated serve --grpc-port: \(error)")
        }
        progress("python: Benchmarks/python/bench_fal.py against \(server.grpcAddress ?? "")")
        // The client takes the server and its key from the environment, as a user sets them.
        let environment = [
            "FAL_HOST": server.grpcAddress ?? "", "ISOLATE_TEST_MODE": "1", "FAL_KEY_ID": server.keyID, "FAL_KEY_SECRET": server.key,
        ]
        // Generous: a full run takes about 1.5 minutes; the first on a machine also makes the client's
        // virtual environment and, on a fresh home, installs uv and the Python runner's packages.
        let run = await BenchmarkScript.run(
            repository.appendingPathComponent("Benchmarks/python/bench_fal.py").path,
            arguments: ["--json", "--http", server.url.absoluteString, "--home", home] + (quick ? ["--quick"] : []),
            environment: environment, repository: repository, timeout: quick ? .seconds(900) : .seconds(1800))
        await server.stop()
        switch run {
        case .success(let run):
            var scenarios = run.scenarios
            for id in scenarioIDs where scenarios[id] == nil { scenarios[id] = Measurement(error: "not measured", how: nil) }
            return scenarios
        case .failure(let failure):
            return failed(failure.description)
        }
    }

    private static func failed(_ error: String) -> [String: Measurement] {
        Dictionary(uniqueKeysWithValues: scenarioIDs.map { ($0, Measurement(error: error, how: "the fal-serverless client against isolated serve")) })
    }
}
