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

    /// Eight dots are packed at once by a multiplication: every pattern of a byte, at every
    /// offset a row can put it, against packing dot by dot.
    @Test func packingAgreesWithDotByDot() {
        for width in [8, 13, 64, 812] {
            var bitmap = Bitmap(width: width, height: 256)
            for row in 0..<256 {
                for column in 0..<width where (row >> (column % 8)) & 1 == 1 || (column * 7 + row) % 11 == 0 {
                    bitmap[column, row] = true
                }
            }
            let bytesPerRow = (width + 7) / 8
            var expected = [UInt8](repeating: 0, count: bytesPerRow * 256)
            for row in 0..<256 {
                for column in 0..<width where bitmap[column, row] {
                    expected[row * bytesPerRow + column / 8] |= 0x80 >> UInt8(column % 8)
                }
            }
            #expect(bitmap.packedRows(blackBit: 1).bytes == expected, "width \(width)")
        }
    }

    @Test func dotsGivenAsAnyNonZeroByteAreBlack() {
        let bitmap = Bitmap(width: 8, height: 1, pixels: [255, 0, 2, 0, 1, 0, 0, 128])
        #expect(bitmap.packedRows(blackBit: 1).bytes == [0b1010_1001])
    }

    @Test func drawingWithinABoxKeepsOnlyItsDots() {
        var canvas = Bitmap(width: 6, height: 3)
        var ink = Bitmap(width: 4, height: 3)
        ink.fill(x: 0, y: 0, width: 4, height: 3)
        canvas.draw(ink, x: 1, y: 0, within: (2, 1, 2, 5))
        #expect(canvas.pixels == [0, 0, 0, 0, 0, 0,
                                  0, 0, 1, 1, 0, 0,
                                  0, 0, 1, 1, 0, 0])
    }

    @Test func rotationTurnsClockwise() {
        var bitmap = Bitmap(width: 3, height: 2)
        bitmap[0, 0] = true
        #expect(bitmap.rotated(90)[1, 0] == true)
        #expect(bitmap.rotated(180)[2, 1] == true)
        #expect(bitmap.rotated(270)[0, 2] == true)
    }
}
