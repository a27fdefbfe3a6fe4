import Foundation
import IsolatedCore
import Testing

@Suite("Requirements")
struct RequirementTests {
    @Test(
        "the string forms parse into URLs and version rules",
        arguments: [
            ("apple/swift-algorithms@1.2.0", "https://github.com/apple/swift-algorithms", Requirement.VersionRule.from(Version("1.2.0")!)),
            ("apple/swift-algorithms==1.2.1", "https://github.com/apple/swift-algorithms", .exact(Version("1.2.1")!)),
            ("https://example.com/owner/name.git@2.0.0-beta.1", "https://example.com/owner/name.git", .from(Version("2.0.0-beta.1")!)),
            ("  owner/name@0.1.0 ", "https://github.com/owner/name", .from(Version("0.1.0")!)),
        ])
    func parses(text: String, url: String, rule: Requirement.VersionRule) throws {
        let (source, products) = try Requirement(parsing: text).validated()
        #expect(source == .remote(url: url, version: rule))
        #expect(products == nil)
    }

    @Test(
        "a malformed requirement is an error that quotes it and says what is wrong",
        arguments: [
            ("apple/swift-algorithms", "names no version"),
            ("apple/swift-algorithms@1.2", "not a semantic version"),
            ("swift-algorithms@1.2.0", "not a GitHub 'owner/name'"),
            ("a/b/c@1.0.0", "not a GitHub 'owner/name'"),
            ("", "empty"),
            ("apple/swift algorithms@1.0.0", "white space"),
        ])
    func malformed(text: String, reason: String) {
        let error = #expect(throws: IsolatedError.self) { try Requirement(parsing: text).validated() }
        #expect(error?.code == .invalidRequirement)
        #expect(error?.message.contains("\"\(text)\"") == true)
        #expect(error?.message.contains(reason) == true)
    }

    @Test("the package forms keep their products, and identities follow SwiftPM")
    func packageForms() throws {
        let requirement = Requirement.package(url: "https://github.com/apple/swift-nio.git", from: "2.0.0", products: ["NIOCore"])
        let (source, products) = try requirement.validated()
        #expect(source == .remote(url: "https://github.com/apple/swift-nio.git", version: .from(Version("2.0.0")!)))
        #expect(products == ["NIOCore"])
        #expect(requirement.identity == "swift-nio")
        #expect(Requirement.path("Packages/MyKit").identity == "mykit")
        #expect(throws: IsolatedError.self) { try Requirement.package(url: "https://x/y/z", from: "2").validated() }
        #expect(throws: IsolatedError.self) { try Requirement.package(url: "https://x/y/z", from: "2.0.0", products: []).validated() }
    }

    @Test("in JSON a requirement is an object, or its string form; a malformed one keeps its text")
    func json() throws {
        let requirements: [Requirement] = [
            "apple/swift-algorithms@1.2.0",
            .package(url: "https://example.com/owner/name.git", exact: "2.0.0-beta.1", products: ["Name"]),
            .path("../Local", products: nil),
            "apple/swift-algorithms",
        ]
        let encoded = String(decoding: try JSONEncoder().encode(requirements), as: UTF8.self)
        let objects = try #require(try JSONSerialization.jsonObject(with: Data(encoded.utf8)) as? [Any])
        #expect(objects[0] as? [String: String] == ["url": "https://github.com/apple/swift-algorithms", "from": "1.2.0"])
        #expect((objects[1] as? [String: Any])?["exact"] as? String == "2.0.0-beta.1")
        #expect((objects[1] as? [String: Any])?["products"] as? [String] == ["Name"])
        #expect(objects[2] as? [String: String] == ["path": "../Local"])
        #expect(objects[3] as? String == "apple/swift-algorithms")
        #expect(try JSONDecoder().decode([Requirement].self, from: Data(encoded.utf8)) == requirements)
        let strings = try JSONDecoder().decode([Requirement].self, from: Data(#"["apple/swift-algorithms==1.2.1"]"#.utf8))
        #expect(strings == [.package(url: "https://github.com/apple/swift-algorithms", exact: "1.2.1")])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Requirement.self, from: Data(#"{"url": "https://x/a/b"}"#.utf8)) }
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(Requirement.self, from: Data(#"{"path": "a", "url": "https://x/a/b", "from": "1.0.0"}"#.utf8))
        }
    }

    @Test("an unknown machine type lists the known ones")
    func unknownMachineType() {
        let error = #expect(throws: IsolatedError.self) { try MachineTypeCatalog.standard.spec(for: "XXL") }
        #expect(error?.code == .noSuchMachineType)
        #expect(error?.message.contains("XS, S, M, L, XL, GPU") == true)
    }
}
