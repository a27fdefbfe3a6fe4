import Foundation

/// What SwiftPM resolved, read from the `workspace-state.json` it leaves in `.build`.
///
/// The file is SwiftPM's own record rather than a documented interface, so a file this cannot
/// read leaves the builder to ask `swift package show-dependencies` and `Package.resolved`
/// instead; reading it saves that run (0.26 s a build here).
struct WorkspaceState {
    /// Each package's directory, by identity: its checkout, or a local package's path.
    var paths: [String: String]
    /// The remote packages checked out.
    var pins: [Environment.Pin]

    /// The state of the package at `slot`, or nil if SwiftPM's file is missing or not as expected.
    init?(slot: String) {
        struct File: Decodable {
            struct Object: Decodable { var dependencies: [Dependency] }
            struct Dependency: Decodable {
                struct Reference: Decodable {
                    var identity: String
                    var kind: String
                    var location: String
                }
                struct State: Decodable {
                    struct Checkout: Decodable { var revision: String }
                    var name: String
                    var checkoutState: Checkout?
                }
                var packageRef: Reference
                var state: State
                var subpath: String
            }
            var version: Int
            var object: Object
        }
        guard let data = FileManager.default.contents(atPath: "\(slot)/.build/workspace-state.json"),
            let file = try? JSONDecoder().decode(File.self, from: data)
        else { return nil }
        var paths: [String: String] = [:]
        var pins: [Environment.Pin] = []
        for dependency in file.object.dependencies {
            let identity = dependency.packageRef.identity
            switch (dependency.state.name, dependency.state.checkoutState) {
            case ("sourceControlCheckout", let checkout?):
                paths[identity] = "\(slot)/.build/checkouts/\(dependency.subpath)"
                pins.append(Environment.Pin(identity: identity, revision: checkout.revision, checkout: dependency.subpath))
            case ("fileSystem", _):
                paths[identity] = dependency.packageRef.location
            default:
                return nil
            }
        }
        self.paths = paths
        self.pins = pins.sorted { $0.identity < $1.identity }
    }
}
