import Foundation
import IsolatedClient
import IsolatedCore
import IsolatedEngine
import IsolatedServer
import IsolatedStore
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// How the server treats connections: HTTPS, plain HTTP off loopback, and clients that send slowly.
@Suite("isolated serve: TLS, addresses and slow clients", .serialized, .timeLimit(.minutes(10)))
struct ConnectionTests {
    @Test(
        "with a certificate the server serves HTTPS: curl and the Swift client trusting its CA (ISOLATED_CA_FILE) are answered and call, others are refused"
    )
    func servesHTTPS() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("isolated-tls-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (certificate, key) = ("\(directory)/server.pem", "\(directory)/server.key")
        let (made, output) = try await ExternalProcess.run(
            "/usr/bin/openssl",
            [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certificate, "-days", "2", "-subj", "/CN=localhost",
                "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
            ])
        try #require(made == 0, "\(output)")
        let configuration = ServerConfiguration(port: 0, tls: TLSFiles(certificateChain: certificate, privateKey: key))
        try await TestServer.with(configuration: configuration) { server in
            let port = try #require(server.url.port)
            let trusted = try await ExternalProcess.run(
                "/usr/bin/curl", ["--silent", "--show-error", "--cacert", certificate, "https://localhost:\(port)/healthz"])
            #expect(trusted.status == 0 && trusted.output.contains("\"ok\""), "\(trusted.output)")
            let untrusted = try await ExternalProcess.run("/usr/bin/curl", ["--silent", "--show-error", "https://localhost:\(port)/healthz"])
            #expect(untrusted.status != 0 && untrusted.output.contains("certificate"), "\(untrusted.output)")
            let plain = try await ExternalProcess.run("/usr/bin/curl", ["--silent", "--show-error", "http://localhost:\(port)/healthz"])
            #expect(plain.status != 0 || !plain.output.contains("\"ok\""), "plain HTTP was answered on the HTTPS port: \(plain.output)")

            let (_, secret) = try await server.store.createKey(name: "tls", scope: .invoke)
            let https = "https://localhost:\(port)"
            let client = try #require(
                try ServerClient.fromEnvironment(["ISOLATED_SERVER": https, "ISOLATED_KEY": secret, "ISOLATED_CA_FILE": certificate]))
            #expect(try await client.health() == "ok")
            #expect(try await ServerTests.greet(client, "tls").0.hasPrefix("hello, tls"))
            let distrusting = try #require(try ServerClient.fromEnvironment(["ISOLATED_SERVER": https, "ISOLATED_KEY": secret]))
            let refused = await #expect(throws: IsolatedError.self) { try await distrusting.health() }
            #expect(refused?.code == .serverUnavailable && refused?.message.contains(https) == true, "\(String(describing: refused))")
            let unreadable = #expect(throws: IsolatedError.self) {
                try ServerClient.fromEnvironment(["ISOLATED_SERVER": https, "ISOLATED_CA_FILE": "\(directory)/missing.pem"])
            }
            #expect(unreadable?.code == .invalidConfiguration && unreadable?.message.contains("ISOLATED_CA_FILE") == true)
        }
    }

    @Test("a certificate or key that cannot be read stops the server before it listens, naming the file")
    func unreadableCertificate() async throws {
        let missing = "/nonexistent/server.pem"
        let error = await #expect(throws: IsolatedError.self) {
            try await TestServer.with(configuration: ServerConfiguration(port: 0, tls: TLSFiles(certificateChain: missing, privateKey: missing))) {
                _ in
            }
        }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.message.contains("cannot read the certificate chain \(missing) (--tls-cert)") == true, "\(String(describing: error))")
    }

    @Test("plain HTTP on an address other machines reach is refused, saying how to serve HTTPS, unless insecureHTTP says a proxy terminates TLS")
    func plainHTTPOffLoopback() async throws {
        let error = await #expect(throws: IsolatedError.self) {
            try await TestServer.with(configuration: ServerConfiguration(host: "0.0.0.0", port: 0)) { _ in }
        }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.message.contains("--tls-cert and --tls-key") == true && error?.message.contains("--insecure-http") == true)
        let answered = try await TestServer.with(configuration: ServerConfiguration(host: "0.0.0.0", port: 0, insecureHTTP: true)) { server in
            try await ExternalProcess.run("/usr/bin/curl", ["--silent", "--show-error", "http://127.0.0.1:\(server.url.port ?? 0)/healthz"])
        }
        #expect(answered.status == 0 && answered.output.contains("\"ok\""), "\(answered.output)")
    }

    @Test("a client sending its body or its head a byte at a time is cut off at the timeouts, while other clients are served")
    func slowClientsAreCutOff() async throws {
        let configuration = ServerConfiguration(port: 0, idleTimeout: .seconds(1), requestBodyTimeout: .seconds(1))
        try await TestServer.with(configuration: configuration) { server in
            let port = try #require(server.url.port)
            let (_, secret) = try await server.store.createKey(name: "slow")
            // A body of 1,000 bytes announced, then sent a byte every 100 ms: it would take 100 s.
            let slowBody = try SlowConnection(port: port)
            try slowBody.send(
                "POST /v1/invocations HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \(secret)\r\n"
                    + "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{")
            // A head that never ends, a header line every 100 ms.
            let slowHead = try SlowConnection(port: port)
            try slowHead.send("GET /v1/machine-types HTTP/1.1\r\nHost: localhost\r\n")
            var sent = 0
            while sent < 100, !(slowBody.isClosed && slowHead.isClosed) {
                try await Task.sleep(for: .milliseconds(100))
                if !slowBody.isClosed { try? slowBody.send(" ") }
                if !slowHead.isClosed { try? slowHead.send("X-Slow-\(sent): 1\r\n") }
                sent += 1
            }
            #expect(slowBody.isClosed, "the slow body's connection is still open after \(sent) bytes")
            #expect(slowHead.isClosed, "the slow head's connection is still open after \(sent) lines")
            let health = try await ExternalProcess.run("/usr/bin/curl", ["--silent", "--show-error", "http://127.0.0.1:\(port)/healthz"])
            #expect(health.output.contains("\"ok\""), "\(health.output)")
        }
    }
}

/// The server's database on a full disk: a real 1 MiB tmpfs, filled.
@Suite("isolated serve: a database that cannot be written", .serialized, .timeLimit(.minutes(10)))
struct StorageFailureTests {
    @Test(
        "a call whose start cannot be recorded (the database's disk is full) does not run and fails with storageFailed; with space again, calls run")
    func fullDisk() async throws {
        let directory = "\(TestServer.home)/servers/full-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let (mounted, output) = try await ExternalProcess.run("/bin/mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", directory])
        try #require(mounted == 0, "a tmpfs could not be mounted (the tests run as root): \(output)")
        defer {
            _ = try? FileManager.default.removeItem(atPath: directory)
        }
        let failure: IsolatedError?
        do {
            failure = try await fillingTheDisk(under: directory)
        } catch {
            _ = try? await ExternalProcess.run("/bin/umount", [directory])
            throw error
        }
        _ = try await ExternalProcess.run("/bin/umount", [directory])
        let error = try #require(failure, "every call was recorded on a full disk")
        #expect(error.code == .storageFailed, "\(error)")
        #expect(error.message.contains("did not run, because its start could not be recorded"), "\(error.message)")
        #expect(error.message.contains("\(directory)/isolated.sqlite"), "\(error.message)")
        #expect(error.report == nil, "the call reached the engine: \(String(describing: error.report))")
    }

    /// Calls through a server whose database is in `directory` until one fails once the disk is
    /// full, then frees the disk and calls again; returns the failure.
    private func fillingTheDisk(under directory: String) async throws -> IsolatedError? {
        try await TestServer.with(database: "\(directory)/isolated.sqlite") { server in
            let client = try await server.client()
            _ = try await ServerTests.greet(client, "before")
            // Fill what is left; SQLite can still append to its log in the space it already has,
            // so a few calls may be recorded before one finds the disk full.
            let filler = "\(directory)/filler"
            FileManager.default.createFile(atPath: filler, contents: nil)
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: filler))
            let block = Data(count: 4096)
            while (try? handle.write(contentsOf: block)) != nil {}
            try? handle.close()
            var failure: IsolatedError?
            for attempt in 0..<200 where failure == nil {
                do {
                    _ = try await ServerTests.greet(client, "full \(attempt)")
                } catch let error as IsolatedError {
                    failure = error
                }
            }
            try FileManager.default.removeItem(atPath: filler)
            let (after, _) = try await ServerTests.greet(client, "after")
            #expect(after.hasPrefix("hello, after"))
            return failure
        }
    }
}

/// A TCP connection to the server on loopback that writes what it is told when it is told, and
/// notices when the server closes it.
final class SlowConnection {
    private let socket: Int32

    init(port: Int) throws {
        socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(socket)
            throw POSIXError(.init(rawValue: errno) ?? .ECONNREFUSED)
        }
    }

    deinit { close(socket) }

    /// Writes `text` whole; throws once the server has closed the connection.
    func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard written == bytes.count else { throw POSIXError(.init(rawValue: errno) ?? .EPIPE) }
    }

    /// Whether the server has closed the connection: reading finds its end, or an error.
    var isClosed: Bool {
        var byte: UInt8 = 0
        let read = recv(socket, &byte, 1, Int32(MSG_DONTWAIT | MSG_PEEK))
        if read == 0 { return true }
        if read < 0 { return errno != EAGAIN && errno != EWOULDBLOCK }
        // The server answered (an error response) and may close next; skip what it sent.
        var buffer = [UInt8](repeating: 0, count: 4096)
        return recv(socket, &buffer, buffer.count, Int32(MSG_DONTWAIT)) == 0
    }
}
