import Foundation
import IsolatedEngine
import Testing

@Suite("The runner runtime's sources")
struct RuntimeTests {
    @Test("the explicit file lists name exactly the Swift files of IsolatedWire and IsolatedRunner, so workers compile nothing else")
    func fileListsMatchTheTargets() throws {
        for module in Runtime.modules {
            let directory = "\(Runtime.sourcesDirectory)/\(module.name)"
            let files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".swift") }
            #expect(Set(files) == Set(module.files), "\(module.name): list every file, and only those")
        }
        #expect(Runtime.modules.map(\.name) == ["IsolatedWire", "IsolatedRunner"])
    }
}
