import Foundation
import Isolated
import IsolatedEngine
import TestSupport
import Testing

/// Runs only where cgroups can be written, as on this project's machines; elsewhere limits are
/// not enforced and `isolated doctor` says so.
@Suite(
    "Machine-type limits, enforced with real cgroups",
    .serialized,
    .timeLimit(.minutes(15)),
    .enabled(
        if: FileManager.default.isWritableFile(atPath: "/sys/fs/cgroup/memory")
            || FileManager.default.fileExists(atPath: "/sys/fs/cgroup/cgroup.controllers"))
)
struct HostileFunctionTests {
    @Test("a function that allocates past its machine type's memory fails with outOfMemory naming the limit, and the engine serves the next call")
    func memoryLimit() async throws {
        try await TestEngine.with { _ in
            let error = try await #require(throws: IsolatedError.self) { _ = try await allocatesTooMuch() }
            #expect(error.code == .outOfMemory)
            #expect(error.message.contains("512 MiB") && error.message.contains("machine type XS"))
            #expect(error.message.contains("S (1 GiB)"))
            #expect(try await healthy() == "still serving")
        }
    }

    @Test("a fork bomb is stopped by the machine type's process limit, and the engine serves the next call")
    func processLimit() async throws {
        try await TestEngine.with { (engine: Engine) async throws in
            let outcome: Result<Int, IsolatedError>
            do {
                outcome = .success(try await forksEndlessly())
            } catch {
                outcome = .failure(error as! IsolatedError)
            }
            switch outcome {
            case .success(let started):
                #expect(started < MachineTypeCatalog.standard.types[0].processes)
            case .failure(let error):
                // The runtime may die first when it cannot start a thread: contained either way.
                #expect(error.code == .runnerCrashed)
            }
            #expect(try await engine.waitForRunners { $0.isEmpty }.isEmpty)
            #expect(try await healthy() == "still serving")
        }
    }

    @Test("a CPU-bound function on a half-CPU machine type is throttled to about half a CPU")
    func cpuQuota() async throws {
        let seconds = try await TestEngine.with { _ in try await cpuSecondsSpinningForOneSecond() }
        #expect(seconds < 0.8, "used \(seconds) s of CPU in one second on 0.5 CPUs")
    }
}
