/// The parts of a HID report descriptor the scanner sources need: which usage pages it names
/// (0x07 keyboard, 0x8C barcode scanner) and the report ids it uses.
public struct HIDReportDescriptor: Hashable, Sendable {
    /// The usage pages named by Usage Page items, in order of first appearance.
    public let usagePages: [UInt16]
    /// The report ids named by Report ID items.
    public let reportIDs: [UInt8]

    /// Walks the descriptor's short items (long items are skipped).
    public init(_ bytes: [UInt8]) {
        var pages: [UInt16] = []
        var ids: [UInt8] = []
        var index = 0
        while index < bytes.count {
            let prefix = bytes[index]
            if prefix == 0xFE {  // long item: size, tag, data
                guard index + 1 < bytes.count else { break }
                index += 3 + Int(bytes[index + 1])
                continue
            }
            let size = [0, 1, 2, 4][Int(prefix & 0x03)]
            guard index + size < bytes.count else { break }
            var value: UInt32 = 0
            for offset in 0..<size { value |= UInt32(bytes[index + 1 + offset]) << (8 * offset) }
            switch prefix & 0xFC {
            case 0x04:  // Usage Page (global)
                let page = UInt16(truncatingIfNeeded: value)
                if !pages.contains(page) { pages.append(page) }
            case 0x84:  // Report ID (global)
                ids.append(UInt8(truncatingIfNeeded: value))
            default:
                break
            }
            index += 1 + size
        }
        usagePages = pages
        reportIDs = ids
    }

    /// True when the descriptor describes a HID POS barcode scanner (usage page 0x8C).
    public var isBarcodeScanner: Bool { usagePages.contains(0x8C) }
    /// True when it describes a keyboard (usage page 0x07).
    public var isKeyboard: Bool { usagePages.contains(0x07) }
}
