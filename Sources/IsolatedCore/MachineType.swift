import Foundation

/// The kind of machine a function runs on, by name: `XS`, `S`, `M`, `L`, `XL`, `GPU` by default.
///
/// What each name provides comes from the engine's ``MachineTypeCatalog``; an unknown name is an
/// error that lists the available ones.
public struct MachineType: Sendable, Hashable, Codable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// The machine type's name, as the catalog lists it.
    public var name: String

    /// Names a machine type.
    public init(_ name: String) { self.name = name }

    /// Names a machine type.
    public init(stringLiteral name: String) { self.name = name }

    /// The smallest machine: the default.
    public static let xs = MachineType("XS")
    /// A small machine.
    public static let s = MachineType("S")
    /// A medium machine.
    public static let m = MachineType("M")
    /// A large machine.
    public static let l = MachineType("L")
    /// An extra large machine.
    public static let xl = MachineType("XL")
    /// A machine with a GPU.
    public static let gpu = MachineType("GPU")

    /// The name.
    public var description: String { name }

    /// Encodes as a bare string.
    public init(from decoder: any Decoder) throws {
        name = try decoder.singleValueContainer().decode(String.self)
    }

    /// Encodes as a bare string.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(name)
    }
}

/// What one machine type provides.
public struct MachineTypeSpec: Sendable, Hashable, Codable {
    /// The type's name.
    public var name: String
    /// CPUs, possibly fractional.
    public var cpus: Double
    /// Memory in bytes.
    public var memory: Int
    /// The most processes a runner may have.
    public var processes: Int
    /// GPUs.
    public var gpus: Int
    /// Where its runners go on a cluster (`isolated serve --launcher slurm`).
    public var cluster: ClusterPlacement

    /// Describes a machine type.
    public init(name: String, cpus: Double, memory: Int, processes: Int, gpus: Int = 0, cluster: ClusterPlacement = ClusterPlacement()) {
        self.name = name
        self.cpus = cpus
        self.memory = memory
        self.processes = processes
        self.gpus = gpus
        self.cluster = cluster
    }

    private enum CodingKeys: String, CodingKey {
        case name, cpus, memory, processes, gpus, cluster
    }

    /// Decodes a spec; `cluster` may be missing.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            name: try container.decode(String.self, forKey: .name),
            cpus: try container.decode(Double.self, forKey: .cpus),
            memory: try container.decode(Int.self, forKey: .memory),
            processes: try container.decode(Int.self, forKey: .processes),
            gpus: try container.decodeIfPresent(Int.self, forKey: .gpus) ?? 0,
            cluster: try container.decodeIfPresent(ClusterPlacement.self, forKey: .cluster) ?? ClusterPlacement()
        )
    }
}

/// The machine types an engine offers.
public struct MachineTypeCatalog: Sendable, Hashable, Codable {
    /// The types, in order of size.
    public var types: [MachineTypeSpec]

    /// Creates a catalog.
    public init(types: [MachineTypeSpec]) { self.types = types }

    /// `XS`, `S`, `M`, `L`, `XL` and `GPU`.
    public static let standard = MachineTypeCatalog(types: [
        MachineTypeSpec(name: "XS", cpus: 0.5, memory: 512 << 20, processes: 64),
        MachineTypeSpec(name: "S", cpus: 1, memory: 1 << 30, processes: 128),
        MachineTypeSpec(name: "M", cpus: 2, memory: 4 << 30, processes: 256),
        MachineTypeSpec(name: "L", cpus: 4, memory: 8 << 30, processes: 512),
        MachineTypeSpec(name: "XL", cpus: 8, memory: 16 << 30, processes: 1024),
        MachineTypeSpec(name: "GPU", cpus: 4, memory: 16 << 30, processes: 512, gpus: 1),
    ])

    /// Reads a catalog from JSON: `{"types": [{"name": "XS", "cpus": 0.5, "memory": "512 MiB", "processes": 64, "gpus": 0}]}`.
    ///
    /// `memory` is a number of bytes or a string with a unit (`KiB`, `MiB`, `GiB`, `TiB`); `gpus`
    /// may be omitted. For a cluster, an entry may add `partition`, `constraint`, `account` and
    /// `qos` (``ClusterPlacement``). A malformed file is an error naming the file, the entry and
    /// what is wrong.
    public init(contentsOf path: String) throws(IsolatedError) {
        struct Entry: Decodable {
            var name: String
            var cpus: Double
            var memory: Memory
            var processes: Int
            var gpus: Int?
            var partition: String?
            var constraint: String?
            var account: String?
            var qos: String?
        }
        struct File: Decodable {
            var types: [Entry]
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw IsolatedError(code: .invalidMachineTypes, message: "cannot read the machine-type catalog \(path)")
        }
        let file: File
        do {
            file = try JSONDecoder().decode(File.self, from: data)
        } catch {
            throw IsolatedError(code: .invalidMachineTypes, message: "the machine-type catalog \(path) is not valid: \(error)")
        }
        var types: [MachineTypeSpec] = []
        for entry in file.types {
            let problem: String? =
                if entry.name.isEmpty { "a type has no name" } else if types.contains(where: { $0.name == entry.name }) {
                    "\"\(entry.name)\" is listed twice"
                } else if !(entry.cpus > 0) { "\"\(entry.name)\" needs cpus above 0" } else if entry.memory.bytes < 16 << 20 {
                    "\"\(entry.name)\" needs at least 16 MiB of memory"
                } else if entry.processes < 8 {
                    "\"\(entry.name)\" needs at least 8 processes (a runner uses several threads)"
                } else if (entry.gpus ?? 0) < 0 { "\"\(entry.name)\" has a negative GPU count" } else { nil }
            if let problem { throw IsolatedError(code: .invalidMachineTypes, message: "the machine-type catalog \(path) is not valid: \(problem)") }
            types.append(
                MachineTypeSpec(
                    name: entry.name, cpus: entry.cpus, memory: entry.memory.bytes, processes: entry.processes, gpus: entry.gpus ?? 0,
                    cluster: ClusterPlacement(partition: entry.partition, constraint: entry.constraint, account: entry.account, qos: entry.qos)))
        }
        guard !types.isEmpty else {
            throw IsolatedError(code: .invalidMachineTypes, message: "the machine-type catalog \(path) lists no types")
        }
        self.init(types: types)
    }

    /// The spec for a machine type, or an error listing the available ones.
    public func spec(for type: MachineType) throws(IsolatedError) -> MachineTypeSpec {
        if let spec = types.first(where: { $0.name == type.name }) { return spec }
        throw IsolatedError(
            code: .noSuchMachineType,
            message: "no machine type named \"\(type.name)\"; available: \(types.map(\.name).joined(separator: ", "))"
        )
    }
}

/// An amount of memory as a catalog file writes it: bytes, or a string such as "512 MiB".
private struct Memory: Decodable {
    var bytes: Int

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let bytes = try? container.decode(Int.self) {
            self.bytes = bytes
            return
        }
        let text = try container.decode(String.self).replacingOccurrences(of: " ", with: "")
        let units: [(String, Int)] = [("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10), ("B", 1)]
        guard let (unit, scale) = units.first(where: { text.hasSuffix($0.0) }), let value = Double(text.dropLast(unit.count)), value > 0 else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "'\(text)' is not an amount of memory like \"512 MiB\"")
        }
        bytes = Int(value * Double(scale))
    }
}
