import Foundation
import IsolatedCore
import IsolatedEngine
import Testing

@Suite("cgroups: detected without a trace, created with the first runner")
struct ResourceControlTests {
    /// Skipped where this process may not create cgroups (not root, no delegation).
    @Test(
        "detecting the hierarchy creates nothing; the first runner creates the engine's groups, which it removes when it stops",
        .enabled(if: ResourceControl.detect().isEnforcing, "this process cannot create cgroups here")
    )
    func groupsAppearOnlyWhenNeeded() throws {
        let engineID = "isolated-test-\(UUID().uuidString.prefix(8))"
        let resources = ResourceControl.detect(engineID: engineID)
        let groups = resources.engineGroups
        #expect(!groups.isEmpty && groups.allSatisfy { $0.hasSuffix("/\(engineID)") })
        #expect(!groups.contains { FileManager.default.fileExists(atPath: $0) }, "detection created a group")
        let spec = try MachineTypeCatalog.standard.spec(for: "XS")
        let confinement = try #require(try resources.prepare(runnerID: "r1-test", spec: spec))
        #expect(groups.allSatisfy { FileManager.default.fileExists(atPath: "\($0)/r1-test") })
        confinement.release()
        resources.removeEngineGroups()
        #expect(!groups.contains { FileManager.default.fileExists(atPath: $0) })
    }
}
