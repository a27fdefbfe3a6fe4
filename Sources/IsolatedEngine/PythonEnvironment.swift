package import Foundation
package import IsolatedCore

/// What determines a Python environment's contents; its hash is the environment's key.
package struct PythonEnvironmentSpec: Sendable, Hashable, Codable {
    /// Bumped whenever the layout of a built Python environment changes.
    package static let formatVersion = 1

    package var format = PythonEnvironmentSpec.formatVersion
    package var runtime = "python"
    /// The interpreter's full version, like `3.11.7`.
    package var python: String
    /// PEP 508 requirement strings, trimmed, without duplicates, sorted.
    package var requirements: [String]

    /// Normalizes `requirements`; one that is empty after trimming is dropped, and one that is
    /// an option rather than a requirement (`--index-url …`) is refused, since uv would obey it.
    package init(python: String, requirements: [String]) throws(IsolatedError) {
        var normalized: Set<String> = []
        for requirement in requirements {
            let trimmed = requirement.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty { continue }
            guard !trimmed.hasPrefix("-"), !trimmed.contains(where: \.isNewline) else {
                throw IsolatedError(
                    code: .invalidRequirement,
                    message:
                        "invalid requirement \"\(requirement)\": a requirement names a package (PEP 508), like \"pyjokes==0.6.0\"; options are not accepted"
                )
            }
            normalized.insert(trimmed)
        }
        self.python = python
        self.requirements = normalized.sorted()
    }

    /// The content-addressed key: SHA-256 of the canonical JSON form.
    package var key: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var hasher = SHA256()
        hasher.update((try? encoder.encode(self)) ?? Data())
        return hasher.finalize()
    }
}

/// A built Python environment: a virtual environment of one interpreter with its requirements.
package struct PythonEnvironment: Sendable, Hashable, Codable {
    package var key: String
    package var spec: PythonEnvironmentSpec
    /// The virtual environment's directory.
    package var directory: String
    /// The interpreter it was made from.
    package var interpreter: PythonInterpreter
    package var builtAt: Date
    package var buildSeconds: Double

    /// Its interpreter.
    package var python: String { "\(directory)/bin/python" }
}
