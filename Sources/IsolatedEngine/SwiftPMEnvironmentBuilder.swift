import Foundation
package import IsolatedCore

/// Builds an environment as a SwiftPM package whose one product is a dynamic library linking
/// every requirement, then records the flags SwiftPM used so functions compile against it with
/// `swiftc` directly, in a fraction of the time `swift build` would take.
package struct SwiftPMEnvironmentBuilder: EnvironmentBuilder {
    package static let productName = "IsolatedEnvironment"

    package init() {}

    /// The directory, beside the environments, where each is built before it is moved into place.
    package static let slotName = ".building"

    package func build(
        _ spec: EnvironmentSpec,
        in directory: String,
        toolchain: Toolchain,
        seeds: @escaping @Sendable () -> [Environment],
        progress: @escaping @Sendable (String) -> Void
    ) async throws(IsolatedError) -> Environment {
        let started = Date()
        let log = BuildLog(path: "\(directory)/build.log")
        let step = { @Sendable (line: String) in
            log.append(line)
            progress(line)
        }
        let slotPath = "\((directory as NSString).deletingLastPathComponent)/\(Self.slotName)"
        do {
            return try await FileLock.withLock(
                path: "\(slotPath).lock",
                onWait: { step("waiting for another environment build: they take turns at one path, so each can reuse what the others built") }
            ) {
                try? FileManager.default.removeItem(atPath: slotPath)
                try FileManager.default.createDirectory(atPath: slotPath, withIntermediateDirectories: true)
                // SwiftPM names files by the real path of the directory it runs in.
                let slot = URL(fileURLWithPath: slotPath).resolvingSymlinksInPath().path
                let built = try await buildInSlot(spec, slot: slot, toolchain: toolchain, seeds: seeds, log: log, step: step)
                try FileManager.default.moveItem(atPath: log.path, toPath: "\(slot)/build.log")
                try FileManager.default.removeItem(atPath: directory)
                try FileManager.default.moveItem(atPath: slot, toPath: directory)
                var environment = built
                environment.directory = directory
                environment.compileFlags = Self.relocated(built.compileFlags, from: slot, to: directory)
                environment.linkFlags = built.linkFlags.map { $0.replacingOccurrences(of: "\(slot)/", with: "\(directory)/") }
                environment.builtAt = Date()
                environment.buildSeconds = Date().timeIntervalSince(started)
                return environment
            }
        } catch let error as IsolatedError {
            throw error
        } catch is CancellationError {
            throw IsolatedError(code: .cancelled, message: "the environment build was cancelled")
        } catch {
            throw IsolatedError(code: .storageFailed, message: "cannot build the environment in \(slotPath): \(error)", underlying: error)
        }
    }

    /// `flags` for an environment moved from `slot` to `directory`. Functions use the compiler's
    /// default Clang module cache, as functions without requirements do, and find it warm: the
    /// build's own cache stays as the slot made it, for the next build it seeds, since Clang
    /// refuses a precompiled module whose cache has moved (and a fresh cache per environment
    /// cost its first function 1.1 s more to compile).
    package static func relocated(_ flags: [String], from slot: String, to directory: String) -> [String] {
        var relocated = flags.map { $0.replacingOccurrences(of: "\(slot)/", with: "\(directory)/") }
        if let index = relocated.firstIndex(of: "-module-cache-path") {
            relocated.removeSubrange(index..<min(index + 2, relocated.count))
        }
        return relocated
    }

    private func buildInSlot(
        _ spec: EnvironmentSpec,
        slot: String,
        toolchain: Toolchain,
        seeds: () -> [Environment],
        log: BuildLog,
        step: @escaping @Sendable (String) -> Void
    ) async throws(IsolatedError) -> Environment {
        var dependencies = spec.dependencies
        try shipLocalPackages(&dependencies, into: slot)
        try writeManifest(dependencies, products: [], to: slot)

        try await run(toolchain.swift, ["package", "resolve"], in: slot, spec: spec, log: log, step: step, what: "resolving packages")
        let checkouts: [String: String]
        let pins: [Environment.Pin]
        if let state = WorkspaceState(slot: slot), spec.dependencies.allSatisfy({ state.paths[$0.identity] != nil }) {
            (checkouts, pins) = (state.paths, state.pins)
        } else {
            checkouts = try await dependencyPaths(slot, toolchain: toolchain, spec: spec, log: log, step: step)
            pins = try resolvedPins(slot: slot, checkouts: checkouts, spec: spec, log: log)
        }
        let configuration = spec.configuration.rawValue
        if let seed = BuildSeed.nearest(to: pins, for: spec, among: seeds()) {
            do {
                // Held so that `isolated envs rm` or `gc` cannot remove the seed halfway through;
                // a seed in use by them is skipped.
                let planted = try FileLock.withLockIfFree(path: "\(seed.environment.directory).lock") { () throws -> Bool in
                    try seed.plant(into: slot, configuration: configuration, productName: Self.productName)
                    return true
                }
                if planted == true {
                    step("Reusing the built \(seed.shared.map(\.identity).joined(separator: ", ")) of environment \(seed.environment.key.prefix(12))")
                }
            } catch {
                // A seed that cannot be read only costs its products: start over from a clean resolve.
                log.append("could not reuse environment \(seed.environment.key): \(error)")
                try? FileManager.default.removeItem(atPath: "\(slot)/.build")
                try await run(toolchain.swift, ["package", "resolve"], in: slot, spec: spec, log: log, step: step, what: "resolving packages")
            }
        }

        let catalog = LibraryCatalog(directory: "\((slot as NSString).deletingLastPathComponent)/.products", toolchain: spec.toolchain)
        var chosen: [(identity: String, product: String, targets: [String])] = []
        for dependency in dependencies {
            guard let path = checkouts[dependency.identity] else {
                throw failure(spec, "SwiftPM did not resolve \(dependency.written)", log: log, culprit: dependency)
            }
            let pin = pins.first { $0.identity == dependency.identity }
            let libraries: [LibraryCatalog.Library]
            if let pin, let known = catalog.libraries(identity: pin.identity, revision: pin.revision) {
                libraries = known
            } else {
                libraries = try await libraryProducts(of: path, dependency: dependency, toolchain: toolchain, spec: spec, log: log, step: step)
                if let pin { catalog.record(libraries, identity: pin.identity, revision: pin.revision) }
            }
            if let wanted = dependency.products {
                for name in wanted where !libraries.contains(where: { $0.name == name }) {
                    throw IsolatedError(
                        code: .invalidRequirement,
                        message: "requirement \(dependency.written) has no library product named \"\(name)\"; it has: "
                            + libraries.map(\.name).joined(separator: ", ")
                    )
                }
            }
            for library in libraries where dependency.products?.contains(library.name) ?? true {
                chosen.append((dependency.identity, library.name, library.targets))
            }
        }
        try writeManifest(dependencies, products: chosen.map { ($0.identity, $0.product) }, to: slot)

        // No index store: nothing reads an environment's, and writing it doubled the build
        // (swift-numerics in debug: 4.4-4.8 s with it, 2.3-2.5 s without).
        try await run(
            toolchain.swift,
            ["build", "-c", configuration, "--product", Self.productName, "--disable-index-store"],
            in: slot,
            spec: spec,
            log: log,
            step: step,
            what: "building"
        )
        // SwiftPM links .build/<configuration> to the products' directory for this machine's
        // triple; reading the link saves a `swift build --show-bin-path` (0.2 s).
        let link = "\(slot)/.build/\(configuration)"
        let binPath = (try? FileManager.default.destinationOfSymbolicLink(atPath: link)).map { "\(slot)/.build/\($0)" } ?? link
        let modules = Array(
            Set(chosen.flatMap(\.targets).filter { FileManager.default.fileExists(atPath: "\(binPath)/Modules/\($0).swiftmodule") })
        ).sorted()
        let compileFlags = try recordedFlags(directory: slot, spec: spec, log: log)
        return Environment(
            key: spec.key,
            spec: spec,
            directory: slot,
            modules: modules,
            compileFlags: compileFlags,
            linkFlags: ["-L", binPath, "-l\(Self.productName)", "-Xlinker", "-rpath", "-Xlinker", binPath],
            builtAt: Date(),
            buildSeconds: 0,
            pins: pins
        )
    }

    /// Every remote package SwiftPM pinned, read from `Package.resolved`, with its checkout.
    private func resolvedPins(slot: String, checkouts: [String: String], spec: EnvironmentSpec, log: BuildLog) throws(IsolatedError) -> [Environment
        .Pin]
    {
        struct Resolved: Decodable {
            struct Pin: Decodable {
                struct State: Decodable { var revision: String }
                var identity: String
                var state: State
            }
            var pins: [Pin]
        }
        // A package without dependencies has nothing to pin, and SwiftPM writes no file.
        guard let data = FileManager.default.contents(atPath: "\(slot)/Package.resolved") else { return [] }
        guard let resolved = try? JSONDecoder().decode(Resolved.self, from: data) else {
            throw failure(spec, "SwiftPM's Package.resolved could not be read", log: log, culprit: nil)
        }
        let root = "\(slot)/.build/checkouts/"
        return resolved.pins.compactMap { pin in
            guard let path = checkouts[pin.identity], path.hasPrefix(root) else { return nil }
            return Environment.Pin(identity: pin.identity, revision: pin.state.revision, checkout: String(path.dropFirst(root.count)))
        }
        .sorted { $0.identity < $1.identity }
    }

    // Local packages are copied in, so the environment does not change when the caller edits them.
    private func shipLocalPackages(_ dependencies: inout [EnvironmentSpec.Dependency], into directory: String) throws(IsolatedError) {
        for index in dependencies.indices where dependencies[index].version == nil {
            let source = dependencies[index].location
            let destination = "\(directory)/packages/\(dependencies[index].identity)"
            do {
                for file in PackageFiles.list(source) {
                    let target = "\(destination)/\(file)"
                    try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                    try FileManager.default.copyItem(atPath: "\(source)/\(file)", toPath: target)
                }
            } catch {
                throw IsolatedError(code: .storageFailed, message: "cannot copy the local package \(source): \(error)", underlying: error)
            }
            dependencies[index].location = destination
        }
    }

    private func writeManifest(
        _ dependencies: [EnvironmentSpec.Dependency],
        products: [(identity: String, product: String)],
        to directory: String
    ) throws(IsolatedError) {
        let packages = dependencies.map { dependency -> String in
            switch dependency.version {
            case .from(let version): ".package(url: \(literal(dependency.location)), from: \(literal(version.description)))"
            case .exact(let version): ".package(url: \(literal(dependency.location)), exact: \(literal(version.description)))"
            case nil: ".package(path: \(literal(dependency.location)))"
            }
        }
        let targetDependencies = products.map { ".product(name: \(literal($0.product)), package: \(literal($0.identity)))" }
        let manifest = """
            // swift-tools-version: 5.9
            // Generated by Isolated: one dynamic library linking every requirement of an environment.
            import PackageDescription

            let package = Package(
                name: "\(Self.productName)",
                products: [.library(name: "\(Self.productName)", type: .dynamic, targets: ["\(Self.productName)"])],
                dependencies: [
                    \(packages.joined(separator: ",\n        "))
                ],
                targets: [
                    .target(
                        name: "\(Self.productName)",
                        dependencies: [
                            \(targetDependencies.joined(separator: ",\n                "))
                        ]
                    )
                ]
            )

            """
        do {
            try FileManager.default.createDirectory(atPath: "\(directory)/Sources/\(Self.productName)", withIntermediateDirectories: true)
            try manifest.write(toFile: "\(directory)/Package.swift", atomically: true, encoding: .utf8)
            try "// Functions import the requirements' modules directly; this library only links them.\n".write(
                toFile: "\(directory)/Sources/\(Self.productName)/Environment.swift",
                atomically: true,
                encoding: .utf8
            )
        } catch {
            throw IsolatedError(code: .storageFailed, message: "cannot write the environment package in \(directory): \(error)", underlying: error)
        }
    }

    private func literal(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    @discardableResult
    private func run(
        _ executable: String,
        _ arguments: [String],
        in directory: String,
        spec: EnvironmentSpec,
        log: BuildLog,
        step: @escaping @Sendable (String) -> Void,
        what: String
    ) async throws(IsolatedError) -> Command.Result {
        log.append("$ \(([executable] + arguments).joined(separator: " "))")
        let started = ContinuousClock.now
        let result: Command.Result
        do {
            result = try await Command.run(executable, arguments, workingDirectory: directory, onLine: step)
        } catch {
            throw IsolatedError(code: .environmentBuildFailed, message: "cannot run \(executable): \(error)")
        }
        let elapsed = ContinuousClock.now - started
        log.append(String(format: "(took %.2f s)", Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18))
        if Task.isCancelled { throw IsolatedError(code: .cancelled, message: "the environment build was cancelled") }
        guard result.succeeded else {
            let culprit = spec.dependencies.first { dependency in
                result.output.contains { $0.contains("error") && ($0.contains(dependency.location) || $0.contains("/\(dependency.identity)")) }
            }
            throw failure(spec, "\(what) failed (\(result.termination))", log: log, culprit: culprit, output: result.output)
        }
        return result
    }

    private func dependencyPaths(
        _ directory: String,
        toolchain: Toolchain,
        spec: EnvironmentSpec,
        log: BuildLog,
        step: @escaping @Sendable (String) -> Void
    ) async throws(IsolatedError) -> [String: String] {
        let result = try await run(
            toolchain.swift,
            ["package", "show-dependencies", "--format", "json"],
            in: directory,
            spec: spec,
            log: log,
            step: { _ in },
            what: "listing dependencies"
        )
        struct Node: Decodable {
            var identity: String
            var path: String
            var dependencies: [Node]
        }
        struct Root: Decodable {
            var dependencies: [Node]
        }
        func flattened(_ nodes: [Node]) -> [(String, String)] {
            nodes.flatMap { [($0.identity, $0.path)] + flattened($0.dependencies) }
        }
        let json = result.standardOutput.drop { !$0.hasPrefix("{") }.joined(separator: "\n")
        guard let root = try? JSONDecoder().decode(Root.self, from: Data(json.utf8)) else {
            throw failure(spec, "SwiftPM's dependency list could not be read", log: log, culprit: nil, output: result.output)
        }
        return Dictionary(flattened(root.dependencies), uniquingKeysWith: { first, _ in first })
    }

    private func libraryProducts(
        of path: String,
        dependency: EnvironmentSpec.Dependency,
        toolchain: Toolchain,
        spec: EnvironmentSpec,
        log: BuildLog,
        step: @escaping @Sendable (String) -> Void
    ) async throws(IsolatedError) -> [LibraryCatalog.Library] {
        step("Reading the products of \(dependency.written)")
        let result = try await run(
            toolchain.swift,
            ["package", "dump-package", "--package-path", path],
            in: path,
            spec: spec,
            log: log,
            step: { _ in },
            what: "reading the manifest of \(dependency.written)"
        )
        struct Product: Decodable {
            var name: String
            var targets: [String]
            var type: [String: AnyDecodable]
        }
        struct Manifest: Decodable {
            var products: [Product]
        }
        struct AnyDecodable: Decodable {
            init(from decoder: any Decoder) throws {}
        }
        let json = result.standardOutput.drop { !$0.hasPrefix("{") }.joined(separator: "\n")
        guard let manifest = try? JSONDecoder().decode(Manifest.self, from: Data(json.utf8)) else {
            throw failure(spec, "the manifest of \(dependency.written) could not be read", log: log, culprit: dependency, output: result.output)
        }
        let libraries = manifest.products.filter { $0.type.keys.contains("library") }.map {
            LibraryCatalog.Library(name: $0.name, targets: $0.targets)
        }
        guard !libraries.isEmpty else {
            throw IsolatedError(code: .invalidRequirement, message: "requirement \(dependency.written) has no library products to import")
        }
        return libraries
    }

    /// The search paths and C module maps SwiftPM passed when compiling the environment's module,
    /// read from its build manifest.
    private func recordedFlags(directory: String, spec: EnvironmentSpec, log: BuildLog) throws(IsolatedError) -> [String] {
        let manifestPath = "\(directory)/.build/\(spec.configuration.rawValue).yaml"
        let commandName = "\"C.\(Self.productName)-\(spec.target)-\(spec.configuration.rawValue).module\":"
        guard let manifest = try? String(contentsOfFile: manifestPath, encoding: .utf8),
            let command = manifest.range(of: commandName),
            let argsLine = manifest[command.upperBound...].split(separator: "\n").first(where: {
                $0.trimmingCharacters(in: .whitespaces).hasPrefix("args:")
            }),
            let json = argsLine.range(of: "[").map({ argsLine[$0.lowerBound...] }),
            let arguments = try? JSONDecoder().decode([String].self, from: Data(json.utf8))
        else {
            throw failure(spec, "the compile flags could not be read from \(manifestPath)", log: log, culprit: nil)
        }
        var flags: [String] = []
        var index = 0
        while index < arguments.count {
            switch arguments[index] {
            case "-I", "-F", "-Xcc", "-module-cache-path":
                if index + 1 < arguments.count { flags += [arguments[index], arguments[index + 1]] }
                index += 2
            default:
                index += 1
            }
        }
        return flags
    }

    private func failure(
        _ spec: EnvironmentSpec,
        _ what: String,
        log: BuildLog,
        culprit: EnvironmentSpec.Dependency?,
        output: [String] = []
    ) -> IsolatedError {
        let relevant = Self.relevantLines(output)
        let requirement = culprit.map { " for requirement \($0.written)" } ?? ""
        let all = spec.dependencies.map(\.written).joined(separator: ", ")
        return IsolatedError(
            code: .environmentBuildFailed,
            message: "environment build\(requirement) failed: \(what). Requirements: [\(all)]. Full log: \(log.path)",
            details: relevant
        )
    }

    /// Error lines and the lines right after them, at most 30.
    static func relevantLines(_ output: [String]) -> [String] {
        var lines: [String] = []
        for (index, line) in output.enumerated() where line.contains("error:") || line.contains("error ") {
            lines.append(contentsOf: output[index..<min(index + 3, output.count)])
        }
        if lines.isEmpty { lines = Array(output.suffix(15)) }
        var seen = Set<String>()
        return Array(lines.filter { seen.insert($0).inserted }.prefix(30))
    }
}

/// An environment's build log on disk, appended to as the build goes.
final class BuildLog: Sendable {
    let path: String

    init(path: String) {
        self.path = path
        _ = FileManager.default.createFile(atPath: path, contents: nil)
    }

    func append(_ line: String) {
        guard let handle = FileHandle(forWritingAtPath: path) else { return }
        defer { try? handle.close() }
        _ = try? handle.seekToEnd()
        try? handle.write(contentsOf: Data((line + "\n").utf8))
    }
}
