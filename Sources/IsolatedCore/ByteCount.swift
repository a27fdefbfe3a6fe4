import Foundation

/// A size or limit as error messages write it: "1 GiB", "64 MiB", "1.5 MiB", or "1000 bytes"
/// below a MiB.
package enum ByteCount {
    /// `bytes` in the largest unit that reads well.
    package static func describe(_ bytes: Int) -> String {
        if bytes < 1 << 20 { return "\(bytes) bytes" }
        if bytes % (1 << 30) == 0 { return "\(bytes >> 30) GiB" }
        if bytes % (1 << 20) == 0 { return "\(bytes >> 20) MiB" }
        return String(format: "%.1f MiB", Double(bytes) / 1_048_576)
    }
}
