import Foundation

/// What `tracemark devices` lists: USB devices that look like scanners or label printers, and
/// serial ports. Enumeration blocks briefly (libusb, sysfs), so it runs on a thread of its own.
public enum DeviceDiscovery {
    /// One USB device worth showing.
    public struct USBDevice: Hashable, Sendable, Codable {
        /// One interface and who holds it.
        public struct Interface: Hashable, Sendable, Codable {
            public let number: Int
            /// `keyboard`, `hid`, `printer`, `serial` or the class number.
            public let kind: String
            /// The kernel driver bound to it (`usbhid`, `usblp`, `cdc_acm`), `nil` when none.
            public let kernelDriver: String?
        }

        public let id: String
        public let vendorID: String
        public let productID: String
        public let maker: String?
        public let manufacturer: String?
        public let product: String?
        public let path: String
        /// `scanner`, `printer`, `keyboard (scanner in keyboard mode?)` or `hid`.
        public let role: String
        public let interfaces: [Interface]
        /// Why it could not be opened to read its names (permission denied …), if so.
        public let note: String?
    }

    /// A serial port.
    public struct SerialPort: Hashable, Sendable, Codable {
        public let path: String
        /// Stable names under /dev/serial/by-id pointing to it.
        public let links: [String]
        public let driver: String?
        /// The USB vendor:product of the adapter or scanner, for USB serial devices.
        public let usbID: String?
        public let maker: String?
    }

    /// USB devices that are HID, printers, or made by a known scanner or printer maker.
    public static func usbDevices() async throws -> [USBDevice] {
        try await offPool { () throws(DevicesError) in try listUSB() }
    }

    /// Serial ports: USB serial adapters and CDC-ACM scanners, and on-board ports that exist.
    public static func serialPorts() async -> [SerialPort] {
        (try? await offPool { () throws(DevicesError) in listSerial() }) ?? []
    }

    private static func offPool<T: Sendable>(_ body: @escaping @Sendable () throws(DevicesError) -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                do throws(DevicesError) { continuation.resume(returning: try body()) } catch { continuation.resume(throwing: error) }
            }.start()
        }
    }

    static func listUSB() throws(DevicesError) -> [USBDevice] {
        let usb = try USBContext()
        var result: [USBDevice] = []
        for device in usb.devices() {
            let maker = DeviceMakers.maker(device.vendorID)
            let hid = device.interfaces.contains(where: \.isHID)
            let printer = device.interfaces.contains(where: \.isPrinter)
            guard hid || printer || maker != nil else { continue }
            let role: String
            if printer || (maker?.makesPrinters == true && maker?.makesScanners == false) {
                role = "printer"
            } else if maker?.makesScanners == true {
                role = "scanner"
            } else if device.interfaces.contains(where: \.isBootKeyboard) {
                role = "keyboard (a scanner in keyboard mode?)"
            } else {
                role = "hid"
            }
            var names: (manufacturer: String?, product: String?) = (nil, nil)
            var note: String?
            var handle: USBDeviceHandle?
            do throws(DevicesError) {
                handle = try usb.open(device)
                names = handle?.names() ?? (nil, nil)
            } catch {
                note = error.code == .permissionDenied ? "no permission to open it (install the udev rules)" : error.message
            }
            let interfaces = device.interfaces.map { interface in
                let kind = interface.isBootKeyboard ? "keyboard" : interface.isHID ? "hid" : interface.isPrinter ? "printer"
                    : interface.isSerial ? "serial" : "class \(interface.interfaceClass)"
                var driver = sysfsDriver(device, interface: interface.number)
                if driver == nil, handle?.kernelDriverActive(interface.number) == true { driver = "(a kernel driver)" }
                return USBDevice.Interface(number: Int(interface.number), kind: kind, kernelDriver: driver)
            }
            result.append(USBDevice(id: device.id, vendorID: hex(device.vendorID), productID: hex(device.productID),
                                    maker: maker?.name, manufacturer: names.manufacturer, product: names.product,
                                    path: device.path, role: role, interfaces: interfaces, note: note))
        }
        return result
    }

    /// The driver bound to an interface, read from sysfs (needs no permission on the device).
    private static func sysfsDriver(_ device: USBDeviceInfo, interface: UInt8) -> String? {
        guard !device.portPath.isEmpty else { return nil }
        let name = "\(device.bus)-\(device.portPath.map(String.init).joined(separator: ".")):1.\(interface)"
        let link = "/sys/bus/usb/devices/\(name)/driver"
        guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: link) else { return nil }
        return (target as NSString).lastPathComponent
    }

    static func listSerial() -> [SerialPort] {
        let files = FileManager.default
        let byID = "/dev/serial/by-id"
        var links: [String: [String]] = [:]
        for name in (try? files.contentsOfDirectory(atPath: byID)) ?? [] {
            guard let target = try? files.destinationOfSymbolicLink(atPath: "\(byID)/\(name)") else { continue }
            links["/dev/" + (target as NSString).lastPathComponent, default: []].append("\(byID)/\(name)")
        }
        var ports: [SerialPort] = []
        for name in ((try? files.contentsOfDirectory(atPath: "/sys/class/tty")) ?? []).sorted() {
            let isUSB = name.hasPrefix("ttyUSB") || name.hasPrefix("ttyACM")
            let isUART = name.hasPrefix("ttyS") || name.hasPrefix("ttyAMA")
            guard isUSB || isUART else { continue }
            let sys = "/sys/class/tty/\(name)"
            // An on-board UART slot that has no port behind it reports type 0.
            if isUART, (try? String(contentsOfFile: "\(sys)/type", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) == "0" {
                continue
            }
            let driver = (try? files.destinationOfSymbolicLink(atPath: "\(sys)/device/driver")).map { ($0 as NSString).lastPathComponent }
            var usbID: String?
            var maker: String?
            if isUSB, let device = try? files.destinationOfSymbolicLink(atPath: "\(sys)/device") {
                // device → the USB interface; its parent folder is the USB device with idVendor/idProduct.
                let interface = URL(fileURLWithPath: "\(sys)/\(device)").standardizedFileURL.resolvingSymlinksInPath()
                let usbDevice = interface.deletingLastPathComponent().path
                let read = { (file: String) in
                    (try? String(contentsOfFile: "\(usbDevice)/\(file)", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
                }
                if let vendor = read("idVendor"), let product = read("idProduct") {
                    usbID = "\(vendor):\(product)"
                    maker = UInt16(vendor, radix: 16).flatMap(DeviceMakers.maker)?.name
                }
            }
            ports.append(SerialPort(path: "/dev/\(name)", links: links["/dev/\(name)"] ?? [], driver: driver, usbID: usbID, maker: maker))
        }
        return ports
    }
}
