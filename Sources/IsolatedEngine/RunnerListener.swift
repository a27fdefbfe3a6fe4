import Foundation
package import IsolatedWire
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Accepts the TCP connections of runners on other machines and hands each to the launch
/// waiting for it, by the one-time token that launch gave its runner: never a user's key.
///
/// A connection must send its `attach` frame within ``handshakeTimeout``; one with an unknown
/// or already used token is closed. Each handshake reads on a thread of its own, so a peer that
/// connects and stays silent delays no other runner.
package final class RunnerListener: Sendable {
    /// The address runners are told to connect to: the configured host, and the port the
    /// listener got.
    package let address: EngineAddress
    private let descriptor: Int32
    private let slots = Mutex<[String: Slot]>([:])
    private static let handshakeTimeout: Int = 10
    private static let largestAttachFrame: UInt32 = 4096

    private enum Slot {
        /// The launch has not handed over its connection yet.
        case expected
        /// The runner attached before its launch handed over its connection.
        case arrived(descriptor: Int32, placement: RunnerPlacement)
        /// The launch's connection, waiting for its runner.
        case waiting(RunnerConnection)
    }

    /// Listens on `address` (port 0: any free port).
    package init(address: EngineAddress) throws(IsolatedError) {
        let listening: (descriptor: Int32, port: UInt16)
        do {
            listening = try address.listen()
        } catch {
            throw IsolatedError(
                code: .invalidConfiguration,
                message:
                    "cannot listen for runners at \(address): \(error); give --runner-address an address of this machine that the cluster's nodes reach"
            )
        }
        descriptor = listening.descriptor
        self.address = EngineAddress(host: address.host, port: listening.port)
        let thread = Thread { [self] in acceptLoop() }
        thread.name = "isolated-runner-listener"
        thread.start()
    }

    /// A new one-time token, expected from now on.
    package func expect() -> String {
        var generator = SystemRandomNumberGenerator()
        let token = (0..<4).map { _ in String(generator.next() as UInt64, radix: 16) }.joined(separator: "-")
        slots.withLock { $0[token] = .expected }
        return token
    }

    /// Gives the runner of `token` to `connection`: now if it has attached already, else when it does.
    package func deliver(_ token: String, to connection: RunnerConnection) {
        let arrived: (Int32, RunnerPlacement)? = slots.withLock { slots in
            guard let slot = slots[token] else { return nil }
            if case .arrived(let descriptor, let placement) = slot {
                slots[token] = nil
                return (descriptor, placement)
            }
            slots[token] = .waiting(connection)
            return nil
        }
        if let (descriptor, placement) = arrived, !connection.attach(channel: descriptor, placement: placement) { Glibc.close(descriptor) }
    }

    /// Stops expecting `token`: its launch ended.
    package func forget(_ token: String) {
        let slot = slots.withLock { $0.removeValue(forKey: token) }
        if case .arrived(let descriptor, _) = slot { Glibc.close(descriptor) }
    }

    /// Stops accepting; runners already attached keep their connections.
    package func close() {
        shutdown(descriptor, Int32(SHUT_RDWR))
    }

    private func acceptLoop() {
        while true {
            // Close-on-exec atomically: a runner's srun spawned meanwhile must not inherit another
            // runner's socket, or that runner would outlive the engine's death.
            let connection = Self.accept4(descriptor, nil, nil, Int32(SOCK_CLOEXEC.rawValue))
            if connection < 0 {
                if errno == EINTR || errno == ECONNABORTED || errno == EMFILE || errno == ENFILE { continue }
                Glibc.close(descriptor)
                return
            }
            let thread = Thread { [self] in handshake(connection) }
            thread.name = "isolated-runner-handshake"
            thread.start()
        }
    }

    // glibc has it, but Swift's Glibc module does not declare it.
    private typealias Accept4 = @convention(c) (Int32, UnsafeMutablePointer<sockaddr>?, UnsafeMutablePointer<socklen_t>?, Int32) -> Int32
    private static let accept4: Accept4 = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "accept4") else {
            fatalError("this C library has no accept4, which the engine needs to accept runners without leaking their sockets")
        }
        return unsafeBitCast(symbol, to: Accept4.self)
    }()

    private func handshake(_ connection: Int32) {
        var timeout = timeval(tv_sec: Self.handshakeTimeout, tv_usec: 0)
        setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        // Exactly one frame: what follows it is the runner's to send on the attached channel.
        guard let header = Self.read(connection, count: 4),
            case let length = header.withUnsafeBytes({ UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self)) }),
            length >= 1, length <= Self.largestAttachFrame,
            let body = Self.read(connection, count: Int(length)),
            case .attach(let token, let node, let job)? = try? RunnerMessage(Frame(kind: Frame.Kind(rawValue: body[0]), payload: Array(body[1...])))
        else {
            Glibc.close(connection)
            return
        }
        var timeoutOff = timeval(tv_sec: 0, tv_usec: 0)
        setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeoutOff, socklen_t(MemoryLayout<timeval>.size))
        EngineAddress.setNoDelay(connection)
        let placement = RunnerPlacement(node: node, job: job)
        enum Outcome {
            case kept
            case attach(RunnerConnection)
            case refused
        }
        let outcome: Outcome = slots.withLock { slots in
            switch slots[token] {
            case .expected:
                slots[token] = .arrived(descriptor: connection, placement: placement)
                return .kept
            case .waiting(let runner):
                slots[token] = nil
                return .attach(runner)
            case .arrived, nil:
                return .refused
            }
        }
        switch outcome {
        case .kept: break
        case .attach(let runner): if !runner.attach(channel: connection, placement: placement) { Glibc.close(connection) }
        case .refused: Glibc.close(connection)
        }
    }

    private static func read(_ descriptor: Int32, count: Int) -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: count)
        var offset = 0
        while offset < count {
            let result = bytes.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress! + offset, count - offset) }
            if result < 0, errno == EINTR { continue }
            guard result > 0 else { return nil }
            offset += result
        }
        return bytes
    }
}
