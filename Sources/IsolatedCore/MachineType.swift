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

    /// Describes a machine type.
    public init(name: String, cpus: Double, memory: Int, processes: Int, gpus: Int = 0) {
        self.name = name
        self.cpus = cpus
        self.memory = memory
        self.processes = processes
        self.gpus = gpus
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

    /// The spec for a machine type, or an error listing the available ones.
    public func spec(for type: MachineType) throws(IsolatedError) -> MachineTypeSpec {
        if let spec = types.first(where: { $0.name == type.name }) { return spec }
        throw IsolatedError(
            code: .noSuchMachineType,
            message: "no machine type named \"\(type.name)\"; available: \(types.map(\.name).joined(separator: ", "))"
        )
    }
}
