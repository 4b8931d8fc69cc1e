import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A TCP socket bound to a free port on 127.0.0.1, listening or not.
public struct LoopbackSocket: Sendable {
    public let descriptor: Int32
    public let port: Int

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Binds to `port`, or to a port the kernel chooses; with `backlog`, listens too. A given
    /// port is bound with SO_REUSEADDR, so that one just given up (in TIME_WAIT) may be taken again.
    public static func bind(port: Int = 0, listening backlog: Int32? = nil) throws -> LoopbackSocket {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: \(String(cString: strerror(errno)))") }
        if port != 0 {
            var reuse: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ready = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                Glibc.bind(fd, pointer, length) == 0 && (backlog.map { listen(fd, $0) == 0 } ?? true)
                    && getsockname(fd, pointer, &length) == 0
            }
        }
        guard ready else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw Failure(description: "bind\(backlog == nil ? "" : "/listen") on 127.0.0.1\(port == 0 ? "" : ":\(port)"): \(reason)")
        }
        return LoopbackSocket(descriptor: fd, port: Int(UInt16(bigEndian: address.sin_port)))
    }
}

/// A loopback TCP port that is bound but never listens: connecting to it is refused at once,
/// like a printer that is switched off. Holding the port keeps tests running side by side from
/// being given it, which a stopped listener's port cannot promise.
public final class ClosedPort: Sendable {
    public let port: Int
    private let descriptor: Int32

    public init() throws {
        let socket = try LoopbackSocket.bind()
        descriptor = socket.descriptor
        port = socket.port
    }

    deinit {
        close(descriptor)
    }
}

/// A listener on a given loopback port that never accepts: connections to it are made (the
/// kernel completes them) and then hear nothing, as from a server gone from the network or a
/// port another program took over. Closed when released.
public final class SilentListener: Sendable {
    public let port: Int
    private let descriptor: Int32

    /// Listens on 127.0.0.1:`port` (a port just given up, in TIME_WAIT, may be taken again).
    public init(port: Int) throws {
        let socket = try LoopbackSocket.bind(port: port, listening: 64)
        descriptor = socket.descriptor
        self.port = port
    }

    deinit {
        close(descriptor)
    }
}

extension LoopbackSocket {
    /// A loopback port that was free a moment ago (bound, then released). Only for addresses a
    /// test gives to something that listens itself (a `tcp-listen://` scanner, `serve`'s HTTP):
    /// for a port nothing may answer on, hold a ``ClosedPort``.
    ///
    /// Such a port is often not listened on for a while after it is handed out (a station
    /// standing by, a service not started yet), and whoever asks next must not be given it. So
    /// no port is handed out twice in one process, and they come from 10000–19999: below the
    /// kernel's ephemeral range (32768–60999), where port 0, the scripts' servers and every
    /// outgoing connection take theirs, and apart from the simulated printers' 20000–32767.
    public static func freePort() throws -> Int {
        for _ in 0..<256 {
            let port = Int.random(in: 10_000..<20_000)
            guard handedOut.withLock({ $0.insert(port).inserted }) else { continue }
            if let socket = try? bind(port: port) {
                close(socket.descriptor)
                return port
            }
        }
        throw Failure(description: "no free loopback port left in 10000–19999 after 256 tries")
    }

    /// The ports ``freePort()`` handed out (or found taken) in this process.
    private static let handedOut = Mutex<Set<Int>>([])
}

extension LoopbackSocket {
    /// Connects to 127.0.0.1:`port`, writes `bytes` and closes: what a network scanner does.
    /// Returns false when nothing accepts the connection.
    @discardableResult
    public static func send(_ bytes: [UInt8], to port: Int) -> Bool {
        guard let fd = connection(to: port) else { return false }
        defer { close(fd) }
        return write(bytes, to: fd)
    }

    /// A connection to 127.0.0.1:`port` that stays open (a scanner that keeps its connection),
    /// or nil when nothing accepts it; the caller closes it.
    public static func connection(to port: Int) -> Int32? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { close(fd); return nil }
        return fd
    }

    /// Writes all of `bytes` to `fd`; false when the connection refused them.
    @discardableResult
    public static func write(_ bytes: [UInt8], to fd: Int32) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if written < 0 { if errno == EINTR { continue }; return false }
            offset += written
        }
        return true
    }
}
