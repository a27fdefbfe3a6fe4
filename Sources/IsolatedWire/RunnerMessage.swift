/// Messages between the engine and a runner, over the runner's channel.
///
/// The engine sends `invoke`, `ping` and `stop`; the runner answers with `ready` once at start,
/// then `returned` or `threw` for each invocation and `pong` for each ping. A runner handles one
/// invocation at a time; its standard output and error are separate pipes, and after each call
/// it writes `LogMarker` to both so the engine can attribute every line to the call that printed it.
package enum RunnerMessage: Sendable, Equatable {
    /// The runner is connected and waiting for invocations.
    case ready(processID: Int32)
    /// Run the function once with these encoded arguments.
    case invoke(id: UInt64, arguments: [[UInt8]])
    /// The invocation finished with this encoded result. On the wire the id follows the result.
    case returned(id: UInt64, result: [UInt8])
    /// The invocation failed inside the worker. An error with a traceback or a serialized form
    /// (a Python exception) travels as the `raised` frame, any other as `threw`.
    case threw(id: UInt64, error: RemoteError)
    /// Liveness probe; answered by the runner's I/O thread even while the function runs.
    case ping(UInt64)
    /// Answer to `ping`.
    case pong(UInt64)
    /// Finish and exit.
    case stop
    /// The function threw an ``IsolatedError`` (JSON), typically from a nested call it made.
    case failed(id: UInt64, error: [UInt8])
    /// The function, during invocation `parent`, calls the isolated function it ships as
    /// `function` with these encoded arguments; the engine supplies that call's settings.
    case call(id: UInt64, parent: UInt64, function: String, arguments: [[UInt8]])
    /// A nested call returned this encoded result.
    case callReturned(id: UInt64, result: [UInt8])
    /// A nested call failed with this ``IsolatedError`` (JSON).
    case callFailed(id: UInt64, error: [UInt8])
    /// Invocation `id` runs `function`: sent by a runner that learns what it runs only from the
    /// invocation (a Python runner, from the pickle), before it runs it; optional.
    case calling(id: UInt64, function: FunctionReference)
    /// The first frame of a runner that connects to the engine over TCP (a runner on another
    /// machine, started by a cluster's scheduler): the one-time token of its launch, and where
    /// it runs (the node's name and the scheduler's job id, empty when unknown).
    case attach(token: String, node: String, job: String)

    /// A message that is not part of the protocol.
    package struct Malformed: Error, CustomStringConvertible {
        /// What was wrong.
        package var description: String
    }

    private static let readyKind = Frame.Kind(rawValue: 1)
    private static let invokeKind = Frame.Kind(rawValue: 2)
    private static let returnedKind = Frame.Kind(rawValue: 3)
    private static let threwKind = Frame.Kind(rawValue: 4)
    private static let pingKind = Frame.Kind(rawValue: 5)
    private static let pongKind = Frame.Kind(rawValue: 6)
    private static let stopKind = Frame.Kind(rawValue: 7)
    private static let failedKind = Frame.Kind(rawValue: 8)
    private static let callKind = Frame.Kind(rawValue: 9)
    private static let callReturnedKind = Frame.Kind(rawValue: 10)
    private static let callFailedKind = Frame.Kind(rawValue: 11)
    private static let raisedKind = Frame.Kind(rawValue: 12)
    private static let callingKind = Frame.Kind(rawValue: 13)
    private static let attachKind = Frame.Kind(rawValue: 14)

    /// The message as a frame.
    package var frame: Frame {
        var writer = ByteWriter()
        let kind: Frame.Kind
        switch self {
        case .ready(let processID):
            kind = Self.readyKind
            writer.write(UInt32(bitPattern: processID))
        case .invoke(let id, let arguments):
            kind = Self.invokeKind
            writer = ByteWriter(capacity: 16 + arguments.reduce(0) { $0 + $1.count + 4 })
            writer.write(id)
            writer.write(UInt32(arguments.count))
            for argument in arguments { writer.write(bytes: argument) }
        case .returned(let id, let result):
            var payload = result
            withUnsafeBytes(of: id.littleEndian) { payload.append(contentsOf: $0) }
            return Frame(kind: Self.returnedKind, payload: payload)
        case .threw(let id, let error) where error.traceback != nil || error.serialized != nil:
            kind = Self.raisedKind
            writer.write(id)
            writer.write(error.typeName)
            writer.write(error.message)
            writer.write(error.traceback ?? "")
            writer.write(raw: error.serialized ?? [])
        case .threw(let id, let error):
            kind = Self.threwKind
            writer.write(id)
            writer.write(error.stage.rawValue)
            writer.write(error.typeName)
            writer.write(error.message)
        case .ping(let sequence):
            kind = Self.pingKind
            writer.write(sequence)
        case .pong(let sequence):
            kind = Self.pongKind
            writer.write(sequence)
        case .stop:
            kind = Self.stopKind
        case .failed(let id, let error):
            return Frame(kind: Self.failedKind, payload: Self.idPrefixed(id, error))
        case .call(let id, let parent, let function, let arguments):
            kind = Self.callKind
            writer = ByteWriter(capacity: 24 + function.utf8.count + arguments.reduce(0) { $0 + $1.count + 4 })
            writer.write(id)
            writer.write(parent)
            writer.write(function)
            writer.write(UInt32(arguments.count))
            for argument in arguments { writer.write(bytes: argument) }
        case .callReturned(let id, let result):
            return Frame(kind: Self.callReturnedKind, payload: Self.idPrefixed(id, result))
        case .callFailed(let id, let error):
            return Frame(kind: Self.callFailedKind, payload: Self.idPrefixed(id, error))
        case .calling(let id, let function):
            kind = Self.callingKind
            writer.write(id)
            writer.write(function.name)
            writer.write(function.file)
            writer.write(UInt32(clamping: max(0, function.line)))
        case .attach(let token, let node, let job):
            kind = Self.attachKind
            writer.write(token)
            writer.write(node)
            writer.write(job)
        }
        return Frame(kind: kind, payload: writer.bytes)
    }

    /// The wire bytes of a `.returned` frame before its result. The call's id follows the result
    /// (``returnedTrailer(id:)``), so the receiver hands the result over by dropping the last
    /// 8 bytes instead of moving the whole result to remove them from its front.
    package static func returnedHeader(resultCount: Int) -> [UInt8] {
        Frame.header(kind: returnedKind, payloadCount: resultCount + 8)
    }

    /// The wire bytes of a `.returned` frame after its result: the call's id.
    package static func returnedTrailer(id: UInt64) -> [UInt8] {
        withUnsafeBytes(of: id.littleEndian) { Array($0) }
    }

    /// Decodes a frame, failing on anything the protocol does not define. A result takes over
    /// the frame's storage rather than copying it.
    package init(_ frame: consuming Frame) throws(Malformed) {
        var reader = ByteReader(frame.payload)
        do {
            switch frame.kind {
            case Self.readyKind: self = .ready(processID: Int32(bitPattern: try reader.readUInt32()))
            case Self.invokeKind:
                let id = try reader.readUInt64()
                self = .invoke(id: id, arguments: try Self.readArguments(&reader, payloadCount: frame.payload.count))
            case Self.returnedKind:
                guard frame.payload.count >= 8 else { throw Malformed(description: "truncated frame of kind \(frame.kind.rawValue)") }
                // Neither the reader nor the frame may keep a reference, or removing the id copies.
                reader = ByteReader([])
                var result = frame.payload
                frame.payload = []
                let id = result.suffix(8).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                result.removeLast(8)
                self = .returned(id: id, result: result)
                return
            case Self.threwKind:
                let id = try reader.readUInt64()
                let stage = RemoteError.Stage(rawValue: try reader.readUInt8())
                self = .threw(id: id, error: RemoteError(stage: stage, typeName: try reader.readString(), message: try reader.readString()))
            case Self.raisedKind:
                let (id, typeName, message, traceback) = (
                    try reader.readUInt64(), try reader.readString(), try reader.readString(), try reader.readString()
                )
                let serialized = Array(frame.payload[(frame.payload.count - reader.remaining)...])
                self = .threw(
                    id: id,
                    error: RemoteError(stage: .function, typeName: typeName, message: message, traceback: traceback, serialized: serialized)
                )
                return
            case Self.pingKind: self = .ping(try reader.readUInt64())
            case Self.pongKind: self = .pong(try reader.readUInt64())
            case Self.stopKind: self = .stop
            case Self.failedKind:
                self = .failed(id: try reader.readUInt64(), error: Array(frame.payload.dropFirst(8)))
                return
            case Self.callKind:
                let (id, parent, function) = (try reader.readUInt64(), try reader.readUInt64(), try reader.readString())
                self = .call(
                    id: id, parent: parent, function: function, arguments: try Self.readArguments(&reader, payloadCount: frame.payload.count))
            case Self.callReturnedKind:
                self = .callReturned(id: try reader.readUInt64(), result: Array(frame.payload.dropFirst(8)))
                return
            case Self.callFailedKind:
                self = .callFailed(id: try reader.readUInt64(), error: Array(frame.payload.dropFirst(8)))
                return
            case Self.callingKind:
                let (id, name, file, line) = (try reader.readUInt64(), try reader.readString(), try reader.readString(), try reader.readUInt32())
                self = .calling(id: id, function: FunctionReference(name: name, file: file, line: Int(line)))
            case Self.attachKind:
                self = .attach(token: try reader.readString(), node: try reader.readString(), job: try reader.readString())
            default: throw Malformed(description: "unknown frame kind \(frame.kind.rawValue)")
            }
        } catch let error as Malformed {
            throw error
        } catch {
            throw Malformed(description: "truncated frame of kind \(frame.kind.rawValue)")
        }
        guard reader.isAtEnd else { throw Malformed(description: "trailing bytes in frame of kind \(frame.kind.rawValue)") }
    }

    /// A count, then that many length-prefixed arguments.
    private static func readArguments(_ reader: inout ByteReader, payloadCount: Int) throws -> [[UInt8]] {
        let count = Int(try reader.readUInt32())
        guard count <= payloadCount else { throw Malformed(description: "invalid argument count \(count)") }
        var arguments: [[UInt8]] = []
        arguments.reserveCapacity(count)
        for _ in 0..<count { arguments.append(try reader.readBytes()) }
        return arguments
    }

    private static func idPrefixed(_ id: UInt64, _ body: [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(8 + body.count)
        withUnsafeBytes(of: id.littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: body)
        return bytes
    }
}

/// The line a runner writes to its standard output and error after each call.
///
/// Everything the engine reads from a pipe before the marker belongs to that call, so logs are
/// attributed exactly even though they travel apart from the result. A line the function left
/// without a newline ends right before the marker.
package enum LogMarker {
    /// The marker's fixed prefix; the call id follows it.
    package static let prefix = "\u{1}isolated-end-of-call "

    /// The marker line (newline included) for one call.
    package static func line(for id: UInt64) -> String { "\(prefix)\(id)\n" }

    /// Splits a line into the text before a marker and the marker's call id, if it has one.
    package static func parse(_ line: Substring) -> (text: Substring, id: UInt64)? {
        // Byte by byte from the marker's first byte, which text rarely holds: this runs on
        // every line a runner prints.
        let bytes = line.utf8
        let marker = prefix.utf8
        var start = bytes.startIndex
        while let found = bytes[start...].firstIndex(of: marker.first!) {
            if bytes[found...].starts(with: marker) {
                let end = bytes.index(found, offsetBy: marker.count)
                guard let id = UInt64(line[end...]) else { return nil }
                return (line[..<found], id)
            }
            start = bytes.index(after: found)
        }
        return nil
    }
}
