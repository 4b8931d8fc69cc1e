import Foundation
import GS1

/// Writes labels as ZPL II for Zebra printers: `^CI28` UTF-8, every field `^FH`-escaped, native
/// barcode commands with the printer's own symbol generator, `^GF` for images.
///
/// Pure: text in, text out; sending it is the Printing target's work.
public struct ZPLWriter: Sendable {
    public init() {}

    /// The ZPL for one label (with `^PQ` for its copies).
    ///
    /// - Throws: ``LabelError`` when a symbol drawn as a graphic (GS1 QR, modules over 10 dots)
    ///   cannot be encoded, or text has a character the label font has no glyph for (the
    ///   printer's resident font has fewer).
    public func write(_ label: LabelLayout) throws(LabelError) -> String {
        var zpl = ZPLText()
        zpl.reserve(1024)
        zpl += "^XA\n^CI28\n^PW"; zpl += label.width; zpl += "\n^LL"; zpl += label.height; zpl += "\n^LH0,0\n"
        for (index, item) in label.items.enumerated() {
            switch item {
            case .text(let run):
                do { try FontFace.checkGlyphs(run) } catch { throw label.located(error, item: index) }
                text(run, into: &zpl)
            case .barcode(let barcode):
                try self.barcode(barcode, into: &zpl)
                if let hri = barcode.humanReadable { text(hri, into: &zpl) }
            case .box(let x, let y, let width, let height, let thickness, let radius):
                zpl.origin(x, y)
                zpl += "^GB"; zpl += width; zpl += ","; zpl += height; zpl += ","; zpl += thickness
                zpl += ",B,"; zpl += Self.rounding(radius, width, height); zpl += "^FS\n"
            case .reverse(let x, let y, let width, let height):
                zpl.origin(x, y)
                zpl += "^FR^GB"; zpl += width; zpl += ","; zpl += height; zpl += ","; zpl += min(width, height); zpl += ",B,0^FS\n"
            case .image(let x, let y, let bitmap):
                zpl.origin(x, y)
                zpl.append(ZPLGraphic.field(bitmap))
                zpl += "^FS\n"
            }
        }
        if label.copies > 1 { zpl += "^PQ"; zpl += label.copies; zpl += ",0,1,N\n" }
        zpl += "^XZ\n"
        return zpl.string
    }

    /// ZPL's corner rounding 0–8: the radius is `r/8` of half the shorter side.
    static func rounding(_ radius: Int, _ width: Int, _ height: Int) -> Int {
        let shorter = max(1, min(width, height))
        return min(8, max(0, Int((Double(radius * 16) / Double(shorter)).rounded())))
    }

    private func text(_ run: TextRun, into zpl: inout ZPLText) {
        let orientation: StaticString = switch run.rotation {
        case 90: "R"
        case 180: "I"
        case 270: "B"
        default: "N"
        }
        let justification: StaticString = switch run.alignment {
        case .left: "L"
        case .center: "C"
        case .right: "R"
        }
        // Inside ^FB a backslash starts ^FB's own escapes (`\&` is a line break), read after ^FH
        // has decoded the hex, and `\\` for a backslash needs ^CI13. Text with a backslash is
        // therefore aligned by our own font's width instead of by a field block.
        let fieldBlock = run.alignment != .left && !run.text.utf8.contains(ZPLEscaping.hexIndicator)
        var run = run
        if run.alignment != .left, !fieldBlock {
            run = run.aligned(textWidth: TextLayout.width(run.text, lineHeight: run.lineHeight, bold: run.bold))
        }
        let strikes = run.bold ? [(0, 0), run.rotation % 180 == 0 ? (1, 0) : (0, 1)] : [(0, 0)]
        for (dx, dy) in strikes {
            zpl.origin(run.x + dx, run.y + dy)
            zpl += "^A0"; zpl += orientation; zpl += ","; zpl += run.lineHeight; zpl += ","; zpl += run.lineHeight
            // Left-aligned lines need no field block: the line was broken with our font's
            // widths, and a one-line ^FB would overprint if the printer's font ran longer.
            if fieldBlock { zpl += "^FB"; zpl += max(1, run.length); zpl += ",1,0,"; zpl += justification; zpl += ",0" }
            zpl += "^FH\\^FD"; zpl.appendHex(run.text); zpl += "^FS\n"
        }
    }

    private func barcode(_ item: BarcodeItem, into zpl: inout ZPLText) throws(LabelError) {
        zpl.origin(item.x, item.y)
        // ^BY, ^BQ and ^BX take at most 10 dots a module; larger modules (0.5 mm at 600 dpi) go
        // as a graphic of libzint's modules instead, still in whole dots.
        guard item.module <= 10 else {
            zpl.append(ZPLGraphic.field(try SymbolRaster.draw(item)))
            zpl += "^FS\n"
            return
        }
        switch (item.symbology, item.content) {
        case (.gs1_128, .gs1(let elements)):
            let tokens = Code128Plan.tokens(
                gs1: elements.elements.map { ($0.ai, $0.value) }, separatorAfter: { elements.needsSeparator(after: $0) })
            zpl += "^BY"; zpl += item.module; zpl += "^BCN,"; zpl += item.height; zpl += ",N,N,N,N^FH\\^FD"
            zpl.appendHex(Code128Plan.fieldData(tokens)); zpl += "^FS\n"
        case (.code128, .text(let text)):
            zpl += "^BY"; zpl += item.module; zpl += "^BCN,"; zpl += item.height; zpl += ",N,N,N,N^FH\\^FD"
            zpl.appendHex(Code128Plan.fieldData(Code128Plan.tokens(text: text))); zpl += "^FS\n"
        case (.gs1DataMatrix, .gs1(let elements)):
            // `_1` is FNC1 for ^BX (its escape character set explicitly: the default differs
            // by firmware) and a `_` in data is doubled; the field's own ^FH escape is `\`, so
            // the two never collide (^FH is decoded first: `\5F` would become an escape again).
            var data = "_1"
            for (index, element) in elements.elements.enumerated() {
                data += element.ai + ZPLEscaping.doublingUnderscores(element.value)
                if index < elements.elements.count - 1, elements.needsSeparator(after: index) { data += "_1" }
            }
            dataMatrix(item, data, into: &zpl)
        case (.dataMatrix, .text(let text)):
            dataMatrix(item, ZPLEscaping.doublingUnderscores(text), into: &zpl)
        case (.qr, .text(let text)):
            // Error correction M and automatic input mode, as libzint encodes it for PNG.
            zpl += "^BQN,2,"; zpl += item.module; zpl += "^FH\\^FDMA,"; zpl.appendHex(text); zpl += "^FS\n"
        case (.ean13, .text(let digits)):
            zpl += "^BY"; zpl += item.module; zpl += "^BEN,"; zpl += item.height; zpl += ",N,N^FD"
            zpl.append(String(digits.prefix(12))); zpl += "^FS\n"
        case (.upcA, .text(let digits)):
            zpl += "^BY"; zpl += item.module; zpl += "^BUN,"; zpl += item.height; zpl += ",N,N,N^FD"
            zpl.append(String(digits.prefix(11))); zpl += "^FS\n"
        case (.itf14, .text(let digits)):
            zpl += "^BY"; zpl += item.module; zpl += ",3^B2N,"; zpl += item.height; zpl += ",N,N,N^FD"
            zpl.append(digits); zpl += "^FS\n"
        case (.code39, .text(let text)):
            // Wide bars twice the narrow ones, as libzint draws Code 39 for PNG (ITF: three times).
            zpl += "^BY"; zpl += item.module; zpl += ",2^B3N,N,"; zpl += item.height; zpl += ",N,N^FH\\^FD"
            zpl.appendHex(text); zpl += "^FS\n"
        default:
            // GS1 QR has no FNC1 mode in ^BQ: the symbol goes as a graphic of libzint's modules.
            zpl.append(ZPLGraphic.field(try SymbolRaster.draw(item)))
            zpl += "^FS\n"
        }
    }

    private func dataMatrix(_ item: BarcodeItem, _ data: String, into zpl: inout ZPLText) {
        zpl += "^BXN,"; zpl += item.module; zpl += ",200,"; zpl += item.symbolSize.columns; zpl += ","
        zpl += item.symbolSize.rows; zpl += ",6,_^FH\\^FD"; zpl.appendHex(data); zpl += "^FS\n"
    }
}

/// ZPL being written: bytes appended without the intermediate strings of interpolation, which
/// cost more than the label's own work.
struct ZPLText {
    private(set) var bytes: [UInt8] = []

    mutating func reserve(_ count: Int) { bytes.reserveCapacity(count) }

    static func += (text: inout ZPLText, literal: StaticString) {
        literal.withUTF8Buffer { text.bytes.append(contentsOf: $0) }
    }

    static func += (text: inout ZPLText, number: Int) {
        text.append(number)
    }

    mutating func append(_ string: String) { bytes.append(contentsOf: string.utf8) }

    /// A number's digits (a small string: no allocation).
    mutating func append(_ number: Int) { bytes.append(contentsOf: String(number).utf8) }

    /// `^FO` with the field origin.
    mutating func origin(_ x: Int, _ y: Int) {
        self += "^FO"; append(x); self += ","; append(y)
    }

    /// Field data with ``ZPLEscaping``'s hex escapes.
    mutating func appendHex(_ value: String) {
        ZPLEscaping.appendHex(value, to: &bytes)
    }

    var string: String { String(decoding: bytes, as: UTF8.self) }
}
