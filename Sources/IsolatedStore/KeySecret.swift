import Foundation
import IsolatedCore

/// An API key's secret: `isk_`, the key's 12-hex-digit id, `_`, then 32 random bytes from
/// `SystemRandomNumberGenerator` in unpadded base64url (43 characters).
///
/// The id inside the secret lets the store find the key's hash without comparing against every
/// key; the store keeps only ``hash``. Its description hides the random part, so interpolating a
/// secret into a log or an error cannot leak it.
struct KeySecret: CustomStringConvertible {
    private static let prefix = "isk_"
    private static let idLength = 12
    private static let randomLength = 43
    private static let base64URL = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
    private static let hexDigits = Set("0123456789abcdef".utf8)

    /// The key's id.
    let id: String
    /// The whole secret, as the key's holder sends it.
    let text: String

    /// A new secret with a new id.
    static func generate() -> KeySecret {
        var generator = SystemRandomNumberGenerator()
        let idBytes = (0..<idLength / 2).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let id = idBytes.map { String(format: "%02x", $0) }.joined()
        let random = Data((0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
            .base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        return KeySecret(id: id, text: "\(prefix)\(id)_\(random)")
    }

    private init(id: String, text: String) {
        self.id = id
        self.text = text
    }

    /// Parses a secret a request presented; `nil` when it does not have the shape of one.
    init?(parsing text: String) {
        let utf8 = Array(text.utf8)
        let prefix = Array(Self.prefix.utf8)
        guard utf8.count == prefix.count + Self.idLength + 1 + Self.randomLength, utf8.starts(with: prefix) else { return nil }
        let id = utf8[prefix.count..<(prefix.count + Self.idLength)]
        let separator = utf8[prefix.count + Self.idLength]
        let random = utf8[(prefix.count + Self.idLength + 1)...]
        guard id.allSatisfy(Self.hexDigits.contains), separator == UInt8(ascii: "_"), random.allSatisfy(Self.base64URL.contains) else {
            return nil
        }
        self.init(id: String(decoding: id, as: UTF8.self), text: text)
    }

    /// Whether `text` has the form of a key's id.
    static func isID(_ text: String) -> Bool {
        text.utf8.count == idLength && text.utf8.allSatisfy(hexDigits.contains)
    }

    /// The SHA-256 of the whole secret in lowercase hex: what the store keeps.
    var hash: String { SHA256.hex(text) }

    /// Whether two hashes are equal, taking the same time wherever they differ, so response
    /// times do not reveal how much of a guessed secret's hash was right.
    static func hashesMatch(_ presented: String, _ stored: String) -> Bool {
        let presented = Array(presented.utf8)
        let stored = Array(stored.utf8)
        guard presented.count == stored.count else { return false }
        var difference: UInt8 = 0
        for index in presented.indices { difference |= presented[index] ^ stored[index] }
        return difference == 0
    }

    /// The secret with its random part hidden.
    var description: String { "\(Self.prefix)\(id)_…" }
}
