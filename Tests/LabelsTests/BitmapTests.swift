import Testing
@testable import Labels

@Suite struct BitmapTests {
    /// Rows pack eight dots a byte, first dot highest; padding past the width is white in both
    /// polarities (0 for ^GF, 1 for GW and PNG).
    @Test func packingKeepsPaddingWhite() {
        var bitmap = Bitmap(width: 10, height: 2)
        bitmap[0, 0] = true
        bitmap[9, 0] = true
        bitmap.fill(x: 0, y: 1, width: 10, height: 1)
        #expect(bitmap.packedRows(blackBit: 1).bytes == [0x80, 0x40, 0xFF, 0xC0])
        #expect(bitmap.packedRows(blackBit: 0).bytes == [0x7F, 0xBF, 0x00, 0x3F])
    }

    @Test func rotationTurnsClockwise() {
        var bitmap = Bitmap(width: 3, height: 2)
        bitmap[0, 0] = true
        #expect(bitmap.rotated(90)[1, 0] == true)
        #expect(bitmap.rotated(180)[2, 1] == true)
        #expect(bitmap.rotated(270)[0, 2] == true)
    }
}
