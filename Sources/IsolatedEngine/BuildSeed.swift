import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A built environment whose products a new environment's build starts from.
///
/// Every environment is built at the same path (the builder's slot), so SwiftPM's build database
/// and command lines name the same files in each. Planting a seed hard-links the seed's checkouts
/// and built targets into the slot: the files keep their inodes and times, so SwiftPM's build
/// system finds them up to date and compiles only what the seed lacks. Compilers replace their
/// outputs by rename, so a rebuilt target never writes into the seed's files; the build database,
/// which SwiftPM updates in place, is copied instead.
package struct BuildSeed: Sendable {
    /// The environment planted.
    package var environment: Environment
    /// The packages it shares with the new environment, at the same revision.
    package var shared: [Environment.Pin]

    /// The built environment sharing the most packages with `pins`, among those whose every
    /// package `pins` has at the same revision and in the same checkout; nil if none shares one.
    ///
    /// A candidate holding a package at another revision is never chosen: its products would be
    /// rebuilt over, and a local package's products depend on files no revision names.
    package static func nearest(to pins: [Environment.Pin], for spec: EnvironmentSpec, among candidates: [Environment]) -> BuildSeed? {
        let wanted = Set(pins)
        let eligible = candidates.compactMap { candidate -> BuildSeed? in
            guard candidate.key != spec.key,
                candidate.spec.toolchain == spec.toolchain,
                candidate.spec.target == spec.target,
                candidate.spec.configuration == spec.configuration,
                candidate.spec.dependencies.allSatisfy({ $0.version != nil }),
                let held = candidate.pins, !held.isEmpty,
                Set(held).isSubset(of: wanted)
            else { return nil }
            return BuildSeed(environment: candidate, shared: held)
        }
        return eligible.max { ($0.shared.count, $0.environment.builtAt) < ($1.shared.count, $1.environment.builtAt) }
    }

    /// Links the seed's checkouts and built targets into the build directory at `slot`, whose
    /// packages are already resolved; the seed's own library is left out, since every
    /// environment links its own.
    package func plant(into slot: String, configuration: String, productName: String) throws {
        let seedBuild = "\(environment.directory)/.build"
        let slotBuild = "\(slot)/.build"
        for pin in shared {
            let checkout = "\(slotBuild)/checkouts/\(pin.checkout)"
            try? FileManager.default.removeItem(atPath: checkout)
            try Self.linkTree(from: "\(seedBuild)/checkouts/\(pin.checkout)", to: checkout)
        }
        // `.build/<configuration>` links to the triple's directory, which holds the products.
        let relative = try FileManager.default.destinationOfSymbolicLink(atPath: "\(seedBuild)/\(configuration)")
        let products = "\(seedBuild)/\(relative)"
        let own: Set<String> = ["\(productName).build", "\(productName).product", "lib\(productName).so", "ModuleCache", "description.json"]
        try? FileManager.default.removeItem(atPath: "\(slotBuild)/\(relative)")
        try Self.linkTree(from: products, to: "\(slotBuild)/\(relative)") { path in
            let name = (path as NSString).lastPathComponent
            return own.contains(path) || (path.hasPrefix("Modules/") && name.hasPrefix("\(productName)."))
        }
        // Clang updates its module cache in place; a copy keeps the seed's precompiled C modules.
        try? FileManager.default.copyItem(atPath: "\(products)/ModuleCache", toPath: "\(slotBuild)/\(relative)/ModuleCache")
        try? FileManager.default.removeItem(atPath: "\(slotBuild)/build.db")
        try FileManager.default.copyItem(atPath: "\(seedBuild)/build.db", toPath: "\(slotBuild)/build.db")
    }

    /// Recreates the tree at `source` under `destination` with hard links to its files, keeping
    /// symbolic links as they are; `skipping` gets paths relative to `source`.
    package static func linkTree(from source: String, to destination: String, skipping: (String) -> Bool = { _ in false }) throws {
        try FileManager.default.createDirectory(atPath: destination, withIntermediateDirectories: true)
        guard let enumerator = FileManager.default.enumerator(atPath: source) else {
            throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: source])
        }
        while let path = enumerator.nextObject() as? String {
            if skipping(path) {
                enumerator.skipDescendants()
                continue
            }
            let from = "\(source)/\(path)"
            let to = "\(destination)/\(path)"
            var status = stat()
            guard lstat(from, &status) == 0 else { throw Self.posixError(from) }
            switch status.st_mode & S_IFMT {
            case S_IFDIR:
                guard mkdir(to, status.st_mode & 0o7777) == 0 || errno == EEXIST else { throw Self.posixError(to) }
            case S_IFLNK:
                let target = try FileManager.default.destinationOfSymbolicLink(atPath: from)
                try FileManager.default.createSymbolicLink(atPath: to, withDestinationPath: target)
            default:
                guard link(from, to) == 0 else { throw Self.posixError(to) }
            }
        }
    }

    private static func posixError(_ path: String) -> any Error {
        CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path, NSLocalizedDescriptionKey: String(cString: strerror(errno))])
    }
}
