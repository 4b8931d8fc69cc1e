/// How a serial scanner (RS-232, USB CDC-ACM, USB serial adapter) is opened and read.
public struct SerialConfiguration: Hashable, Sendable {
    /// Parity bit.
    public enum Parity: String, Hashable, Sendable, CaseIterable {
        case none, even, odd
    }

    /// Flow control.
    public enum FlowControl: String, Hashable, Sendable, CaseIterable {
        /// None (most scanners).
        case none
        /// RTS/CTS lines.
        case hardware
        /// XON/XOFF characters.
        case software
    }

    /// The device, e.g. `/dev/ttyACM0` or a stable `/dev/serial/by-id/…` link.
    public var path: String
    /// Bits per second: one of the standard rates from 50 to 4 000 000.
    public var baudRate: Int
    /// Data bits, 5 to 8.
    public var dataBits: Int
    /// Parity bit (none by default).
    public var parity: Parity
    /// Stop bits, 1 or 2.
    public var stopBits: Int
    /// Flow control (none by default).
    public var flowControl: FlowControl
    /// How the byte stream is cut into scans (CR by default, as most serial scanners send).
    public var framing: ScanFraming
    /// How often to try again while the device is missing (unplugged adapter).
    public var reopenInterval: Duration

    /// 9600 8N1 without flow control, scans ending at CR, unless told otherwise.
    public init(path: String, baudRate: Int = 9600, dataBits: Int = 8, parity: Parity = .none, stopBits: Int = 1,
                flowControl: FlowControl = .none, framing: ScanFraming = ScanFraming(lineEnd: .cr),
                reopenInterval: Duration = .milliseconds(500)) {
        self.path = path
        self.baudRate = baudRate
        self.dataBits = dataBits
        self.parity = parity
        self.stopBits = stopBits
        self.flowControl = flowControl
        self.framing = framing
        self.reopenInterval = reopenInterval
    }

    /// The standard rates termios knows.
    public static let baudRates = [50, 75, 110, 134, 150, 200, 300, 600, 1200, 1800, 2400, 4800, 9600, 19200, 38400,
                                   57600, 115200, 230400, 460800, 500000, 576000, 921600, 1000000, 1152000, 1500000,
                                   2000000, 2500000, 3000000, 3500000, 4000000]

    /// Refuses settings no serial port takes, saying which.
    public func validate() throws(DevicesError) {
        guard Self.baudRates.contains(baudRate) else {
            throw DevicesError(.invalidConfiguration,
                               "\(path): \(baudRate) baud is not a standard rate (use one of \(Self.baudRates.map(String.init).joined(separator: ", ")))",
                               device: path)
        }
        guard (5...8).contains(dataBits) else {
            throw DevicesError(.invalidConfiguration, "\(path): \(dataBits) data bits: use 5, 6, 7 or 8", device: path)
        }
        guard stopBits == 1 || stopBits == 2 else {
            throw DevicesError(.invalidConfiguration, "\(path): \(stopBits) stop bits: use 1 or 2", device: path)
        }
    }
}
