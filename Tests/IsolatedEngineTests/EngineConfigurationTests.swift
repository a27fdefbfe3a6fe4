import Foundation
import IsolatedEngine
import Testing

@Suite("Engine configuration")
struct EngineConfigurationTests {
    @Test("a relative home is taken from the current directory, so runners started elsewhere still find it")
    func relativeHomeIsMadeAbsolute() {
        let current = FileManager.default.currentDirectoryPath
        #expect(EngineConfiguration(home: "cache/isolated").home == URL(fileURLWithPath: current).appendingPathComponent("cache/isolated").path)
        #expect(EngineConfiguration(home: "/srv/isolated/../isolated").home == "/srv/isolated")
    }
}
