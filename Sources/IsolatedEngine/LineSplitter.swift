/// Turns chunks read from a pipe into lines, keeping a partial last line until it ends.
///
/// A line longer than ``maxLineLength`` is cut into pieces of that length, so output without
/// newlines cannot grow the engine's memory.
struct LineSplitter {
    static let maxLineLength = 64 << 10
    private var partial: [UInt8] = []

    /// The complete lines in `chunk` (and what was pending), without their newlines.
    mutating func lines(in chunk: UnsafeRawBufferPointer) -> [Substring] {
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
            lines.append(Substring(String(decoding: partial[0..<Self.maxLineLength], as: UTF8.self)))
            partial.removeFirst(Self.maxLineLength)
        }
        return lines
    }

    /// What is left at end of file, if anything.
    mutating func finish() -> Substring? {
        defer { partial.removeAll() }
        return partial.isEmpty ? nil : Substring(String(decoding: partial, as: UTF8.self))
    }
}
