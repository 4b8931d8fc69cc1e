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
    ///   cannot be encoded.
    public func write(_ label: LabelLayout) throws(LabelError) -> String {
        var zpl = "^XA\n^CI28\n^PW\(label.width)\n^LL\(label.height)\n^LH0,0\n"
        for item in label.items {
            switch item {
            case .text(let run):
                text(run, into: &zpl)
            case .barcode(let barcode):
                try self.barcode(barcode, into: &zpl)
                if let hri = barcode.humanReadable { text(hri, into: &zpl) }
            case .box(let x, let y, let width, let height, let thickness, let radius):
                zpl += "^FO\(x),\(y)^GB\(width),\(height),\(thickness),B,\(Self.rounding(radius, width, height))^FS\n"
            case .reverse(let x, let y, let width, let height):
                zpl += "^FO\(x),\(y)^FR^GB\(width),\(height),\(min(width, height)),B,0^FS\n"
            case .image(let x, let y, let bitmap):
                zpl += "^FO\(x),\(y)\(ZPLGraphic.field(bitmap))^FS\n"
            }
        }
        if label.copies > 1 { zpl += "^PQ\(label.copies),0,1,N\n" }
        zpl += "^XZ\n"
        return zpl
    }

    /// ZPL's corner rounding 0–8: the radius is `r/8` of half the shorter side.
    static func rounding(_ radius: Int, _ width: Int, _ height: Int) -> Int {
        let shorter = max(1, min(width, height))
        return min(8, max(0, Int((Double(radius * 16) / Double(shorter)).rounded())))
    }

    private func text(_ run: TextRun, into zpl: inout String) {
        let orientation = switch run.rotation {
        case 90: "R"
        case 180: "I"
        case 270: "B"
        default: "N"
        }
        let justification = switch run.alignment {
        case .left: "L"
        case .center: "C"
        case .right: "R"
        }
        let data = ZPLEscaping.hex(run.text)
        // Inside ^FB a backslash starts ^FB's own escapes (`\&` is a line break), read after ^FH
        // has decoded the hex, and `\\` for a backslash needs ^CI13. Text with a backslash is
        // therefore aligned by our own font's width instead of by a field block.
        let fieldBlock = run.alignment != .left && !run.text.utf8.contains(ZPLEscaping.hexIndicator)
        var run = run
        if run.alignment != .left, !fieldBlock {
            let spare = max(0, run.length - TextLayout.width(run.text, lineHeight: run.lineHeight, bold: run.bold))
            let shift = run.alignment == .center ? spare / 2 : spare
            switch run.rotation {
            case 90: run.y += shift
            case 180: run.x += spare - shift  // read right to left: the start is on the right
            case 270: run.y += spare - shift  // read bottom to top
            default: run.x += shift
            }
        }
        let strikes = run.bold ? [(0, 0), run.rotation % 180 == 0 ? (1, 0) : (0, 1)] : [(0, 0)]
        for (dx, dy) in strikes {
            zpl += "^FO\(run.x + dx),\(run.y + dy)^A0\(orientation),\(run.lineHeight),\(run.lineHeight)"
            // Left-aligned lines need no field block: the line was broken with our font's
            // widths, and a one-line ^FB would overprint if the printer's font ran longer.
            if fieldBlock { zpl += "^FB\(max(1, run.length)),1,0,\(justification),0" }
            zpl += "^FH\\^FD\(data)^FS\n"
        }
    }

    private func barcode(_ item: BarcodeItem, into zpl: inout String) throws(LabelError) {
        let origin = "^FO\(item.x),\(item.y)"
        // ^BY, ^BQ and ^BX take at most 10 dots a module; larger modules (0.5 mm at 600 dpi) go
        // as a graphic of libzint's modules instead, still in whole dots.
        guard item.module <= 10 else {
            zpl += "\(origin)\(ZPLGraphic.field(try SymbolRaster.draw(item)))^FS\n"
            return
        }
        switch (item.symbology, item.content) {
        case (.gs1_128, .gs1(let elements)):
            let tokens = Code128Plan.tokens(
                gs1: elements.elements.map { ($0.ai, $0.value) }, separatorAfter: { elements.needsSeparator(after: $0) })
            zpl += "\(origin)^BY\(item.module)^BCN,\(item.height),N,N,N,N^FH\\^FD\(ZPLEscaping.hex(Code128Plan.fieldData(tokens)))^FS\n"
        case (.code128, .text(let text)):
            let data = Code128Plan.fieldData(Code128Plan.tokens(text: text))
            zpl += "\(origin)^BY\(item.module)^BCN,\(item.height),N,N,N,N^FH\\^FD\(ZPLEscaping.hex(data))^FS\n"
        case (.gs1DataMatrix, .gs1(let elements)):
            // `_1` is FNC1 for ^BX (its escape character set explicitly: the default differs
            // by firmware) and a `_` in data is doubled; the field's own ^FH escape is `\`, so
            // the two never collide (^FH is decoded first: `\5F` would become an escape again).
            var data = "_1"
            for (index, element) in elements.elements.enumerated() {
                data += element.ai + ZPLEscaping.doublingUnderscores(element.value)
                if index < elements.elements.count - 1, elements.needsSeparator(after: index) { data += "_1" }
            }
            zpl += "\(origin)^BXN,\(item.module),200,\(item.symbolSize.columns),\(item.symbolSize.rows),6,_^FH\\^FD\(ZPLEscaping.hex(data))^FS\n"
        case (.dataMatrix, .text(let text)):
            let data = ZPLEscaping.doublingUnderscores(text)
            zpl += "\(origin)^BXN,\(item.module),200,\(item.symbolSize.columns),\(item.symbolSize.rows),6,_^FH\\^FD\(ZPLEscaping.hex(data))^FS\n"
        case (.qr, .text(let text)):
            // Error correction M and automatic input mode, as libzint encodes it for PNG.
            zpl += "\(origin)^BQN,2,\(item.module)^FH\\^FDMA,\(ZPLEscaping.hex(text))^FS\n"
        case (.ean13, .text(let digits)):
            zpl += "\(origin)^BY\(item.module)^BEN,\(item.height),N,N^FD\(digits.prefix(12))^FS\n"
        case (.upcA, .text(let digits)):
            zpl += "\(origin)^BY\(item.module)^BUN,\(item.height),N,N,N^FD\(digits.prefix(11))^FS\n"
        case (.itf14, .text(let digits)):
            zpl += "\(origin)^BY\(item.module),3^B2N,\(item.height),N,N,N^FD\(digits)^FS\n"
        case (.code39, .text(let text)):
            // Wide bars twice the narrow ones, as libzint draws Code 39 for PNG (ITF: three times).
            zpl += "\(origin)^BY\(item.module),2^B3N,N,\(item.height),N,N^FH\\^FD\(ZPLEscaping.hex(text))^FS\n"
        default:
            // GS1 QR has no FNC1 mode in ^BQ: the symbol goes as a graphic of libzint's modules.
            zpl += "\(origin)\(ZPLGraphic.field(try SymbolRaster.draw(item)))^FS\n"
        }
    }
}
