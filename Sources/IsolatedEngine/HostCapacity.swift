import Foundation
package import IsolatedCore

/// What this machine has to give runners.
package struct HostCapacity: Sendable, Hashable {
    package var cpus: Double
    package var memory: Int
    package var gpus: Int

    package init(cpus: Double, memory: Int, gpus: Int) {
        self.cpus = cpus
        self.memory = memory
        self.gpus = gpus
    }

    /// No bound: a cluster's scheduler decides what fits and when.
    package static let unbounded = HostCapacity(cpus: .infinity, memory: .max / 2, gpus: .max / 2)

    /// Reads the processor count, the physical memory and the NVIDIA devices.
    package static func detect() -> HostCapacity {
        let devices = ((try? FileManager.default.contentsOfDirectory(atPath: "/dev")) ?? [])
            .filter { $0.hasPrefix("nvidia") && $0.count > 6 && $0.dropFirst(6).allSatisfy(\.isNumber) }
        return HostCapacity(
            cpus: Double(ProcessInfo.processInfo.activeProcessorCount),
            memory: Int(ProcessInfo.processInfo.physicalMemory),
            gpus: devices.count
        )
    }

    /// What `spec` needs that this machine does not have at all, in words; nil when it fits.
    package func shortfall(of spec: MachineTypeSpec) -> String? {
        var missing: [String] = []
        if spec.gpus > gpus { missing.append(gpus == 0 ? "a GPU, and this machine has none" : "\(spec.gpus) GPUs, and this machine has \(gpus)") }
        if spec.cpus > cpus { missing.append(String(format: "%g CPUs, and this machine has %g", spec.cpus, cpus)) }
        if spec.memory > memory { missing.append("\(spec.memory >> 20) MiB of memory, and this machine has \(memory >> 20) MiB") }
        return missing.isEmpty ? nil : missing.joined(separator: "; ")
    }
}
