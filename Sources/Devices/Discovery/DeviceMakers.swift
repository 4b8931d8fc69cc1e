/// The makers of scanners and label printers by USB vendor id (from the USB-IF list as shipped in
/// Debian's `usb.ids`), so `tracemark devices` can say what a device probably is.
public enum DeviceMakers {
    /// What a maker is known for.
    public struct Maker: Hashable, Sendable {
        public let vendorID: UInt16
        public let name: String
        public let makesScanners: Bool
        public let makesPrinters: Bool
    }

    /// The table; the udev rules in `udev/` name the same vendor ids.
    public static let all: [Maker] = [
        Maker(vendorID: 0x05E0, name: "Zebra (Symbol) scanners", makesScanners: true, makesPrinters: false),
        Maker(vendorID: 0x0A5F, name: "Zebra Technologies printers", makesScanners: false, makesPrinters: true),
        Maker(vendorID: 0x0C2E, name: "Honeywell (Metrologic)", makesScanners: true, makesPrinters: false),
        Maker(vendorID: 0x0536, name: "Honeywell (Hand Held Products)", makesScanners: true, makesPrinters: false),
        Maker(vendorID: 0x067E, name: "Honeywell (Intermec)", makesScanners: true, makesPrinters: true),
        Maker(vendorID: 0x05F9, name: "Datalogic (PSC)", makesScanners: true, makesPrinters: false),
        Maker(vendorID: 0x080C, name: "Datalogic", makesScanners: true, makesPrinters: false),
        Maker(vendorID: 0x1EAB, name: "Newland", makesScanners: true, makesPrinters: false),
        Maker(vendorID: 0x1777, name: "Microscan (Omron)", makesScanners: true, makesPrinters: false),
        Maker(vendorID: 0x076D, name: "Denso", makesScanners: true, makesPrinters: false),
        Maker(vendorID: 0x08FB, name: "Socket Mobile", makesScanners: true, makesPrinters: false),
        Maker(vendorID: 0x0B0B, name: "Honeywell (Datamax-O'Neil) printers", makesScanners: false, makesPrinters: true),
        Maker(vendorID: 0x0828, name: "SATO", makesScanners: false, makesPrinters: true),
        Maker(vendorID: 0x1203, name: "TSC Auto ID", makesScanners: false, makesPrinters: true),
        Maker(vendorID: 0x08A6, name: "Toshiba TEC", makesScanners: false, makesPrinters: true),
        Maker(vendorID: 0x1D90, name: "Citizen", makesScanners: false, makesPrinters: true),
        Maker(vendorID: 0x2730, name: "Citizen", makesScanners: false, makesPrinters: true),
        Maker(vendorID: 0x04F9, name: "Brother", makesScanners: false, makesPrinters: true),
        Maker(vendorID: 0x0922, name: "Dymo", makesScanners: false, makesPrinters: true),
        Maker(vendorID: 0x04B8, name: "Epson", makesScanners: false, makesPrinters: true),
        Maker(vendorID: 0x1504, name: "Bixolon", makesScanners: false, makesPrinters: true),
    ]

    /// The maker with `vendorID`, if it is in the table.
    public static func maker(_ vendorID: UInt16) -> Maker? {
        all.first { $0.vendorID == vendorID }
    }
}
