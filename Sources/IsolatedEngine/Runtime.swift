import Foundation
package import IsolatedCore

/// The runner loop and the wire types, compiled once per toolchain into two dynamic libraries
/// every worker links, and the sandbox every runner starts in. Workers compile them from this
/// package's own sources, so the engine and its workers always speak the same protocol version.
///
/// The sources are an explicit list, and only they are hashed into the runtime's key: editing
/// any other file of the package never invalidates the runtime or the functions compiled on it.
package struct Runtime: Sendable, Hashable {
    package var directory: String
    /// The `isolated-sandbox` executable (from `Sources/IsolatedSandbox/main.c`).
    package var sandbox: String { "\(directory)/isolated-sandbox" }
    package var compileFlags: [String] { ["-I", directory] }
    package var linkFlags: [String] {
        ["-L", directory, "-lIsolatedRunner", "-lIsolatedWire", "-Xlinker", "-rpath", "-Xlinker", directory]
    }
    /// Where the runtime's static archives are, once ``buildStaticArchives(toolchain:)`` has run.
    package var staticDirectory: String { "\(directory)/static" }
    /// Flags linking a worker into one static executable: the runtime's archives, the standard
    /// library, the C library, and none of their code the worker does not reach.
    ///
    /// `positionIndependent` links a static PIE, which needs lld. A plain static executable
    /// registers its unwind tables with libgcc, which sorts all of them (about 20,000 entries)
    /// the first time anything unwinds, and every worker unwinds as it starts: `dispatch_main`
    /// ends the main thread with `pthread_exit`. That sort cost each new runner 6–10 ms of CPU;
    /// a static PIE finds its tables through its `PT_GNU_EH_FRAME` header instead.
    package func staticLinkFlags(positionIndependent: Bool) -> [String] {
        [
            "-L", staticDirectory, "-lIsolatedRunner", "-lIsolatedWire", "-lswiftSynchronization", "-lswiftGlibc", "-lm",
            "-static-executable", "-Xlinker", "--gc-sections",
        ] + (positionIndependent ? ["-use-ld=lld", "-Xclang-linker", "-static-pie"] : [])
    }

    /// The directory holding `IsolatedWire` and `IsolatedRunner`'s sources.
    package static let sourcesDirectory: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().path

    /// Every module a worker links, in build order, with every source file it is compiled from.
    package static let modules: [(name: String, files: [String])] = [
        (
            "IsolatedWire",
            [
                "ByteCoding.swift", "CallReport.swift", "EncodedPayload.swift", "EngineAddress.swift", "Frame.swift", "IsolatedError.swift",
                "IsolatedError+Hashable.swift", "JSONScanner.swift", "JSONValue.swift", "PayloadCoding.swift", "PayloadDecoder.swift",
                "PayloadEncoder.swift", "RawBytesPayload.swift", "RemoteError.swift", "RunnerMessage.swift", "SingleFlight.swift",
            ]
        ),
        (
            "IsolatedRunner",
            [
                "CachedFunctions.swift", "EncodedResult.swift", "Invocation.swift", "NestedFunction.swift", "Runner.swift", "RunnerChannel.swift",
                "RunnerLoop.swift", "StandardStreams.swift",
            ]
        ),
    ]
    private static let features = ["ExistentialAny", "MemberImportVisibility", "InternalImportsByDefault"]
    /// Leaves out the implicit import of the standard library's regular expressions, which would
    /// load two more libraries into every runner.
    static let withoutStringProcessing = ["-Xfrontend", "-disable-implicit-string-processing-module-import"]

    /// A hash of the runtime's sources and the toolchain: its directory's name.
    package static func key(toolchain: Toolchain) throws(IsolatedError) -> String {
        var hasher = SHA256()
        hasher.update(toolchain.version)
        // The flags it is compiled with, so changing them builds it again.
        hasher.update((features + withoutStringProcessing).joined(separator: " "))
        for module in modules.map(\.name) {
            let files = try sources(of: module)
            for file in files {
                hasher.update(file)
                if let data = FileManager.default.contents(atPath: file) { hasher.update(data) }
            }
        }
        if let data = FileManager.default.contents(atPath: sandboxSource) { hasher.update(data) }
        return hasher.finalize()
    }

    /// Compiles both modules into `directory`.
    package static func build(in directory: String, toolchain: Toolchain) async throws(IsolatedError) -> Runtime {
        for module in modules.map(\.name) {
            var arguments = [
                "-emit-library", "-emit-module", "-emit-module-path", "\(directory)/\(module).swiftmodule",
                "-o", "\(directory)/lib\(module).so", "-I", directory, "-L", directory, "-Xlinker", "-soname", "-Xlinker", "lib\(module).so",
            ]
            if module == "IsolatedRunner" { arguments.append("-lIsolatedWire") }
            try await compile(module, arguments, as: nil, toolchain: toolchain)
        }
        let runtime = Runtime(directory: directory)
        let result = try await toolchain.compileC(["-O2", "-Wall", "-o", runtime.sandbox, sandboxSource])
        guard result.succeeded else {
            throw IsolatedError(
                code: .runtimeUnavailable,
                message: "the runner sandbox (\(sandboxSource)) does not compile",
                details: SwiftPMEnvironmentBuilder.relevantLines(result.output)
            )
        }
        return runtime
    }

    /// Compiles both modules again, as static archives in ``staticDirectory``, against the
    /// modules ``build(in:toolchain:)`` emitted.
    package func buildStaticArchives(toolchain: Toolchain) async throws(IsolatedError) {
        for module in Self.modules.map(\.name) {
            let arguments = ["-emit-library", "-static", "-o", "\(staticDirectory)/lib\(module).a", "-I", directory]
            try await Self.compile(module, arguments, as: "a static archive", toolchain: toolchain)
        }
    }

    /// Compiles `module` from its sources with the runtime's flags and `arguments`; a failure
    /// says what it was compiled `as`, when not a shared library.
    private static func compile(_ module: String, _ arguments: [String], as kind: String?, toolchain: Toolchain) async throws(IsolatedError) {
        let common = ["-parse-as-library", "-module-name", module, "-package-name", "isolated", "-swift-version", "6", "-O"]
        let flags = features.flatMap { ["-enable-upcoming-feature", $0] } + withoutStringProcessing
        let result = try await toolchain.compile(common + arguments + flags + (try sources(of: module)))
        guard result.succeeded else {
            throw IsolatedError(
                code: .runtimeUnavailable,
                message: "the runner runtime (\(module)) does not compile\(kind.map { " as \($0)" } ?? "") with \(toolchain.version)",
                details: SwiftPMEnvironmentBuilder.relevantLines(result.output)
            )
        }
    }

    private static var sandboxSource: String { "\(sourcesDirectory)/IsolatedSandbox/main.c" }

    private static func sources(of module: String) throws(IsolatedError) -> [String] {
        let directory = "\(sourcesDirectory)/\(module)"
        let files = (modules.first { $0.name == module }?.files ?? []).map { "\(directory)/\($0)" }
        if let missing = files.first(where: { !FileManager.default.fileExists(atPath: $0) }) {
            throw IsolatedError(
                code: .runtimeUnavailable,
                message: "the runner's source \(missing) is missing; workers are compiled from the Isolated package's own sources"
            )
        }
        return files
    }
}
