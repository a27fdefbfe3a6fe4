#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where an engine listens for runners that connect to it over TCP (runners a cluster's
/// scheduler started on other machines): `host:port`, `[v6]:port`, or `host:0` for any free port.
package struct EngineAddress: Sendable, Hashable, CustomStringConvertible {
    /// A host name or a numeric address.
    package var host: String
    /// The port; 0 asks the system for a free one when listening.
    package var port: UInt16

    /// A failure to parse, resolve, connect or listen.
    package struct Failure: Error, CustomStringConvertible {
        /// What went wrong, in words.
        package var description: String
    }

    package init(host: String, port: UInt16) {
        self.host = host
        self.port = port
    }

    /// Parses `host:port` or `[v6]:port`.
    package init(_ text: String) throws(Failure) {
        guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]) else {
            throw Failure(description: "\"\(text)\" is not host:port")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw Failure(description: "\"\(text)\" names no host") }
        self.host = host
        self.port = port
    }

    /// `host:port`, with brackets around an IPv6 address.
    package var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// Opens a TCP connection, close-on-exec, with Nagle's delay off (frames are small and
    /// each one is waited for).
    package func connect() throws(Failure) -> Int32 {
        var lastError = "no address"
        for address in try resolve(passive: false) {
            // Close-on-exec from the start: a process spawned meanwhile must not inherit it.
            let descriptor = socket(address.family, address.type | Int32(SOCK_CLOEXEC.rawValue), address.protocol)
            guard descriptor >= 0 else { continue }
            let connected = address.address.withUnsafeBytes {
                Glibc.connect(descriptor, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t($0.count))
            }
            if connected == 0 {
                Self.setNoDelay(descriptor)
                return descriptor
            }
            lastError = String(cString: strerror(errno))
            close(descriptor)
        }
        throw Failure(description: lastError)
    }

    /// A listening socket, close-on-exec, and the port it got.
    package func listen(backlog: Int32 = 128) throws(Failure) -> (descriptor: Int32, port: UInt16) {
        var lastError = "no address"
        for address in try resolve(passive: true) {
            // Close-on-exec from the start: a process spawned meanwhile must not inherit it.
            let descriptor = socket(address.family, address.type | Int32(SOCK_CLOEXEC.rawValue), address.protocol)
            guard descriptor >= 0 else { continue }
            var one: Int32 = 1
            setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            let bound = address.address.withUnsafeBytes {
                bind(descriptor, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t($0.count))
            }
            if bound == 0, Glibc.listen(descriptor, backlog) == 0 {
                var storage = sockaddr_storage()
                var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
                _ = withUnsafeMutablePointer(to: &storage) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
                }
                let port = withUnsafePointer(to: &storage) { pointer -> UInt16 in
                    pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) }
                }
                return (descriptor, port)
            }
            lastError = String(cString: strerror(errno))
            close(descriptor)
        }
        throw Failure(description: "cannot listen on \(self): \(lastError)")
    }

    /// Turns off Nagle's delay on a TCP socket.
    package static func setNoDelay(_ descriptor: Int32) {
        var one: Int32 = 1
        setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    private struct Resolved {
        var family: Int32
        var type: Int32
        var `protocol`: Int32
        var address: [UInt8]
    }

    private func resolve(passive: Bool) throws(Failure) -> [Resolved] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = passive ? AI_PASSIVE : 0
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let list else {
            throw Failure(description: "cannot resolve \(host): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(list) }
        var results: [Resolved] = []
        var entry: UnsafeMutablePointer<addrinfo>? = list
        while let current = entry {
            let info = current.pointee
            if let address = info.ai_addr {
                let bytes = Array(UnsafeRawBufferPointer(start: address, count: Int(info.ai_addrlen)))
                results.append(Resolved(family: info.ai_family, type: info.ai_socktype, protocol: info.ai_protocol, address: bytes))
            }
            entry = info.ai_next
        }
        return results
    }
}
