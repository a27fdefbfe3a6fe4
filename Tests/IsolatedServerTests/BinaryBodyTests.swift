import Foundation
import IsolatedClient
import IsolatedCore
import Testing

@testable import IsolatedServer

@Suite("Reading a binary call's header, once per function")
struct BinaryBodyTests {
    static let request = InvocationRequest(
        function: FunctionSource(name: "f", source: "func f(_ a: [UInt8]) -> Int { a.count }", entry: "", file: "/app/main.swift", line: 9),
        requirements: ["apple/swift-numerics@1.0.2"],
        machineType: "S",
        keepAlive: 5,
        arguments: [Array("one".utf8)]
    )

    @Test("a call read through the cache is the call read without it, for the same function with new arguments and for another function")
    func sameCalls() throws {
        let headers = InvocationBody.DecodedHeaders(capacity: 8)
        var other = Self.request
        other.function.source = "func f(_ a: [UInt8]) -> Int { a.count + 1 }"
        for var request in [Self.request, Self.request, other] {
            for arguments in [[Array("two\n".utf8), []], [Array(repeating: 1, count: 100_000)], []] {
                request.arguments = arguments
                let body = [UInt8](try InvocationBody.binary(request))
                #expect(try APIHandler.decodeBinary(body, headers: headers) == request)
                #expect(try APIHandler.decodeBinary(body) == request)
            }
        }
    }

    @Test("a header that names its arguments twice, or whose fields fail, is read whole, and fails as it did without the cache")
    func readWhole() throws {
        let headers = InvocationBody.DecodedHeaders(capacity: 8)
        let line = String(decoding: try InvocationBody.binary(Self.request).prefix { $0 != UInt8(ascii: "\n") }, as: UTF8.self)
        let twice = line.replacingOccurrences(of: #"{"function""#, with: #"{"argumentBytes":[5],"function""#)
        let broken = line.replacingOccurrences(of: #""machineType":"S""#, with: #""machineType":7"#)
        for header in [twice, broken] {
            let body = Array((header + "\none").utf8)
            func failure(_ headers: InvocationBody.DecodedHeaders?) -> String {
                do {
                    return "accepted: \(try APIHandler.decodeBinary(body, headers: headers).arguments)"
                } catch {
                    return error.message
                }
            }
            #expect(failure(headers) == failure(nil))
        }
    }
}
