import CPNG
public import Foundation

/// Reading and writing PNG files with libpng: images for templates in, labels out.
public enum PNGFile {
    /// Reads a PNG (any colour type) and turns it into 1-bit: dots darker than half grey, and
    /// not transparent, are black.
    public static func readMonochrome(_ url: URL) throws(LabelError) -> Bitmap {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw LabelError(.missingImage, "no such file")
        }
        var image = png_image()
        image.version = tm_png_image_version()
        guard png_image_begin_read_from_file(&image, url.path) != 0 else {
            let message = withUnsafeBytes(of: image.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            png_image_free(&image)
            throw LabelError(.missingImage, "not a readable PNG (\(message))")
        }
        // Grey with alpha, composited on white by hand so that transparent parts stay white.
        image.format = tm_png_format_gray_alpha()
        let width = Int(image.width), height = Int(image.height)
        // The header says how large the image is; a file of a few bytes can claim gigapixels.
        guard width <= TemplateLimits.imageSide, height <= TemplateLimits.imageSide, width * height <= TemplateLimits.imagePixels else {
            png_image_free(&image)
            throw LabelError(.missingImage, "the PNG is \(width) × \(height) pixels: at most \(TemplateLimits.imageSide) on a side and \(TemplateLimits.imagePixels >> 20) megapixels")
        }
        var buffer = [UInt8](repeating: 0, count: width * height * 2)
        let ok = buffer.withUnsafeMutableBytes { raw in
            png_image_finish_read(&image, nil, raw.baseAddress, Int32(width * 2), nil)
        }
        guard ok != 0 else {
            png_image_free(&image)
            throw LabelError(.missingImage, "the PNG could not be decoded")
        }
        var pixels = [UInt8](repeating: 0, count: width * height)
        for index in 0..<(width * height) {
            let grey = Int(buffer[index * 2]), alpha = Int(buffer[index * 2 + 1])
            let onWhite = (grey * alpha + 255 * (255 - alpha)) / 255
            pixels[index] = onWhite < 128 ? 1 : 0
        }
        return Bitmap(width: width, height: height, pixels: pixels)
    }

    /// Encodes a bitmap as a PNG: 1-bit grey for printing, or 8-bit grey for previews, with the
    /// resolution recorded so that CUPS prints it at the printer's dots.
    public static func encode(_ bitmap: Bitmap, dpi: Int, eightBit: Bool = false) throws(LabelError) -> Data {
        let stride: Int
        let rows: [UInt8]
        if eightBit {
            stride = bitmap.width
            rows = bitmap.pixels.map { $0 != 0 ? 0 : 255 }
        } else {
            let packed = bitmap.packedRows(blackBit: 0)
            stride = packed.bytesPerRow
            rows = packed.bytes
        }
        let pixelsPerMetre = UInt32((Double(dpi) / 0.0254).rounded())
        var size = 0
        let pointer = rows.withUnsafeBufferPointer { buffer in
            tm_png_encode_gray(buffer.baseAddress, UInt32(bitmap.width), UInt32(bitmap.height),
                               eightBit ? 8 : 1, stride, pixelsPerMetre, &size)
        }
        guard let pointer else { throw LabelError(.io, "libpng could not encode the label") }
        defer { free(pointer) }
        return Data(bytes: pointer, count: size)
    }
}
