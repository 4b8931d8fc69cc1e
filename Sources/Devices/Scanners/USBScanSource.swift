public import Logging

/// A USB HID scanner read through libusb: in keyboard mode (boot keyboard reports decoded through
/// a keyboard layout) or in HID POS mode (usage page 0x8C, raw bytes with the AIM identifier).
///
/// The kernel's keyboard driver is detached from the scanner's interface while it is read, so
/// scans do not also land in whatever window has the focus, and re-attached afterwards. An
/// unplugged scanner is waited for and taken again when it comes back (libusb hotplug where the
/// platform has it, else enumeration every ``Configuration/pollInterval``).
public struct USBScanSource: ScanSource {
    /// How reports are read.
    public enum ReportProtocol: String, Hashable, Sendable, CaseIterable {
        /// Keyboard when the interface is a boot keyboard or its descriptor names usage page 7,
        /// HID POS when it names usage page 0x8C.
        case automatic
        /// Boot keyboard reports through ``Configuration/keyboard``.
        case keyboard
        /// HID POS reports through ``Configuration/posLayout``.
        case pos
    }

    /// Which scanner, and how to read it.
    public struct Configuration: Hashable, Sendable {
        /// The vendor id, or `nil` for any device with a HID interface of the chosen protocol.
        public var vendorID: UInt16?
        /// The product id, or `nil` for any product of the vendor.
        public var productID: UInt16?
        /// The interface to read, or `nil` for the first HID interface with an interrupt IN endpoint.
        public var interfaceNumber: UInt8?
        /// Keyboard, HID POS, or detected from the interface.
        public var reportProtocol: ReportProtocol
        /// Layout and GS settings for keyboard mode.
        public var keyboard: KeyboardDecoder.Options
        /// Report layout for HID POS mode.
        public var posLayout: POSReportLayout
        /// How often to look for the device where libusb has no hotplug.
        public var pollInterval: Duration
        /// When false, a device that is missing, not permitted or busy at the start ends the
        /// sequence with the error (for `tracemark scan`); one lost later is always waited for.
        public var waitsForDevice: Bool

        /// Any boot keyboard, detected protocol, US layout, waiting for the device, unless told otherwise.
        public init(vendorID: UInt16? = nil, productID: UInt16? = nil, interfaceNumber: UInt8? = nil,
                    reportProtocol: ReportProtocol = .automatic, keyboard: KeyboardDecoder.Options = KeyboardDecoder.Options(),
                    posLayout: POSReportLayout = .standard, pollInterval: Duration = .seconds(1), waitsForDevice: Bool = true) {
            self.vendorID = vendorID
            self.productID = productID
            self.interfaceNumber = interfaceNumber
            self.reportProtocol = reportProtocol
            self.keyboard = keyboard
            self.posLayout = posLayout
            self.pollInterval = pollInterval
            self.waitsForDevice = waitsForDevice
        }

        /// `05e0:1200`, `05e0:*` or `*`.
        var match: String {
            guard let vendorID else { return "*" }
            return "\(hex(vendorID)):\(productID.map(hex) ?? "*")"
        }
    }

    /// Which scanner, and how to read it.
    public let configuration: Configuration
    /// `usb:VID:PID` (`*` where not given).
    public let name: String
    let logger: Logger

    /// A source for the scanner `configuration` names, logging its state changes to `logger`.
    public init(_ configuration: Configuration, logger: Logger = Logger(label: "tracemark.devices")) {
        self.configuration = configuration
        self.name = "usb:\(configuration.match)"
        self.logger = logger
    }

    public func scans() -> ScanEvents {
        let source = self
        return ReaderThread.start(name: name) { context in try source.run(context) }
    }

    /// A device and the interface of it to read.
    struct Target {
        let device: USBDeviceInfo
        let interface: USBDeviceInfo.Interface
        let endpoint: USBDeviceInfo.Endpoint
    }

    /// The first device and interface that match the configuration.
    func findTarget(in devices: [USBDeviceInfo]) -> Target? {
        for device in devices {
            if let vendor = configuration.vendorID, device.vendorID != vendor { continue }
            if let product = configuration.productID, device.productID != product { continue }
            for interface in device.interfaces where interface.isHID {
                if let wanted = configuration.interfaceNumber, interface.number != wanted { continue }
                // Without ids, only take what is surely a scanner-like HID keyboard or a HID POS device.
                if configuration.vendorID == nil, configuration.reportProtocol != .pos, !interface.isBootKeyboard { continue }
                guard let endpoint = interface.interruptInEndpoints.first else { continue }
                return Target(device: device, interface: interface, endpoint: endpoint)
            }
        }
        return nil
    }

    private func run(_ context: ReaderContext) throws {
        var usb = try USBContext()
        let hotplug = HotplugFlag()
        var watching = usb.watchHotplug(hotplug)
        var metadata: Logger.Metadata = ["scanner": "\(name)"]
        logger.debug("libusb \(USBContext.version), hotplug \(watching ? "events" : "by polling")", metadata: metadata)
        var everOpened = false
        var lastProblem: DevicesError?

        /// Logs a problem once (until another happens) and waits for a change before trying again.
        func waitAfter(_ problem: DevicesError) throws -> Bool {
            if !everOpened && !configuration.waitsForDevice { throw problem }
            if problem != lastProblem {
                logger.warning("\(problem.message); waiting", metadata: metadata)
                lastProblem = problem
            }
            guard waitForChange(usb, hotplug, watching: watching, context) else { return false }
            // A new context enumerates afresh. libusb keeps its device list up to date only from
            // hotplug events, and where nothing sends them (no udevd, as in a minimal guest) the
            // list would never show the scanner plugged back in.
            usb = try USBContext()
            watching = usb.watchHotplug(hotplug)
            return true
        }

        while !context.isStopped {
            guard let target = findTarget(in: usb.devices()) else {
                let problem = DevicesError(
                    .noDevice,
                    "no USB scanner \(configuration.match) found: is it plugged in and in USB HID (keyboard or HID POS) mode? `tracemark devices` lists what is there",
                    device: name)
                guard try waitAfter(problem) else { return }
                continue
            }
            metadata["device"] = "\(target.device.path)"
            do throws(DevicesError) {
                let session = try Session(target, usb: usb, configuration: configuration)
                // Back after a problem the log showed: said at the level the problem was seen at.
                logger.log(level: lastProblem == nil ? .info : .notice, everOpened ? "scanner back, reading again" : "reading", metadata: metadata.merging([
                    "interface": "\(target.interface.number)", "protocol": "\(session.reportProtocol.rawValue)",
                    "detached": "\(session.detached)",
                ]) { $1 })
                everOpened = true
                lastProblem = nil
                let end = session.read(context, source: name)
                switch end {
                case .stopped: return
                case .gone: logger.warning("scanner unplugged; waiting for it", metadata: metadata)
                case .failed(let error): logger.warning("\(error.message); reopening", metadata: metadata)
                }
                _ = hotplug.take()
                guard context.pause(.milliseconds(200)) else { return }
                usb = try USBContext()
                watching = usb.watchHotplug(hotplug)
            } catch {
                guard try waitAfter(error) else { return }
            }
        }
    }

    /// Waits for a hotplug event or one poll interval; false when stopped.
    private func waitForChange(_ usb: USBContext, _ hotplug: HotplugFlag, watching: Bool, _ context: ReaderContext) -> Bool {
        guard watching else { return context.pause(configuration.pollInterval) }
        let step = Duration.milliseconds(100)
        var waited = Duration.zero
        while waited < configuration.pollInterval {
            if context.isStopped { return false }
            usb.handleEvents(timeout: step)
            if hotplug.take() { return true }
            waited += step
        }
        return !context.isStopped
    }
}

extension USBScanSource {
    /// One claimed interface of one device: detached from its kernel driver, read, given back.
    final class Session {
        let handle: USBDeviceHandle
        let target: Target
        let reportProtocol: ReportProtocol
        /// True when the kernel driver was detached here (and so is re-attached at the end).
        let detached: Bool
        let configuration: Configuration
        private var gone = false

        init(_ target: Target, usb: USBContext, configuration: Configuration) throws(DevicesError) {
            let handle = try usb.open(target.device)
            let number = target.interface.number
            var detached = false
            if handle.kernelDriverActive(number) == true {
                try handle.detachKernelDriver(number)
                detached = true
            }
            do {
                try handle.claim(number)
            } catch {
                if detached { handle.attachKernelDriver(number) }
                throw error
            }
            var reportProtocol = configuration.reportProtocol
            if reportProtocol == .automatic {
                if target.interface.isBootKeyboard {
                    reportProtocol = .keyboard
                } else if let descriptor = handle.reportDescriptor(number).map(HIDReportDescriptor.init) {
                    reportProtocol = descriptor.isBarcodeScanner ? .pos : descriptor.isKeyboard ? .keyboard : .automatic
                }
            }
            guard reportProtocol != .automatic else {
                handle.release(number)
                if detached { handle.attachKernelDriver(number) }
                throw DevicesError(.unsupported,
                                   "USB device \(target.device.id) interface \(number) is neither a keyboard nor a HID POS scanner: set the scanner to USB keyboard or HID POS mode, or name the protocol",
                                   device: "usb:\(target.device.id)")
            }
            self.handle = handle
            self.target = target
            self.reportProtocol = reportProtocol
            self.detached = detached
            self.configuration = configuration
        }

        deinit {
            // Give the interface back, and the keyboard driver its device, unless it is gone.
            guard !gone else { return }
            handle.release(target.interface.number)
            if detached { handle.attachKernelDriver(target.interface.number) }
        }

        enum End {
            case stopped, gone
            case failed(DevicesError)
        }

        /// Reads reports until stopped, unplugged or failed, emitting each scan.
        func read(_ context: ReaderContext, source: String) -> End {
            var keyboard = KeyboardDecoder(configuration.keyboard)
            var pos = POSReportDecoder(configuration.posLayout)
            let endpoint = target.endpoint
            while !context.isStopped {
                switch handle.readInterrupt(endpoint: endpoint.address, length: endpoint.maxPacketSize, timeout: .milliseconds(100)) {
                case .timedOut:
                    continue
                case .gone:
                    gone = true
                    return .gone
                case .failed(let error):
                    return .failed(error)
                case .report(let report):
                    if reportProtocol == .pos {
                        if let scan = pos.decode(report) {
                            context.emit(ScanEvent(data: scan.data, symbologyIdentifier: scan.symbologyIdentifier, source: source))
                        }
                    } else {
                        for scan in keyboard.decode(report.count > 8 ? Array(report.suffix(8)) : report) {
                            context.emit(ScanEvent(transmitted: scan, source: source))
                        }
                    }
                }
            }
            return .stopped
        }
    }
}
