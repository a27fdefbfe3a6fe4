public import Foundation
public import IsolatedCore

/// The body of `POST /v1/invocations`, in one of two forms.
///
/// - `application/json`: this object, with each argument in base64 in `arguments`.
/// - `application/vnd.isolated.invocation` (``binaryMediaType``): this object with
///   `argumentBytes` instead of `arguments`, a newline, then the arguments' bytes back to back.
///   Large arguments travel without base64 and are never parsed as JSON.
public struct InvocationBody: Sendable, Hashable, Codable {
    /// The media type of the binary form.
    public static let binaryMediaType = "application/vnd.isolated.invocation"

    /// The function: its source, entry point and shipped declarations.
    public var function: FunctionSource
    /// The packages its environment needs.
    public var requirements: [Requirement]
    /// The machine type to run on.
    public var machineType: MachineType
    /// Seconds the runner stays warm after the call.
    public var keepAlive: Int
    /// The most runners the function may have at once.
    public var maxConcurrency: Int?
    /// Whether its runners can reach the network; `enabled` when absent.
    public var network: NetworkAccess?
    /// Seconds the call may run; the server's default when absent.
    public var timeout: Int?
    /// How many more times the call is tried when the machinery fails; none when absent.
    public var retries: Int?
    /// How many runners of the function to keep warm between calls; none when absent.
    public var minWarm: Int?
    /// Each argument, encoded with ``PayloadCoding``: in the JSON form.
    public var arguments: [Data]?
    /// Each argument's size in bytes: in the binary form, whose arguments follow the header line.
    public var argumentBytes: [Int]?

    /// The JSON form of `request`.
    public init(_ request: InvocationRequest) {
        self.init(request, arguments: request.arguments.map { Data($0) }, argumentBytes: nil)
    }

    private init(_ request: InvocationRequest, arguments: [Data]?, argumentBytes: [Int]?) {
        function = request.function
        requirements = request.requirements
        machineType = request.machineType
        keepAlive = request.keepAlive
        maxConcurrency = request.maxConcurrency
        network = request.network
        timeout = request.timeout
        retries = request.retries
        minWarm = request.minWarm
        self.arguments = arguments
        self.argumentBytes = argumentBytes
    }

    /// The binary form of `request`: its header line, then its arguments.
    public static func binary(_ request: InvocationRequest) throws -> Data {
        try binary(request, headers: nil)
    }

    /// The binary form of `request`, its header's JSON taken from `headers` when the same function
    /// was called before with the same settings. `argumentBytes`, the only field that changes from
    /// call to call, is written last, by hand, so the rest of the header is encoded once.
    package static func binary(_ request: InvocationRequest, headers: BoundedCache<InvocationBody, [UInt8]>?) throws -> Data {
        let fields = InvocationBody(request, arguments: nil, argumentBytes: nil)
        let encoded: [UInt8]
        if let cached = headers?[fields] {
            encoded = cached
        } else {
            encoded = Array(try JSONEncoder().encode(fields))
            headers?.keep(encoded, for: fields)
        }
        guard encoded.last == UInt8(ascii: "}") else { throw InvalidBody(description: "the header did not encode as a JSON object") }
        var body = Data()
        body.reserveCapacity(encoded.count + 32 + request.arguments.reduce(0) { $0 + $1.count + 21 })
        body.append(contentsOf: encoded.dropLast())
        body.append(contentsOf: argumentBytesField)
        body.append(contentsOf: request.arguments.map { String($0.count) }.joined(separator: ",").utf8)
        body.append(contentsOf: "]}\n".utf8)
        for argument in request.arguments { body.append(contentsOf: argument) }
        return body
    }

    /// How ``binary(_:headers:)`` starts the header's last field.
    private static let argumentBytesField = Array(#","argumentBytes":["#.utf8)

    /// A header line the way ``binary(_:headers:)`` writes it, split: the line without its last
    /// field `argumentBytes` (a JSON object, the same for every call of a function with the same
    /// settings) and that field's sizes. Nil for a line of any other shape, which is then decoded whole.
    package static func split(headerLine line: UnsafeRawBufferPointer) -> (fields: HeaderFields, sizes: [Int])? {
        guard line.count >= argumentBytesField.count + 3, line[line.count - 1] == UInt8(ascii: "}"), line[line.count - 2] == UInt8(ascii: "]")
        else { return nil }
        var open = line.count - 3
        while open >= 0, line[open] == UInt8(ascii: ",") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(line[open]) { open -= 1 }
        let start = open + 1 - argumentBytesField.count
        guard start > 0, line[open] == UInt8(ascii: "["), line[start...open].elementsEqual(argumentBytesField) else { return nil }
        var sizes: [Int] = []
        for digits in line[(open + 1)..<(line.count - 2)].split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false) {
            // At most 18 digits, so the size cannot overflow, and no leading zero, which JSON
            // forbids; an empty list is zero arguments.
            guard !digits.isEmpty, digits.count <= 18, digits.count == 1 || digits.first != UInt8(ascii: "0") else {
                if digits.isEmpty && open + 1 == line.count - 2 { break }
                return nil
            }
            sizes.append(digits.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) })
        }
        var fields = [UInt8](line[..<start])
        fields.append(UInt8(ascii: "}"))
        return (HeaderFields(bytes: fields), sizes)
    }

    /// Header lines decoded, by their JSON without `argumentBytes`: the server's cache.
    package typealias DecodedHeaders = BoundedCache<HeaderFields, InvocationBody>

    /// A header line's JSON without its `argumentBytes`, hashed as one block of bytes (an
    /// array of bytes hashes them one at a time, which took longer than decoding them).
    package struct HeaderFields: Hashable, Sendable {
        /// The JSON object.
        package var bytes: [UInt8]

        package func hash(into hasher: inout Hasher) {
            bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
        }

        package static func == (lhs: Self, rhs: Self) -> Bool {
            lhs.bytes.count == rhs.bytes.count && lhs.bytes.withUnsafeBytes { left in rhs.bytes.withUnsafeBytes { left.elementsEqual($0) } }
        }
    }

    /// The call this body describes; `attached` is what followed the header line of a binary
    /// body. The error names the field that is wrong.
    public func request(attached: UnsafeRawBufferPointer? = nil) throws(InvalidBody) -> InvocationRequest {
        let decoded: [[UInt8]]
        switch (arguments, argumentBytes, attached) {
        case (let arguments?, nil, nil):
            decoded = arguments.map { Array($0) }
        case (nil, let sizes?, let attached?):
            if let negative = sizes.firstIndex(where: { $0 < 0 }) {
                throw InvalidBody(description: "argumentBytes[\(negative)] is negative")
            }
            // Added with overflow checks: the sizes come from the client.
            let (total, overflow) = sizes.reduce((0, false)) { sum, size in
                let (added, overflow) = sum.0.addingReportingOverflow(size)
                return (added, sum.1 || overflow)
            }
            guard !overflow, total == attached.count else {
                throw InvalidBody(description: "argumentBytes add up to \(total) bytes, but \(attached.count) follow the header line")
            }
            var offset = 0
            decoded = sizes.map { size in
                defer { offset += size }
                return Array(attached[offset..<(offset + size)])
            }
        case (_, _?, nil):
            throw InvalidBody(
                description: "'argumentBytes' belongs to the binary form (Content-Type: \(Self.binaryMediaType)); a JSON body has only 'arguments'")
        case (nil, _, nil):
            throw InvalidBody(description: "'arguments' is missing")
        case (_?, _, _?):
            throw InvalidBody(description: "a binary body takes 'argumentBytes', not 'arguments'")
        case (nil, nil, _?):
            throw InvalidBody(description: "'argumentBytes' is missing from the header line of a binary body")
        }
        return InvocationRequest(
            function: function,
            requirements: requirements,
            machineType: machineType,
            keepAlive: keepAlive,
            maxConcurrency: maxConcurrency,
            network: network ?? .enabled,
            timeout: timeout,
            retries: retries,
            minWarm: minWarm,
            arguments: decoded
        )
    }

    /// A body whose fields do not fit together.
    public struct InvalidBody: Error, CustomStringConvertible {
        /// What is wrong, naming the field.
        public var description: String
    }
}
