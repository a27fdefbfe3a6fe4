package import Foundation

/// An API key as the store lists it: everything but its secret, which only its creator ever sees.
package struct KeyRecord: Sendable, Hashable, Codable {
    /// The key's id; also part of its secret, so a request's key is found without a scan.
    package var id: String
    /// What the key is for, as its creator named it.
    package var name: String
    /// What it may do.
    package var scope: KeyScope
    /// When the key was created.
    package var createdAt: Date
    /// When the key last authenticated a request, to within ``StoreConfiguration/lastUsedResolution``.
    package var lastUsedAt: Date?
    /// When the key was revoked; a revoked key authenticates nothing.
    package var revokedAt: Date?

    /// Creates a record.
    package init(id: String, name: String, scope: KeyScope = .invoke, createdAt: Date, lastUsedAt: Date? = nil, revokedAt: Date? = nil) {
        self.id = id
        self.name = name
        self.scope = scope
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
        self.revokedAt = revokedAt
    }
}
