import Foundation
import IsolatedWire
import Testing

/// `PayloadEncoder` and `PayloadDecoder`, the runtime's JSON without Foundation, checked against
/// Foundation's `JSONEncoder` and `JSONDecoder` as the reference.
@Suite("Payload JSON: the runtime's own coder, as Foundation's reads and writes it")
struct PayloadJSONTests {
    enum Shape: Codable, Equatable {
        case circle(radius: Double)
        case polygon([Point], closed: Bool)
        case nothing
    }

    struct Point: Codable, Equatable, Hashable {
        var x: Int
        var y: Int
    }

    struct Everything: Codable, Equatable {
        var int8: Int8 = .min
        var int16: Int16 = .max
        var int32: Int32 = .min
        var int64: Int64 = .max
        var uint: UInt = .max
        var uint8: UInt8 = .max
        var uint16: UInt16 = 0
        var uint32: UInt32 = .max
        var uint64: UInt64 = .max
        var double: Double = 0.1
        var float: Float = .pi
        var bool = true
        var text = "plain"
        var optional: String? = nil
        var present: Int? = 7
        var list: [Int?] = [1, nil, 3]
        var nested: [[String]] = [[], ["a"], ["b", "c"]]
        var byName: [String: Point] = ["origin": Point(x: 0, y: 0), "one": Point(x: 1, y: -1)]
        var byNumber: [Int: String] = [1: "one", -2: "minus two"]
        var shapes: [Shape] = [.circle(radius: 2.5), .polygon([Point(x: 1, y: 2)], closed: true), .nothing]
        var date = Date(timeIntervalSinceReferenceDate: 123_456.789)
        var identifier = UUID(uuidString: "E621E1F8-C36C-495A-93FC-0C247A3E6E5F")!
        var set: Set<Point> = [Point(x: 3, y: 4)]
    }

    class Animal: Codable, Equatable {
        var name: String
        init(name: String) { self.name = name }
        static func == (left: Animal, right: Animal) -> Bool { left.name == right.name && type(of: left) == type(of: right) }
    }

    final class Dog: Animal {
        var barks: Int

        init(name: String, barks: Int) {
            self.barks = barks
            super.init(name: name)
        }

        enum CodingKeys: String, CodingKey { case barks }

        required init(from decoder: any Decoder) throws {
            barks = try decoder.container(keyedBy: CodingKeys.self).decode(Int.self, forKey: .barks)
            try super.init(from: decoder.container(keyedBy: CodingKeys.self).superDecoder())
        }

        override func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(barks, forKey: .barks)
            try super.encode(to: container.superEncoder())
        }
    }

    /// Parses JSON with Foundation, for comparing documents rather than their spelling.
    static func document(_ bytes: [UInt8]) throws -> NSObject {
        try #require(JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]) as? NSObject)
    }

    static let texts = [
        "", "quote \" backslash \\ slash /", "controls \u{0} \u{1} \u{8} \u{C} \u{1F} \n \r \t", "héllo wörld", "emoji 👩🏽‍💻 and 𝄞",
        String(repeating: "long ", count: 1000),
    ]

    @Test("a value with every kind of field round-trips, and is the same JSON document as JSONEncoder's")
    func everything() throws {
        let value = Everything()
        let ours = try PayloadEncoder.encode(value)
        #expect(try PayloadDecoder.decode(Everything.self, from: ours) == value)
        #expect(try JSONDecoder().decode(Everything.self, from: Data(ours)) == value)
        let theirs = try JSONEncoder().encode(value)
        #expect(try PayloadDecoder.decode(Everything.self, from: Array(theirs)) == value)
        #expect(try Self.document(ours) == Self.document(Array(theirs)))
    }

    @Test("strings with quotes, backslashes, control characters and non-ASCII text round-trip both ways", arguments: texts)
    func strings(_ text: String) throws {
        let ours = try PayloadEncoder.encode([text])
        #expect(try PayloadDecoder.decode([String].self, from: ours) == [text])
        #expect(try JSONDecoder().decode([String].self, from: Data(ours)) == [text])
        #expect(try PayloadDecoder.decode([String].self, from: Array(JSONEncoder().encode([text]))) == [text])
        #expect(!ours.contains { $0 < 0x20 }, "control characters are escaped")
    }

    @Test(
        "floating-point numbers keep every bit, both ways",
        arguments: [0.0, -0.0, 0.1, 1.0 / 3.0, 1e-300, .leastNonzeroMagnitude, .greatestFiniteMagnitude, -1e22, 123_456_789.125])
    func doubles(_ number: Double) throws {
        let ours = try PayloadEncoder.encode([number])
        let decoded = try #require(try PayloadDecoder.decode([Double].self, from: ours).first)
        #expect(decoded.bitPattern == number.bitPattern)
        #expect(try JSONDecoder().decode([Double].self, from: Data(ours)) == [number])
        #expect(try PayloadDecoder.decode([Double].self, from: Array(JSONEncoder().encode([number]))) == [number])
        let float = Float(number)
        if float.isFinite {
            #expect(try PayloadDecoder.decode([Float].self, from: PayloadEncoder.encode([float])).first?.bitPattern == float.bitPattern)
        }
    }

    @Test("a subclass encodes its superclass through superEncoder, and decodes it back")
    func superclass() throws {
        let dog = Dog(name: "Rex", barks: 3)
        let ours = try PayloadEncoder.encode(dog)
        let decoded = try PayloadDecoder.decode(Dog.self, from: ours)
        #expect(decoded.name == "Rex" && decoded.barks == 3)
        #expect(try Self.document(ours) == Self.document(Array(JSONEncoder().encode(dog))))
    }

    @Test("Foundation's own types round-trip through their Codable conformances")
    func foundationTypes() throws {
        let url = try #require(URL(string: "https://example.com/a path?q=1"))
        #expect(try PayloadDecoder.decode(URL.self, from: PayloadEncoder.encode(url)) == url)
        let data = Data([0, 1, 2, 255])
        #expect(try PayloadDecoder.decode([Data].self, from: PayloadEncoder.encode([data])) == [data])
        let decimal = try #require(Decimal(string: "12345.6789"))
        #expect(try PayloadDecoder.decode(Decimal.self, from: PayloadEncoder.encode(decimal)) == decimal)
    }

    @Test("JSON is read with any whitespace, escapes and number spellings it allows")
    func leniencyJSONAllows() throws {
        let text = #" { "x" : 1e0 , "y":-2.0E+0, "s": "\u00e9\ud834\udd1e\/\b" } "#
        struct Mixed: Decodable, Equatable {
            var x: Int
            var y: Int
            var s: String
        }
        #expect(try PayloadDecoder.decode(Mixed.self, from: Array(text.utf8)) == Mixed(x: 1, y: -2, s: "é𝄞/\u{8}"))
    }

    @Test("a key written twice decodes to its first value, as JSONDecoder decodes it")
    func repeatedKey() throws {
        struct One: Decodable, Equatable { var a: Int }
        let text = Array(#"{"a":1,"a":2,"a":"three"}"#.utf8)
        #expect(try PayloadDecoder.decode(One.self, from: text) == One(a: 1))
        #expect(try PayloadDecoder.decode(One.self, from: text) == (try JSONDecoder().decode(One.self, from: Data(text))))
        #expect(try PayloadDecoder.decode([String: Int?].self, from: Array(#"{"b":null,"b":2}"#.utf8)) == ["b": nil])
    }

    @Test(
        "text that is not JSON is refused with the reason and where",
        arguments: [
            ("", "Unexpected end of input at byte 0"), ("{", "Expected a key in double quotes at byte 1"),
            ("[1,]", "Unexpected character ']' at byte 3"),
            ("01", "A number cannot start with 0 at byte 1"), ("1.", "Expected a digit after the decimal point at byte 2"),
            ("-", "Expected a digit at byte 1"),
            ("\"abc", "Unterminated string at byte 0"), (#""\x""#, "Invalid escape: character 'x' after a backslash at byte 2"),
            ("tru", "Unexpected character 't' at byte 0"),
            ("1 2", "Unexpected character '2' after the document at byte 2"),
            ("\"\u{1}\"", "Unescaped control character byte 0x1 in a string at byte 1"),
            (#"{"a" 1}"#, "Expected ':' after the key \"a\" at byte 5"), (#""\ud834""#, "A lone surrogate \\uD834 in a string at byte 7"),
            ("[1 2]", "Expected ',' or ']' in an array at byte 3"),
        ]
    )
    func notJSON(_ text: String, _ reason: String) throws {
        let error = try #require(throws: DecodingError.self) { try PayloadDecoder.decode(Int?.self, from: Array(text.utf8)) }
        guard case .dataCorrupted(let context) = error else { throw error }
        #expect(context.debugDescription == "The given data was not valid JSON: \(reason).")
    }

    @Test("invalid UTF-8 in a string and nesting deeper than 512 are refused, not crashed on")
    func hostileInput() throws {
        #expect(throws: DecodingError.self) { try PayloadDecoder.decode(String.self, from: [0x22, 0xC3, 0x28, 0x22]) }
        let deep = Array(String(repeating: "[", count: 100_000).utf8)
        let error = try #require(throws: DecodingError.self) { try PayloadDecoder.decode([Int].self, from: deep) }
        guard case .dataCorrupted(let context) = error else { throw error }
        #expect(context.debugDescription.contains("Too many nested arrays or dictionaries (more than 512)"))
        let fine = Array((String(repeating: "[", count: 512) + String(repeating: "]", count: 512)).utf8)
        #expect(throws: Never.self) { try PayloadDecoder.decode(JSONShape.self, from: fine) }
    }

    /// Any JSON made only of arrays.
    indirect enum JSONShape: Decodable {
        case array([JSONShape])
        init(from decoder: any Decoder) throws { self = .array(try [JSONShape](from: decoder)) }
    }

    struct Pair: Decodable {
        var point: Point
        var small: [Int8]
    }

    /// The error of decoding `json` as a ``Pair``.
    func failure(_ json: String) throws -> DecodingError {
        try #require(throws: DecodingError.self) { try PayloadDecoder.decode(Pair.self, from: Array(json.utf8)) }
    }

    @Test("a missing key, a wrong type, a null and a number out of range are the errors JSONDecoder gives, with their coding paths")
    func decodingErrors() throws {
        guard case .keyNotFound(let key, let context) = try failure(#"{"point": {"x": 1}, "small": []}"#) else { throw try failure("") }
        #expect(key.stringValue == "y")
        #expect(context.codingPath.map(\.stringValue) == ["point"])
        #expect(context.debugDescription == #"No value associated with key CodingKeys(stringValue: "y", intValue: nil) ("y")."#)

        guard case .typeMismatch(_, let mismatch) = try failure(#"{"point": {"x": 1, "y": "2"}, "small": []}"#) else { throw try failure("") }
        #expect(mismatch.codingPath.map(\.stringValue) == ["point", "y"])
        #expect(mismatch.debugDescription == "Expected to decode Int but found a string instead.")

        guard case .valueNotFound(_, let null) = try failure(#"{"point": null, "small": []}"#) else { throw try failure("") }
        #expect(null.debugDescription == "Expected Dictionary<String, Any> value but found null instead.")

        guard case .dataCorrupted(let range) = try failure(#"{"point": {"x": 1, "y": 2}, "small": [1, 300]}"#) else { throw try failure("") }
        #expect(range.codingPath.map(\.stringValue) == ["small", "Index 1"])
        #expect(range.debugDescription == "Parsed JSON number <300> does not fit in Int8.")

        #expect(try PayloadDecoder.decode(Int.self, from: Array("2.0".utf8)) == 2)
        #expect(throws: DecodingError.self) { try PayloadDecoder.decode(Int.self, from: Array("2.5".utf8)) }
        #expect(throws: DecodingError.self) { try PayloadDecoder.decode(Double.self, from: Array("1e999".utf8)) }
        #expect(throws: DecodingError.self) { try PayloadDecoder.decode([Int].self, from: Array("{}".utf8)) }
    }

    @Test("what cannot be JSON is an encoding error: infinities, NaN, and a value that encodes nothing")
    func encodingErrors() throws {
        #expect(throws: EncodingError.self) { try PayloadEncoder.encode([Double.infinity]) }
        #expect(throws: EncodingError.self) { try PayloadEncoder.encode(["x": Float.nan]) }
        struct Silent: Encodable { func encode(to encoder: any Encoder) throws {} }
        #expect(throws: EncodingError.self) { try PayloadEncoder.encode(Silent()) }
        struct Empty: Codable, Equatable {}
        #expect(try PayloadEncoder.encode(Empty()) == Array("{}".utf8))
        #expect(try PayloadEncoder.encode([Silent()]) == Array("[{}]".utf8))
    }

    @Test("keys keep the order they were encoded in, and a key encoded twice keeps its last value")
    func keyOrder() throws {
        struct Ordered: Encodable {
            enum CodingKeys: String, CodingKey { case zebra, apple, mango }
            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(1, forKey: .zebra)
                try container.encode(2, forKey: .apple)
                try container.encode(3, forKey: .mango)
                try container.encode(4, forKey: .apple)
            }
        }
        #expect(try PayloadEncoder.encode(Ordered()) == Array(#"{"zebra":1,"apple":4,"mango":3}"#.utf8))
    }
}
