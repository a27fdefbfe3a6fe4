import Foundation
import IsolatedCore

/// The library products of package revisions, read once with `swift package dump-package`
/// (0.45 s a package here) and kept under the environments directory: a manifest at one
/// revision reads the same for one toolchain.
struct LibraryCatalog {
    /// A library product and the targets it is made of.
    struct Library: Codable, Hashable {
        var name: String
        var targets: [String]
    }

    /// Where entries live: `<environments>/.products`.
    let directory: String
    /// The toolchain the manifests were read with.
    let toolchain: String

    /// The libraries recorded for `identity` at `revision`, or nil.
    func libraries(identity: String, revision: String) -> [Library]? {
        let path = self.path(identity: identity, revision: revision)
        guard let data = FileManager.default.contents(atPath: path), let libraries = try? JSONDecoder().decode([Library].self, from: data) else {
            return nil
        }
        // The entry's time is its last use, for `isolated envs gc`.
        try? FileManager.default.setAttributes([.modificationDate: Date()], ofItemAtPath: path)
        return libraries
    }

    /// Records the libraries of `identity` at `revision`; a failure to write only costs a later read.
    func record(_ libraries: [Library], identity: String, revision: String) {
        guard let data = try? JSONEncoder().encode(libraries) else { return }
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try? data.write(to: URL(fileURLWithPath: path(identity: identity, revision: revision)), options: .atomic)
    }

    private func path(identity: String, revision: String) -> String {
        var hasher = SHA256()
        hasher.update(toolchain)
        return "\(directory)/\(identity)@\(revision)-\(hasher.finalize().prefix(12)).json"
    }
}
