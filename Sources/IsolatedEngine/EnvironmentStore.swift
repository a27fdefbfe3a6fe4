import Foundation
package import IsolatedCore
package import Logging
import Synchronization

/// The content-addressed cache under the engine's home: environments, the runner runtime and
/// compiled function versions. Each is built once: single-flight within the process, and
/// under a file lock across processes. An environment is ready only once its record
/// (`environments/KEY.json`) exists; that record is written last, by rename.
package actor EnvironmentStore {
    package let home: String
    private let builder: any EnvironmentBuilder
    private let configuration: EngineConfiguration
    private let logger: Logger
    private let toolchains = SingleFlight<String, Toolchain>()
    private let runtimes = SingleFlight<String, (key: String, runtime: Runtime)>()
    private let staticRuntimes = SingleFlight<String, Runtime>()
    let environments = SingleFlight<String, Environment>()
    let workers = SingleFlight<String, WorkerExecutable>()
    let pythonToolchains = SingleFlight<String, PythonToolchain>()
    let pythonEnvironments = SingleFlight<String, PythonEnvironment>()
    let pythonRunners = SingleFlight<String, String>()

    package init(configuration: EngineConfiguration, builder: any EnvironmentBuilder = SwiftPMEnvironmentBuilder(), logger: Logger) {
        self.home = configuration.home
        self.builder = builder
        self.configuration = configuration
        self.logger = logger
    }

    package nonisolated var environmentsDirectory: String { "\(home)/environments" }

    package func toolchain() async throws(IsolatedError) -> Toolchain {
        let directory = configuration.toolchainDirectory
        return try await attempt { try await self.toolchains.value(for: directory ?? "") { try await Toolchain.locate(in: directory) } }
    }

    package func runtime() async throws(IsolatedError) -> (key: String, runtime: Runtime) {
        let toolchain = try await toolchain()
        let key = try Runtime.key(toolchain: toolchain)
        let directory = "\(home)/runtime/\(key)"
        return try await attempt {
            try await self.runtimes.value(for: key) {
                try FileManager.default.createDirectory(atPath: "\(self.home)/runtime", withIntermediateDirectories: true)
                return try await FileLock.withLock(path: "\(directory).lock") {
                    if FileManager.default.fileExists(atPath: "\(directory)/ready") { return (key, Runtime(directory: directory)) }
                    try? FileManager.default.removeItem(atPath: directory)
                    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                    let runtime = try await Runtime.build(in: directory, toolchain: toolchain)
                    _ = FileManager.default.createFile(atPath: "\(directory)/ready", contents: nil)
                    return (key, runtime)
                }
            }
        }
    }

    /// The environment for `spec`, building it if needed; `built` says whether this call built it.
    package func environment(
        for spec: EnvironmentSpec,
        progress: @escaping @Sendable (String) -> Void
    ) async throws(IsolatedError) -> (environment: Environment, built: Bool) {
        let key = spec.key
        if spec.dependencies.isEmpty {
            return (
                Environment(key: key, spec: spec, directory: "", modules: [], compileFlags: [], linkFlags: [], builtAt: Date(), buildSeconds: 0),
                false
            )
        }
        let toolchain = try await toolchain()
        let builder = self.builder
        let directory = "\(environmentsDirectory)/\(key)"
        let record = "\(environmentsDirectory)/\(key).json"
        let logger = self.logger
        let environmentsDirectory = self.environmentsDirectory
        let built = BuiltFlag()
        let environment = try await attempt {
            try await self.environments.value(for: key, onWait: { progress("waiting for the build of this environment started by another call") }) {
                if let environment = Self.readRecord(record) { return environment }
                try FileManager.default.createDirectory(atPath: environmentsDirectory, withIntermediateDirectories: true)
                return try await FileLock.withLock(
                    path: "\(directory).lock", onWait: { progress("waiting for another process building this environment") }
                ) {
                    if let environment = Self.readRecord(record) { return environment }
                    logger.debug("building environment", metadata: ["key": "\(key)", "requirements": "\(spec.dependencies.map(\.written))"])
                    try? FileManager.default.removeItem(atPath: directory)
                    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                    let environment = try await builder.build(
                        spec, in: directory, toolchain: toolchain, seeds: { Self.builtEnvironments(in: environmentsDirectory) }, progress: progress
                    )
                    try Self.writeRecord(environment, to: record)
                    built.set()
                    return environment
                }
            }
        }
        Self.touch(record)
        return (environment, built.value)
    }

    /// The worker executable for `function` in `environment`, compiling it if needed.
    package func worker(for version: FunctionVersion, in environment: Environment) async throws(IsolatedError) -> (
        worker: WorkerExecutable, compiled: Bool
    ) {
        let (runtimeKey, runtime) = try await runtime()
        let toolchain = try await toolchain()
        let configuration = self.configuration.buildConfiguration
        let source = try FunctionCompiler.workerSource(version.function, modules: environment.modules)
        let key = FunctionCompiler.key(workerSource: source, environment: environment, runtimeKey: runtimeKey, configuration: configuration)
        let directory = "\(home)/functions/\(key)"
        let compiled = BuiltFlag()
        let libraries = [directory, environment.directory, runtime.directory].filter { !$0.isEmpty }
        // A function without requirements needs no built environment, and names none.
        let builtKey = environment.directory.isEmpty ? nil : environment.key
        // Linked statically only without requirements (an environment's products are shared
        // libraries), and for runners on this machine (a node's C library may differ).
        let linksStatically = self.configuration.linksWorkersStatically && !self.configuration.launcher.isCluster && environment.linkFlags.isEmpty
        let staticPath = linksStatically ? FunctionCompiler.staticWorker(in: directory) : nil
        var worker = try await attempt {
            try await self.workers.value(for: key) {
                // Another engine on this home may be compiling the same version: writing its source
                // under that compiler's feet fails the build, so one compiles and the other waits.
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                return try await FileLock.withLock(path: "\(directory)/compile.lock") {
                    if FileManager.default.isExecutableFile(atPath: "\(directory)/worker") {
                        return WorkerExecutable(path: "\(directory)/worker", libraryDirectories: libraries, environmentKey: builtKey)
                    }
                    compiled.set()
                    let path = try await FunctionCompiler.compile(
                        version.function,
                        environment: environment,
                        runtime: runtime,
                        toolchain: toolchain,
                        configuration: configuration,
                        in: directory
                    )
                    return WorkerExecutable(path: path, libraryDirectories: libraries, environmentKey: builtKey)
                }
            }
        }
        if staticPath != nil && FunctionCompiler.startsWithoutFoundation(version.function, in: directory) {
            worker.staticPath = staticPath
        }
        return (worker, compiled.value)
    }

    /// Links `worker` (the compiled `function`) into one static executable, unless it is linked
    /// or failed to link already; compiles the runtime's static archives first, once per
    /// runtime. Both under the locks other engines on this home share.
    package func linkStatically(_ function: FunctionSource, worker: WorkerExecutable) async throws(IsolatedError) {
        guard let staticPath = worker.staticPath else { return }
        let directory = (worker.path as NSString).deletingLastPathComponent
        func linked() -> Bool { ["", ".failed"].contains { FileManager.default.fileExists(atPath: staticPath + $0) } }
        guard !linked() else { return }
        let (key, runtime) = try await runtime()
        let toolchain = try await toolchain()
        let configuration = self.configuration.buildConfiguration
        try await attempt {
            let archived = try await self.staticRuntimes.value(for: key) {
                try await FileLock.withLock(path: "\(runtime.directory)/static.lock") {
                    guard !FileManager.default.fileExists(atPath: "\(runtime.staticDirectory)/ready") else { return runtime }
                    try? FileManager.default.removeItem(atPath: runtime.staticDirectory)
                    try FileManager.default.createDirectory(atPath: runtime.staticDirectory, withIntermediateDirectories: true)
                    try await runtime.buildStaticArchives(toolchain: toolchain)
                    _ = FileManager.default.createFile(atPath: "\(runtime.staticDirectory)/ready", contents: nil)
                    return runtime
                }
            }
            try await FileLock.withLock(path: "\(directory)/compile.lock") {
                guard !linked() else { return }
                try await FunctionCompiler.linkStatically(
                    function, runtime: archived, toolchain: toolchain, configuration: configuration, in: directory)
            }
        }
    }

    func attempt<Value>(_ body: () async throws -> Value) async throws(IsolatedError) -> Value {
        do {
            return try await body()
        } catch let error as IsolatedError {
            throw error
        } catch is CancellationError {
            throw IsolatedError(code: .cancelled, message: "the call was cancelled while its environment was being prepared")
        } catch {
            throw IsolatedError(code: .storageFailed, message: "cannot prepare the environment under \(home): \(error)", underlying: error)
        }
    }

    /// Every Swift environment with a record under `directory`.
    static func builtEnvironments(in directory: String) -> [Environment] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasSuffix(".json") }.compactMap { readRecord("\(directory)/\($0)") }
    }

    static func readRecord(_ path: String) -> Environment? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try? decoder.decode(Environment.self, from: data)
    }

    static func writeRecord(_ environment: some Encodable, to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        try encoder.encode(environment).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    // The record's modification time is the environment's last use, for `isolated envs gc`.
    static func touch(_ path: String) {
        try? FileManager.default.setAttributes([.modificationDate: Date()], ofItemAtPath: path)
    }
}

/// Records, from inside a single-flight build, that this call did the work.
final class BuiltFlag: Sendable {
    private let flag = Mutex(false)
    func set() { flag.withLock { $0 = true } }
    var value: Bool { flag.withLock { $0 } }
}
