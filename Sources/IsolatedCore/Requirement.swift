import Foundation

/// A Swift package a function's environment must contain.
///
/// Written as a string literal in one of these forms:
/// - `"owner/name@1.2.0"`: the GitHub package, from 1.2.0 up to the next major version;
/// - `"https://host/owner/name.git@1.2.0"`: any git URL, same version rule;
/// - `"owner/name==1.2.0"` (or a URL with `==`): exactly that version.
///
/// or built with ``package(url:from:products:)``, ``package(url:exact:products:)`` or ``path(_:products:)``.
/// Every library product of a requirement is imported into the function's source unless
/// `products` names some. A malformed string is reported, quoted, when the function is called.
///
/// In JSON (the server's API) a requirement is one of those strings, or an object:
/// `{"url": "https://github.com/apple/swift-algorithms", "from": "1.2.0"}` (or `"exact"`), or
/// `{"path": "../Local"}`, either with an optional `"products": ["Algorithms"]`. It is written
/// as an object, except a malformed one, which keeps its text.
public struct Requirement: Sendable, Hashable, Codable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// Where the package comes from.
    public enum Source: Sendable, Hashable, Codable {
        /// A git repository.
        case remote(url: String, version: VersionRule)
        /// A package on the caller's disk, relative to the caller's package root unless absolute.
        case path(String)
    }

    /// Which versions of a remote package are acceptable.
    public enum VersionRule: Sendable, Hashable, Codable, CustomStringConvertible {
        /// This version up to the next major version.
        case from(Version)
        /// Exactly this version.
        case exact(Version)

        /// `from 1.2.0` or `exactly 1.2.0`.
        public var description: String {
            switch self {
            case .from(let version): "from \(version)"
            case .exact(let version): "exactly \(version)"
            }
        }
    }

    private enum Storage: Sendable, Hashable {
        case valid(Source, products: [String]?)
        case malformed(text: String, reason: String)
    }

    private let storage: Storage

    /// Parses the string form; a malformed string is kept and reported by ``validated()``.
    public init(stringLiteral text: String) {
        self.init(parsing: text)
    }

    /// Parses the string form; a malformed string is kept and reported by ``validated()``.
    public init(parsing text: String) {
        do {
            storage = .valid(try Self.parse(text), products: nil)
        } catch {
            storage = .malformed(text: text, reason: error.reason)
        }
    }

    private init(source: Source, products: [String]?) {
        storage = .valid(source, products: products)
    }

    /// A package at a git URL, from `version` up to the next major version.
    public static func package(url: String, from version: String, products: [String]? = nil) -> Requirement {
        guard let parsed = Version(version) else {
            return Requirement(storage: .malformed(text: "\(url)@\(version)", reason: "'\(version)' is not a semantic version like 1.2.0"))
        }
        return Requirement(source: .remote(url: url, version: .from(parsed)), products: products)
    }

    /// A package at a git URL, exactly `version`.
    public static func package(url: String, exact version: String, products: [String]? = nil) -> Requirement {
        guard let parsed = Version(version) else {
            return Requirement(storage: .malformed(text: "\(url)==\(version)", reason: "'\(version)' is not a semantic version like 1.2.0"))
        }
        return Requirement(source: .remote(url: url, version: .exact(parsed)), products: products)
    }

    /// A local package whose sources are shipped to the environment.
    public static func path(_ path: String, products: [String]? = nil) -> Requirement {
        Requirement(source: .path(path), products: products)
    }

    private init(storage: Storage) { self.storage = storage }

    /// The requirement's source and products, or an error quoting a malformed requirement.
    public func validated() throws(IsolatedError) -> (source: Source, products: [String]?) {
        switch storage {
        case .valid(let source, let products):
            if case .path("") = source {
                throw IsolatedError(code: .invalidRequirement, message: "invalid requirement: .path(_:) needs a path to a package")
            }
            if case .remote("", _) = source {
                throw IsolatedError(code: .invalidRequirement, message: "invalid requirement: .package(url:…) needs the package's URL")
            }
            if let products, products.isEmpty || products.contains(where: \.isEmpty) {
                throw IsolatedError(
                    code: .invalidRequirement,
                    message: "invalid requirement \"\(description)\": name at least one product, or pass nil to import them all"
                )
            }
            return (source, products)
        case .malformed(let text, let reason):
            throw IsolatedError(
                code: .invalidRequirement,
                message: """
                    invalid requirement "\(text)": \(reason). Write "owner/name@1.2.0", "https://host/owner/name.git@1.2.0", \
                    "owner/name==1.2.0", or use .package(url:from:products:) or .path(_:)
                    """
            )
        }
    }

    /// The package's identity as SwiftPM derives it: the URL's or path's last component, lowercased, without `.git`.
    public var identity: String? {
        guard case .valid(let source, _) = storage else { return nil }
        let location: String
        switch source {
        case .remote(let url, _): location = url
        case .path(let path): location = path
        }
        var last = location.split(separator: "/").last.map(String.init) ?? location
        if last.hasSuffix(".git") { last.removeLast(4) }
        return last.lowercased()
    }

    /// The requirement as the user would write it.
    public var description: String {
        switch storage {
        case .malformed(let text, _): return text
        case .valid(let source, let products):
            let suffix = products.map { " (products: \($0.joined(separator: ", ")))" } ?? ""
            switch source {
            case .remote(let url, .from(let version)): return "\(url)@\(version)\(suffix)"
            case .remote(let url, .exact(let version)): return "\(url)==\(version)\(suffix)"
            case .path(let path): return ".path(\"\(path)\")\(suffix)"
            }
        }
    }

    private enum CodingKeys: String, CodingKey {
        case url, from, exact, path, products
    }

    /// Decodes either JSON form: the string or the object.
    public init(from decoder: any Decoder) throws {
        if let text = try? decoder.singleValueContainer().decode(String.self) {
            self.init(parsing: text)
            return
        }
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let products = try container.decodeIfPresent([String].self, forKey: .products)
        if let path = try container.decodeIfPresent(String.self, forKey: .path) {
            guard !container.contains(.url), !container.contains(.from), !container.contains(.exact) else {
                throw DecodingError.dataCorruptedError(
                    forKey: .path, in: container, debugDescription: "a requirement has a 'path' or a 'url', not both")
            }
            self = .path(path, products: products)
            return
        }
        let url = try container.decode(String.self, forKey: .url)
        switch (try container.decodeIfPresent(String.self, forKey: .from), try container.decodeIfPresent(String.self, forKey: .exact)) {
        case (let from?, nil): self = .package(url: url, from: from, products: products)
        case (nil, let exact?): self = .package(url: url, exact: exact, products: products)
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .url, in: container, debugDescription: "a package requirement takes one version rule: 'from' or 'exact'")
        }
    }

    /// Encodes the object form; a malformed requirement as its text, so whoever decodes it
    /// reports the same problem.
    public func encode(to encoder: any Encoder) throws {
        switch storage {
        case .malformed(let text, _):
            var container = encoder.singleValueContainer()
            try container.encode(text)
        case .valid(let source, let products):
            var container = encoder.container(keyedBy: CodingKeys.self)
            switch source {
            case .remote(let url, .from(let version)):
                try container.encode(url, forKey: .url)
                try container.encode(version.description, forKey: .from)
            case .remote(let url, .exact(let version)):
                try container.encode(url, forKey: .url)
                try container.encode(version.description, forKey: .exact)
            case .path(let path):
                try container.encode(path, forKey: .path)
            }
            try container.encodeIfPresent(products, forKey: .products)
        }
    }

    private struct ParseFailure: Error {
        var reason: String
    }

    private static func parse(_ text: String) throws(ParseFailure) -> Source {
        let trimmed = text.trimmingSpaces()
        guard !trimmed.isEmpty else { throw ParseFailure(reason: "it is empty") }
        guard !trimmed.contains(where: { $0 == " " || $0 == "\t" || $0 == "\n" }) else {
            throw ParseFailure(reason: "it contains white space")
        }
        let location: Substring
        let versionText: Substring
        let exact: Bool
        if let range = trimmed.range(of: "==") {
            (location, versionText, exact) = (trimmed[..<range.lowerBound], trimmed[range.upperBound...], true)
        } else if let at = trimmed.lastIndex(of: "@"), !trimmed[trimmed.index(after: at)...].contains("/") {
            (location, versionText, exact) = (trimmed[..<at], trimmed[trimmed.index(after: at)...], false)
        } else {
            throw ParseFailure(reason: "it names no version (add @1.2.0 for 'from 1.2.0', or ==1.2.0 for exactly that version)")
        }
        guard let version = Version(String(versionText)) else {
            throw ParseFailure(reason: "'\(versionText)' is not a semantic version like 1.2.0")
        }
        let url: String
        if location.contains("://") {
            guard let schemeEnd = location.range(of: "://"), location[schemeEnd.upperBound...].split(separator: "/").count >= 2 else {
                throw ParseFailure(reason: "'\(location)' is not a repository URL like https://host/owner/name.git")
            }
            url = String(location)
        } else {
            let parts = location.split(separator: "/", omittingEmptySubsequences: false)
            let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")
            guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(allowed.contains) }) else {
                throw ParseFailure(reason: "'\(location)' is not a GitHub 'owner/name' or a URL")
            }
            url = "https://github.com/\(location)"
        }
        return .remote(url: url, version: exact ? .exact(version) : .from(version))
    }
}

extension String {
    fileprivate func trimmingSpaces() -> Substring {
        var text = self[...]
        while let first = text.first, first.isWhitespace { text.removeFirst() }
        while let last = text.last, last.isWhitespace { text.removeLast() }
        return text
    }
}
