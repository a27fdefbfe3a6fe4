import Foundation
import IsolatedCore
import IsolatedEngine
import IsolatedWire
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The TCP side of the runner channel, with real sockets and a real process standing in for
/// `srun` (a `sleep`, whose output is the connection's pipes).
@Suite("Runners connecting back over TCP")
struct RunnerListenerTests {
    static func connection(for process: ChildProcess) -> RunnerConnection {
        RunnerConnection(process: process, onIdleLog: { _, _ in }, onExit: { _ in })
    }

    static func sleeper() throws -> ChildProcess {
        try ChildProcess.spawn(executable: "/bin/sleep", arguments: ["30"], environment: [:], workingDirectory: nil, withChannel: false)
    }

    @Test("a runner that attaches with its launch's token becomes the connection's channel, before or after the launch hands it over")
    func attachesByToken() async throws {
        let listener = try RunnerListener(address: EngineAddress(host: "127.0.0.1", port: 0))
        defer { listener.close() }
        for arrivesFirst in [false, true] {
            let token = listener.expect()
            let process = try Self.sleeper()
            let connection = Self.connection(for: process)
            if !arrivesFirst { listener.deliver(token, to: connection) }
            let runner = try listener.address.connect()
            defer { close(runner) }
            let hello = RunnerMessage.attach(token: token, node: "node7", job: "42").frame.bytes + RunnerMessage.ready(processID: 4242).frame.bytes
            #expect(hello.withUnsafeBytes { write(runner, $0.baseAddress, $0.count) } == hello.count)
            if arrivesFirst {
                try await Task.sleep(for: .milliseconds(200))
                listener.deliver(token, to: connection)
            }
            #expect(try await connection.waitUntilReady() == 4242)
            #expect(connection.placement == RunnerPlacement(node: "node7", job: "42"))
            connection.kill()
        }
    }

    @Test("a connection with an unknown token, or a token already used, is closed without a word")
    func refusesStrangers() async throws {
        let listener = try RunnerListener(address: EngineAddress(host: "127.0.0.1", port: 0))
        defer { listener.close() }
        let token = listener.expect()
        let connection = Self.connection(for: try Self.sleeper())
        defer { connection.kill() }
        listener.deliver(token, to: connection)

        #expect(try Self.attachIsRefused(listener, token: "not-a-token"))
        let rightful = try Self.attach(listener, token: token)
        defer { close(rightful) }
        for _ in 0..<100 where connection.placement == nil { try await Task.sleep(for: .milliseconds(20)) }
        #expect(connection.placement?.node == "n")
        #expect(try Self.attachIsRefused(listener, token: token))
    }

    static func attach(_ listener: RunnerListener, token: String) throws -> Int32 {
        let socket = try listener.address.connect()
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let bytes = RunnerMessage.attach(token: token, node: "n", job: "").frame.bytes
        _ = bytes.withUnsafeBytes { write(socket, $0.baseAddress, $0.count) }
        return socket
    }

    /// Whether the listener closes the connection (end of file) rather than keeping it.
    static func attachIsRefused(_ listener: RunnerListener, token: String) throws -> Bool {
        let socket = try attach(listener, token: token)
        defer { close(socket) }
        var byte: UInt8 = 0
        return read(socket, &byte, 1) == 0
    }
}
