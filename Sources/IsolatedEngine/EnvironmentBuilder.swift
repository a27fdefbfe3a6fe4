package import IsolatedCore

/// Builds an environment from its spec into a directory.
package protocol EnvironmentBuilder: Sendable {
    /// Builds `spec` in `directory` (empty when called), starting from the products of `seeds`,
    /// environments already built, where it can; `progress` receives lines to show the user.
    func build(
        _ spec: EnvironmentSpec,
        in directory: String,
        toolchain: Toolchain,
        seeds: [Environment],
        progress: @escaping @Sendable (String) -> Void
    ) async throws(IsolatedError) -> Environment
}
