import Foundation
import IsolatedCore
import IsolatedEngine
import Testing

@Suite("Choosing and planting the built environment a new build starts from")
struct BuildSeedTests {
    static let numerics = Environment.Pin(identity: "swift-numerics", revision: "b9d67f8", checkout: "swift-numerics")
    static let algorithms = Environment.Pin(identity: "swift-algorithms", revision: "0f7a7a1", checkout: "swift-algorithms")
    static let collections = Environment.Pin(identity: "swift-collections", revision: "c1a2b3c", checkout: "swift-collections")

    static func spec(_ identities: [String], toolchain: String = "6.3.1", configuration: EngineConfiguration.BuildConfiguration = .debug)
        -> EnvironmentSpec
    {
        EnvironmentSpec(
            dependencies: identities.map { identity in
                EnvironmentSpec.Dependency(
                    identity: identity,
                    location: "https://github.com/apple/\(identity)",
                    version: .from(Version("1.0.0")!),
                    written: "apple/\(identity)@1.0.0"
                )
            },
            toolchain: toolchain,
            target: "x86_64-unknown-linux-gnu",
            configuration: configuration
        )
    }

    static func built(_ spec: EnvironmentSpec, pins: [Environment.Pin]?, at seconds: TimeInterval = 0) -> Environment {
        Environment(
            key: spec.key, spec: spec, directory: "/envs/\(spec.key)", modules: [], compileFlags: [], linkFlags: [],
            builtAt: Date(timeIntervalSince1970: seconds), buildSeconds: 1, pins: pins
        )
    }

    @Test("the candidate sharing the most packages at the same revisions is chosen, the most recent among equals")
    func nearest() throws {
        let wanted = Self.spec(["swift-algorithms", "swift-collections"])
        let small = Self.built(Self.spec(["swift-numerics"]), pins: [Self.numerics], at: 10)
        let large = Self.built(Self.spec(["swift-algorithms"]), pins: [Self.algorithms, Self.numerics], at: 1)
        let newer = Self.built(Self.spec(["swift-algorithms", "swift-numerics"]), pins: [Self.algorithms, Self.numerics], at: 2)
        let pins = [Self.algorithms, Self.collections, Self.numerics]
        let seed = try #require(BuildSeed.nearest(to: pins, for: wanted, among: [small, large, newer]))
        #expect(seed.environment.key == newer.key)
        #expect(Set(seed.shared) == [Self.algorithms, Self.numerics])
    }

    @Test("a candidate holding any package at another revision or checkout, or a local package, is never chosen")
    func conflicts() {
        let wanted = Self.spec(["swift-algorithms"])
        let pins = [Self.algorithms, Self.numerics]
        var otherRevision = Self.numerics
        otherRevision.revision = "0000000"
        var otherCheckout = Self.numerics
        otherCheckout.checkout = "swift-numerics-fork"
        var local = Self.spec(["swift-numerics"])
        local.dependencies.append(
            EnvironmentSpec.Dependency(identity: "greeting", location: "/src/Greeting", contentHash: "abc", written: ".path(\"Greeting\")"))
        let candidates = [
            Self.built(Self.spec(["swift-numerics"]), pins: [otherRevision]),
            Self.built(Self.spec(["swift-numerics"]), pins: [otherCheckout]),
            Self.built(Self.spec(["swift-numerics", "swift-collections"]), pins: [Self.numerics, Self.collections]),
            Self.built(local, pins: [Self.numerics]),
        ]
        #expect(BuildSeed.nearest(to: pins, for: wanted, among: candidates) == nil)
    }

    @Test("a candidate of another toolchain or configuration, one recorded before pins, or the environment itself is never chosen")
    func incompatible() {
        let wanted = Self.spec(["swift-numerics", "swift-algorithms"])
        let pins = [Self.algorithms, Self.numerics]
        let candidates = [
            Self.built(Self.spec(["swift-numerics"], toolchain: "6.2"), pins: [Self.numerics]),
            Self.built(Self.spec(["swift-numerics"], configuration: .release), pins: [Self.numerics]),
            Self.built(Self.spec(["swift-numerics"]), pins: nil),
            Self.built(wanted, pins: pins),
        ]
        #expect(BuildSeed.nearest(to: pins, for: wanted, among: candidates) == nil)
    }

    @Test("a tree is recreated with hard links to the same files, its symbolic links kept, and skipped paths left out")
    func linkTree() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("link-tree-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: "\(root)/from/kept/deep", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: "\(root)/from/skipped", withIntermediateDirectories: true)
        try Data("object".utf8).write(to: URL(fileURLWithPath: "\(root)/from/kept/deep/a.o"))
        try Data("own".utf8).write(to: URL(fileURLWithPath: "\(root)/from/skipped/b.o"))
        try FileManager.default.createSymbolicLink(atPath: "\(root)/from/current", withDestinationPath: "kept/deep")

        try BuildSeed.linkTree(from: "\(root)/from", to: "\(root)/to") { $0 == "skipped" }

        let original = try FileManager.default.attributesOfItem(atPath: "\(root)/from/kept/deep/a.o")
        let linked = try FileManager.default.attributesOfItem(atPath: "\(root)/to/kept/deep/a.o")
        #expect(linked[.systemFileNumber] as? Int == original[.systemFileNumber] as? Int)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: "\(root)/to/current") == "kept/deep")
        #expect(!FileManager.default.fileExists(atPath: "\(root)/to/skipped"))
    }

    @Test("flags recorded in the build slot point into the environment once moved, and leave the module cache to the compiler")
    func relocatedFlags() {
        let flags = [
            "-I", "/envs/.building/.build/x86_64-unknown-linux-gnu/debug/Modules",
            "-Xcc", "-fmodule-map-file=/envs/.building/.build/checkouts/swift-numerics/Sources/_NumericsShims/include/module.modulemap",
            "-module-cache-path", "/envs/.building/.build/x86_64-unknown-linux-gnu/debug/ModuleCache",
        ]
        #expect(
            SwiftPMEnvironmentBuilder.relocated(flags, from: "/envs/.building", to: "/envs/abc")
                == [
                    "-I", "/envs/abc/.build/x86_64-unknown-linux-gnu/debug/Modules",
                    "-Xcc", "-fmodule-map-file=/envs/abc/.build/checkouts/swift-numerics/Sources/_NumericsShims/include/module.modulemap",
                ]
        )
    }
}
