import IsolatedCore
import IsolatedEngine

/// Pools, machines and requests for the scheduler's unit tests.
enum Fixtures {
    static let small = MachineTypeSpec(name: "S", cpus: 1, memory: 1 << 30, processes: 64)
    static let large = MachineTypeSpec(name: "L", cpus: 2, memory: 4 << 30, processes: 64)
    static let gpu = MachineTypeSpec(name: "GPU", cpus: 1, memory: 1 << 30, processes: 64, gpus: 1)

    static func key(_ function: String, machine: MachineTypeSpec = small) -> RunnerPool.Key {
        RunnerPool.Key(
            worker: WorkerExecutable(path: "/workers/\(function)", libraryDirectories: []),
            machineType: machine.name,
            network: .enabled
        )
    }

    static func request(
        _ function: String,
        machine: MachineTypeSpec = small,
        keepAlive: Duration = .seconds(10),
        maxConcurrency: Int? = nil
    ) -> RunnerScheduler.Request {
        RunnerScheduler.Request(
            key: key(function, machine: machine),
            machine: machine,
            function: FunctionReference(name: function, file: "Fixtures.swift", line: 1),
            keepAlive: keepAlive,
            maxConcurrency: maxConcurrency
        )
    }

    static func capacity(cpus: Double, memory: Int = 64 << 30, gpus: Int = 0) -> HostCapacity {
        HostCapacity(cpus: cpus, memory: memory, gpus: gpus)
    }
}
