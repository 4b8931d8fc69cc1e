#if canImport(Glibc)
import Glibc
#endif

/// How long a TCP connection may go without a word from its peer's side before it is given up:
/// a host powered off or rebooted, or a handheld or tablet gone out of Wi-Fi range, sends nothing
/// that says so. Without keepalives the kernel keeps such a connection for hours, and with data
/// unacknowledged it retransmits for about fifteen minutes: a fixed scanner that rebooted is never
/// connected to again, a handheld that roamed keeps its old place among `max-clients`, a station
/// page that vanished keeps its place among the event feed's clients. A peer that is only idle is
/// not affected: its TCP stack answers the probes.
public struct TCPKeepalive: Hashable, Sendable {
    /// About how many seconds a silent peer is given (0: keepalives off, the kernel's hours).
    public var seconds: Int

    /// 25 s unless told otherwise.
    public init(seconds: Int = 25) {
        self.seconds = seconds
    }

    /// Silence before the first probe, the time between probes, and the probes that go unanswered
    /// before the connection is dropped: 10, 5 and 3 for 25 s.
    package var idle: Int32 { Int32(max(1, seconds * 2 / 5)) }
    package var interval: Int32 { Int32(max(1, seconds / 5)) }
    package var probes: Int32 { 3 }
    /// Milliseconds that data sent may stay unacknowledged (`TCP_USER_TIMEOUT`), for a side that
    /// writes: keepalives probe only a connection with nothing in flight.
    package var userTimeout: Int32 { Int32(clamping: seconds * 1000) }

    /// Turns keepalives on for the connected socket `fd` (nothing when off), and the user timeout
    /// when `writing`.
    package func apply(to fd: Int32, writing: Bool = false) {
        guard seconds > 0 else { return }
        var on: Int32 = 1, idle = idle, interval = interval, probes = probes, userTimeout = userTimeout
        let size = socklen_t(MemoryLayout<Int32>.size)
        setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, size)
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_KEEPIDLE, &idle, size)
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_KEEPINTVL, &interval, size)
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_KEEPCNT, &probes, size)
        if writing {
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_USER_TIMEOUT, &userTimeout, size)
        }
    }
}
