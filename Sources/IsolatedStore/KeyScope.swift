package import IsolatedCore

/// What a key may do.
package enum KeyScope: String, Sendable, Hashable, Codable, CaseIterable {
    /// Call functions, and read the calls' records and output.
    case invoke
    /// Everything an invoke key may, and manage keys, environments and runners.
    case admin

    /// Whether a key of this scope may do what `needed` allows.
    package func allows(_ needed: KeyScope) -> Bool {
        self == .admin || needed == .invoke
    }
}

extension IsolatedError {
    /// A request refused because its key's scope is too small, saying what to do.
    package static func forbidden(key: KeyRecord, needed: KeyScope, doing: String) -> IsolatedError {
        IsolatedError(
            code: .forbidden,
            message: "\(doing) needs an \(needed) key; the key \(key.id) (\"\(key.name)\") is an \(key.scope) key. "
                + "Create one with `isolated keys create NAME --scope \(needed)`"
        )
    }
}
