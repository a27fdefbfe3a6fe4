import Foundation

/// What the benchmark ran on.
struct Machine: Encodable {
    enum CodingKeys: String, CodingKey {
        case cores
        case memoryGiB = "memory_gib"
        case processor, system
    }

    var cores: Int
    var memoryGiB: Int
    var processor: String
    var system: String

    static var current: Machine {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model = cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }?.split(separator: ":").last
        let release = (try? String(contentsOfFile: "/etc/os-release", encoding: .utf8)) ?? ""
        let name = release.split(separator: "\n").first { $0.hasPrefix("PRETTY_NAME=") }?.dropFirst("PRETTY_NAME=".count)
        return Machine(
            cores: ProcessInfo.processInfo.activeProcessorCount,
            memoryGiB: Int(ProcessInfo.processInfo.physicalMemory >> 30),
            processor: model.map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown",
            system: name.map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "\"")) } ?? "Linux"
        )
    }

    var description: String { "\(cores) cores (\(processor)), \(memoryGiB) GiB, \(system)" }
}
