import IsolatedCore
import IsolatedEngine
import Testing

@Suite("Splitting a runner's output into lines")
struct LineSplitterTests {
    /// The lines of `chunks`, each read at most 64 KiB at a time, as the engine reads a pipe.
    static func lines(_ chunks: [[UInt8]]) -> [String] {
        var splitter = LineSplitter()
        var lines: [String] = []
        for chunk in chunks {
            for start in stride(from: 0, to: chunk.count, by: 1 << 16) {
                let read = Array(chunk[start..<min(start + (1 << 16), chunk.count)])
                lines += read.withUnsafeBytes { splitter.lines(in: $0) }.map(String.init)
            }
        }
        if let rest = splitter.finish() { lines.append(String(rest)) }
        return lines
    }

    @Test("an end-of-call marker right after 64 KiB without a newline stays whole, however the bytes arrive")
    func markerAfterALongLineIsNotCut() {
        let marker = Array(LogMarker.line(for: 7).utf8)
        for length in [LineSplitter.maxLineLength - 10, LineSplitter.maxLineLength - 1, LineSplitter.maxLineLength + 5] {
            let text = [UInt8](repeating: UInt8(ascii: "x"), count: length)
            for split in [1, marker.count / 2, marker.count] {
                let lines = Self.lines([text + marker.prefix(split), Array(marker.dropFirst(split))])
                let markers = lines.compactMap { LogMarker.parse(Substring($0)) }
                #expect(markers.map(\.id) == [7], "\(length) bytes, marker split after \(split)")
                // A piece of text is at most 64 KiB; the marker may follow the last one on its line.
                #expect(lines.allSatisfy { $0.utf8.count <= LineSplitter.maxLineLength + marker.count })
                #expect(lines.joined().utf8.count == length + marker.count - 1, "nothing lost but the newline")
            }
        }
    }

    @Test("a line without end is cut into pieces of at most 64 KiB, and nothing is lost")
    func longLinesAreCut() {
        let text = [UInt8](repeating: UInt8(ascii: "y"), count: 3 * LineSplitter.maxLineLength + 17) + [UInt8(ascii: "\n")]
        let lines = Self.lines([text])
        #expect(lines.map(\.utf8.count) == [LineSplitter.maxLineLength, LineSplitter.maxLineLength, LineSplitter.maxLineLength, 17])
    }
}
