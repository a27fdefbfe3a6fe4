import IsolatedWire
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("The address runners connect back to")
struct EngineAddressTests {
    @Test("host:port and [v6]:port parse; anything else is an error saying what is wrong")
    func parsing() throws {
        #expect(try EngineAddress("10.0.0.5:7070") == EngineAddress(host: "10.0.0.5", port: 7070))
        #expect(try EngineAddress("[::1]:0") == EngineAddress(host: "::1", port: 0))
        #expect(try EngineAddress("[::1]:0").description == "[::1]:0")
        #expect(throws: EngineAddress.Failure.self) { try EngineAddress("10.0.0.5") }
        #expect(throws: EngineAddress.Failure.self) { try EngineAddress(":80") }
        #expect(throws: EngineAddress.Failure.self) { try EngineAddress("host:99999") }
    }

    @Test("listening on port 0 gets a free port, and connecting to it reaches the listener")
    func listenAndConnect() throws {
        let (listener, port) = try EngineAddress(host: "127.0.0.1", port: 0).listen()
        defer { close(listener) }
        #expect(port != 0)
        let client = try EngineAddress(host: "127.0.0.1", port: port).connect()
        defer { close(client) }
        let accepted = accept(listener, nil, nil)
        #expect(accepted >= 0)
        close(accepted)
    }
}
