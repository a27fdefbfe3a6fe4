/// A semantic version: `major.minor.patch`, with an optional pre-release suffix.
public struct Version: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The major version.
    public var major: Int
    /// The minor version.
    public var minor: Int
    /// The patch version.
    public var patch: Int
    /// The pre-release identifiers after `-`, if any.
    public var prerelease: String?

    /// Parses `1.2.3` or `1.2.3-beta.1`; nil for anything else.
    public init?(_ text: String) {
        let (core, prerelease) =
            text.firstIndex(of: "-").map { (text[..<$0], String(text[text.index(after: $0)...])) } ?? (text[...], nil)
        let numbers = core.split(separator: ".", omittingEmptySubsequences: false)
        guard numbers.count == 3,
            numbers.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
            let major = Int(numbers[0]), let minor = Int(numbers[1]), let patch = Int(numbers[2])
        else { return nil }
        if let prerelease, prerelease.isEmpty { return nil }
        (self.major, self.minor, self.patch, self.prerelease) = (major, minor, patch, prerelease)
    }

    /// `1.2.3` or `1.2.3-beta.1`.
    public var description: String {
        "\(major).\(minor).\(patch)" + (prerelease.map { "-\($0)" } ?? "")
    }
}
