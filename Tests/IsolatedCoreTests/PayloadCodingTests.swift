import Foundation
import IsolatedCore
import IsolatedWire
import Testing

@Suite("Payload coding: JSON for any Codable, raw bytes for strings and data")
struct PayloadCodingTests {
    struct Point: Codable, Equatable {
        var x: Int
        var y: Int
    }

    @Test("strings, data and byte arrays travel as their bytes behind one marker byte, and round-trip")
    func bulkTypesAreRaw() throws {
        let text = "héllo, \"world\"\n"
        let encodedText = try PayloadCoding.encode(text)
        #expect(encodedText == [0x01] + Array(text.utf8))
        #expect(try PayloadCoding.decode(String.self, from: encodedText) == text)

        let data = Data([0, 1, 2, 255])
        #expect(try PayloadCoding.encode(data) == [0x00, 0, 1, 2, 255])
        #expect(try PayloadCoding.decode(Data.self, from: PayloadCoding.encode(data)) == data)
        #expect(try PayloadCoding.decode([UInt8].self, from: PayloadCoding.encode([UInt8](data))) == [0, 1, 2, 255])
        #expect(try PayloadCoding.decode(String.self, from: PayloadCoding.encode("")) == "")
    }

    @Test("a byte array, data or string is written from its own storage behind its marker, and flattens to what encode gives")
    func payloadPiecesShareStorage() throws {
        let bytes = [UInt8](repeating: 7, count: 1 << 20)
        let payload = try PayloadCoding.encodedPayload(bytes)
        #expect(payload.count == bytes.count + 1)
        let storage = bytes.withUnsafeBytes { UInt(bitPattern: $0.baseAddress) }
        payload.withBuffers { buffers in
            #expect(buffers.count == 2)
            #expect(Array(buffers[0]) == [0x00])
            #expect(UInt(bitPattern: buffers[1].baseAddress) == storage)
        }
        let text = String(repeating: "é", count: 1000)
        #expect(try PayloadCoding.encodedPayload(text).count == 1 + text.utf8.count)
        #expect(try PayloadCoding.encodedPayload(text).bytes == [0x01] + Array(text.utf8))
        #expect(try PayloadCoding.encodedPayload(Data(bytes)).bytes == [0x00] + bytes)
        #expect(try PayloadCoding.encodedPayload([1, 2, 3]).bytes == Array("[1,2,3]".utf8))
    }

    @Test("everything else is JSON, including strings inside other values, and a JSON string still decodes")
    func otherTypesAreJSON() throws {
        let point = try PayloadCoding.encode(Point(x: 1, y: 2))
        #expect(try JSONDecoder().decode(Point.self, from: Data(point)) == Point(x: 1, y: 2))
        #expect(try PayloadCoding.decode([String].self, from: PayloadCoding.encode(["a", "b"])) == ["a", "b"])
        #expect(try PayloadCoding.decode(String?.self, from: PayloadCoding.encode(String?.some("x"))) == "x")
        #expect(try PayloadCoding.decode(String.self, from: Array(#""json""#.utf8)) == "json")
    }

    @Test("integers and Booleans are coded without JSONEncoder as the JSON it writes, and anything else JSON allows still decodes")
    func integersAndBooleans() throws {
        let encoder = JSONEncoder()
        for value in [0, 1, -1, 42, Int.max, Int.min, 1_000_000_007] {
            #expect(try PayloadCoding.encode(value) == Array(encoder.encode(value)))
            #expect(try PayloadCoding.decode(Int.self, from: PayloadCoding.encode(value)) == value)
        }
        for value in [true, false] {
            #expect(try PayloadCoding.encode(value) == Array(encoder.encode(value)))
            #expect(try PayloadCoding.decode(Bool.self, from: PayloadCoding.encode(value)) == value)
        }
        #expect(try PayloadCoding.decode(Int.self, from: Array(" 7 ".utf8)) == 7)
        #expect(try PayloadCoding.decode(Int.self, from: Array("-0".utf8)) == 0)
        for invalid in ["01", "+1", "9223372036854775808", "-9223372036854775809", "99999999999999999999", "1x", "-", "", "tru"] {
            #expect(throws: (any Error).self, "\(invalid)") { try PayloadCoding.decode(Int.self, from: Array(invalid.utf8)) }
        }
        #expect(throws: (any Error).self) { try PayloadCoding.decode(Bool.self, from: Array("1".utf8)) }
    }

    @Test("a raw payload read as another type is a type mismatch that names both")
    func rawPayloadOfTheWrongType() throws {
        let error = try #require(throws: DecodingError.self) { try PayloadCoding.decode(Int.self, from: PayloadCoding.encode("12")) }
        guard case .typeMismatch(_, let context) = error else { throw error }
        #expect(context.debugDescription == "the payload is raw text, not a Int")
    }
}
