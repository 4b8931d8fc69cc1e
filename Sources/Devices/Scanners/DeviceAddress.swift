public import Logging

/// Where scans come from, as written on the command line and in configuration files:
///
/// - `usb:05e0:1200` (vendor:product, hex), `usb:05e0` (any product of the vendor), `usb` (the
///   first keyboard-mode scanner); query `?interface=0&protocol=pos`
/// - `serial:/dev/ttyACM0?baud=9600&bits=8&parity=none&stop=1&flow=none&end=cr&timeout=50&prefix=&suffix=`
///   (timeout in milliseconds; prefix and suffix percent-encoded)
/// - `tcp://HOST:PORT` (connect to a network scanner), `tcp-listen://0.0.0.0:PORT` (scanners connect to us)
/// - `stdin`
public enum DeviceAddress: Hashable, Sendable, CustomStringConvertible {
    case usb(USBScanSource.Configuration)
    case serial(SerialConfiguration)
    case tcp(host: String, port: UInt16)
    case tcpListen(host: String, port: UInt16)
    case standardInput

    /// Reads an address, saying what is wrong with a bad one.
    public init(parsing text: String) throws(DevicesError) {
        let (base, query) = try Self.splitQuery(text)
        func bad(_ why: String) -> DevicesError {
            DevicesError(.invalidAddress,
                         "device \"\(text)\": \(why) (write usb:VID:PID, serial:/dev/ttyACM0?baud=9600, tcp://HOST:PORT, tcp-listen://0.0.0.0:PORT or stdin)",
                         device: text)
        }
        if base == "stdin" || base == "-" {
            self = .standardInput
        } else if base == "usb" || base.hasPrefix("usb:") {
            let ids = base == "usb" ? [] : base.dropFirst(4).split(separator: ":", omittingEmptySubsequences: false)
            guard ids.count <= 2, ids.allSatisfy({ $0.count <= 4 && UInt16($0, radix: 16) != nil }) else {
                throw bad("vendor and product ids are 4 hex digits, as `tracemark devices` shows them")
            }
            var configuration = USBScanSource.Configuration(vendorID: ids.first.flatMap { UInt16($0, radix: 16) },
                                                            productID: ids.count > 1 ? UInt16(ids[1], radix: 16) : nil)
            for (key, value) in query {
                switch key {
                case "interface":
                    guard let number = UInt8(value) else { throw bad("interface is a number") }
                    configuration.interfaceNumber = number
                case "protocol":
                    guard let reportProtocol = USBScanSource.ReportProtocol(rawValue: value) else {
                        throw bad("protocol is automatic, keyboard or pos")
                    }
                    configuration.reportProtocol = reportProtocol
                default:
                    throw bad("unknown setting \(key)")
                }
            }
            self = .usb(configuration)
        } else if base.hasPrefix("serial:") {
            let path = String(base.dropFirst(7))
            guard path.hasPrefix("/") else { throw bad("the serial device is a path such as /dev/ttyACM0") }
            var configuration = SerialConfiguration(path: path)
            for (key, value) in query {
                switch key {
                case "baud":
                    guard let baud = Int(value) else { throw bad("baud is a number") }
                    configuration.baudRate = baud
                case "bits", "databits":
                    guard let bits = Int(value) else { throw bad("bits is 5, 6, 7 or 8") }
                    configuration.dataBits = bits
                case "parity":
                    switch value.lowercased() {
                    case "none", "n": configuration.parity = .none
                    case "even", "e": configuration.parity = .even
                    case "odd", "o": configuration.parity = .odd
                    default: throw bad("parity is none, even or odd")
                    }
                case "stop", "stopbits":
                    guard let stop = Int(value) else { throw bad("stop is 1 or 2") }
                    configuration.stopBits = stop
                case "flow":
                    switch value.lowercased() {
                    case "none": configuration.flowControl = .none
                    case "hardware", "rtscts": configuration.flowControl = .hardware
                    case "software", "xonxoff": configuration.flowControl = .software
                    default: throw bad("flow is none, hardware or software")
                    }
                case "end":
                    guard let end = ScanFraming.LineEnd(rawValue: value.lowercased()) else { throw bad("end is cr, lf, crlf or any") }
                    configuration.framing.lineEnd = end
                case "timeout":
                    guard let milliseconds = Int(value), milliseconds > 0 else { throw bad("timeout is milliseconds, above 0") }
                    configuration.framing.interCharacterTimeout = .milliseconds(milliseconds)
                case "prefix":
                    configuration.framing.prefix = Array(value.utf8)
                case "suffix":
                    configuration.framing.suffix = Array(value.utf8)
                default:
                    throw bad("unknown setting \(key)")
                }
            }
            try configuration.validate()
            self = .serial(configuration)
        } else if base.hasPrefix("tcp://") || base.hasPrefix("tcp-listen://") {
            let listens = base.hasPrefix("tcp-listen://")
            let rest = base.dropFirst(listens ? 13 : 6)
            guard let colon = rest.lastIndex(of: ":"), let port = UInt16(rest[rest.index(after: colon)...]) else {
                throw bad("a TCP address needs a port: tcp://HOST:PORT")
            }
            var host = String(rest[..<colon])
            if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            if listens {
                self = .tcpListen(host: host.isEmpty ? "0.0.0.0" : host, port: port)
            } else {
                guard !host.isEmpty, port != 0 else { throw bad("connecting needs a host and a port above 0") }
                self = .tcp(host: host, port: port)
            }
        } else {
            throw bad("unknown kind of device")
        }
    }

    /// The source for this address. Keyboard-mode USB scanners decode through `keyboard`;
    /// `waitsForDevice` false makes a device missing at the start an error.
    public func makeSource(keyboard: KeyboardDecoder.Options = KeyboardDecoder.Options(), waitsForDevice: Bool = true,
                           logger: Logger = Logger(label: "tracemark.devices")) throws(DevicesError) -> any ScanSource {
        switch self {
        case .usb(var configuration):
            configuration.keyboard = keyboard
            configuration.waitsForDevice = waitsForDevice
            return USBScanSource(configuration, logger: logger)
        case .serial(let configuration):
            return SerialScanSource(configuration, waitsForDevice: waitsForDevice, logger: logger)
        case .tcp(let host, let port):
            return TCPScanSource(host: host, port: port, logger: logger)
        case .tcpListen(let host, let port):
            return TCPScanSource(listener: try TCPListener(host: host, port: port), logger: logger)
        case .standardInput:
            return StandardInputSource(logger: logger)
        }
    }

    public var description: String {
        switch self {
        case .usb(let configuration): "usb:\(configuration.match)"
        case .serial(let configuration): "serial:\(configuration.path)"
        case .tcp(let host, let port): "tcp://\(host):\(port)"
        case .tcpListen(let host, let port): "tcp-listen://\(host):\(port)"
        case .standardInput: "stdin"
        }
    }

    private static func splitQuery(_ text: String) throws(DevicesError) -> (String, [(String, String)]) {
        guard let mark = text.firstIndex(of: "?") else { return (text, []) }
        var pairs: [(String, String)] = []
        for item in text[text.index(after: mark)...].split(separator: "&") {
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = String(parts[0]).lowercased()
            let raw = parts.count > 1 ? String(parts[1]) : ""
            guard let value = percentDecoded(raw) else {
                throw DevicesError(.invalidAddress, "device \"\(text)\": \(key) has a bad %-escape", device: text)
            }
            pairs.append((key, value))
        }
        return (String(text[..<mark]), pairs)
    }

    /// `%1D` and friends decoded, so a prefix can hold any byte.
    private static func percentDecoded(_ text: String) -> String? {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%") {
                guard let high = iterator.next(), let low = iterator.next(),
                      let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16) else { return nil }
                bytes.append(value)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
