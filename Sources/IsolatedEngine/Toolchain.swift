import Foundation
package import IsolatedCore

/// The Swift toolchain environments and functions are built with.
package struct Toolchain: Sendable, Hashable {
    /// `swift`, for package builds.
    package var swift: String
    /// `swiftc`, for compiling functions directly.
    package var swiftc: String
    /// The first line of `swiftc --version`; part of every cache key.
    package var version: String
    /// The target triple, like `x86_64-unknown-linux-gnu`.
    package var target: String

    /// Finds the toolchain in `directory`, or on `PATH`.
    package static func locate(in directory: String?) async throws(IsolatedError) -> Toolchain {
        let candidates =
            directory.map { [$0] }
            ?? (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":").map(String.init)
        guard let bin = candidates.first(where: { FileManager.default.isExecutableFile(atPath: "\($0)/swiftc") }) else {
            throw IsolatedError(
                code: .toolchainUnavailable,
                message: "no swiftc found in \(directory ?? "PATH"); install Swift 6 or set EngineConfiguration.toolchainDirectory"
            )
        }
        let result: Command.Result
        do {
            result = try await Command.run("\(bin)/swiftc", ["--version"])
        } catch {
            throw IsolatedError(code: .toolchainUnavailable, message: "cannot run \(bin)/swiftc: \(error)")
        }
        let version = result.output.first { $0.contains("Swift version") } ?? result.output.first ?? "unknown"
        let target = result.output.first { $0.hasPrefix("Target:") }.map {
            String($0.dropFirst("Target:".count)).trimmingCharacters(in: .whitespaces)
        }
        return Toolchain(swift: "\(bin)/swift", swiftc: "\(bin)/swiftc", version: version, target: target ?? "unknown")
    }

    /// Runs the toolchain's `clang` (or the system's `cc`) with `arguments`.
    package func compileC(_ arguments: [String]) async throws(IsolatedError) -> Command.Result {
        let directory = (swiftc as NSString).deletingLastPathComponent
        let clang = FileManager.default.isExecutableFile(atPath: "\(directory)/clang") ? "\(directory)/clang" : "/usr/bin/cc"
        do {
            return try await Command.run(clang, arguments)
        } catch {
            throw IsolatedError(code: .toolchainUnavailable, message: "cannot run \(clang), which compiles the runner sandbox: \(error)")
        }
    }

    /// Whether the toolchain ships lld beside `swiftc`, which can link a static PIE.
    package var hasLLD: Bool {
        FileManager.default.isExecutableFile(atPath: "\((swiftc as NSString).deletingLastPathComponent)/ld.lld")
    }

    /// Runs `swiftc` with `arguments`; failing to start it at all means the engine cannot work.
    package func compile(_ arguments: [String]) async throws(IsolatedError) -> Command.Result {
        do {
            return try await Command.run(swiftc, arguments)
        } catch {
            throw IsolatedError(code: .toolchainUnavailable, message: "cannot run \(swiftc): \(error)")
        }
    }
}
