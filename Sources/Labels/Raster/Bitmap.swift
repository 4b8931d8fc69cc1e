/// A 1-bit picture in printer dots: one byte per dot, 1 for black (burnt), 0 for white.
///
/// The PNG renderer draws a whole label into one; images and 2-D symbols become `^GF` and `GW`
/// graphics from one.
public struct Bitmap: Hashable, Sendable {
    public let width: Int
    public let height: Int
    /// Row-major, `width * height` bytes, 1 = black.
    public internal(set) var pixels: [UInt8]

    /// A white bitmap.
    public init(width: Int, height: Int) {
        self.width = max(0, width)
        self.height = max(0, height)
        pixels = [UInt8](repeating: 0, count: self.width * self.height)
    }

    /// A bitmap from dots, any non-zero byte black (stored as 1: drawing and packing rely on it).
    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(pixels.count == width * height)
        self.width = width
        self.height = height
        self.pixels = pixels.contains(where: { $0 > 1 }) ? pixels.map { $0 != 0 ? 1 : 0 } : pixels
    }

    public subscript(x: Int, y: Int) -> Bool {
        get { pixels[y * width + x] != 0 }
        set { pixels[y * width + x] = newValue ? 1 : 0 }
    }

    /// Clips a rectangle to the bitmap.
    private func clip(_ x: Int, _ y: Int, _ w: Int, _ h: Int) -> (Int, Int, Int, Int)? {
        let x0 = max(0, x), y0 = max(0, y)
        let x1 = min(width, x + w), y1 = min(height, y + h)
        guard x1 > x0, y1 > y0 else { return nil }
        return (x0, y0, x1, y1)
    }

    /// Paints a rectangle black (or white).
    public mutating func fill(x: Int, y: Int, width w: Int, height h: Int, black: Bool = true) {
        guard let (x0, y0, x1, y1) = clip(x, y, w, h) else { return }
        let value: UInt8 = black ? 1 : 0
        pixels.withUnsafeMutableBufferPointer { buffer in
            for row in y0..<y1 {
                let base = row * width
                for column in x0..<x1 { buffer[base + column] = value }
            }
        }
    }

    /// Turns black to white and white to black inside a rectangle (a reverse area).
    public mutating func invert(x: Int, y: Int, width w: Int, height h: Int) {
        guard let (x0, y0, x1, y1) = clip(x, y, w, h) else { return }
        pixels.withUnsafeMutableBufferPointer { buffer in
            for row in y0..<y1 {
                let base = row * width
                for column in x0..<x1 { buffer[base + column] ^= 1 }
            }
        }
    }

    /// Draws the black dots of `other` with its top-left corner at (x, y); with `reverse`, its
    /// black dots flip what is below instead (ZPL's field reverse).
    public mutating func draw(_ other: Bitmap, x: Int, y: Int, reverse: Bool = false) {
        draw(other, x: x, y: y, within: (0, 0, width, height), reverse: reverse)
    }

    /// As ``draw(_:x:y:reverse:)``, with only the dots inside `within` (x, y, width, height).
    mutating func draw(_ other: Bitmap, x: Int, y: Int, within: (Int, Int, Int, Int), reverse: Bool = false) {
        guard let (cx0, cy0, cx1, cy1) = clip(within.0, within.1, within.2, within.3),
              let (ox0, oy0, ox1, oy1) = clip(x, y, other.width, other.height) else { return }
        let x0 = max(cx0, ox0), y0 = max(cy0, oy0), x1 = min(cx1, ox1), y1 = min(cy1, oy1)
        guard x1 > x0, y1 > y0 else { return }
        let sourceWidth = other.width
        other.pixels.withUnsafeBufferPointer { source in
            pixels.withUnsafeMutableBufferPointer { buffer in
                // Dots are 0 or 1: OR (or XOR) whole rows without a branch per dot.
                for row in y0..<y1 {
                    let base = row * width
                    let sourceBase = (row - y) * sourceWidth - x
                    if reverse {
                        for column in x0..<x1 { buffer[base + column] ^= source[sourceBase + column] }
                    } else {
                        for column in x0..<x1 { buffer[base + column] |= source[sourceBase + column] }
                    }
                }
            }
        }
    }

    /// Scaled to a new size, nearest neighbour (no grey: the result stays 1-bit).
    public func scaled(width newWidth: Int, height newHeight: Int) -> Bitmap {
        guard newWidth != width || newHeight != height else { return self }
        var result = Bitmap(width: newWidth, height: newHeight)
        guard width > 0, height > 0 else { return result }
        for row in 0..<newHeight {
            let sourceRow = min(height - 1, row * height / max(1, newHeight))
            for column in 0..<newWidth {
                let sourceColumn = min(width - 1, column * width / max(1, newWidth))
                result.pixels[row * newWidth + column] = pixels[sourceRow * width + sourceColumn]
            }
        }
        return result
    }

    /// Turned clockwise by 0, 90, 180 or 270 degrees.
    public func rotated(_ degrees: Int) -> Bitmap {
        switch degrees {
        case 90:
            var result = Bitmap(width: height, height: width)
            for y in 0..<height { for x in 0..<width where self[x, y] { result[height - 1 - y, x] = true } }
            return result
        case 180:
            return Bitmap(width: width, height: height, pixels: pixels.reversed())
        case 270:
            var result = Bitmap(width: height, height: width)
            for y in 0..<height { for x in 0..<width where self[x, y] { result[y, width - 1 - x] = true } }
            return result
        default:
            return self
        }
    }

    /// Rows packed 8 dots a byte, most significant bit first, each row padded to whole bytes;
    /// `blackBit` is the bit value for a black dot (1 for ZPL `^GF`, 0 for EPL `GW` and PNG).
    public func packedRows(blackBit: UInt8) -> (bytesPerRow: Int, bytes: [UInt8]) {
        let bytesPerRow = (width + 7) / 8
        var bytes = [UInt8](repeating: 0, count: bytesPerRow * height)
        let fullBytes = width / 8
        pixels.withUnsafeBufferPointer { source in
            bytes.withUnsafeMutableBufferPointer { out in
                for row in 0..<height {
                    let base = row * width
                    let outBase = row * bytesPerRow
                    for index in 0..<bytesPerRow {
                        var byte: UInt8 = 0
                        let first = base + index * 8
                        if index < fullBytes {
                            // Pixels are 0 or 1: eight of them, read as one little-endian word,
                            // times this constant put the first in the top byte's highest bit
                            // and the eighth in its lowest (every product lands on its own bit,
                            // so nothing carries).
                            let word = UInt64(littleEndian: UnsafeRawPointer(source.baseAddress! + first)
                                .loadUnaligned(as: UInt64.self))
                            byte = UInt8(truncatingIfNeeded: (word &* 0x8040_2010_0804_0201) >> 56)
                        } else {
                            for bit in 0..<(width - index * 8) where source[first + bit] != 0 {
                                byte |= UInt8(0x80) >> UInt8(bit)
                            }
                        }
                        // Padding dots past the width are white either way.
                        out[outBase + index] = blackBit == 1 ? byte : ~byte
                    }
                }
            }
        }
        return (bytesPerRow, bytes)
    }
}
