#if canImport(Glibc)
public import Glibc
#endif

/// A real pseudo-terminal pair, standing in for a serial scanner's cable: the test holds the
/// master side (the scanner's end), and the code under test opens the slave's path as it would
/// `/dev/ttyACM0`.
public final class PseudoTerminal {
    public let master: Int32
    public let slavePath: String

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// What posix_openpt, grantpt, unlockpt and ptsname do on Linux (the Swift Glibc module does not
    /// show those XSI functions): open the multiplexer, unlock the slave, ask its number.
    public init() throws {
        master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard master >= 0 else { throw Failure(description: "cannot open /dev/ptmx: \(String(cString: strerror(errno)))") }
        var unlock: Int32 = 0
        var number: UInt32 = 0
        guard ioctl(master, Self.setLock, &unlock) == 0, ioctl(master, Self.getNumber, &number) == 0 else {
            close(master)
            throw Failure(description: "cannot unlock the pseudo-terminal: \(String(cString: strerror(errno)))")
        }
        slavePath = "/dev/pts/\(number)"
    }

    /// TIOCSPTLCK = _IOW('T', 0x31, int) and TIOCGPTN = _IOR('T', 0x30, unsigned int).
    private static let setLock: UInt = 0x4004_5431
    private static let getNumber: UInt = 0x8004_5430

    deinit {
        close(master)
    }

    /// The slave's settings, as the code under test left them (on Linux the master reports the slave's termios).
    public var settings: termios {
        var settings = termios()
        tcgetattr(master, &settings)
        return settings
    }

    /// True once the terminal is in raw mode (no line editing, no CR→LF).
    public var isRaw: Bool {
        let settings = settings
        return settings.c_lflag & tcflag_t(ICANON | ECHO) == 0 && settings.c_iflag & tcflag_t(ICRNL) == 0
    }

    /// Writes as the scanner would.
    public func write(_ text: String) { write(Array(text.utf8)) }

    public func write(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.write(master, $0.baseAddress, $0.count) }
            if written < 0, errno == EINTR { continue }
            guard written > 0 else { return }
            offset += written
        }
    }
}
