import Foundation
import IsolatedCore
import Testing

@testable import IsolatedClient

@Suite("The body of a call, in its JSON and binary forms")
struct InvocationBodyTests {
    static let request = InvocationRequest(
        function: FunctionSource(name: "f", source: "func f(_ a: Data, _ b: Int) async throws {}", entry: "", file: "/app/main.swift", line: 3),
        requirements: ["apple/swift-algorithms@1.2.0"],
        machineType: "S",
        keepAlive: 5,
        maxConcurrency: 2,
        network: .disabled,
        arguments: [Array("raw\nbytes\u{0}".utf8) + [255, 10], [], Array("42".utf8)]
    )

    /// The header line's object and what follows it.
    static func split(_ body: Data) throws -> (InvocationBody, [UInt8]) {
        let newline = try #require(body.firstIndex(of: UInt8(ascii: "\n")))
        return (try JSONDecoder().decode(InvocationBody.self, from: body[..<newline]), Array(body[(newline + 1)...]))
    }

    @Test("the binary form carries every field, and the arguments as raw bytes after one header line")
    func binaryRoundTrip() throws {
        let body = try InvocationBody.binary(Self.request)
        let (header, attached) = try Self.split(body)
        #expect(header.arguments == nil && header.argumentBytes == [12, 0, 2])
        #expect(attached == Self.request.arguments.flatMap { $0 })
        #expect(try attached.withUnsafeBytes { try header.request(attached: $0) } == Self.request)
    }

    @Test("a function's header is encoded once, and its argumentBytes, written last, split off the line as the server reads it")
    func headerSplit() throws {
        let headers = BoundedCache<InvocationBody, [UInt8]>(capacity: 4)
        var again = Self.request
        again.arguments = [Array(repeating: 7, count: 1234), []]
        for request in [Self.request, again, Self.request] {
            let body = try InvocationBody.binary(request, headers: headers)
            let (header, attached) = try Self.split(body)
            #expect(try Self.split(try InvocationBody.binary(request)) == (header, attached))
            let line = Array(body[..<(try #require(body.firstIndex(of: UInt8(ascii: "\n"))))])
            let (fields, sizes) = try #require(line.withUnsafeBytes { InvocationBody.split(headerLine: $0) })
            #expect(sizes == request.arguments.map(\.count) && sizes == header.argumentBytes)
            var decoded = try JSONDecoder().decode(InvocationBody.self, from: Data(fields.bytes))
            #expect(decoded.argumentBytes == nil)
            decoded.argumentBytes = sizes
            #expect(decoded == header)
        }
        #expect(headers[InvocationBody(Self.request)] == nil, "the cache is keyed by the fields without the arguments")
    }

    @Test(
        "a header line of another shape is not split, and is decoded whole",
        arguments: [
            #"{"a":1,"argumentBytes":[]}"#, #"{"a":1,"argumentBytes":[0,12]}"#,
            #"{"a":1,"argumentBytes":[012]}"#, #"{"a":1,"argumentBytes":[1,,2]}"#, #"{"a":1,"argumentBytes":[,1]}"#,
            #"{"a":1,"argumentBytes":[1,2,]}"#, #"{"a":1, "argumentBytes": [1]}"#, #"{"a":1,"argumentBytes":[1] }"#,
            #"{"argumentBytes":[1]}"#, #""argumentBytes":[1]}"#, #"{"a":1,"argumentBytes":[1234567890123456789]}"#, "]}",
        ])
    func otherShapes(line: String) {
        let split = Array(line.utf8).withUnsafeBytes { InvocationBody.split(headerLine: $0) }
        switch line {
        case #"{"a":1,"argumentBytes":[]}"#:
            #expect(split.map { String(decoding: $0.fields.bytes, as: UTF8.self) } == #"{"a":1}"# && split?.sizes == [])
        case #"{"a":1,"argumentBytes":[0,12]}"#: #expect(split?.sizes == [0, 12])
        default: #expect(split == nil)
        }
    }

    @Test("the JSON form still works as before, arguments in base64")
    func jsonRoundTrip() throws {
        let decoded = try JSONDecoder().decode(InvocationBody.self, from: JSONEncoder().encode(InvocationBody(Self.request)))
        #expect(try decoded.request() == Self.request)
    }

    @Test("a body whose fields do not fit together names what is wrong")
    func mismatches() throws {
        let (header, attached) = try Self.split(try InvocationBody.binary(Self.request))
        func failure(_ body: InvocationBody, _ attached: [UInt8]?) -> String {
            do {
                if let attached {
                    _ = try attached.withUnsafeBytes { try body.request(attached: $0) }
                } else {
                    _ = try body.request()
                }
                return "accepted"
            } catch {
                return "\(error)"
            }
        }
        #expect(failure(header, Array(attached.dropLast())) == "argumentBytes add up to 14 bytes, but 13 follow the header line")
        var negative = header
        negative.argumentBytes = [-1, 15]
        #expect(failure(negative, attached) == "argumentBytes[0] is negative")
        var huge = header
        huge.argumentBytes = [Int.max, Int.max, 2]
        #expect(failure(huge, attached).hasPrefix("argumentBytes add up to"))
        #expect(failure(header, nil).hasPrefix("'argumentBytes' belongs to the binary form"))
        var both = InvocationBody(Self.request)
        #expect(failure(both, attached) == "a binary body takes 'argumentBytes', not 'arguments'")
        both.arguments = nil
        #expect(failure(both, nil) == "'arguments' is missing")
        #expect(failure(both, attached) == "'argumentBytes' is missing from the header line of a binary body")
    }
}
