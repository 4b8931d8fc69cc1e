import Foundation

#if canImport(Glibc)
import Glibc
import TracemarkSystem
#endif

/// A TCP connection to a printer, driven with blocking calls bounded by `poll(2)` timeouts.
///
/// Raw TCP printers give no acknowledgement, so the socket is how we know how far a job got: a
/// write that makes no progress for the write timeout is a stall, and the job counts as delivered
/// only once every byte went out into the printer's receive window (`SIOCOUTQNSD` is 0). Only one thread uses
/// a socket at a time (the transport's gate); the descriptor is closed when the last reference goes.
final class PrinterSocket: Sendable {
    let fd: Int32

    private init(fd: Int32) {
        self.fd = fd
    }

    deinit {
        Glibc.close(fd)
    }

    /// Why a socket call did not finish.
    enum Failure: Error, Equatable {
        /// No progress within the time allowed.
        case timedOut
        /// The printer closed its side.
        case closedByPeer
        /// The connection failed (reset, unreachable), with the system's words.
        case failed(String)
    }

    /// Connects to every address `host` resolves to in turn, all within `timeout` seconds.
    static func connect(host: String, port: Int, timeout: Double) -> Result<PrinterSocket, Failure> {
        let deadline = Monotonic.now + timeout
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            return .failure(.failed("cannot resolve \(host): \(String(cString: gai_strerror(status)))"))
        }
        defer { freeaddrinfo(first) }
        var last = Failure.failed("no address for \(host)")
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let info = entry {
            entry = info.pointee.ai_next
            let fd = socket(info.pointee.ai_family,
                            info.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue | SOCK_NONBLOCK.rawValue),
                            info.pointee.ai_protocol)
            guard fd >= 0 else { last = .failed(errnoText(errno)); continue }
            let socket = PrinterSocket(fd: fd)
            // Queries are a few bytes that wait for an answer: never hold them back (Nagle).
            var yes: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &yes, socklen_t(MemoryLayout<Int32>.size))
            if Glibc.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 { return .success(socket) }
            guard errno == EINPROGRESS else { last = .failed(errnoText(errno)); continue }
            switch socket.wait(Int16(POLLOUT), until: deadline) {
            case .none:
                last = .timedOut
            case .some:
                var error: Int32 = 0
                var length = socklen_t(MemoryLayout<Int32>.size)
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
                if error == 0 { return .success(socket) }
                last = .failed(errnoText(error))
            }
            if Monotonic.now >= deadline { break }
        }
        return .failure(last)
    }

    /// Writes all of `bytes`, failing when the printer takes nothing for `stallTimeout` seconds.
    /// Returns how many bytes the kernel took, and why it stopped short.
    func send(_ bytes: UnsafeRawBufferPointer, stallTimeout: Double) -> (sent: Int, failure: Failure?) {
        guard let base = bytes.baseAddress else { return (0, nil) }
        var sent = 0
        var lastProgress = Monotonic.now
        while sent < bytes.count {
            let count = Glibc.send(fd, base + sent, bytes.count - sent, Int32(MSG_NOSIGNAL))
            if count > 0 {
                sent += count
                lastProgress = Monotonic.now
                continue
            }
            let error = errno
            if error == EINTR { continue }
            guard error == EAGAIN || error == EWOULDBLOCK else { return (sent, .failed(errnoText(error))) }
            guard wait(Int16(POLLOUT), until: lastProgress + stallTimeout) != nil else { return (sent, .timedOut) }
        }
        return (sent, nil)
    }

    /// Bytes written but not yet sent, because the printer's receive window is closed
    /// (`SIOCOUTQNSD`, Linux 2.6.35).
    var unsent: Int { outputQueue(0x894B) }

    private func outputQueue(_ request: UInt) -> Int {
        var value: Int32 = 0
        guard ioctl(fd, request, &value) == 0 else { return 0 }
        return Int(value)
    }

    /// Waits until every byte written has gone out to the printer, failing when the bytes still
    /// waiting do not shrink for `stallTimeout` seconds or the connection breaks. On failure,
    /// `pending` holds the bytes last seen waiting.
    ///
    /// "Gone out" means the printer's receive window took them: a printer that stops reading
    /// closes its window and the bytes stay unsent, which is the stall. It does not wait for the
    /// last acknowledgement, which a receiver may delay by 40 to 200 ms (delayed ACK) for nothing.
    func waitUntilSent(stallTimeout: Double, pending: inout Int) -> Failure? {
        pending = unsent
        let started = Monotonic.now
        var lastProgress = started
        // On loopback and a LAN the rest goes out within a millisecond or two: look every 50 µs to
        // 1 ms at first, then back off to 20 ms for a slow printer.
        var interval = 0.000_05
        while pending > 0 {
            if let error = pendingError() { return .failed(error) }
            if Monotonic.now - lastProgress > stallTimeout { return .timedOut }
            nap(seconds: interval)
            interval = min(interval * 2, Monotonic.now - started < 0.1 ? 0.001 : 0.02)
            let now = unsent
            if let error = pendingError() { return .failed(error) }
            if now < pending { lastProgress = Monotonic.now }
            pending = now
        }
        return pendingError().map(Failure.failed)
    }

    /// Reads what is there (waiting until `deadline` for the first byte) into `buffer`.
    func receive(into buffer: UnsafeMutableRawBufferPointer, until deadline: Double) -> Result<Int, Failure> {
        while true {
            let count = recv(fd, buffer.baseAddress, buffer.count, 0)
            if count > 0 { return .success(count) }
            if count == 0 { return .failure(.closedByPeer) }
            let error = errno
            if error == EINTR { continue }
            guard error == EAGAIN || error == EWOULDBLOCK else { return .failure(.failed(errnoText(error))) }
            guard wait(Int16(POLLIN), until: deadline) != nil else { return .failure(.timedOut) }
        }
    }

    /// Reads and drops whatever the printer sent and nobody asked for (so that a later answer is not
    /// mistaken for a stale one, and closing does not reset the connection). False when the printer
    /// has closed its side or the connection broke.
    @discardableResult
    func discardInput() -> Bool {
        var scratch = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = scratch.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if count > 0 { continue }
            if count == 0 { return false }
            let error = errno
            if error == EINTR { continue }
            return error == EAGAIN || error == EWOULDBLOCK
        }
    }

    /// Whether a kept connection can still be used: not closed or reset by the printer meanwhile.
    var isUsable: Bool {
        pendingError() == nil && discardInput()
    }

    /// Stops sending (the printer reads end of file) while still reading its answers.
    func shutdownWrite() {
        shutdown(fd, Int32(SHUT_WR))
    }

    /// After ``shutdownWrite()``: waits for the printer to close its side, until `deadline`.
    /// True when it did.
    func waitForPeerClose(until deadline: Double) -> Bool {
        var scratch = [UInt8](repeating: 0, count: 4096)
        while true {
            let result = scratch.withUnsafeMutableBytes { receive(into: $0, until: deadline) }
            switch result {
            case .success: continue
            case .failure(.closedByPeer): return true
            case .failure(.timedOut): return false
            case .failure(.failed): return true
            }
        }
    }

    /// The socket's pending error, if the connection broke.
    private func pendingError() -> String? {
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0, error != 0 else { return nil }
        return errnoText(error)
    }

    /// Waits for `events` until `deadline` (monotonic seconds); the events seen, or nil on timeout.
    private func wait(_ events: Int16, until deadline: Double) -> Int16? {
        var entry = pollfd(fd: fd, events: events, revents: 0)
        while true {
            let remaining = deadline - Monotonic.now
            guard remaining > 0 else { return nil }
            let result = poll(&entry, 1, Int32(min(remaining * 1000, 3_600_000).rounded(.up)))
            if result > 0 { return entry.revents }
            if result == 0 { return nil }
            if errno != EINTR { return Int16(POLLERR) }
        }
    }

    /// Sleeps briefly (below a millisecond, which `poll` cannot).
    private func nap(seconds: Double) {
        var time = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - seconds.rounded(.down)) * 1e9))
        _ = nanosleep(&time, nil)
    }
}
