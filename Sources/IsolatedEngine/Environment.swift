package import Foundation

/// A built environment: the dynamic library holding a set of requirements, and exactly what a
/// function needs to compile and link against it.
package struct Environment: Sendable, Hashable, Codable {
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
}
