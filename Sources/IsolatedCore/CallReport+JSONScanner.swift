package import IsolatedWire

extension CallReport {
    /// Scans a report as ``JSONWriter/report(_:)`` writes it; throws where `JSONDecoder` might
    /// read it differently, so the caller leaves it to `JSONDecoder`.
    package init(scanning scanner: inout JSONScanner) throws(JSONParseError) {
        var callID: UInt64?
        var function: FunctionReference?
        var runnerID: String?
        var processID: Int32?
        var node: String?
        var environmentKey: String?
        var warm: Bool?
        var phases: [Timing]?
        try scanner.object { scanner, key throws(JSONParseError) in
            switch key {
            case "callID": try scanner.member(&callID, \.uint64Value)
            case "function": try scanner.member(&function, scanning: FunctionReference.init(scanning:))
            case "runnerID": try scanner.member(&runnerID, \.stringValue)
            case "processID": try scanner.member(&processID) { $0.int64Value.flatMap { Int32(exactly: $0) } }
            case "node": try scanner.member(&node, \.stringValue)
            case "environmentKey": try scanner.member(&environmentKey, \.stringValue)
            case "warm": try scanner.member(&warm, \.boolValue)
            case "phases": try scanner.member(&phases, scanning: Self.phases(scanning:))
            default: _ = try scanner.value()
            }
        }
        guard let callID, let function, let warm, let phases else { throw scanner.missing("callID, function, warm or phases") }
        self.init(callID: callID, function: function, runnerID: runnerID, processID: processID, warm: warm, phases: phases)
        self.node = node
        self.environmentKey = environmentKey
    }

    private static func phases(scanning scanner: inout JSONScanner) throws(JSONParseError) -> [Timing] {
        var phases: [Timing] = []
        try scanner.array { scanner throws(JSONParseError) in phases.append(try Timing(scanning: &scanner)) }
        return phases
    }
}

extension CallReport.Timing {
    /// Scans a timing as ``JSONWriter/timing(_:)`` writes it, alone in its object.
    package init(scanning scanner: inout JSONScanner) throws(JSONParseError) {
        var phase: String?
        var seconds: Double?
        var outcome: String?
        try scanner.object { scanner, key throws(JSONParseError) in
            switch key {
            case "phase": try scanner.member(&phase, \.stringValue)
            case "seconds": try scanner.member(&seconds, \.doubleValue)
            case "outcome": try scanner.member(&outcome, \.stringValue)
            default: _ = try scanner.value()
            }
        }
        guard let phase, let seconds, let timing = Self(phase: CallReport.Phase(rawValue: phase), seconds: seconds, outcome: outcome) else {
            throw scanner.missing("phase or seconds")
        }
        self = timing
    }
}

extension FunctionReference {
    /// Scans a function's reference.
    package init(scanning scanner: inout JSONScanner) throws(JSONParseError) {
        var name: String?
        var file: String?
        var line: Int?
        try scanner.object { scanner, key throws(JSONParseError) in
            switch key {
            case "name": try scanner.member(&name, \.stringValue)
            case "file": try scanner.member(&file, \.stringValue)
            case "line": try scanner.member(&line) { $0.int64Value.flatMap { Int(exactly: $0) } }
            default: _ = try scanner.value()
            }
        }
        guard let name, let file, let line else { throw scanner.missing("name, file or line") }
        self.init(name: name, file: file, line: line)
    }
}
