import Foundation
import Isolated

// Functions that each try to escape their runner's sandbox or flood the engine; the tests
// assert each is contained.

@Isolated(keepAlive: 0)
func sandboxView() async throws -> [String: String] {
    var name = [CChar](repeating: 0, count: 256)
    gethostname(&name, 255)
    let processes = (try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.filter { Int($0) != nil } ?? []
    return [
        "user": "\(getuid())",
        "group": "\(getgid())",
        "process": "\(getpid())",
        "processes": processes.sorted().joined(separator: ","),
        "hostName": String(cString: name),
        "environment": ProcessInfo.processInfo.environment.keys.sorted().joined(separator: ","),
        "directory": FileManager.default.currentDirectoryPath,
        "temporary": ProcessInfo.processInfo.environment["TMPDIR"] ?? "",
    ]
}

/// What opening each path for reading gives: "read", or the system's error.
@Isolated(keepAlive: 0)
func tryToRead(_ paths: [String]) async throws -> [String] {
    paths.map { path in
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { return String(cString: strerror(errno)) }
        var byte: UInt8 = 0
        defer { close(descriptor) }
        return read(descriptor, &byte, 1) >= 0 ? "read" : String(cString: strerror(errno))
    }
}

/// What creating each file gives: "written", or the system's error.
@Isolated(keepAlive: 0)
func tryToWrite(_ paths: [String]) async throws -> [String] {
    paths.map { path in
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard descriptor >= 0 else { return String(cString: strerror(errno)) }
        defer { close(descriptor) }
        return write(descriptor, "escaped", 7) == 7 ? "written" : String(cString: strerror(errno))
    }
}

/// Leaves a file in its own directory and one in its /tmp, and stays warm.
@Isolated(keepAlive: 30)
func leavesSecrets() async throws -> [String] {
    let own = FileManager.default.currentDirectoryPath + "/secret.txt"
    try "a runner's secret".write(toFile: own, atomically: false, encoding: .utf8)
    try "a runner's temporary secret".write(toFile: "/tmp/secret.txt", atomically: false, encoding: .utf8)
    return [own, "/tmp/secret.txt"]
}

@Isolated(keepAlive: 0)
func printsForever() async throws -> Int {
    let line = [UInt8](repeating: UInt8(ascii: "x"), count: 1 << 20)
    // No newline: the engine must cut the lines, not buffer them.
    while true { line.withUnsafeBytes { _ = write(1, $0.baseAddress, $0.count) } }
}

@Shippable
func connectToLoopback(port: Int) -> String {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { return String(cString: strerror(errno)) }
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = in_addr_t(0x7f00_0001).bigEndian
    let result = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    return result == 0 ? "connected" : String(cString: strerror(errno))
}

@Isolated(keepAlive: 0, uses: [connectToLoopback])
func connectsWithNetwork(port: Int) async throws -> String {
    connectToLoopback(port: port)
}

@Isolated(keepAlive: 0, uses: [connectToLoopback], network: .disabled)
func connectsWithoutNetwork(port: Int) async throws -> String {
    connectToLoopback(port: port)
}
