import Foundation

/// One scenario's figure for one system, in the shape both benchmark runners print as JSON
/// (`Benchmarks/isolate/bench.py` writes the same fields, in snake case).
struct Measurement: Codable, Sendable {
    var medianMs: Double?
    var p99Ms: Double?
    var samples: Int?
    var callsPerSecond: Double?
    /// A figure that is neither a latency nor a rate: megabytes of resident memory.
    var value: Double?
    /// Why the scenario does not apply to this system.
    var notApplicable: String?
    /// What went wrong, when the scenario failed.
    var error: String?
    /// Exactly what was measured.
    var how: String?
    /// isolate only: the same scenario with its payload limit raised, when the default fails.
    var raisedLimit: RaisedLimit?
    /// isolate only: other ways of running the scenario, by name.
    var variants: [String: Measurement]?

    /// The figure of a run with isolate's payload limit raised.
    struct RaisedLimit: Codable, Sendable {
        var medianMs: Double?
        var samples: Int?
        var error: String?

        enum CodingKeys: String, CodingKey {
            case medianMs = "median_ms"
            case samples, error
        }

        var measurement: Measurement { Measurement(medianMs: medianMs, samples: samples, error: error) }
    }

    enum CodingKeys: String, CodingKey {
        case medianMs = "median_ms"
        case p99Ms = "p99_ms"
        case samples
        case callsPerSecond = "calls_per_second"
        case value
        case notApplicable = "not_applicable"
        case error
        case how
        case raisedLimit = "raised_limit"
        case variants
    }

    static func latencies(_ values: [Double], how: String) -> Measurement {
        Measurement(medianMs: percentile(values, 0.5), p99Ms: values.count >= 20 ? percentile(values, 0.99) : nil, samples: values.count, how: how)
    }

    /// Whole calls, with the median of each phase as a variant.
    static func phased(_ samples: [PhasedSample], how: String) -> Measurement {
        var measurement = latencies(samples.map(\.total), how: how)
        let names = Set(samples.flatMap { $0.phases.map(\.name) })
        measurement.variants = Dictionary(
            uniqueKeysWithValues: names.map { name in
                (name, latencies(samples.map { $0.phases.filter { $0.name == name }.reduce(0) { $0 + $1.milliseconds } }, how: name))
            }
        )
        return measurement
    }

    static func failed(_ error: any Error, how: String) -> Measurement {
        Measurement(error: "\(error)", how: how)
    }
}

/// One system's run: what `--json` prints, and what is read back from the isolate runner.
struct SystemRun: Codable, Sendable {
    enum CodingKeys: String, CodingKey {
        case system, version, quick, scenarios, error
    }

    var system: String
    var version: String?
    var quick: Bool?
    var scenarios: [String: Measurement]
    /// Why the whole system could not be measured.
    var error: String?
}

/// A call's whole time and its phases' times, in milliseconds.
struct PhasedSample {
    var total: Double
    var phases: [(name: String, milliseconds: Double)]
}

func percentile(_ values: [Double], _ fraction: Double) -> Double {
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, Int(Double(sorted.count - 1) * fraction + 0.5))]
}

func milliseconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
}

func timed(isolation: isolated (any Actor)? = #isolation, _ body: () async throws -> Void) async rethrows -> Double {
    let start = ContinuousClock.now
    try await body()
    return milliseconds(ContinuousClock.now - start)
}

/// Resident memory of a process in megabytes (10^6 bytes), from `/proc`.
func residentMegabytes(_ processID: Int32) -> Double? {
    guard let status = try? String(contentsOfFile: "/proc/\(processID)/status", encoding: .utf8),
        let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
        let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "")
    else { return nil }
    return kilobytes * 1024 / 1e6
}
