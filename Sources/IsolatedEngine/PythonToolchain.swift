import Foundation
package import IsolatedCore

/// What the engine builds and runs Python functions with: the machine's interpreters and uv.
///
/// uv is found on `PATH`, or installed once from PyPI with an interpreter's pip into the
/// engine's home (`tools/uv-VERSION`), under a file lock so concurrent engines install it once.
package struct PythonToolchain: Sendable, Hashable {
    /// The uv release the engine installs when there is none on `PATH`.
    package static let uvVersion = "0.13.9"

    package var interpreters: PythonInterpreters
    /// The `uv` executable.
    package var uv: String

    /// Finds the interpreters, and uv on `PATH` or in `home`, installing it there when absent.
    package static func locate(home: String, environment: [String: String] = ProcessInfo.processInfo.environment) async throws(IsolatedError)
        -> PythonToolchain
    {
        let interpreters = await PythonInterpreters.discover(environment: environment)
        if let uv = existingUV(home: home, environment: environment) { return PythonToolchain(interpreters: interpreters, uv: uv) }
        return PythonToolchain(interpreters: interpreters, uv: try await install(in: "\(home)/tools", with: interpreters))
    }

    /// uv on `PATH`, or the one installed in `home`; nil when neither exists. Installs nothing.
    package static func existingUV(home: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        let candidates = (environment["PATH"] ?? "").split(separator: ":").map { "\($0)/uv" } + ["\(home)/tools/uv-\(uvVersion)/bin/uv"]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    private static func install(in tools: String, with interpreters: PythonInterpreters) async throws(IsolatedError) -> String {
        let directory = "\(tools)/uv-\(uvVersion)"
        let uv = "\(directory)/bin/uv"
        if FileManager.default.isExecutableFile(atPath: uv) { return uv }
        var failures: [String] = []
        do {
            try FileManager.default.createDirectory(atPath: tools, withIntermediateDirectories: true)
            return try await FileLock.withLock(path: "\(directory).lock") {
                if FileManager.default.isExecutableFile(atPath: uv) { return uv }
                let partial = "\(directory).partial"
                for interpreter in interpreters.all {
                    try? FileManager.default.removeItem(atPath: partial)
                    let result = try await Command.run(
                        interpreter.path,
                        [
                            "-m", "pip", "install", "--disable-pip-version-check", "--no-warn-script-location", "--quiet",
                            "--target", partial, "uv==\(uvVersion)",
                        ]
                    )
                    guard result.succeeded, FileManager.default.isExecutableFile(atPath: "\(partial)/bin/uv") else {
                        failures.append("\(interpreter.path) -m pip: \(result.output.suffix(3).joined(separator: " "))")
                        continue
                    }
                    try FileManager.default.moveItem(atPath: partial, toPath: directory)
                    return uv
                }
                throw IsolatedError(
                    code: .pythonUnavailable,
                    message: "uv, which builds Python environments, is not on PATH and could not be installed from PyPI "
                        + "with any Python's pip; install uv on PATH",
                    details: failures
                )
            }
        } catch let error as IsolatedError {
            throw error
        } catch {
            throw IsolatedError(code: .pythonUnavailable, message: "cannot install uv under \(tools): \(error)", underlying: error)
        }
    }
}
