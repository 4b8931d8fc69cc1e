/// Writes labels as EPL2 for Eltron and older Zebra printers: `N` to clear, `q`/`Q` for the
/// label size, `A` text, `B` linear barcodes, `LO` lines, `X` boxes, `GW` graphics, `P` to print.
///
/// EPL2 printers mostly lack 2-D symbols (QR on some models, DataMatrix only after a firmware
/// download), so DataMatrix and QR go as `GW` bitmaps of libzint's modules, as do images. EPL's
/// resident fonts are fixed bitmaps; text uses the font nearest in height, in Windows-1252
/// (`I8,A,001`): a character outside it is refused, naming the element, rather than printed
/// as some other character.
public struct EPLWriter: Sendable {
    public init() {}

    /// The EPL2 for one label.
    ///
    /// - Throws: ``LabelError`` when a symbol drawn as a graphic cannot be encoded, or text has
    ///   a character the printer's fonts do not have.
    public func write(_ label: LabelLayout) throws(LabelError) -> [UInt8] {
        var out = [UInt8]()
        func line(_ text: String) { out += Array(text.utf8) + [0x0A] }
        line("")
        // 8-bit data in Windows-1252 (Latin 1), country USA: the printer's default is DOS 437.
        line("I8,A,001")
        line("N")
        line("q\(label.width)")
        line("Q\(label.height),24")
        for (index, item) in label.items.enumerated() {
            switch item {
            case .text(let run):
                do { try text(run, dpi: label.dpi, into: &out) } catch { throw label.located(error, item: index) }
            case .barcode(let barcode):
                try self.barcode(barcode, into: &out)
                if let hri = barcode.humanReadable {
                    do { try text(hri, dpi: label.dpi, into: &out) } catch { throw label.located(error, item: index) }
                }
            case .box(let x, let y, let width, let height, let thickness, _):
                if thickness * 2 >= min(width, height) {
                    line("LO\(x),\(y),\(width),\(height)")
                } else {
                    line("X\(x),\(y),\(thickness),\(x + width),\(y + height)")
                }
            case .reverse(let x, let y, let width, let height):
                line("LE\(x),\(y),\(width),\(height)")
            case .image(let x, let y, let bitmap):
                graphic(bitmap, x: x, y: y, into: &out)
            }
        }
        line("P\(label.copies)")
        return out
    }

    /// `"` and `\` inside EPL2 data are written `\"` and `\\`; line breaks end a command, so
    /// they become spaces, and so does every other control character (NUL, ESC, BEL, GS, DEL,
    /// C1): a printer reads them as bytes of its own protocol, never as text.
    static func quoted(_ value: String) -> String {
        // Per Unicode scalar, not per character: a `"` with a combining mark after it, or a
        // prepended letter before it, is one character that is not equal to `"`, and the printer
        // reads bytes (found by the Mustache fuzz target).
        var out = String.UnicodeScalarView()
        out.append("\"")
        var previous: Unicode.Scalar?
        for scalar in value.unicodeScalars {
            defer { previous = scalar }
            switch scalar {
            case "\"": out.append(contentsOf: "\\\"".unicodeScalars)
            case "\\": out.append(contentsOf: "\\\\".unicodeScalars)
            case "\n" where previous == "\r": break
            case "\n", "\r": out.append(" ")
            case _ where scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value): out.append(" ")
            default: out.append(scalar)
            }
        }
        out.append("\"")
        return String(out)
    }

    private func text(_ run: TextRun, dpi: Int, into out: inout [UInt8]) throws(LabelError) {
        // Resident fonts 1–4 are 8 x 12, 10 x 16, 12 x 20 and 14 x 24 dots at 203 dpi (12 x 20,
        // 16 x 28, 20 x 36, 24 x 44 at 300 dpi), scaled 1–6 times. Font 5 is left out: it has
        // capital letters only, and a lot number or a product name has small ones. A character
        // takes its font's pitch (20.3, 16.9, 14.5 and 12.7 characters an inch at 203 dpi: 10,
        // 12, 14 and 16 dots, the gap between characters included; 25, 18.75, 15 and 12.5 at
        // 300 dpi); measured by the glyph alone, a lot ran into the quantity beside it (a QA
        // run). The font nearest in height, among those whose characters fit its box when it
        // has one (the smallest when none does); the width is narrowed (not below one) when
        // the text would run past the length the layout gave it.
        let fonts = dpi >= 300
            ? [(1, 12, 20), (2, 16, 28), (3, 20, 36), (4, 24, 44)]
            : [(1, 10, 12), (2, 12, 16), (3, 14, 20), (4, 16, 24)]
        let length = max(run.length, 1), count = run.text.count
        let fitting = run.boxed ? fonts.filter { count * $0.1 <= length } : fonts
        var best = (font: 1, multiplier: 1, error: Int.max)
        for (font, _, height) in fitting.isEmpty ? [fonts[0]] : fitting {
            for multiplier in 1...6 {
                let error = abs(height * multiplier - run.lineHeight)
                if error < best.error || (error == best.error && multiplier < best.multiplier) {
                    best = (font, multiplier, error)
                }
            }
        }
        let characterWidth = fonts[best.font - 1].1
        var horizontal = best.multiplier
        while horizontal > 1, count * characterWidth * horizontal > length { horizontal -= 1 }
        let rotation = run.rotation / 90
        // EPL has no field block: a centred or right-aligned text is moved along its line by
        // what its box has to spare, measured in the resident font's fixed width (it printed
        // left-aligned, where ZPL and PNG honoured the template's `align`).
        let placed = run.aligned(textWidth: run.text.count * characterWidth * horizontal)
        // What no font of ours has is said as for the other outputs (PNG would not help).
        try FontFace.checkGlyphs(run)
        switch Windows1252.encode(Self.quoted(run.text)) {
        case .success(let quoted):
            out += Array("A\(placed.x),\(placed.y),\(rotation),\(best.font),\(horizontal),\(best.multiplier),N,".utf8) + quoted + [0x0A]
        case .failure(let unencodable):
            throw LabelError(.unencodable,
                "the text \"\(run.text)\" has \(unencodable.scalar.named), which an EPL printer's fonts do not have (they print Western European letters, Windows-1252): print this label as PNG through a CUPS queue, whose font has Greek and Cyrillic too, or leave the character out")
        }
    }

    private func barcode(_ item: BarcodeItem, into out: inout [UInt8]) throws(LabelError) {
        let selector: String? = switch item.symbology {
        case .gs1_128, .code128: "1"
        case .ean13: "E30"
        case .upcA: "UA0"
        case .itf14: "2"
        case .code39: "3"
        default: nil
        }
        guard let selector else {
            graphic(try SymbolRaster.draw(item), x: item.x, y: item.y, into: &out)
            return
        }
        let data: String
        switch item.content {
        case .gs1(let elements):
            // EPL2's UCC/EAN-128 mode cannot place FNC1 between variable-length AIs on every
            // printer: GS1-128 goes as a bitmap of libzint's modules, exact to the dot.
            _ = elements
            graphic(try SymbolRaster.draw(item), x: item.x, y: item.y, into: &out)
            return
        case .text(let text):
            data = item.symbology == .ean13 ? String(text.prefix(12)) : item.symbology == .upcA ? String(text.prefix(11)) : text
        }
        // Wide-to-narrow as libzint draws them: ITF 3, Code 39 2.
        let wide = item.symbology == .itf14 ? item.module * 3 : item.symbology == .code39 ? item.module * 2 : item.module
        let line = "B\(item.x),\(item.y),0,\(selector),\(item.module),\(wide),\(item.height),N,\(Self.quoted(data))"
        out += Array(line.utf8) + [0x0A]
    }

    /// `GWx,y,bytesPerRow,rows,data`: raw bytes, 1 = white (the reverse of ZPL's `^GF`).
    private func graphic(_ bitmap: Bitmap, x: Int, y: Int, into out: inout [UInt8]) {
        let (bytesPerRow, bytes) = bitmap.packedRows(blackBit: 0)
        out += Array("GW\(x),\(y),\(bytesPerRow),\(bitmap.height),".utf8)
        out += bytes
        out.append(0x0A)
    }
}
