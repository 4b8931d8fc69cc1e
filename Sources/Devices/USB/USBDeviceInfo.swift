/// A USB device as enumeration sees it, without opening it.
public struct USBDeviceInfo: Hashable, Sendable {
    /// One interface of the active configuration (first alternate setting).
    public struct Interface: Hashable, Sendable {
        /// `bInterfaceNumber`.
        public let number: UInt8
        /// `bInterfaceClass` (3 HID, 7 printer, 2/10 CDC).
        public let interfaceClass: UInt8
        /// `bInterfaceSubClass` (1: boot interface).
        public let subclass: UInt8
        /// `bInterfaceProtocol` (1: keyboard).
        public let `protocol`: UInt8
        /// Interrupt IN endpoints: address and largest packet.
        public let interruptInEndpoints: [Endpoint]

        /// HID (class 3).
        public var isHID: Bool { interfaceClass == 3 }
        /// A HID boot keyboard (class 3, subclass 1, protocol 1): a scanner in keyboard mode.
        public var isBootKeyboard: Bool { interfaceClass == 3 && subclass == 1 && `protocol` == 1 }
        /// A printer (class 7).
        public var isPrinter: Bool { interfaceClass == 7 }
        /// CDC (class 2) or CDC data (class 10): a scanner in serial (ACM) mode.
        public var isSerial: Bool { interfaceClass == 2 || interfaceClass == 10 }
    }

    /// An endpoint's address and largest packet size.
    public struct Endpoint: Hashable, Sendable {
        /// Endpoint address (0x81: IN endpoint 1).
        public let address: UInt8
        /// `wMaxPacketSize`: the longest report.
        public let maxPacketSize: Int
    }

    /// Bus number.
    public let bus: UInt8
    /// Device address on the bus (changes when re-plugged).
    public let address: UInt8
    /// `idVendor`.
    public let vendorID: UInt16
    /// `idProduct`.
    public let productID: UInt16
    /// `bDeviceClass` (0: each interface says).
    public let deviceClass: UInt8
    /// The interfaces of the active configuration.
    public let interfaces: [Interface]
    /// The hub ports from the root to the device (`[3]` for 1-3, `[1, 4]` for 1-1.4), as sysfs names it.
    public let portPath: [UInt8]

    /// `/dev/bus/usb/BBB/DDD`, the node libusb opens.
    public var path: String { "/dev/bus/usb/\(Self.pad(bus))/\(Self.pad(address))" }
    /// `05e0:1200`.
    public var id: String { "\(hex(vendorID)):\(hex(productID))" }

    private static func pad(_ value: UInt8) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, 3 - text.count)) + text
    }
}

/// Four lowercase hex digits.
func hex(_ value: UInt16) -> String {
    let text = String(value, radix: 16)
    return String(repeating: "0", count: max(0, 4 - text.count)) + text
}
