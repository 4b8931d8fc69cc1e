import CLibUSB
import Foundation
import Synchronization

// Every libusb pointer lives in this file: USBContext owns the libusb context, USBDeviceHandle an
// open device. Neither is Sendable: each is made and used on one reader thread.

/// A libusb context: enumeration, opening devices, hotplug events.
final class USBContext {
    private let context: OpaquePointer
    private var hotplugHandle: libusb_hotplug_callback_handle = 0
    private var hotplugRegistered = false

    /// Starts libusb (1.0.26 has no `libusb_init_context`).
    init() throws(DevicesError) {
        var context: OpaquePointer?
        let status = libusb_init(&context)
        guard status == 0, let context else {
            throw DevicesError(.usb, "cannot start libusb: \(usbErrorName(status))", cause: usbErrorName(status))
        }
        self.context = context
    }

    deinit {
        if hotplugRegistered { libusb_hotplug_deregister_callback(context, hotplugHandle) }
        libusb_exit(context)
    }

    /// The version of libusb in use, `1.0.26`.
    static var version: String {
        let version = libusb_get_version().pointee
        return "\(version.major).\(version.minor).\(version.micro)"
    }

    /// Every USB device with its interfaces.
    func devices() -> [USBDeviceInfo] {
        withDeviceList { list in list.map { Self.info($0) } }
    }

    /// Opens the device at `bus`/`address`.
    func open(_ device: USBDeviceInfo) throws(DevicesError) -> USBDeviceHandle {
        let result: Result<OpaquePointer, DevicesError> = withDeviceList { list in
            guard let match = list.first(where: { libusb_get_bus_number($0) == device.bus && libusb_get_device_address($0) == device.address }) else {
                return .failure(DevicesError(.noDevice, "USB device \(device.id) at \(device.path) is gone", device: "usb:\(device.id)"))
            }
            var handle: OpaquePointer?
            let status = libusb_open(match, &handle)
            guard status == 0, let handle else { return .failure(usbError(status, "open", device)) }
            return .success(handle)
        }
        return USBDeviceHandle(try result.get(), device: device, context: self)
    }

    /// True when this platform tells about arrivals and removals (Linux with udev or netlink).
    var supportsHotplug: Bool {
        libusb_has_capability(UInt32(LIBUSB_CAP_HAS_HOTPLUG.rawValue)) != 0
    }

    /// Asks libusb to set `flag` whenever a device arrives or leaves; false when not supported.
    func watchHotplug(_ flag: HotplugFlag) -> Bool {
        guard supportsHotplug, !hotplugRegistered else { return hotplugRegistered }
        let events = Int32(LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED.rawValue | LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT.rawValue)
        let any = tracemark_libusb_hotplug_match_any
        let status = libusb_hotplug_register_callback(context, events, 0, any, any, any, { _, _, _, userData in
            // Runs inside libusb_handle_events on the reader thread; must not block.
            if let userData { Unmanaged<HotplugFlag>.fromOpaque(userData).takeUnretainedValue().raise() }
            return 0
        }, Unmanaged.passUnretained(flag).toOpaque(), &hotplugHandle)
        hotplugRegistered = status == 0
        return hotplugRegistered
    }

    /// Handles pending libusb events (hotplug callbacks) for at most `timeout`.
    func handleEvents(timeout: Duration) {
        let milliseconds = timeout.milliseconds
        var interval = timeval(tv_sec: Int(milliseconds / 1000), tv_usec: Int((milliseconds % 1000) * 1000))
        libusb_handle_events_timeout_completed(context, &interval, nil)
    }

    private func withDeviceList<T>(_ body: ([OpaquePointer]) -> T) -> T {
        var list: UnsafeMutablePointer<OpaquePointer?>?
        let count = libusb_get_device_list(context, &list)
        guard count >= 0, let list else { return body([]) }
        defer { libusb_free_device_list(list, 1) }
        return body((0..<count).compactMap { list[$0] })
    }

    private static func info(_ device: OpaquePointer) -> USBDeviceInfo {
        var descriptor = libusb_device_descriptor()
        libusb_get_device_descriptor(device, &descriptor)
        var interfaces: [USBDeviceInfo.Interface] = []
        var config: UnsafeMutablePointer<libusb_config_descriptor>?
        if libusb_get_active_config_descriptor(device, &config) == 0 || libusb_get_config_descriptor(device, 0, &config) == 0,
           let config {
            defer { libusb_free_config_descriptor(config) }
            for index in 0..<Int(config.pointee.bNumInterfaces) {
                let interface = config.pointee.interface[index]
                guard interface.num_altsetting > 0 else { continue }
                let setting = interface.altsetting[0]
                let endpoints = (0..<Int(setting.bNumEndpoints)).compactMap { number -> USBDeviceInfo.Endpoint? in
                    let endpoint = setting.endpoint[number]
                    let isInterrupt = endpoint.bmAttributes & 0x03 == UInt8(LIBUSB_TRANSFER_TYPE_INTERRUPT.rawValue)
                    guard isInterrupt, endpoint.bEndpointAddress & 0x80 != 0 else { return nil }
                    return USBDeviceInfo.Endpoint(address: endpoint.bEndpointAddress, maxPacketSize: Int(endpoint.wMaxPacketSize))
                }
                interfaces.append(USBDeviceInfo.Interface(number: setting.bInterfaceNumber, interfaceClass: setting.bInterfaceClass,
                                                          subclass: setting.bInterfaceSubClass, protocol: setting.bInterfaceProtocol,
                                                          interruptInEndpoints: endpoints))
            }
        }
        var ports = [UInt8](repeating: 0, count: 8)
        let depth = ports.withUnsafeMutableBufferPointer { libusb_get_port_numbers(device, $0.baseAddress, Int32($0.count)) }
        return USBDeviceInfo(bus: libusb_get_bus_number(device), address: libusb_get_device_address(device),
                             vendorID: descriptor.idVendor, productID: descriptor.idProduct,
                             deviceClass: descriptor.bDeviceClass, interfaces: interfaces,
                             portPath: depth > 0 ? Array(ports.prefix(Int(depth))) : [])
    }
}

/// Set by the hotplug callback, read and cleared by the reader loop.
final class HotplugFlag: Sendable {
    private let raised = Atomic<Bool>(false)
    func raise() { raised.store(true, ordering: .releasing) }
    /// True (once) when something was plugged or unplugged since the last call.
    func take() -> Bool { raised.exchange(false, ordering: .acquiringAndReleasing) }
}

/// An open USB device; closed when released.
final class USBDeviceHandle {
    private let handle: OpaquePointer
    let device: USBDeviceInfo
    /// Kept so that libusb_exit cannot run before this handle is closed.
    private let context: USBContext

    fileprivate init(_ handle: OpaquePointer, device: USBDeviceInfo, context: USBContext) {
        self.handle = handle
        self.device = device
        self.context = context
    }

    deinit {
        libusb_close(handle)
    }

    /// Whether a kernel driver (usbhid for a keyboard-mode scanner) holds `interface`; `nil` when unknown.
    func kernelDriverActive(_ interface: UInt8) -> Bool? {
        switch libusb_kernel_driver_active(handle, Int32(interface)) {
        case 1: true
        case 0: false
        default: nil
        }
    }

    /// Takes `interface` away from its kernel driver (explicitly: auto-detach fails under umockdev).
    func detachKernelDriver(_ interface: UInt8) throws(DevicesError) {
        let status = libusb_detach_kernel_driver(handle, Int32(interface))
        guard status == 0 || status == LIBUSB_ERROR_NOT_FOUND.rawValue else {
            throw usbError(status, "detach the kernel driver from interface \(interface) of", device)
        }
    }

    /// Gives `interface` back to its kernel driver (the keyboard works again after we exit).
    func attachKernelDriver(_ interface: UInt8) {
        libusb_attach_kernel_driver(handle, Int32(interface))
    }

    func claim(_ interface: UInt8) throws(DevicesError) {
        let status = libusb_claim_interface(handle, Int32(interface))
        guard status == 0 else { throw usbError(status, "claim interface \(interface) of", device) }
    }

    func release(_ interface: UInt8) {
        libusb_release_interface(handle, Int32(interface))
    }

    /// What one interrupt read gave.
    enum Read {
        case report([UInt8])
        case timedOut
        case gone
        case failed(DevicesError)
    }

    /// Reads one report from interrupt IN `endpoint`, waiting at most `timeout`.
    func readInterrupt(endpoint: UInt8, length: Int, timeout: Duration) -> Read {
        var buffer = [UInt8](repeating: 0, count: max(8, length))
        var transferred: Int32 = 0
        let status = buffer.withUnsafeMutableBufferPointer {
            libusb_interrupt_transfer(handle, endpoint, $0.baseAddress, Int32($0.count), &transferred, UInt32(timeout.milliseconds))
        }
        switch status {
        case 0: return .report(Array(buffer.prefix(Int(transferred))))
        case LIBUSB_ERROR_TIMEOUT.rawValue: return transferred > 0 ? .report(Array(buffer.prefix(Int(transferred)))) : .timedOut
        case LIBUSB_ERROR_NO_DEVICE.rawValue, LIBUSB_ERROR_IO.rawValue: return .gone
        default: return .failed(usbError(status, "read from", device))
        }
    }

    /// The HID report descriptor of `interface` (GET_DESCRIPTOR, type 0x22), or `nil`.
    func reportDescriptor(_ interface: UInt8) -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: 1024)
        let count = buffer.withUnsafeMutableBufferPointer {
            libusb_control_transfer(handle, 0x81, 0x06, 0x2200, UInt16(interface), $0.baseAddress, UInt16($0.count), 1000)
        }
        return count > 0 ? Array(buffer.prefix(Int(count))) : nil
    }

    /// The string descriptor at `index` (manufacturer, product), or `nil`.
    func string(_ index: UInt8) -> String? {
        guard index != 0 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 256)
        let count = buffer.withUnsafeMutableBufferPointer {
            libusb_get_string_descriptor_ascii(handle, index, $0.baseAddress, Int32($0.count))
        }
        return count > 0 ? String(decoding: buffer.prefix(Int(count)), as: UTF8.self) : nil
    }

    /// The manufacturer and product strings.
    func names() -> (manufacturer: String?, product: String?) {
        var descriptor = libusb_device_descriptor()
        libusb_get_device_descriptor(libusb_get_device(handle), &descriptor)
        return (string(descriptor.iManufacturer), string(descriptor.iProduct))
    }
}

/// libusb's name for `status`, `LIBUSB_ERROR_ACCESS`.
func usbErrorName(_ status: Int32) -> String {
    String(cString: libusb_error_name(status))
}

/// Says what failed on `device` and what to do about it.
func usbError(_ status: Int32, _ action: String, _ device: USBDeviceInfo) -> DevicesError {
    let name = "usb:\(device.id)"
    switch status {
    case LIBUSB_ERROR_ACCESS.rawValue:
        return DevicesError(.permissionDenied,
                            "permission denied to \(action) USB device \(device.id) (\(device.path)): install the udev rules from udev/ and add the service user to group tracemark (see README, Devices)",
                            device: name, cause: usbErrorName(status))
    case LIBUSB_ERROR_BUSY.rawValue:
        let holding = holders(of: device.path)
        return DevicesError(.deviceBusy,
                            "cannot \(action) USB device \(device.id): another program has claimed it\(holding.isEmpty ? " (stop the other scanner program; `fuser \(device.path)` names it)" : holding)",
                            device: name, cause: usbErrorName(status))
    case LIBUSB_ERROR_NO_DEVICE.rawValue, LIBUSB_ERROR_NOT_FOUND.rawValue:
        return DevicesError(.noDevice, "USB device \(device.id) is gone (unplugged?)", device: name, cause: usbErrorName(status))
    default:
        return DevicesError(.usb, "cannot \(action) USB device \(device.id): \(usbErrorName(status))", device: name,
                            cause: usbErrorName(status))
    }
}
