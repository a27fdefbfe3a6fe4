package import Foundation

/// A built environment: the dynamic library holding a set of requirements, and exactly what a
/// function needs to compile and link against it.
package struct Environment: Sendable, Hashable, Codable {
    /// A remote package as SwiftPM resolved it for this environment.
    package struct Pin: Sendable, Hashable, Codable {
        /// SwiftPM's identity for the package.
        package var identity: String
        /// The commit checked out.
        package var revision: String
        /// Its checkout's directory under `.build/checkouts`.
        package var checkout: String

        package init(identity: String, revision: String, checkout: String) {
            self.identity = identity
            self.revision = revision
            self.checkout = checkout
        }
    }

    /// The content-addressed key.
    package var key: String
    /// What it was built from.
    package var spec: EnvironmentSpec
    /// Its directory.
    package var directory: String
    /// The Swift modules the function's source imports.
    package var modules: [String]
    /// `swiftc` flags for compiling against it: search paths and every C module map.
    package var compileFlags: [String]
    /// `swiftc` flags for linking against it.
    package var linkFlags: [String]
    /// When the build finished.
    package var builtAt: Date
    /// How long the build took, in seconds.
    package var buildSeconds: Double
    /// Every remote package it holds, direct or not, so a later build can start from its built
    /// products; nil for environments built before products were shared.
    package var pins: [Pin]?

    package init(
        key: String,
        spec: EnvironmentSpec,
        directory: String,
        modules: [String],
        compileFlags: [String],
        linkFlags: [String],
        builtAt: Date,
        buildSeconds: Double,
        pins: [Pin]? = nil
    ) {
        self.key = key
        self.spec = spec
        self.directory = directory
        self.modules = modules
        self.compileFlags = compileFlags
        self.linkFlags = linkFlags
        self.builtAt = builtAt
        self.buildSeconds = buildSeconds
        self.pins = pins
    }
}
