import Foundation
import IsolatedCore
import IsolatedEngine
import Testing

@Suite("Python interpreters: found on the machine, never downloaded")
struct PythonInterpretersTests {
    @Test("versions compare by number, so 3.10 is newer than 3.9")
    func versionOrder() {
        #expect(PythonInterpreters.compare("3.10", "3.9") == .orderedDescending)
        #expect(PythonInterpreters.compare("3.11.2", "3.11.7") == .orderedAscending)
        #expect(PythonInterpreters.compare("3.12", "3.12.0") == .orderedSame)
    }

    @Test("the newest interpreter of a minor version is chosen; a missing version names those the machine has")
    func choose() throws {
        let interpreters = PythonInterpreters([
            PythonInterpreter(version: "3.11.2", path: "/usr/bin/python3.11", prefix: "/usr"),
            PythonInterpreter(version: "3.9.18", path: "/opt/python3.9", prefix: "/opt"),
            PythonInterpreter(version: "3.11.7", path: "/opt/python3.11", prefix: "/opt"),
        ])
        #expect(try interpreters.interpreter(for: "3.11").path == "/opt/python3.11")
        let error = #expect(throws: IsolatedError.self) { try interpreters.interpreter(for: "3.4") }
        #expect(error?.code == .pythonUnavailable)
        #expect(error?.message.contains("it has 3.9, 3.11") == true)
    }

    @Test("discovery finds this machine's interpreters, each answering its own version, Python 2 left out")
    func discover() async throws {
        let interpreters = await PythonInterpreters.discover()
        try #require(!interpreters.all.isEmpty, "this machine has Python 3")
        for interpreter in interpreters.all {
            #expect(interpreter.version.hasPrefix("3."))
            #expect(FileManager.default.isExecutableFile(atPath: interpreter.path))
            #expect(interpreter.path.hasPrefix(interpreter.prefix))
        }
        let system = try #require(interpreters.all.first { $0.path.hasPrefix("/usr/bin/") })
        #expect(try interpreters.interpreter(for: system.minorVersion).minorVersion == system.minorVersion)
    }
}
