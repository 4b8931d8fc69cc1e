import Devices
import Testing

@Suite struct POSReportDecoderTests {
    /// A 64-byte scanned-data report in the standard layout.
    static func report(_ data: [UInt8], identifier: String = "]d2", more: Bool = false) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 64)
        bytes[0] = 0x02
        bytes[1] = UInt8(data.count)
        for (index, byte) in identifier.utf8.prefix(3).enumerated() { bytes[2 + index] = byte }
        for (index, byte) in data.enumerated() { bytes[5 + index] = byte }
        bytes[63] = more ? 1 : 0
        return bytes
    }

    @Test func aReportGivesRawBytesWithTheIdentifier() {
        var decoder = POSReportDecoder()
        let data: [UInt8] = Array("0109501101530003".utf8) + Array("10ABC".utf8) + [0x1D] + Array("21Ü".utf8)
        let scan = decoder.decode(Self.report(data))
        #expect(scan?.symbologyIdentifier == "]d2")
        #expect(scan?.data == data)
    }

    @Test func aLongScanIsJoinedFromReportsThatSayMoreFollows() {
        var decoder = POSReportDecoder()
        let long = Array(repeating: UInt8(ascii: "7"), count: 56) + Array(repeating: UInt8(ascii: "8"), count: 20)
        #expect(decoder.decode(Self.report(Array(long[0..<56]), identifier: "]Q1", more: true)) == nil)
        let scan = decoder.decode(Self.report(Array(long[56...]), identifier: "]Q1"))
        #expect(scan?.data == long)
        #expect(scan?.symbologyIdentifier == "]Q1")
    }

    /// A device that always says "more follows" gets its scan cut at the keyboard mode's 8192
    /// bytes, and the next scan starts afresh: the buffer no longer grows without end (#17 item 3).
    @Test func aDeviceThatAlwaysSaysMoreFollowsIsCut() {
        var decoder = POSReportDecoder()
        let chunk = Array(repeating: UInt8(ascii: "9"), count: 56)
        var scans: [POSReportDecoder.Scan] = []
        for _ in 0..<400 {
            if let scan = decoder.decode(Self.report(chunk, more: true)) { scans.append(scan) }
        }
        #expect(scans.count == 2)
        #expect(scans.allSatisfy { $0.data.count == 8192 })
    }

    @Test func reportsWithAnotherIDAreIgnoredAndMissingBracketIsAdded() {
        var decoder = POSReportDecoder()
        var other = Self.report(Array("X".utf8))
        other[0] = 0x04
        #expect(decoder.decode(other) == nil)
        #expect(decoder.decode(Self.report(Array("X".utf8), identifier: "E0\u{0}"))?.symbologyIdentifier == "]E0")
    }

    @Test func aLengthBeyondTheReportIsClampedAndCounted() {
        var decoder = POSReportDecoder()
        var bytes = Self.report(Array("AB".utf8))
        bytes[1] = 200
        #expect(decoder.decode(bytes)?.data.count == 56)
        #expect(decoder.malformedReports == 1)
    }
}

@Suite struct HIDReportDescriptorTests {
    @Test func aBootKeyboardDescriptorNamesTheKeyboardPage() {
        // The HID 1.11 appendix B.1 boot keyboard descriptor (first items).
        let descriptor = HIDReportDescriptor([0x05, 0x01, 0x09, 0x06, 0xA1, 0x01, 0x05, 0x07, 0x19, 0xE0, 0x29, 0xE7,
                                              0x15, 0x00, 0x25, 0x01, 0x75, 0x01, 0x95, 0x08, 0x81, 0x02, 0xC0])
        #expect(descriptor.usagePages == [0x01, 0x07])
        #expect(descriptor.isKeyboard && !descriptor.isBarcodeScanner)
    }

    @Test func aHIDPOSDescriptorNamesPage8CAndItsReportID() {
        let descriptor = HIDReportDescriptor([0x06, 0x8C, 0x00, 0x09, 0x02, 0xA1, 0x01, 0x85, 0x02, 0x09, 0x12,
                                              0xFE, 0x02, 0x10, 0xAA, 0xBB, 0xC0])
        #expect(descriptor.isBarcodeScanner)
        #expect(descriptor.reportIDs == [0x02])
    }
}
