package import Foundation
package import IsolatedCore

/// A CPython interpreter on this machine.
package struct PythonInterpreter: Sendable, Hashable, Codable {
    /// Its full version, like `3.11.7`.
    package var version: String
    /// Its executable, with links resolved.
    package var path: String
    /// Its installation (`sys.base_prefix`), which a sandboxed runner must be able to read.
    package var prefix: String

    package init(version: String, path: String, prefix: String) {
        self.version = version
        self.path = path
        self.prefix = prefix
    }

    /// Its major and minor version, like `3.11`: what a call asks for.
    package var minorVersion: String { version.split(separator: ".").prefix(2).joined(separator: ".") }
}

/// The CPython interpreters this machine has. Python environments are built from these; an
/// interpreter is never downloaded, so a call cannot make the engine fetch one.
package struct PythonInterpreters: Sendable, Hashable {
    /// Every interpreter found, newest first.
    package var all: [PythonInterpreter]

    package init(_ all: [PythonInterpreter]) {
        self.all = all.sorted { Self.compare($0.version, $1.version) == .orderedDescending }
    }

    /// Looks on `PATH`, in the usual system directories and in pyenv's versions (`PYENV_ROOT`, or
    /// `~/.pyenv`), asking each candidate its version. Python 2 is left out.
    package static func discover(environment: [String: String] = ProcessInfo.processInfo.environment) async -> PythonInterpreters {
        var directories = (environment["PATH"] ?? "").split(separator: ":").map(String.init)
        directories += ["/usr/local/bin", "/usr/bin"]
        let pyenv = environment["PYENV_ROOT"] ?? "\(environment["HOME"] ?? NSHomeDirectory())/.pyenv"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: "\(pyenv)/versions")) ?? []).sorted()
        directories += versions.map { "\(pyenv)/versions/\($0)/bin" }
        var seen: Set<String> = []
        var found: [PythonInterpreter] = []
        for directory in directories {
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter(Self.isInterpreterName)
            for name in names.sorted() {
                let path = URL(fileURLWithPath: "\(directory)/\(name)").resolvingSymlinksInPath().path
                // pyenv's shims are scripts that pick a version by the working directory: not an interpreter.
                guard !path.contains("/shims/"), FileManager.default.isExecutableFile(atPath: path), seen.insert(path).inserted else { continue }
                if let (version, prefix) = await describe(path), version.hasPrefix("3.") {
                    found.append(PythonInterpreter(version: version, path: path, prefix: prefix))
                }
            }
        }
        return PythonInterpreters(found)
    }

    /// The newest interpreter of `minorVersion` (`3.11`), or an error naming the versions this machine has.
    package func interpreter(for minorVersion: String) throws(IsolatedError) -> PythonInterpreter {
        if let interpreter = all.first(where: { $0.minorVersion == minorVersion }) { return interpreter }
        let available = Array(Set(all.map(\.minorVersion))).sorted { Self.compare($0, $1) == .orderedAscending }
        throw IsolatedError(
            code: .pythonUnavailable,
            message: available.isEmpty
                ? "Python \(minorVersion) is not installed on the engine's machine, and no other Python 3 is either; install one"
                : "Python \(minorVersion) is not installed on the engine's machine; it has \(available.joined(separator: ", ")). "
                    + "Call from one of those, or install \(minorVersion) there"
        )
    }

    /// `python3`, or `python3.N`.
    private static func isInterpreterName(_ name: String) -> Bool {
        guard name.hasPrefix("python3") else { return false }
        let rest = name.dropFirst("python3".count)
        return rest.isEmpty || (rest.first == "." && rest.dropFirst().allSatisfy(\.isNumber) && rest.count > 1)
    }

    /// The interpreter's version and installation prefix, as it reports them.
    private static func describe(_ path: String) async -> (version: String, prefix: String)? {
        let script = "import platform, sys; print(platform.python_version()); print(sys.base_prefix)"
        guard let result = try? await Command.run(path, ["-I", "-c", script]), result.succeeded, result.standardOutput.count >= 2 else {
            return nil
        }
        return (result.standardOutput[0].trimmingCharacters(in: .whitespaces), result.standardOutput[1].trimmingCharacters(in: .whitespaces))
    }

    /// Compares dotted versions numerically: 3.10 is newer than 3.9.
    package static func compare(_ lhs: String, _ rhs: String) -> ComparisonResult {
        let left = lhs.split(separator: ".").map { Int($0) ?? 0 }
        let right = rhs.split(separator: ".").map { Int($0) ?? 0 }
        for index in 0..<max(left.count, right.count) {
            let (a, b) = (index < left.count ? left[index] : 0, index < right.count ? right[index] : 0)
            if a != b { return a < b ? .orderedAscending : .orderedDescending }
        }
        return .orderedSame
    }
}
