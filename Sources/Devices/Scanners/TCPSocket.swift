import Foundation

#if canImport(Glibc)
import Glibc
import TracemarkSystem
#endif

/// A connected TCP socket; closed when the last reference goes.
final class TCPSocket: Sendable {
    let fd: Int32

    init(fd: Int32) {
        self.fd = fd
    }

    deinit {
        close(fd)
    }

    enum Connection {
        case connected(TCPSocket)
        case failed(String)
        case stopped
    }

    /// Connects to `host`:`port` (every address the name resolves to, in order), waiting at most
    /// `timeout` for each, and returns early when the reader is stopped.
    static func connect(host: String, port: UInt16, timeout: Duration, _ context: ReaderContext) -> Connection {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            return .failed("cannot resolve \(host): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(first) }
        var lastError = "no address for \(host)"
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let info = entry {
            entry = info.pointee.ai_next
            let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue | SOCK_NONBLOCK.rawValue),
                            info.pointee.ai_protocol)
            guard fd >= 0 else { lastError = errnoText(errno); continue }
            let socket = TCPSocket(fd: fd)
            if Glibc.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 { return .connected(socket) }
            guard errno == EINPROGRESS else { lastError = errnoText(errno); continue }
            switch context.wait(for: [fd], events: Int16(POLLOUT), timeout: timeout) {
            case .stopped:
                return .stopped
            case .timedOut:
                lastError = "timed out after \(timeout)"
            case .ready:
                var error: Int32 = 0
                var length = socklen_t(MemoryLayout<Int32>.size)
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
                if error == 0 { return .connected(socket) }
                lastError = errnoText(error)
            }
        }
        return .failed(lastError)
    }
}

/// A listening TCP socket for network scanners that connect to us. It is bound when created, so
/// the port (also an ephemeral one, port 0) is known before any scan is read.
public final class TCPListener: Sendable {
    let fd: Int32
    /// The address it listens on.
    public let host: String
    /// The port it listens on (the one the system chose when 0 was asked for).
    public let port: UInt16

    /// Binds `host` (an IPv4 address, or a name this machine resolves to one such as
    /// `localhost`; loopback by default, `0.0.0.0` for every interface) and `port`, and listens.
    public init(host: String = "127.0.0.1", port: UInt16) throws(DevicesError) {
        let where_ = "\(host):\(port)"
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        if inet_pton(AF_INET, host, &address.sin_addr) != 1 {
            // A name (`localhost`, the machine's own): its first IPv4 address. It was refused as
            // "not an IPv4 address", and serve ran the station without its scanner.
            guard let resolved = Self.ipv4(of: host) else {
                throw DevicesError(.invalidAddress, "cannot listen on \(where_): \(host) is neither an IPv4 address nor a name this machine resolves to one", device: where_)
            }
            address.sin_addr = resolved
        }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue | SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw DevicesError(.io, "cannot create a socket: \(errnoText(errno))", device: where_) }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            let error = errno
            close(fd)
            let hint = error == EADDRINUSE ? " (another program listens there)" : error == EACCES ? " (ports below 1024 need privileges)" : ""
            throw DevicesError(.io, "cannot listen on \(where_): \(errnoText(error))\(hint)", device: where_, cause: errnoText(error))
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        self.fd = fd
        self.host = host
        self.port = UInt16(bigEndian: actual.sin_port)
    }

    deinit {
        close(fd)
    }

    /// The first IPv4 address `name` resolves to (hosts file or DNS), if any.
    static func ipv4(of name: String) -> in_addr? {
        var hints = addrinfo()
        hints.ai_family = AF_INET
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var found: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(name, nil, &hints, &found) == 0, let first = found else { return nil }
        defer { freeaddrinfo(first) }
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let current = entry {
            if current.pointee.ai_family == AF_INET, let address = current.pointee.ai_addr {
                return address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr }
            }
            entry = current.pointee.ai_next
        }
        return nil
    }

    enum Accepted {
        /// A client, its peer as `tcp://address:port`, and its address.
        case client(TCPSocket, String, String)
        /// None waits (or it went away before it was taken).
        case none
        /// The process or the system is out of descriptors or memory: the connection still waits.
        case exhausted(Int32)
    }

    /// The next waiting connection.
    func accept() -> Accepted {
        var peer = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let client = withUnsafeMutablePointer(to: &peer) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.accept(fd, $0, &length) }
        }
        guard client >= 0 else {
            let error = errno
            return [EMFILE, ENFILE, ENOBUFS, ENOMEM].contains(error) ? .exhausted(error) : .none
        }
        setNonBlockingCloseOnExec(client)
        var text = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
        inet_ntop(AF_INET, &peer.sin_addr, &text, socklen_t(text.count))
        let address = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return .client(TCPSocket(fd: client), "tcp://\(address):\(UInt16(bigEndian: peer.sin_port))", address)
    }
}
