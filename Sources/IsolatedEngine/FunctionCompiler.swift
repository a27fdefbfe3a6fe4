import Foundation
package import IsolatedCore

/// Compiles one function version into a worker executable with `swiftc`, against a built
/// environment and the runner runtime.
package enum FunctionCompiler {
    /// The version's key: the worker's source and everything else that changes the executable.
    package static func key(workerSource: String, environment: Environment, runtimeKey: String, configuration: EngineConfiguration.BuildConfiguration)
        -> String
    {
        var hasher = SHA256()
        for part in ["4", environment.key, runtimeKey, configuration.rawValue, workerSource] {
            hasher.update(part)
            hasher.update([0])
        }
        return hasher.finalize()
    }

    /// How much of Foundation a worker imports. A worker first compiles with none of it: the
    /// runtime needs none, and a runner without FoundationEssentials holds 2.6 MB less. A function
    /// that does not compile so compiles again with Foundation's essentials (`Data`, `Date`,
    /// `URL`, JSON coding, `ProcessInfo`, `FileManager`), then with all of `Foundation`, which
    /// costs a runner 6.5 MB more and 4.5 ms of start-up here. A marker then makes the function's
    /// later versions start at the level it needed.
    package enum FoundationUse: Int, CaseIterable, Sendable {
        case none
        case essentials
        case all

        /// The module the worker imports.
        var module: String? {
            switch self {
            case .none: nil
            case .essentials: "FoundationEssentials"
            case .all: "Foundation"
            }
        }

        /// Without Foundation, the worker does not import the standard library's regular
        /// expressions either, as the runtime does not: a runner then holds 0.8 MB less. A
        /// function that uses them compiles again with Foundation's essentials, which bring them.
        var compileFlags: [String] {
            self == .none ? Runtime.withoutStringProcessing : []
        }

        /// The directory of markers for functions that needed this level.
        var markerDirectory: String? {
            switch self {
            case .none: nil
            case .essentials: "needs-foundation-essentials"
            case .all: "needs-foundation"
            }
        }
    }

    /// The worker's full source: every shipped declaration and the function itself, each under
    /// `#sourceLocation` so diagnostics name the user's files, stubs for the isolated functions
    /// it may call (itself included, so recursion is a nested call), and the entry point.
    ///
    /// No call's settings are in it: a stub names its function, and the engine adds the settings
    /// of the call being served, so changing `keepAlive` or `machineType` compiles nothing.
    package static func workerSource(_ function: FunctionSource, modules: [String], foundation: FoundationUse = .none) throws(IsolatedError)
        -> String
    {
        var seen: [String: ShippedSource] = [:]
        var sections: [String] = []
        var registrations: [FunctionReference] = []
        for dependency in function.dependencies {
            if let earlier = seen[dependency.name] {
                guard earlier != dependency else { continue }
                throw IsolatedError(
                    code: .invalidShipment,
                    message: "\(function.reference) ships two different declarations named '\(dependency.name)' "
                        + "(\(earlier.file):\(earlier.line) and \(dependency.file):\(dependency.line)); rename one"
                )
            }
            guard dependency.name != function.name else {
                throw IsolatedError(
                    code: .invalidShipment,
                    message: "\(function.reference) ships a declaration with its own name, from \(dependency.file):\(dependency.line); rename one"
                )
            }
            seen[dependency.name] = dependency
            sections.append(located(dependency.source, file: dependency.file, line: dependency.line))
            if dependency.kind == .isolated {
                registrations.append(FunctionReference(name: dependency.name, file: dependency.file, line: dependency.line))
            }
        }
        sections.append(located(function.source, file: function.file, line: function.line))
        if !function.stub.isEmpty {
            sections.append(located(function.stub, file: function.file, line: function.line))
            registrations.append(function.reference)
        }
        let registerLines = registrations.map {
            "IsolatedRunner::NestedFunction.register(\(literal($0.name)), file: \(literal($0.file)), line: \($0.line))"
        }
        let imports = ([foundation.module].compactMap { $0 } + ["IsolatedWire", "IsolatedRunner"] + modules).map { "import \($0)" }
        // With Foundation, `Data` travels raw (the runtime cannot name it) and a `LocalizedError`
        // thrown by the function gives its message.
        var foundationSupport = ""
        var runArguments = ""
        if let module = foundation.module {
            foundationSupport = """

                extension \(module).Data: @retroactive IsolatedWire.RawBytesPayload {
                    public init(rawPayload bytes: ArraySlice<UInt8>) { self.init(bytes) }
                    public func withRawPayload<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
                        try withUnsafeBytes(body)
                    }
                }

                """
            runArguments = "describingErrors: { ($0 as? any \(module).LocalizedError)?.errorDescription }"
        }
        // Foundation brings the C library with it; its essentials do not.
        return """
            \(imports.joined(separator: "\n"))
            #if canImport(Glibc)
            import Glibc
            #endif

            \(sections.joined(separator: "\n\n"))

            @main
            enum IsolatedWorkerEntry {
                static func main() async {
                    \(registerLines.joined(separator: "\n        "))
                    await IsolatedRunner::Runner.run(\(runArguments)) { invocation in
                        \(function.entry.replacingOccurrences(of: "\n", with: "\n            "))
                    }
                }
            }
            \(foundationSupport)
            """
    }

    private static func located(_ source: String, file: String, line: Int) -> String {
        "#sourceLocation(file: \(literal(file)), line: \(line))\n\(source)\n#sourceLocation()"
    }

    private static func literal(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    /// Compiles the worker into `directory/worker`, atomically; the caller creates `directory` and
    /// holds its compile lock.
    package static func compile(
        _ function: FunctionSource,
        environment: Environment,
        runtime: Runtime,
        toolchain: Toolchain,
        configuration: EngineConfiguration.BuildConfiguration,
        in directory: String
    ) async throws(IsolatedError) -> String {
        let executable = "\(directory)/worker"
        let sourcePath = Self.sourcePath(of: function, in: directory)
        let temporary = Self.temporary("worker", in: directory)
        func marker(_ level: FoundationUse) -> String? { Self.marker(level, of: function, in: directory) }
        let first = startingLevel(of: function, in: directory)
        let levels = FoundationUse.allCases.filter { $0.rawValue >= first.rawValue }
        var arguments = baseArguments(configuration)
        arguments += runtime.compileFlags + environment.compileFlags
        arguments += [sourcePath, "-o", temporary]
        arguments += runtime.linkFlags + environment.linkFlags
        var result: Command.Result?
        for level in levels {
            do {
                try workerSource(function, modules: environment.modules, foundation: level).write(
                    toFile: sourcePath, atomically: true, encoding: .utf8)
            } catch {
                throw IsolatedError(code: .storageFailed, message: "cannot write the function's source in \(directory): \(error)", underlying: error)
            }
            let compiled = try await toolchain.compile(arguments + level.compileFlags)
            result = compiled
            guard compiled.succeeded else { continue }
            if level != first, let marker = marker(level) {
                try? FileManager.default.createDirectory(atPath: (marker as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                _ = FileManager.default.createFile(atPath: marker, contents: nil)
            }
            break
        }
        guard let result else { preconditionFailure("a worker is compiled at least once") }
        guard result.succeeded else {
            try? FileManager.default.removeItem(atPath: temporary)
            let errors = result.output.filter { $0.contains(": error:") }
            let details = diagnostics(result.output)
            let requirements = environment.spec.dependencies.map(\.written)
            let context = requirements.isEmpty ? "with no requirements" : "with requirements [\(requirements.joined(separator: ", "))]"
            throw IsolatedError(
                code: .compilationFailed,
                message: "\(function.reference) does not compile in its environment (\(context)): "
                    + (errors.first ?? "swiftc \(result.termination)"),
                function: function.reference,
                details: details
            )
        }
        let record = FunctionRecord(
            name: function.name,
            file: function.file,
            line: function.line,
            environment: environment.key,
            requirements: environment.spec.dependencies.map(\.written)
        )
        do {
            try JSONEncoder().encode(record).write(to: URL(fileURLWithPath: "\(directory)/function.json"))
            if FileManager.default.fileExists(atPath: executable) {
                try FileManager.default.removeItem(atPath: temporary)
            } else {
                try FileManager.default.moveItem(atPath: temporary, toPath: executable)
            }
        } catch {
            throw IsolatedError(code: .storageFailed, message: "cannot install the compiled function in \(directory): \(error)", underlying: error)
        }
        return executable
    }

    /// Links the worker `compile` installed in `directory` again, into one static executable,
    /// `worker-static`, which new local runners start from once it is there. Only for a function
    /// without requirements that compiled without Foundation: its source in `directory` is the
    /// one that compiled. A link that fails leaves `worker-static.failed`, so it is not tried again.
    package static func linkStatically(
        _ function: FunctionSource,
        runtime: Runtime,
        toolchain: Toolchain,
        configuration: EngineConfiguration.BuildConfiguration,
        in directory: String
    ) async throws(IsolatedError) {
        let executable = staticWorker(in: directory)
        let temporary = temporary("worker-static", in: directory)
        var arguments = baseArguments(configuration)
        arguments += runtime.compileFlags + FoundationUse.none.compileFlags
        arguments += [sourcePath(of: function, in: directory), "-o", temporary]
        // A static PIE where lld can link one; a plain static executable where it cannot.
        let positionIndependent = toolchain.hasLLD
        var result = try await toolchain.compile(arguments + runtime.staticLinkFlags(positionIndependent: positionIndependent))
        if !result.succeeded && positionIndependent && !Task.isCancelled {
            result = try await toolchain.compile(arguments + runtime.staticLinkFlags(positionIndependent: false))
        }
        guard result.succeeded else {
            try? FileManager.default.removeItem(atPath: temporary)
            // Stopped with its engine: the next engine links it.
            guard !Task.isCancelled else { throw IsolatedError(code: .cancelled, message: "the static link of \(function.reference) was cancelled") }
            _ = FileManager.default.createFile(atPath: "\(executable).failed", contents: Data(result.output.joined(separator: "\n").utf8))
            throw IsolatedError(
                code: .compilationFailed,
                message: "\(function.reference) does not link statically; its runners start from its dynamically linked worker",
                function: function.reference,
                details: diagnostics(result.output)
            )
        }
        do {
            try FileManager.default.moveItem(atPath: temporary, toPath: executable)
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            if !FileManager.default.fileExists(atPath: executable) {
                throw IsolatedError(code: .storageFailed, message: "cannot install the static worker in \(directory): \(error)", underlying: error)
            }
        }
    }

    /// The `swiftc` arguments every worker is compiled with, dynamically or statically linked.
    private static func baseArguments(_ configuration: EngineConfiguration.BuildConfiguration) -> [String] {
        [
            "-parse-as-library", "-swift-version", "6", configuration == .release ? "-O" : "-Onone",
            "-module-name", "IsolatedWorker", "-diagnostic-style", "llvm", "-suppress-warnings",
        ]
    }

    /// Where ``linkStatically(_:runtime:toolchain:configuration:in:)`` puts the static worker.
    package static func staticWorker(in directory: String) -> String { "\(directory)/worker-static" }

    /// Whether the function's versions compile first without Foundation: none of them has needed it.
    package static func startsWithoutFoundation(_ function: FunctionSource, in directory: String) -> Bool {
        startingLevel(of: function, in: directory) == .none
    }

    /// A function that once needed Foundation starts with as much of it as it needed: each
    /// version of it would otherwise fail its first compiles.
    private static func startingLevel(of function: FunctionSource, in directory: String) -> FoundationUse {
        FoundationUse.allCases.last { level in marker(level, of: function, in: directory).map(FileManager.default.fileExists) ?? true } ?? .none
    }

    /// The marker saying the function needed `level`, beside the function versions' directories.
    private static func marker(_ level: FoundationUse, of function: FunctionSource, in directory: String) -> String? {
        let functions = (directory as NSString).deletingLastPathComponent
        return level.markerDirectory.map { "\(functions)/\($0)/\(markerName(function))" }
    }

    /// The worker's source file: named like the user's file, so the compiler's #fileID
    /// bookkeeping sees no conflict.
    private static func sourcePath(of function: FunctionSource, in directory: String) -> String {
        let basename = (function.file as NSString).lastPathComponent
        return "\(directory)/\(basename.hasSuffix(".swift") ? basename : "\(basename).swift")"
    }

    /// A name in `directory` no other compile uses, for an executable until it is installed.
    private static func temporary(_ name: String, in directory: String) -> String {
        "\(directory)/\(name).\(ProcessInfo.processInfo.processIdentifier).\(UInt32.random(in: 0...UInt32.max))"
    }

    /// The function's name and file, hashed: its versions share the marker.
    private static func markerName(_ function: FunctionSource) -> String {
        var hasher = SHA256()
        hasher.update("\(function.file)\u{0}\(function.name)")
        return hasher.finalize()
    }

    /// Each error with its source excerpt; linker and driver errors as they are.
    static func diagnostics(_ output: [String]) -> [String] {
        var lines: [String] = []
        var inError = false
        for line in output {
            if line.contains(": error:") || line.hasPrefix("error:") {
                inError = true
            } else if line.contains(": warning:") || line.contains(": note:") {
                inError = line.contains(": note:") && inError
            }
            if inError { lines.append(line) }
        }
        return lines.isEmpty ? Array(output.suffix(20)) : Array(lines.prefix(60))
    }
}

/// What a compiled function version is, kept beside it for `isolated envs list`.
package struct FunctionRecord: Sendable, Codable {
    package var name: String
    package var file: String
    package var line: Int
    package var environment: String
    package var requirements: [String]
}
