public import Logging
public import TracemarkSystem

/// Where scans come from, as written on the command line and in configuration files:
///
/// - `usb:05e0:1200` (vendor:product, hex), `usb:05e0` (any product of the vendor), `usb` (the
///   first keyboard-mode scanner); query `?interface=0&protocol=pos`
/// - `serial:/dev/ttyACM0?baud=9600&bits=8&parity=none&stop=1&flow=none&end=cr&timeout=50&prefix=&suffix=`
///   (timeout in milliseconds; prefix and suffix percent-encoded)
/// - `tcp://HOST:PORT` (connect to a network scanner), `tcp-listen://127.0.0.1:PORT` (scanners connect
///   to us; loopback when the host is left out, `0.0.0.0` for every interface); query
///   `?allow=10.0.0.0/8,192.168.1.20&max-clients=16`; both take `keepalive=SECONDS` (25 unless
///   told, 0 off): a scanner whose side went silent (powered off, out of range) is given up then
/// - `stdin`
public enum DeviceAddress: Hashable, Sendable, CustomStringConvertible {
    case usb(USBScanSource.Configuration)
    case serial(SerialConfiguration)
    case tcp(host: String, port: UInt16, keepalive: TCPKeepalive = TCPKeepalive())
    case tcpListen(host: String, port: UInt16, access: TCPAccess = TCPAccess(), keepalive: TCPKeepalive = TCPKeepalive())
    case standardInput

    /// Reads an address, saying what is wrong with a bad one.
    public init(parsing text: String) throws(DevicesError) {
        let (base, query) = try Self.splitQuery(text)
        func bad(_ why: String) -> DevicesError {
            DevicesError(.invalidAddress,
                         "device \"\(text)\": \(why) (write usb:VID:PID, serial:/dev/ttyACM0?baud=9600, tcp://HOST:PORT, tcp-listen://127.0.0.1:PORT or stdin)",
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
            guard let colon = rest.lastIndex(of: ":") else { throw bad("a TCP address needs a port: tcp://HOST:PORT") }
            let given = rest[rest.index(after: colon)...]
            guard let port = UInt16(given) else {
                throw bad(given.isEmpty ? "a TCP address needs a port: tcp://HOST:PORT" : "port \(given) is not a TCP port, 0 to 65535")
            }
            var host = String(rest[..<colon])
            if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            var keepalive = TCPKeepalive()
            if let value = query.last(where: { $0.0 == "keepalive" })?.1 {
                guard let seconds = Int(value), (0...3600).contains(seconds) else {
                    throw bad("keepalive is the seconds a silent scanner is given, from 0 (off) to 3600, not \(value)")
                }
                keepalive.seconds = seconds
            }
            if listens {
                var access = TCPAccess()
                for (key, value) in query where key != "keepalive" {
                    switch key {
                    case "allow":
                        for item in value.split(separator: ",") {
                            guard let network = TCPAccess.Network(parsing: String(item)) else {
                                throw bad("allow takes IPv4 addresses and networks (10.0.0.0/8), not \(item)")
                            }
                            access.allow.append(network)
                        }
                    case "max-clients":
                        guard let count = Int(value), (1...1024).contains(count) else { throw bad("max-clients is a number from 1 to 1024") }
                        access.maxClients = count
                    default:
                        throw bad("unknown setting \(key) (tcp-listen takes allow, max-clients and keepalive)")
                    }
                }
                // Loopback unless an address is given: a listening port is open to whoever reaches it.
                self = .tcpListen(host: host.isEmpty ? "127.0.0.1" : host, port: port, access: access, keepalive: keepalive)
            } else {
                if let (key, _) = query.first(where: { $0.0 != "keepalive" }) { throw bad("unknown setting \(key) (tcp:// takes keepalive)") }
                guard !host.isEmpty, port != 0 else { throw bad("connecting needs a host and a port above 0") }
                self = .tcp(host: host, port: port, keepalive: keepalive)
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
        case .serial(var configuration):
            configuration.framing = Self.framing(configuration.framing, keyboard)
            return SerialScanSource(configuration, waitsForDevice: waitsForDevice, logger: logger)
        case .tcp(let host, let port, let keepalive):
            return TCPScanSource(host: host, port: port, framing: Self.framing(.lines, keyboard), keepalive: keepalive, logger: logger)
        case .tcpListen(let host, let port, let access, let keepalive):
            return TCPScanSource(listener: try TCPListener(host: host, port: port), access: access, framing: Self.framing(.lines, keyboard),
                                 keepalive: keepalive, logger: logger)
        case .standardInput:
            return StandardInputSource(framing: Self.framing(.lines, keyboard), dropsUnendedLastLine: waitsForDevice, logger: logger)
        }
    }

    /// `framing` with the station's GS substitute (a byte stream's scanner is set to send the same
    /// text for GS as a keyboard-wedge one).
    private static func framing(_ framing: ScanFraming, _ keyboard: KeyboardDecoder.Options) -> ScanFraming {
        var framing = framing
        framing.groupSeparatorSubstitute = Array((keyboard.groupSeparatorSubstitute ?? "").utf8)
        return framing
    }

    public var description: String {
        switch self {
        case .usb(let configuration): "usb:\(configuration.match)"
        case .serial(let configuration): "serial:\(configuration.path)"
        case .tcp(let host, let port, _): "tcp://\(host):\(port)"
        case .tcpListen(let host, let port, _, _): "tcp-listen://\(host):\(port)"
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

/// Who may connect to a `tcp-listen` scanner port, and how many at once.
public struct TCPAccess: Hashable, Sendable {
    /// IPv4 networks a client's address must be in; empty: any.
    public var allow: [Network] = []
    /// Clients at once; a client beyond it is closed at once (logged).
    public var maxClients = 16

    public init() {}

    public struct Network: Hashable, Sendable {
        public var address: UInt32
        public var prefix: Int

        /// `192.168.1.20` or `10.0.0.0/8`.
        public init?(parsing text: String) {
            let parts = text.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count <= 2, let address = Self.ipv4(String(parts[0])) else { return nil }
            let prefix = parts.count == 2 ? Int(parts[1]) : 32
            guard let prefix, (0...32).contains(prefix) else { return nil }
            self.address = address
            self.prefix = prefix
        }

        func contains(_ address: UInt32) -> Bool {
            let mask: UInt32 = prefix == 0 ? 0 : ~UInt32(0) << UInt32(32 - prefix)
            return address & mask == self.address & mask
        }

        static func ipv4(_ text: String) -> UInt32? {
            let octets = text.split(separator: ".", omittingEmptySubsequences: false)
            guard octets.count == 4 else { return nil }
            var value: UInt32 = 0
            for octet in octets {
                guard octet.count <= 3, let byte = UInt8(octet) else { return nil }
                value = value << 8 | UInt32(byte)
            }
            return value
        }
    }

    /// Whether a client at `address` (dotted IPv4) may connect.
    public func allows(_ address: String) -> Bool {
        guard !allow.isEmpty else { return true }
        guard let value = Network.ipv4(address) else { return false }
        return allow.contains { $0.contains(value) }
    }
}
