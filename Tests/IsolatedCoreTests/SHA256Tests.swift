import IsolatedCore
import Testing

@Suite("SHA-256, against the known answers of FIPS 180-4")
struct SHA256Tests {
    static func digest(_ parts: [String]) -> String {
        var hasher = SHA256()
        for part in parts { hasher.update(part) }
        return hasher.finalize()
    }

    @Test(
        "the published test vectors, and the same digest however the input is split",
        arguments: [
            ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            (
                "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
            ),
            (
                "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
                "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"
            ),
        ]
    )
    func knownAnswers(input: String, expected: String) {
        #expect(Self.digest([input]) == expected)
        for split in [1, 55, 56, 63, 64, 65] where split < input.count {
            let cut = input.index(input.startIndex, offsetBy: split)
            #expect(Self.digest([String(input[..<cut]), String(input[cut...])]) == expected, "split at \(split)")
        }
    }

    @Test("a million 'a's, fed in uneven pieces")
    func millionAs() {
        var hasher = SHA256()
        var fed = 0
        var piece = 1
        while fed < 1_000_000 {
            let count = min(piece, 1_000_000 - fed)
            hasher.update(String(repeating: "a", count: count))
            fed += count
            piece = piece * 3 % 1021 + 1
        }
        #expect(hasher.finalize() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }
}
