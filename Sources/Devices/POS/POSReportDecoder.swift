/// Turns HID POS scanned-data reports into scans: raw bytes with the AIM symbology identifier, so
/// GS and non-ASCII bytes arrive exactly as encoded in the barcode. A scan longer than one report
/// comes in several, each but the last flagged "more follows".
public struct POSReportDecoder: Sendable {
    /// One decoded scan.
    public struct Scan: Hashable, Sendable {
        /// The AIM symbology identifier (`]d2`), when the report carried one.
        public let symbologyIdentifier: String?
        /// The data bytes, exactly as in the barcode.
        public let data: [UInt8]
    }

    /// Where the fields are in a report.
    public let layout: POSReportLayout
    private var data: [UInt8] = []
    private var identifier: String?
    /// Reports that were too short for the layout or had a length beyond the report (for logging).
    public private(set) var malformedReports = 0
    /// The longest scan: a device that always flags "more follows" gets its scan cut here, as a
    /// keyboard-mode scanner's is, instead of a buffer that grows without end.
    public var maximumLength = ScanFraming.defaultMaximumLength

    /// A decoder for reports in `layout`.
    public init(_ layout: POSReportLayout = .standard) {
        self.layout = layout
    }

    /// Takes one input report (with its report id as the first byte when the device uses ids) and
    /// returns the scan it completes, if any.
    public mutating func decode(_ report: some Collection<UInt8>) -> Scan? {
        let bytes = Array(report)
        if let id = layout.reportID, bytes.first != id { return nil }
        guard bytes.count > layout.lengthOffset, bytes.count >= layout.dataOffset, bytes.count >= layout.identifierRange.upperBound else {
            malformedReports += 1
            return nil
        }
        let declared = Int(bytes[layout.lengthOffset])
        let available = min(layout.dataCapacity, bytes.count - layout.dataOffset)
        if declared > available { malformedReports += 1 }
        let count = min(declared, available)
        if data.isEmpty && identifier == nil { identifier = Self.identifier(bytes[layout.identifierRange]) }
        data += bytes[layout.dataOffset..<(layout.dataOffset + count)]
        let more = layout.continuationOffset < bytes.count && bytes[layout.continuationOffset] & layout.continuationMask != 0
        if more, data.count < maximumLength { return nil }
        defer {
            data = []
            identifier = nil
        }
        guard !data.isEmpty else { return nil }
        return Scan(symbologyIdentifier: identifier, data: Array(data.prefix(maximumLength)))
    }

    /// Forgets a scan cut off by the device going away.
    public mutating func reset() {
        data = []
        identifier = nil
    }

    /// `]C1` from the identifier bytes, adding the `]` some devices leave out; `nil` when empty.
    static func identifier(_ bytes: ArraySlice<UInt8>) -> String? {
        let printable = bytes.prefix { $0 > 0x20 && $0 < 0x7F }
        guard !printable.isEmpty else { return nil }
        let text = String(decoding: printable, as: UTF8.self)
        return text.hasPrefix("]") ? text : "]" + text
    }
}
