import CZint
import GS1

/// The modules of an encoded barcode: dark or light, rows by columns, as libzint made them.
/// A linear barcode has one row.
struct SymbolMatrix: Hashable, Sendable {
    let rows: Int
    let columns: Int
    /// Row-major, 1 = dark module.
    let modules: [UInt8]

    func isDark(row: Int, column: Int) -> Bool { modules[row * columns + column] != 0 }
}

/// A libzint symbol, owned for one encoding; all access to `zint_symbol` (whose layout changes
/// with every zint minor version) stays in this file.
final class ZintSymbol {
    private let symbol: UnsafeMutablePointer<zint_symbol>

    init() throws(LabelError) {
        guard let symbol = ZBarcode_Create() else { throw LabelError(.unencodable, "libzint could not allocate a symbol") }
        self.symbol = symbol
    }

    deinit { ZBarcode_Delete(symbol) }

    /// Encodes `content` in `symbology`. GS1 data goes in as the builder's AIs, with
    /// warnings made errors: by default zint only warns about a bad check digit or month 13
    /// and draws the symbol anyway.
    static func encode(_ content: BarcodeContent, as symbology: Symbology) throws(LabelError) -> SymbolMatrix {
        let zint = try ZintSymbol()
        return try zint.encode(content, as: symbology)
    }

    private func encode(_ content: BarcodeContent, as symbology: Symbology) throws(LabelError) -> SymbolMatrix {
        let s = symbol
        s.pointee.warn_level = WARN_FAIL_ALL
        s.pointee.input_mode = DATA_MODE
        let text: String
        switch content {
        case .gs1(let elements):
            // zint's GS1 input puts AIs in square brackets, which GS1 values never contain
            // (round brackets may be in a value).
            text = elements.elements.map { "[\($0.ai)]\($0.value)" }.joined()
            s.pointee.input_mode = GS1_MODE
        case .text(let value):
            // zint's ITF-14 takes 13 digits and adds the check digit itself.
            text = symbology == .itf14 ? String(value.prefix(13)) : value
            if symbology == .qr || symbology == .dataMatrix {
                s.pointee.input_mode = UNICODE_MODE
                // Non-ASCII text in UTF-8 must say so (ECI 26); zint only warns when it is left out.
                if !value.utf8.allSatisfy({ $0 < 0x80 }) { s.pointee.eci = 26 }
            }
        }
        switch symbology {
        case .gs1_128: s.pointee.symbology = BARCODE_GS1_128
        case .code128: s.pointee.symbology = BARCODE_CODE128
        case .gs1DataMatrix, .dataMatrix:
            s.pointee.symbology = BARCODE_DATAMATRIX
            s.pointee.option_3 = DM_SQUARE
        case .qr, .gs1QR:
            s.pointee.symbology = BARCODE_QRCODE
            s.pointee.option_1 = 2  // error correction M, as the ZPL writer asks ^BQ for
        case .ean13: s.pointee.symbology = BARCODE_EANX
        case .upcA: s.pointee.symbology = BARCODE_UPCA
        case .itf14: s.pointee.symbology = BARCODE_ITF14
        case .code39: s.pointee.symbology = BARCODE_CODE39
        }
        if symbology == .itf14 {
            s.pointee.border_width = 0
            s.pointee.output_options = 0
        }
        let bytes = Array(text.utf8)
        let result = bytes.withUnsafeBufferPointer { buffer in
            ZBarcode_Encode(s, buffer.baseAddress, Int32(buffer.count))
        }
        if result != 0 {
            let message = String(cString: tm_zint_error_text(s))
            throw LabelError(.unencodable, "\(symbology.rawValue) cannot encode '\(text)': \(message)")
        }
        let rows = Int(s.pointee.rows), columns = Int(s.pointee.width)
        var modules = [UInt8](repeating: 0, count: rows * columns)
        for row in 0..<rows {
            for column in 0..<columns {
                modules[row * columns + column] = UInt8(tm_zint_module_is_set(s, Int32(row), Int32(column)))
            }
        }
        return SymbolMatrix(rows: rows, columns: columns, modules: modules)
    }
}
