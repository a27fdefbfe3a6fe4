import Foundation
package import IsolatedCore

/// One node of a Slurm cluster, as `sinfo` describes it.
package struct SlurmNode: Sendable, Hashable, Codable {
    package var name: String
    package var cpus: Int
    /// Memory in MiB.
    package var memory: Int
    /// Its GRES, as Slurm writes them (`gpu:1`); empty when none.
    package var generic: String
    /// Its features; empty when none.
    package var features: String
    /// The partitions it is in.
    package var partitions: [String]
    /// Whether one of them is the cluster's default partition.
    package var inDefaultPartition = false
    /// Slurm's state: `idle`, `mixed`, `allocated`, `down`, `drained`, ….
    package var state: String

    /// The `sinfo` format ``parse(_:)`` reads.
    package static let format = "%N|%c|%m|%G|%f|%P|%T"

    /// Nodes from `sinfo -h -N -o` ``format`` output: one line per node and partition.
    package static func parse(_ lines: [String]) -> [SlurmNode] {
        var nodes: [SlurmNode] = []
        for line in lines {
            let fields = line.split(separator: "|", omittingEmptySubsequences: false).map { String($0).trimmingCharacters(in: .whitespaces) }
            guard fields.count == 7, !fields[0].isEmpty else { continue }
            let isDefault = fields[5].hasSuffix("*")
            let partition = isDefault ? String(fields[5].dropLast()) : fields[5]
            if let index = nodes.firstIndex(where: { $0.name == fields[0] }) {
                nodes[index].partitions.append(partition)
                nodes[index].inDefaultPartition = nodes[index].inDefaultPartition || isDefault
                continue
            }
            nodes.append(
                SlurmNode(
                    name: fields[0], cpus: Int(fields[1]) ?? 0, memory: Int(fields[2]) ?? 0, generic: fields[3] == "(null)" ? "" : fields[3],
                    features: fields[4] == "(null)" ? "" : fields[4], partitions: [partition], inDefaultPartition: isDefault, state: fields[6]))
        }
        return nodes
    }

    /// Whether a runner of `machine` may land on it: it is in the type's partition, or the
    /// default one when the type names none.
    package func mayRun(_ machine: MachineTypeSpec) -> Bool {
        machine.cluster.partition.map { partitions.contains($0) } ?? inDefaultPartition
    }

    /// Whether jobs can start on it now or once it frees up: it answers (`*` marks a node that
    /// does not) and is in service.
    package var isUsable: Bool {
        !state.hasSuffix("*")
            && !["down", "drain", "fail", "inval", "unk", "maint", "reserved", "powered", "future"].contains { state.lowercased().hasPrefix($0) }
    }

    /// `node2: 2 CPUs, 12052 MiB, gpu:1, partitions main`.
    package var summary: String {
        "\(name): \(cpus) CPUs, \(memory) MiB" + (generic.isEmpty ? "" : ", \(generic)") + (features.isEmpty ? "" : ", features \(features)")
            + ", partitions \(partitions.joined(separator: ",")), \(state)"
    }
}
