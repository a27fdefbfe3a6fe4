import Foundation
import IsolatedCore
import IsolatedStore
import SQLiteNIO
import Testing

@Suite("API keys")
struct KeyTests {
    @Test("a key's secret is returned once; the file holds its SHA-256, never the secret")
    func storedHashed() async throws {
        try await StoreFixture.withFixture { fixture in
            let store = try await fixture.open()
            let (record, secret) = try await store.createKey(name: "ci")
            #expect(secret.wholeMatch(of: /isk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}/) != nil)
            #expect(secret.hasPrefix("isk_\(record.id)_"))
            #expect(try await store.keys() == [record])
            // Read while open, with the records still in the WAL, and again after closing.
            #expect(try fixture.rawBytes().range(of: Data(SHA256.hex(secret).utf8)) != nil)
            #expect(try fixture.rawBytes().range(of: Data(secret.dropFirst(17).utf8)) == nil)
            try await store.close()
            let rows = try await fixture.query("SELECT * FROM keys")
            #expect(rows.count == 1)
            #expect(rows.allSatisfy { row in row.columns.allSatisfy { $0.data.string?.contains(secret.dropFirst(17)) != true } })
            #expect(rows.first?.column("secret_hash")?.string == SHA256.hex(secret))
            #expect(try fixture.rawBytes().range(of: Data(secret.dropFirst(17).utf8)) == nil)
        }
    }

    @Test("authenticate accepts a key's secret and rejects wrong, malformed, unknown and revoked ones")
    func authenticates() async throws {
        try await StoreFixture.withFixture { fixture in
            let store = try await fixture.open()
            let ci = try await store.createKey(name: "ci")
            let laptop = try await store.createKey(name: "laptop")

            let found = try #require(await store.authenticate(secret: ci.secret))
            #expect(found.id == ci.record.id && found.name == "ci" && found.lastUsedAt != nil)

            let swapped = "isk_\(ci.record.id)_\(laptop.secret.dropFirst(17))"
            let lastCharacter = ci.secret.last == "A" ? "B" : "A"
            let unknownID = "isk_000000000000_\(ci.secret.dropFirst(17))"
            for wrong in [
                swapped, String(ci.secret.dropLast()) + lastCharacter, unknownID, "", "isk_", ci.secret + "x", " " + ci.secret,
                ci.secret.uppercased(), "Bearer \(ci.secret)", String(ci.secret.dropLast()) + "=",
            ] {
                #expect(try await store.authenticate(secret: wrong) == nil, "accepted \(wrong)")
            }

            let revoked = try await store.revokeKey(id: ci.record.id)
            #expect(revoked.revokedAt != nil)
            #expect(try await store.authenticate(secret: ci.secret) == nil)
            #expect(try await store.authenticate(secret: laptop.secret)?.id == laptop.record.id)
            #expect(try await store.revokeKey(id: ci.record.id).revokedAt == revoked.revokedAt)
            #expect(try await store.keys().map(\.revokedAt) == [revoked.revokedAt, nil])
            try await store.close()
        }
    }

    @Test("a key's use is noted at most once per resolution")
    func lastUsedIsThrottled() async throws {
        try await StoreFixture.withFixture { fixture in
            let store = try await fixture.open(StoreConfiguration(lastUsedResolution: .seconds(3600)))
            let key = try await store.createKey(name: "ci")
            let first = try #require(await store.authenticate(secret: key.secret)?.lastUsedAt)
            #expect(try await store.authenticate(secret: key.secret)?.lastUsedAt == first)
            #expect(try await store.keys().first?.lastUsedAt == first)
            try await store.close()
        }
    }

    @Test("a verified key is trusted for its lifetime: revoked by another process it still works until then, through this store at once")
    func verifiedKeysAreTrustedForALifetime() async throws {
        try await StoreFixture.withFixture { fixture in
            let trusting = try await fixture.open(StoreConfiguration(verifiedKeyLifetime: .seconds(3600)))
            let checking = try await fixture.open(StoreConfiguration(verifiedKeyLifetime: .zero, interruptsRunningInvocations: false))
            let key = try await trusting.createKey(name: "ci")
            #expect(try await trusting.authenticate(secret: key.secret) != nil)
            #expect(try await checking.authenticate(secret: key.secret) != nil)

            let outside = try await fixture.open(StoreConfiguration(interruptsRunningInvocations: false))
            _ = try await outside.revokeKey(id: key.record.id)
            #expect(try await trusting.authenticate(secret: key.secret) != nil)
            #expect(try await checking.authenticate(secret: key.secret) == nil)
            // A wrong secret for a trusted id is still refused.
            let wrong = key.secret.dropLast() + (key.secret.hasSuffix("A") ? "B" : "A")
            #expect(try await trusting.authenticate(secret: String(wrong)) == nil)

            _ = try await trusting.revokeKey(id: key.record.id)
            #expect(try await trusting.authenticate(secret: key.secret) == nil)
            for store in [trusting, checking, outside] { try await store.close() }
        }
    }

    @Test("revoking an unknown key says there is no such key, and never repeats a secret")
    func revokeUnknown() async throws {
        try await StoreFixture.withFixture { fixture in
            let store = try await fixture.open()
            let unknown = await #expect(throws: IsolatedError.self) { try await store.revokeKey(id: "0123456789ab") }
            #expect(unknown?.code == .notFound)
            #expect(unknown?.message.contains("no API key with id 0123456789ab in the store at \(fixture.path)") == true)

            let secret = try await store.createKey(name: "ci").secret
            let mistaken = await #expect(throws: IsolatedError.self) { try await store.revokeKey(id: secret) }
            #expect(mistaken?.code == .notFound)
            #expect(mistaken.map { !$0.description.contains(secret.dropFirst(17)) } == true)
            try await store.close()
        }
    }

    @Test("no log line, at any level, and no error carries a key's secret")
    func secretsStayOutOfLogs() async throws {
        try await StoreFixture.withFixture { fixture in
            let capture = LogCapture()
            let store = try await fixture.open(logger: capture.logger)
            let key = try await store.createKey(name: "ci")
            let random = key.secret.dropFirst(17)
            #expect(try await store.authenticate(secret: key.secret) != nil)
            #expect(try await store.authenticate(secret: String(key.secret.dropLast()) + "=") == nil)
            #expect(try await store.authenticate(secret: "isk_000000000000_\(random)") == nil)
            let mistaken = await #expect(throws: IsolatedError.self) { try await store.revokeKey(id: key.secret) }
            #expect(mistaken.map { !$0.description.contains(random) } == true)
            try await store.revokeKey(id: key.record.id)
            #expect(try await store.authenticate(secret: key.secret) == nil)
            try await store.close()
            #expect(capture.text.contains("created an API key"))
            #expect(!capture.text.contains(random))
        }
    }
}
