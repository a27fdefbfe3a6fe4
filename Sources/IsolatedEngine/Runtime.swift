import Foundation
package import IsolatedCore

/// The runner loop and the wire types, compiled once per toolchain into two dynamic libraries
/// every worker links, and the sandbox every runner starts in. Workers compile them from this
/// package's own sources, so the engine and its workers always speak the same protocol version.
package struct Runtime: Sendable, Hashable {
    package var directory: String
    /// The `isolated-sandbox` executable (from `Sources/IsolatedSandbox/main.c`).
    package var sandbox: String { "\(directory)/isolated-sandbox" }
    package var compileFlags: [String] { ["-I", directory] }
    package var linkFlags: [String] {
        ["-L", directory, "-lIsolatedRunner", "-lIsolatedCore", "-Xlinker", "-rpath", "-Xlinker", directory]
    }

    /// The directory holding `IsolatedCore` and `IsolatedRunner`'s sources.
    package static let sourcesDirectory: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().path

    private static let modules = ["IsolatedCore", "IsolatedRunner"]
    private static let features = ["ExistentialAny", "MemberImportVisibility", "InternalImportsByDefault"]

    /// A hash of the runtime's sources and the toolchain: its directory's name.
    package static func key(toolchain: Toolchain) throws(IsolatedError) -> String {
        var hasher = SHA256()
        hasher.update(toolchain.version)
        for module in modules {
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
        for module in modules {
            var arguments = [
                "-emit-library", "-emit-module", "-parse-as-library", "-module-name", module, "-package-name", "isolated",
                "-swift-version", "6", "-O", "-emit-module-path", "\(directory)/\(module).swiftmodule",
                "-o", "\(directory)/lib\(module).so", "-I", directory, "-L", directory,
                "-Xlinker", "-soname", "-Xlinker", "lib\(module).so",
            ]
            arguments += features.flatMap { ["-enable-upcoming-feature", $0] }
            if module == "IsolatedRunner" { arguments.append("-lIsolatedCore") }
            arguments += try sources(of: module)
            let result = try await toolchain.compile(arguments)
            guard result.succeeded else {
                throw IsolatedError(
                    code: .engineUnavailable,
                    message: "the runner runtime (\(module)) does not compile with \(toolchain.version)",
                    details: SwiftPMEnvironmentBuilder.relevantLines(result.output)
                )
            }
        }
        let runtime = Runtime(directory: directory)
        let result = try await toolchain.compileC(["-O2", "-Wall", "-o", runtime.sandbox, sandboxSource])
        guard result.succeeded else {
            throw IsolatedError(
                code: .engineUnavailable,
                message: "the runner sandbox (\(sandboxSource)) does not compile",
                details: SwiftPMEnvironmentBuilder.relevantLines(result.output)
            )
        }
        return runtime
    }

    private static var sandboxSource: String { "\(sourcesDirectory)/IsolatedSandbox/main.c" }

    private static func sources(of module: String) throws(IsolatedError) -> [String] {
        let directory = "\(sourcesDirectory)/\(module)"
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else {
            throw IsolatedError(
                code: .engineUnavailable,
                message: "the runner's sources are missing at \(directory); workers are compiled from the Isolated package's own sources"
            )
        }
        return names.filter { $0.hasSuffix(".swift") }.sorted().map { "\(directory)/\($0)" }
    }
}
