package import Foundation
import IsolatedCore

/// One environment in the cache, for `isolated envs`.
package struct EnvironmentSummary: Sendable, Codable {
    package var key: String
    /// `swift`, or `python` and the interpreter's version.
    package var runtime: String
    package var requirements: [String]
    package var bytes: Int64
    package var builtAt: Date
    package var lastUsed: Date
    package var functions: [String]
}

extension EnvironmentStore {
    /// Every built environment, most recently used first.
    package func summaries() -> [EnvironmentSummary] {
        let functions = functionRecords()
        let names = (try? FileManager.default.contentsOfDirectory(atPath: environmentsDirectory)) ?? []
        return names.filter { $0.hasSuffix(".json") }.compactMap { name -> EnvironmentSummary? in
            let record = "\(environmentsDirectory)/\(name)"
            let modified = try? FileManager.default.attributesOfItem(atPath: record)[.modificationDate] as? Date
            if let environment = Self.readRecord(record) {
                return EnvironmentSummary(
                    key: environment.key,
                    runtime: "swift",
                    requirements: environment.spec.dependencies.map(\.written),
                    bytes: Self.size(of: environment.directory),
                    builtAt: environment.builtAt,
                    lastUsed: modified ?? environment.builtAt,
                    functions: Set(functions.filter { $0.environment == environment.key }.map { "\($0.name) (\($0.file):\($0.line))" }).sorted()
                )
            }
            // Python functions arrive pickled, so no function is recorded against their environments.
            if let environment = Self.readPythonRecord(record) {
                return EnvironmentSummary(
                    key: environment.key,
                    runtime: "python \(environment.spec.python)",
                    requirements: environment.spec.requirements,
                    bytes: Self.size(of: environment.directory),
                    builtAt: environment.builtAt,
                    lastUsed: modified ?? environment.builtAt,
                    functions: []
                )
            }
            return nil
        }
        .sorted { $0.lastUsed > $1.lastUsed }
    }

    /// Removes the environments whose keys start with one of `prefixes`, and the functions built in them.
    /// Returns the keys removed; an ambiguous or unknown prefix is an error.
    package func remove(prefixes: [String]) async throws -> [String] {
        let keys = summaries().map(\.key)
        var chosen: [String] = []
        for prefix in prefixes {
            let matches = keys.filter { $0.hasPrefix(prefix) }
            guard matches.count == 1 else {
                throw CocoaError(
                    .fileNoSuchFile,
                    userInfo: [
                        NSLocalizedDescriptionKey: matches.isEmpty
                            ? "no environment key starts with \"\(prefix)\"; see `isolated envs list`"
                            : "\"\(prefix)\" matches \(matches.count) environments; give more of the key"
                    ]
                )
            }
            chosen.append(matches[0])
        }
        for key in chosen { try await remove(key: key) }
        await forgetRemoved()
        return chosen
    }

    /// Removes environments unused for `age`, half-built environments nobody is building,
    /// compiled functions whose environment is gone, and library products recorded for
    /// packages no build has read for `age`. Returns the keys of the environments removed.
    package func collectGarbage(unusedFor age: TimeInterval) async throws -> [String] {
        let cutoff = Date().addingTimeInterval(-age)
        var removed: [String] = []
        for summary in summaries() where summary.lastUsed < cutoff {
            try await remove(key: summary.key)
            removed.append(summary.key)
        }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: environmentsDirectory)) ?? []
        for name in names where name.count == 64 && !names.contains("\(name).json") {
            try await FileLock.withLock(path: "\(environmentsDirectory)/\(name).lock") {
                if !FileManager.default.fileExists(atPath: "\(environmentsDirectory)/\(name).json") {
                    try FileManager.default.removeItem(atPath: "\(environmentsDirectory)/\(name)")
                }
            }
        }
        // Recorded library products unused as long, and a build slot a crashed build left behind.
        let products = "\(environmentsDirectory)/.products"
        for name in (try? FileManager.default.contentsOfDirectory(atPath: products)) ?? [] {
            let path = "\(products)/\(name)"
            if let used = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date, used < cutoff {
                try? FileManager.default.removeItem(atPath: path)
            }
        }
        let slot = "\(environmentsDirectory)/\(SwiftPMEnvironmentBuilder.slotName)"
        if FileManager.default.fileExists(atPath: slot) {
            _ = try FileLock.withLockIfFree(path: "\(slot).lock") { try FileManager.default.removeItem(atPath: slot) }
        }
        let live = Set(summaries().map(\.key))
        // Functions without requirements have no environment on disk to outlive.
        for record in functionRecords() where !record.requirements.isEmpty && !live.contains(record.environment) {
            try? FileManager.default.removeItem(atPath: record.directory)
        }
        await forgetRemoved()
        return removed
    }

    /// Forgets what this process built whose files are gone, so the next call builds it again.
    package func forgetRemoved() async {
        await environments.forget { !FileManager.default.fileExists(atPath: $0.directory) }
        await workers.forget { !FileManager.default.isExecutableFile(atPath: $0.path) }
        await pythonEnvironments.forget { !FileManager.default.isExecutableFile(atPath: $0.python) }
    }

    private func remove(key: String) async throws {
        try await FileLock.withLock(path: "\(environmentsDirectory)/\(key).lock") {
            try? FileManager.default.removeItem(atPath: "\(environmentsDirectory)/\(key).json")
            try? FileManager.default.removeItem(atPath: "\(environmentsDirectory)/\(key)")
        }
        for record in functionRecords() where record.environment == key {
            try? FileManager.default.removeItem(atPath: record.directory)
        }
        try? FileManager.default.removeItem(atPath: "\(environmentsDirectory)/\(key).lock")
    }

    private struct LocatedFunctionRecord {
        var name: String
        var file: String
        var line: Int
        var environment: String
        var requirements: [String]
        var directory: String
    }

    private func functionRecords() -> [LocatedFunctionRecord] {
        let root = "\(home)/functions"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return names.compactMap { name in
            guard let data = FileManager.default.contents(atPath: "\(root)/\(name)/function.json"),
                let record = try? JSONDecoder().decode(FunctionRecord.self, from: data)
            else { return nil }
            return LocatedFunctionRecord(
                name: record.name,
                file: record.file,
                line: record.line,
                environment: record.environment,
                requirements: record.requirements,
                directory: "\(root)/\(name)"
            )
        }
    }

    /// How many environments are built under `environmentsDirectory` (Swift and Python) and the
    /// size of everything there, read from the disk without the store's actor.
    package static func measure(environmentsDirectory: String) -> (count: Int, bytes: Int64) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: environmentsDirectory)) ?? []
        return (names.filter { $0.hasSuffix(".json") }.count, size(of: environmentsDirectory))
    }

    private static func size(of directory: String) -> Int64 {
        guard let enumerator = FileManager.default.enumerator(atPath: directory) else { return 0 }
        var total: Int64 = 0
        while let path = enumerator.nextObject() as? String {
            if let attributes = try? FileManager.default.attributesOfItem(atPath: "\(directory)/\(path)"),
                attributes[.type] as? FileAttributeType == .typeRegular
            {
                total += (attributes[.size] as? NSNumber)?.int64Value ?? 0
            }
        }
        return total
    }
}
