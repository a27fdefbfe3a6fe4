import Foundation
package import IsolatedCore

/// Everything that determines an environment's contents; its hash is the environment's key.
package struct EnvironmentSpec: Sendable, Hashable, Codable {
    /// A requirement made absolute: URLs as given, local paths resolved and hashed by content.
    package struct Dependency: Sendable, Hashable, Codable {
        /// SwiftPM's identity for the package.
        package var identity: String
        /// A URL, or an absolute path for local packages.
        package var location: String
        /// The version rule for remote packages.
        package var version: Requirement.VersionRule?
        /// The products to use, or nil for every library product.
        package var products: [String]?
        /// A hash of a local package's files, so editing it makes a new environment.
        package var contentHash: String?
        /// The requirement as the user wrote it, for messages.
        package var written: String

        package init(
            identity: String,
            location: String,
            version: Requirement.VersionRule? = nil,
            products: [String]? = nil,
            contentHash: String? = nil,
            written: String
        ) {
            self.identity = identity
            self.location = location
            self.version = version
            self.products = products
            self.contentHash = contentHash
            self.written = written
        }
    }

    /// Bumped whenever the layout of a built environment changes.
    package static let formatVersion = 1

    package var format = EnvironmentSpec.formatVersion
    package var dependencies: [Dependency]
    package var toolchain: String
    package var target: String
    package var configuration: EngineConfiguration.BuildConfiguration

    /// The content-addressed key: SHA-256 of the canonical JSON form.
    package var key: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(self)) ?? Data()
        var hasher = SHA256()
        hasher.update(data)
        return hasher.finalize()
    }

    /// A spec of dependencies already made absolute.
    package init(dependencies: [Dependency], toolchain: String, target: String, configuration: EngineConfiguration.BuildConfiguration) {
        self.dependencies = dependencies
        self.toolchain = toolchain
        self.target = target
        self.configuration = configuration
    }

    /// Resolves requirements; local paths are taken relative to the package containing `callerFile`.
    package init(
        requirements: [Requirement],
        callerFile: String,
        toolchain: Toolchain,
        configuration: EngineConfiguration.BuildConfiguration
    ) throws(IsolatedError) {
        var dependencies: [Dependency] = []
        for requirement in requirements {
            let (source, products) = try requirement.validated()
            guard let identity = requirement.identity else { continue }
            let dependency: Dependency
            switch source {
            case .remote(let url, let version):
                dependency = Dependency(identity: identity, location: url, version: version, products: products, written: requirement.description)
            case .path(let path):
                let absolute = Self.absolute(path, relativeTo: callerFile)
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: "\(absolute)/Package.swift", isDirectory: &isDirectory) else {
                    throw IsolatedError(
                        code: .invalidRequirement,
                        message: "invalid requirement \(requirement): no Package.swift at \(absolute)"
                    )
                }
                dependency = Dependency(
                    identity: identity,
                    location: absolute,
                    products: products,
                    contentHash: PackageFiles.hash(of: absolute),
                    written: requirement.description
                )
            }
            if let existing = dependencies.first(where: { $0.identity == identity }), existing != dependency {
                throw IsolatedError(
                    code: .invalidRequirement,
                    message: "requirements \(existing.written) and \(requirement) name the same package; list it once"
                )
            }
            if !dependencies.contains(dependency) { dependencies.append(dependency) }
        }
        self.dependencies = dependencies.sorted { $0.identity < $1.identity }
        self.toolchain = toolchain.version
        self.target = toolchain.target
        self.configuration = configuration
    }

    private static func absolute(_ path: String, relativeTo callerFile: String) -> String {
        if path.hasPrefix("/") { return URL(fileURLWithPath: path).standardizedFileURL.path }
        var directory = URL(fileURLWithPath: callerFile).deletingLastPathComponent()
        while directory.path != "/" {
            if FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path) { break }
            directory.deleteLastPathComponent()
        }
        if directory.path == "/" { directory = URL(fileURLWithPath: FileManager.default.currentDirectoryPath) }
        return directory.appendingPathComponent(path).standardizedFileURL.path
    }
}

/// The files of a local package, as shipped into an environment.
package enum PackageFiles {
    /// Paths relative to `root`, skipping build products and hidden directories.
    package static func list(_ root: String) -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: root) else { return [] }
        var files: [String] = []
        while let path = enumerator.nextObject() as? String {
            let name = (path as NSString).lastPathComponent
            if name.hasPrefix(".") {
                enumerator.skipDescendants()
                continue
            }
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: "\(root)/\(path)", isDirectory: &isDirectory), !isDirectory.boolValue {
                files.append(path)
            }
        }
        return files.sorted()
    }

    /// A hash of every file's path and contents.
    package static func hash(of root: String) -> String {
        var hasher = SHA256()
        for path in list(root) {
            hasher.update(path)
            hasher.update([0])
            if let data = FileManager.default.contents(atPath: "\(root)/\(path)") { hasher.update(data) }
            hasher.update([0])
        }
        return hasher.finalize()
    }
}
