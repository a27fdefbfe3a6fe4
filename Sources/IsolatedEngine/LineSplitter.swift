import IsolatedCore

/// Turns chunks read from a pipe into lines, keeping a partial last line until it ends.
///
/// A line longer than ``maxLineLength`` is cut into pieces of at most that length, so output
/// without newlines cannot grow the engine's memory. A cut never falls inside what may be the
/// start of an end-of-call marker, or the call that printed the long line would never end.
package struct LineSplitter {
    package static let maxLineLength = 64 << 10
    /// How far back from a cut a marker may have started: its prefix and a call id.
    private static let markerReach = LogMarker.prefix.utf8.count + 20
    private var partial: [UInt8] = []

    package init() {}

    /// The complete lines in `chunk` (and what was pending), without their newlines.
    package mutating func lines(in chunk: UnsafeRawBufferPointer) -> [Substring] {
        var lines: [Substring] = []
        var start = chunk.startIndex
        for index in chunk.indices where chunk[index] == UInt8(ascii: "\n") {
            partial.append(contentsOf: chunk[start..<index])
            lines.append(Substring(String(decoding: partial, as: UTF8.self)))
            partial.removeAll(keepingCapacity: true)
            start = index + 1
        }
        partial.append(contentsOf: chunk[start..<chunk.endIndex])
        while partial.count >= Self.maxLineLength {
            var cut = Self.maxLineLength
            let reach = (cut - Self.markerReach)..<cut
            if let start = partial[reach].lastIndex(of: LogMarker.prefix.utf8.first!), start > 0 { cut = start }
            lines.append(Substring(String(decoding: partial[0..<cut], as: UTF8.self)))
            partial.removeFirst(cut)
        }
        return lines
    }

    /// What is left at end of file, if anything.
    package mutating func finish() -> Substring? {
        defer { partial.removeAll() }
        return partial.isEmpty ? nil : Substring(String(decoding: partial, as: UTF8.self))
    }
}
