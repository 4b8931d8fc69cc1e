public import Problems
/// An error of the Devices target: what failed, on which device, and what to do about it.
public struct DevicesError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure this is; new codes can be added without breaking callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case invalidAddress, invalidConfiguration, noDevice, permissionDenied, deviceBusy, io, usb, unsupported
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A device address (`usb:…`, `serial:…`, `tcp://…`) that cannot be read.
        public static let invalidAddress = Code(.invalidAddress)
        /// Settings a device cannot take (7 data bits with a baud rate it lacks, an empty terminator).
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// No device matches (not plugged in, wrong vendor/product id, missing serial port).
        public static let noDevice = Code(.noDevice)
        /// The device exists but this user may not open it (install the udev rules).
        public static let permissionDenied = Code(.permissionDenied)
        /// Another program holds the device or its interface.
        public static let deviceBusy = Code(.deviceBusy)
        /// A system call on a file, terminal or socket failed.
        public static let io = Code(.io)
        /// libusb reported an error not covered by a more specific code.
        public static let usb = Code(.usb)
        /// The device speaks a protocol this target does not decode.
        public static let unsupported = Code(.unsupported)

        public var description: String { "\(base)" }
    }

    /// What kind of failure this is.
    public let code: Code
    /// A sentence saying what failed, on which device, and what to do.
    public let message: String
    /// The device concerned (`usb:05e0:1200`, `/dev/ttyACM0`, `tcp://10.0.0.5:2001`), when known.
    public let device: String?
    /// The system's word for it (`errno` text or the libusb error name), when there is one.
    public let cause: String?

    /// An error with its code, message and, when known, device and cause.
    public init(_ code: Code, _ message: String, device: String? = nil, cause: String? = nil) {
        self.code = code
        self.message = message
        self.device = device
        self.cause = cause
    }

    public var description: String { message }
}

extension DevicesError: CodedError {}

extension DevicesError.Code: StatusCarrying {
    /// The HTTP status and the exit status of this code: the one mapping both faces use.
    public var statuses: (http: Int, exit: Int32) {
        switch base {
        case .invalidAddress: (422, 64)
        case .invalidConfiguration: (422, 64)
        case .noDevice: (503, 69)
        case .permissionDenied: (403, 77)
        case .deviceBusy: (409, 69)
        case .io: (503, 69)
        case .usb: (503, 69)
        case .unsupported: (501, 69)
        }
    }
}
