import Foundation
import IsolatedEngine
import Testing

@Suite("Staging a home's directories for a node that does not mount it")
struct NodeStagingTests {
    @Test("an archive leaves out the static worker, its marker and temporaries, and the runtime's static archives, in a home named with wildcards")
    func exclusions() async throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("staging [*?] \(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: home) }
        let function = "\(home)/functions/f1"
        let runtime = "\(home)/runtime/r1"
        try FileManager.default.createDirectory(atPath: "\(runtime)/static", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: function, withIntermediateDirectories: true)
        for file in [
            "\(function)/worker", "\(function)/worker-static", "\(function)/worker-static.failed", "\(function)/worker-static.41.7",
            "\(function)/Functions.swift", "\(runtime)/libIsolatedRunner.so", "\(runtime)/static/libIsolatedRunner.a",
            "\(runtime)/static.lock", "\(runtime)/isolated-sandbox",
        ] {
            try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        }
        let staging = NodeStaging(home: home)

        func members(_ directory: String) async throws -> Set<String> {
            let archive = try await staging.archive(of: directory)
            let listing = Process()
            listing.executableURL = URL(fileURLWithPath: "/bin/tar")
            listing.arguments = ["-tf", archive]
            let pipe = Pipe()
            listing.standardOutput = pipe
            try listing.run()
            let output = pipe.fileHandleForReading.readDataToEndOfFile()
            listing.waitUntilExit()
            #expect(listing.terminationStatus == 0)
            let prefix = String(directory.dropFirst()) + "/"
            return Set(String(decoding: output, as: UTF8.self).split(separator: "\n").map { String($0.dropFirst(prefix.count)) })
        }

        #expect(try await members(function) == ["", "worker", "Functions.swift"])
        #expect(try await members(runtime) == ["", "libIsolatedRunner.so", "isolated-sandbox"])
    }
}
