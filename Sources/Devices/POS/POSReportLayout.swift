/// Where a HID POS scanner (usage page 0x8C, "Scanned Data Report") puts its fields in an input
/// report. Vendors differ in the details, so the layout is a setting; ``standard`` is the one
/// Honeywell, Zebra and Datalogic scanners use in HID POS mode.
public struct POSReportLayout: Hashable, Sendable {
    /// The report id of scanned-data reports (reports with another id are ignored), or `nil`
    /// when the device sends no report ids.
    public var reportID: UInt8?
    /// The byte giving how many data bytes this report carries.
    public var lengthOffset: Int
    /// Where the AIM symbology identifier is (three bytes such as `]C1`; a leading `]` is added
    /// when the device leaves it out; all zero means none).
    public var identifierRange: Range<Int>
    /// Where the data starts.
    public var dataOffset: Int
    /// How many data bytes one report holds at most.
    public var dataCapacity: Int
    /// The byte whose ``continuationMask`` bits say more reports of the same scan follow.
    public var continuationOffset: Int
    /// The bits of that byte that mean "more follows".
    public var continuationMask: UInt8

    /// A layout with every field placed explicitly.
    public init(reportID: UInt8?, lengthOffset: Int, identifierRange: Range<Int>, dataOffset: Int, dataCapacity: Int,
                continuationOffset: Int, continuationMask: UInt8) {
        self.reportID = reportID
        self.lengthOffset = lengthOffset
        self.identifierRange = identifierRange
        self.dataOffset = dataOffset
        self.dataCapacity = dataCapacity
        self.continuationOffset = continuationOffset
        self.continuationMask = continuationMask
    }

    /// 64-byte report: id 2, length, AIM identifier (3 bytes), 56 data bytes, the vendor's own
    /// symbology byte, a reserved byte, and the "more follows" flag in the last byte.
    public static let standard = POSReportLayout(reportID: 0x02, lengthOffset: 1, identifierRange: 2..<5, dataOffset: 5,
                                                 dataCapacity: 56, continuationOffset: 63, continuationMask: 0x01)
}
