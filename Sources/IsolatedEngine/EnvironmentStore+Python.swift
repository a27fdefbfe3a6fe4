import Foundation
package import IsolatedCore

extension EnvironmentStore {
    /// The Python toolchain, found (and uv installed) once per store.
    package func pythonToolchain() async throws(IsolatedError) -> PythonToolchain {
        let home = self.home
        return try await attempt { try await self.pythonToolchains.value(for: "") { try await PythonToolchain.locate(home: home) } }
    }

    /// The Python environment for `requirements` on the machine's newest interpreter of
    /// `pythonVersion` (`3.11`), building it with uv if needed; `built` says whether this call built it.
    package func pythonEnvironment(
        pythonVersion: String,
        requirements: [String],
        progress: @escaping @Sendable (String) -> Void
    ) async throws(IsolatedError) -> (environment: PythonEnvironment, built: Bool) {
        let toolchain = try await pythonToolchain()
        let interpreter = try toolchain.interpreters.interpreter(for: pythonVersion)
        let spec = try PythonEnvironmentSpec(python: interpreter.version, requirements: requirements)
        let key = spec.key
        let directory = "\(environmentsDirectory)/\(key)"
        let record = "\(environmentsDirectory)/\(key).json"
        let environmentsDirectory = self.environmentsDirectory
        let cache = "\(home)/uv-cache"
        let built = BuiltFlag()
        // Removed since this process built it (`isolated envs rm` in another process): build it again.
        await pythonEnvironments.forget { $0.key == key && !FileManager.default.isExecutableFile(atPath: $0.python) }
        let environment = try await attempt {
            try await self.pythonEnvironments.value(
                for: key, onWait: { progress("waiting for the build of this environment started by another call") }
            ) {
                if let environment = Self.readPythonRecord(record) { return environment }
                try FileManager.default.createDirectory(atPath: environmentsDirectory, withIntermediateDirectories: true)
                return try await FileLock.withLock(
                    path: "\(directory).lock", onWait: { progress("waiting for another process building this environment") }
                ) {
                    if let environment = Self.readPythonRecord(record) { return environment }
                    try? FileManager.default.removeItem(atPath: directory)
                    let started = ContinuousClock.now
                    try await Self.uv(
                        toolchain, ["venv", "--no-config", "--quiet", "--python", interpreter.path, directory], cache: cache, progress: progress
                    ) {
                        "cannot create a Python \(interpreter.version) environment: \($0)"
                    }
                    if !spec.requirements.isEmpty {
                        progress("installing \(spec.requirements.joined(separator: ", ")) with uv")
                        try await Self.uv(
                            toolchain, ["pip", "install", "--no-config", "--python", "\(directory)/bin/python", "--"] + spec.requirements,
                            cache: cache, progress: progress
                        ) {
                            "cannot install \(spec.requirements.joined(separator: ", ")) for Python \(interpreter.version): \($0)"
                        }
                    }
                    let environment = PythonEnvironment(
                        key: key, spec: spec, directory: directory, interpreter: interpreter, builtAt: Date(),
                        buildSeconds: (ContinuousClock.now - started) / .seconds(1))
                    try Self.writeRecord(environment, to: record)
                    built.set()
                    return environment
                }
            }
        }
        Self.touch(record)
        return (environment, built.value)
    }

    /// The directory of the Python runner for `interpreter`: `isolated_runner.py` and, in
    /// `packages/`, what it needs and the user's environment does not provide (dill at the
    /// fal-serverless client's version, `isolate` for `@cached`). Built once per interpreter
    /// version and runner source, shared by every environment of that version.
    package func pythonRunner(for interpreter: PythonInterpreter) async throws(IsolatedError) -> String {
        let toolchain = try await pythonToolchain()
        let source = "\(Runtime.sourcesDirectory)/IsolatedPythonRunner/isolated_runner.py"
        guard let code = FileManager.default.contents(atPath: source) else {
            throw IsolatedError(code: .runtimeUnavailable, message: "the Python runner's source is missing at \(source)")
        }
        var hasher = SHA256()
        hasher.update(interpreter.version)
        hasher.update(Self.pythonRunnerPackages.joined(separator: "\n"))
        hasher.update(code)
        let key = hasher.finalize()
        let directory = "\(home)/python-runner/\(key)"
        let cache = "\(home)/uv-cache"
        return try await attempt {
            try await self.pythonRunners.value(for: key) {
                try FileManager.default.createDirectory(atPath: "\(self.home)/python-runner", withIntermediateDirectories: true)
                return try await FileLock.withLock(path: "\(directory).lock") {
                    if FileManager.default.fileExists(atPath: "\(directory)/ready") { return directory }
                    try? FileManager.default.removeItem(atPath: directory)
                    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                    try code.write(to: URL(fileURLWithPath: "\(directory)/isolated_runner.py"))
                    try await Self.uv(
                        toolchain,
                        ["pip", "install", "--no-config", "--no-deps", "--python", interpreter.path, "--target", "\(directory)/packages", "--"]
                            + Self.pythonRunnerPackages,
                        cache: cache, progress: { _ in }
                    ) { "cannot install the Python runner's own packages for Python \(interpreter.version): \($0)" }
                    _ = FileManager.default.createFile(atPath: "\(directory)/ready", contents: nil)
                    return directory
                }
            }
        }
    }

    /// The runner's own packages: dill as the fal-serverless 0.6.41 client pins it, and `isolate`,
    /// whose module `@cached` keeps its memo on (importing it needs only the standard library,
    /// and `importlib_metadata` before Python 3.10).
    static let pythonRunnerPackages = [
        "dill==0.3.7", "isolate==0.26.12", "importlib_metadata==6.8.0; python_version < \"3.10\"", "zipp==3.17.0; python_version < \"3.10\"",
    ]

    /// Runs uv with the engine's shared cache, never letting it download an interpreter.
    private static func uv(
        _ toolchain: PythonToolchain,
        _ arguments: [String],
        cache: String,
        progress: @escaping @Sendable (String) -> Void,
        failure: (String) -> String
    ) async throws {
        var environment = ProcessInfo.processInfo.environment
        environment["UV_CACHE_DIR"] = cache
        environment["UV_PYTHON_DOWNLOADS"] = "never"
        environment["UV_NO_PROGRESS"] = "1"
        let result: Command.Result
        do {
            result = try await Command.run(toolchain.uv, arguments, environment: environment) { progress($0) }
        } catch {
            throw IsolatedError(code: .pythonUnavailable, message: "cannot run uv at \(toolchain.uv): \(error)")
        }
        guard result.succeeded else {
            let lines = result.output.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            let reason = lines.first { $0.hasPrefix("×") || $0.hasPrefix("error:") } ?? "uv \(result.termination)"
            throw IsolatedError(code: .environmentBuildFailed, message: failure(reason), details: Array(lines.suffix(30)))
        }
    }

    static func readPythonRecord(_ path: String) -> PythonEnvironment? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try? decoder.decode(PythonEnvironment.self, from: data)
    }
}
