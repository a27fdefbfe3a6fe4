import Foundation
import IsolatedCore
import Testing

@Suite("Machine-type catalog files")
struct MachineTypeCatalogTests {
    func write(_ json: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("catalog-\(UUID().uuidString).json").path
        try json.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("a catalog file gives its types, with memory in bytes or with a unit")
    func reads() throws {
        let path = try write(
            #"{"types": [{"name": "tiny", "cpus": 0.25, "memory": "256 MiB", "processes": 32}, {"name": "big", "cpus": 2, "memory": 8589934592, "processes": 512, "gpus": 1}]}"#
        )
        let catalog = try MachineTypeCatalog(contentsOf: path)
        #expect(
            catalog.types == [
                MachineTypeSpec(name: "tiny", cpus: 0.25, memory: 256 << 20, processes: 32),
                MachineTypeSpec(name: "big", cpus: 2, memory: 8 << 30, processes: 512, gpus: 1),
            ])
    }

    @Test("an entry may place its type on a cluster: partition, node features, account and quality of service")
    func clusterPlacement() throws {
        let path = try write(
            #"{"types": [{"name": "A100", "cpus": 8, "memory": "64 GiB", "processes": 512, "gpus": 1, "partition": "gpu", "constraint": "a100", "account": "ml", "qos": "high"}]}"#
        )
        let spec = try #require(try MachineTypeCatalog(contentsOf: path).types.first)
        #expect(spec.cluster == ClusterPlacement(partition: "gpu", constraint: "a100", account: "ml", qos: "high"))
        let decoded = try JSONDecoder().decode(MachineTypeSpec.self, from: Data(#"{"name": "S", "cpus": 1, "memory": 1024, "processes": 8}"#.utf8))
        #expect(decoded.cluster == ClusterPlacement() && decoded.gpus == 0)
    }

    @Test(
        "a malformed catalog is an error naming the file and what is wrong",
        arguments: [
            (#"{"types": [{"name": "a", "cpus": 0, "memory": "1 GiB", "processes": 32}]}"#, "\"a\" needs cpus above 0"),
            (#"{"types": [{"name": "a", "cpus": 1, "memory": "lots", "processes": 32}]}"#, "'lots' is not an amount of memory"),
            (
                #"{"types": [{"name": "a", "cpus": 1, "memory": "1 GiB", "processes": 32}, {"name": "a", "cpus": 1, "memory": "1 GiB", "processes": 32}]}"#,
                "\"a\" is listed twice"
            ),
            (#"{"types": []}"#, "lists no types"),
            ("not json", "is not valid"),
        ])
    func malformed(json: String, problem: String) throws {
        let path = try write(json)
        let error = #expect(throws: IsolatedError.self) { try MachineTypeCatalog(contentsOf: path) }
        #expect(error?.code == .invalidMachineTypes)
        #expect(error?.message.contains(path) == true)
        #expect(error?.message.contains(problem) == true, "\(error?.message ?? "")")
    }
}
