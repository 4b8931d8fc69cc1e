import Foundation

#if canImport(Glibc)
import Glibc
import TracemarkSystem
#endif

/// An open serial port in raw mode, configured through termios; closed when released.
final class SerialPort: Sendable {
    let fd: Int32
    let path: String

    /// Opens `configuration.path` without becoming its controlling terminal, sets it raw with the
    /// configured speed and framing, and drops whatever was waiting in its input buffer.
    init(_ configuration: SerialConfiguration) throws(DevicesError) {
        try configuration.validate()
        let path = configuration.path
        let fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw Self.openError(path, errno) }
        // One reader per port: two would each take some of the scans (a station and `tracemark
        // scan`, or two stations naming the port by two paths). The lock is on the device itself,
        // whatever link or path named it, and goes with the descriptor.
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let error = errno
            close(fd)
            throw Self.openError(path, error == EWOULDBLOCK ? EBUSY : error)
        }
        var settings = termios()
        guard tcgetattr(fd, &settings) == 0 else {
            let error = errno
            close(fd)
            throw DevicesError(.io, "\(path) is not a terminal: \(errnoText(error))", device: path, cause: errnoText(error))
        }
        Self.apply(configuration, to: &settings)
        guard tcsetattr(fd, TCSANOW, &settings) == 0 else {
            let error = errno
            close(fd)
            throw DevicesError(.invalidConfiguration, "\(path) refused its settings: \(errnoText(error))", device: path,
                               cause: errnoText(error))
        }
        tcflush(fd, TCIFLUSH)
        self.fd = fd
        self.path = path
    }

    deinit {
        close(fd)
    }

    /// Raw mode (no echo, no line editing, no CR/LF translation, no signals), the speed, data
    /// bits, parity, stop bits and flow control; reads return at once (`poll` does the waiting).
    static func apply(_ configuration: SerialConfiguration, to settings: inout termios) {
        cfmakeraw(&settings)
        let speed = speedConstant(configuration.baudRate)
        cfsetispeed(&settings, speed)
        cfsetospeed(&settings, speed)
        settings.c_cflag &= ~tcflag_t(CSIZE)
        switch configuration.dataBits {
        case 5: settings.c_cflag |= tcflag_t(CS5)
        case 6: settings.c_cflag |= tcflag_t(CS6)
        case 7: settings.c_cflag |= tcflag_t(CS7)
        default: settings.c_cflag |= tcflag_t(CS8)
        }
        settings.c_cflag &= ~tcflag_t(PARENB | PARODD)
        settings.c_iflag &= ~tcflag_t(INPCK | ISTRIP)
        switch configuration.parity {
        case .none: break
        case .even:
            settings.c_cflag |= tcflag_t(PARENB)
            settings.c_iflag |= tcflag_t(INPCK)
        case .odd:
            settings.c_cflag |= tcflag_t(PARENB | PARODD)
            settings.c_iflag |= tcflag_t(INPCK)
        }
        if configuration.stopBits == 2 { settings.c_cflag |= tcflag_t(CSTOPB) } else { settings.c_cflag &= ~tcflag_t(CSTOPB) }
        settings.c_cflag &= ~crtscts
        settings.c_iflag &= ~tcflag_t(IXON | IXOFF | IXANY)
        switch configuration.flowControl {
        case .none: break
        case .hardware: settings.c_cflag |= crtscts
        case .software: settings.c_iflag |= tcflag_t(IXON | IXOFF)
        }
        settings.c_cflag |= tcflag_t(CLOCAL | CREAD)
        withUnsafeMutableBytes(of: &settings.c_cc) { cc in
            cc[Int(VMIN)] = 0
            cc[Int(VTIME)] = 0
        }
    }

    /// `CRTSCTS` (Linux): the macro is an octal literal too wide for Swift's importer.
    static let crtscts: tcflag_t = 0o20000000000

    /// The termios constant for a standard rate (validated before).
    static func speedConstant(_ baud: Int) -> speed_t {
        let table: [Int: Int32] = [
            50: B50, 75: B75, 110: B110, 134: B134, 150: B150, 200: B200, 300: B300, 600: B600, 1200: B1200,
            1800: B1800, 2400: B2400, 4800: B4800, 9600: B9600, 19200: B19200, 38400: B38400, 57600: B57600,
            115200: B115200, 230400: B230400, 460800: B460800, 500000: B500000, 576000: B576000, 921600: B921600,
            1000000: B1000000, 1152000: B1152000, 1500000: B1500000, 2000000: B2000000, 2500000: B2500000,
            3000000: B3000000, 3500000: B3500000, 4000000: B4000000,
        ]
        return speed_t(table[baud] ?? B9600)
    }

    /// The baud rate a termios speed constant stands for (for tests and `devices`).
    static func baudRate(_ speed: speed_t) -> Int? {
        SerialConfiguration.baudRates.first { speedConstant($0) == speed }
    }

    /// Says why a device could not be opened and what to do.
    static func openError(_ path: String, _ error: Int32) -> DevicesError {
        switch error {
        case ENOENT, ENXIO, ENODEV:
            DevicesError(.noDevice, "\(path) does not exist: is the scanner or adapter plugged in? (`tracemark devices` lists serial ports)",
                         device: path, cause: errnoText(error))
        case EACCES, EPERM:
            DevicesError(.permissionDenied,
                         "permission denied on \(path): add the service user to the device's group (usually dialout) or install the udev rules in udev/",
                         device: path, cause: errnoText(error))
        case EBUSY:
            DevicesError(.deviceBusy, "\(path) is in use by another program\(holders(of: path))", device: path, cause: errnoText(error))
        default:
            DevicesError(.io, "cannot open \(path): \(errnoText(error))", device: path, cause: errnoText(error))
        }
    }
}
