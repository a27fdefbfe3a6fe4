package import IsolatedCore

/// Builds an environment from its spec into a directory.
package protocol EnvironmentBuilder: Sendable {
    /// Builds `spec` in `directory` (empty when called), starting from the products of the
    /// environments already built that `seeds` lists where it can (asked when the build starts,
    /// so it sees what a build it waited for made); `progress` receives lines to show the user.
    func build(
        _ spec: EnvironmentSpec,
        in directory: String,
        toolchain: Toolchain,
        seeds: @escaping @Sendable () -> [Environment],
        progress: @escaping @Sendable (String) -> Void
    ) async throws(IsolatedError) -> Environment
}
