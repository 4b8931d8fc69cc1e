import CDmtx
import CZBar

/// Reads barcodes from grey pixels with libraries we did not write: zbar for linear symbols and QR,
/// libdmtx for DataMatrix. All access to their C types stays in this file.
enum BarcodeReader {
    /// The texts zbar finds in `pixels` (8-bit grey, 0 black, row-major), FNC1 separators as GS.
    ///
    /// With `rowsOnly`, for a linear symbol drawn upright (every row the same), zbar reads about
    /// eight rows instead of every row and every column: the same decoder on the same bars, at a
    /// tenth of the work (zbar was the largest cost of a receiving station's scan).
    static func zbar(_ pixels: [UInt8], width: Int, height: Int, rowsOnly: Bool = false) -> [String] {
        guard let scanner = zbar_image_scanner_create() else { return [] }
        defer { zbar_image_scanner_destroy(scanner) }
        zbar_image_scanner_set_config(scanner, ZBAR_NONE, ZBAR_CFG_ENABLE, 1)
        if rowsOnly {
            zbar_image_scanner_set_config(scanner, ZBAR_NONE, ZBAR_CFG_X_DENSITY, 0)
            zbar_image_scanner_set_config(scanner, ZBAR_NONE, ZBAR_CFG_Y_DENSITY, Int32(max(1, height / 8)))
        }
        guard let image = zbar_image_create() else { return [] }
        defer { zbar_image_destroy(image) }
        zbar_image_set_format(image, tm_zbar_format_grey())
        zbar_image_set_size(image, UInt32(width), UInt32(height))
        return pixels.withUnsafeBufferPointer { buffer -> [String] in
            zbar_image_set_data(image, buffer.baseAddress, UInt(buffer.count), nil)
            guard zbar_scan_image(scanner, image) > 0 else { return [] }
            var texts: [String] = []
            var symbol = zbar_image_first_symbol(image)
            while let current = symbol {
                if let data = zbar_symbol_get_data(current) {
                    let length = Int(zbar_symbol_get_data_length(current))
                    texts.append(data.withMemoryRebound(to: UInt8.self, capacity: length) {
                        String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
                    })
                }
                symbol = zbar_symbol_next(current)
            }
            zbar_image_set_data(image, nil, 0, nil)
            return texts
        }
    }

    /// The text libdmtx finds in a DataMatrix in `pixels` (8-bit grey, 0 black), FNC1 as GS.
    static func dataMatrix(_ pixels: [UInt8], width: Int, height: Int) -> String? {
        var copy = pixels
        return copy.withUnsafeMutableBufferPointer { buffer -> String? in
            guard let image = dmtxImageCreate(buffer.baseAddress, Int32(width), Int32(height), Int32(DmtxPack8bppK.rawValue)) else { return nil }
            var imagePointer: UnsafeMutablePointer<DmtxImage>? = image
            defer { dmtxImageDestroy(&imagePointer) }
            guard let decode = dmtxDecodeCreate(image, 1) else { return nil }
            var decodePointer: UnsafeMutablePointer<DmtxDecode>? = decode
            defer { dmtxDecodeDestroy(&decodePointer) }
            dmtxDecodeSetProp(decode, Int32(DmtxPropFnc1.rawValue), 0x1D)
            guard let region = dmtxRegionFindNext(decode, nil) else { return nil }
            var regionPointer: UnsafeMutablePointer<DmtxRegion>? = region
            defer { dmtxRegionDestroy(&regionPointer) }
            guard let message = dmtxDecodeMatrixRegion(decode, region, tm_dmtx_undefined()) else { return nil }
            var messagePointer: UnsafeMutablePointer<DmtxMessage>? = message
            defer { dmtxMessageDestroy(&messagePointer) }
            let count = Int(message.pointee.outputIdx)
            return String(decoding: UnsafeBufferPointer(start: message.pointee.output, count: count), as: UTF8.self)
        }
    }
}
