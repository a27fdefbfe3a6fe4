import Foundation
import IsolatedClient
import IsolatedCore
import Testing

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
