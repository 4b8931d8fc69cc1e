import Foundation
import GS1

/// Check before print: every barcode of a label is drawn as the PNG renderer draws it, read back
/// by a reader we did not write (zbar for linear symbols and QR, libdmtx for DataMatrix), and
/// compared with the data it was meant to carry. A label whose barcode would not scan back to
/// its data is refused.
///
/// For ZPL the printer draws its own symbol from the same data; what this checks there is that
/// the data encodes and reads back in the symbology, not the printer's drawing.
public struct LabelVerifier: Sendable {
    public init() {}

    /// Throws ``LabelError`` (`unverified`) naming the first barcode that does not read back.
    /// Nothing else is drawn over a barcode or in its quiet zone: laying the label out refused
    /// that already (``LabelLayout/quietZoneProblem(_:index:)``).
    public func verify(_ label: LabelLayout) throws(LabelError) {
        for item in label.items {
            guard case .barcode(let barcode) = item else { continue }
            try check(barcode)
        }
    }

    /// A rectangle of dots.
    struct Zone: Equatable {
        var x: Int, y: Int, width: Int, height: Int

        func intersects(_ other: Zone) -> Bool {
            x < other.x + other.width && other.x < x + width && y < other.y + other.height && other.y < y + height
        }

        /// A barcode with the quiet zone a scanner needs: 10 modules either side of a linear
        /// symbol, 1 around a DataMatrix, 4 around a QR code (ISO/IEC 15417, 16022, 18004).
        static func quiet(around barcode: BarcodeItem) -> Zone {
            let (width, height) = barcode.size
            let (across, along): (Int, Int) = switch barcode.symbology {
            case .dataMatrix, .gs1DataMatrix: (barcode.module, barcode.module)
            case .qr, .gs1QR: (4 * barcode.module, 4 * barcode.module)
            default: (10 * barcode.module, 0)
            }
            return Zone(x: barcode.x - across, y: barcode.y - along, width: width + 2 * across, height: height + 2 * along)
        }

        /// Where an item may put ink: a box's four sides (its inside only when filled, which a box
        /// as thick as it is wide is), a text's line, a whole image or reverse area or symbol.
        static func inked(by item: LayoutItem) -> [Zone] {
            switch item {
            case .text(let run):
                let upright = run.rotation == 0 || run.rotation == 180
                return [Zone(x: run.x, y: run.y, width: upright ? run.length : run.lineHeight, height: upright ? run.lineHeight : run.length)]
            case .barcode(let barcode):
                let (width, height) = barcode.size
                var zones = [Zone(x: barcode.x, y: barcode.y, width: width, height: height)]
                if let hri = barcode.humanReadable { zones += inked(by: .text(hri)) }
                return zones
            case .box(let x, let y, let width, let height, let thickness, _):
                let t = max(1, thickness)
                return [Zone(x: x, y: y, width: width, height: t), Zone(x: x, y: y + height - t, width: width, height: t),
                        Zone(x: x, y: y, width: t, height: height), Zone(x: x + width - t, y: y, width: t, height: height)]
            case .reverse(let x, let y, let width, let height):
                return [Zone(x: x, y: y, width: width, height: height)]
            case .image(let x, let y, let bitmap):
                return [Zone(x: x, y: y, width: bitmap.width, height: bitmap.height)]
            }
        }
    }

    /// Check before print for a filled raw ZPL label: each barcode's data, read as the printer
    /// will read it (``RawZPLBarcodes``), must be what its field says and valid for its
    /// symbology (GS1 data included), and a symbol drawn from it must read back to it.
    ///
    /// - Throws: ``LabelError`` (`unverified`) naming the field (`^BC field at line 8`).
    ///
    /// With `placed` (what ``Template/fillRaw(_:)`` reports), each value put into a barcode's
    /// field must also come out of that barcode as itself: inside the text it carries, or inside
    /// one GS1 element's value. A value that turned into an invocation, a subset switch, an FNC1
    /// or a second element is refused, not only a barcode that does not read.
    public func verify(rawZPL zpl: String, placed: [RawPlacement] = []) throws(LabelError) {
        for barcode in try RawZPLBarcodes.barcodes(in: zpl) {
            for placement in placed where barcode.data.contains(placement.offset) && !placement.value.isEmpty {
                guard Self.carries(barcode.content, placement.value) else {
                    throw LabelError(
                        .unverified,
                        "the value '\(Self.printable(placement.value))' of \(placement.field) does not come out of the barcode as itself: it carries '\(Self.printable(Self.shown(barcode.content)))'; the label was not printed",
                        element: barcode.name)
                }
            }
            let (size, encoded): (SymbolSize, SymbolMatrix?)
            do {
                (size, encoded) = try SymbolSizes.size(of: barcode.content, as: barcode.symbology)
            } catch {
                throw LabelError(.unverified, "\(error.message); the label was not printed", element: barcode.name)
            }
            try check(BarcodeItem(x: 0, y: 0, symbology: barcode.symbology, content: barcode.content, symbolSize: size,
                                  encoded: encoded, module: barcode.symbology.isMatrix ? 4 : 3, height: 80,
                                  humanReadable: nil, name: barcode.name))
        }
    }

    private func check(_ barcode: BarcodeItem) throws(LabelError) {
        let expected = Self.expected(barcode)
        let read = try Self.read(barcode)
        guard read.contains(expected) else {
            let got = read.first.map { "'\(Self.printable($0))'" } ?? "nothing"
            throw LabelError(
                .unverified, "reads back as \(got), not '\(Self.printable(expected))'; the label was not printed",
                element: barcode.name)
        }
    }

    /// Whether a barcode's data holds `value` as itself.
    static func carries(_ content: BarcodeContent, _ value: String) -> Bool {
        switch content {
        case .text(let text): text.contains(value)
        case .gs1(let elements): elements.elements.contains { $0.value.contains(value) }
        }
    }

    /// A barcode's data as a person reads it: GS1 data in bracketed form.
    static func shown(_ content: BarcodeContent) -> String {
        switch content {
        case .text(let text): text
        case .gs1(let elements): elements.elements.map { "(\($0.ai))\($0.value)" }.joined()
        }
    }

    /// What a reader should give: GS1 data as the element string with GS separators.
    static func expected(_ barcode: BarcodeItem) -> String {
        switch barcode.content {
        case .gs1(let elements): elements.raw
        case .text(let text): text
        }
    }

    /// Readers' texts for one symbol, drawn alone with a quiet zone, normalised: no leading GS,
    /// UPC-A without EAN-13's leading zero, and an EAN-13 with it.
    static func read(_ barcode: BarcodeItem) throws(LabelError) -> [String] {
        let symbol = try SymbolRaster.draw(barcode)
        let quiet = barcode.module * 12
        var page = Bitmap(width: symbol.width + 2 * quiet, height: symbol.height + 2 * quiet)
        page.draw(symbol, x: quiet, y: quiet)
        return decode(page, as: barcode)
    }

    /// Readers' texts for the symbol of `barcode` somewhere on `page`, normalised as ``read(_:)``'s.
    static func decode(_ page: Bitmap, as barcode: BarcodeItem) -> [String] {
        let grey = page.pixels.map { $0 != 0 ? UInt8(0) : UInt8(255) }
        var texts: [String]
        switch barcode.symbology {
        case .dataMatrix, .gs1DataMatrix:
            texts = BarcodeReader.dataMatrix(grey, width: page.width, height: page.height).map { [$0] } ?? []
        case .qr, .gs1QR:
            texts = BarcodeReader.zbar(grey, width: page.width, height: page.height)
        default:
            // Linear symbols are drawn upright: their rows are all alike.
            texts = BarcodeReader.zbar(grey, width: page.width, height: page.height, rowsOnly: true)
        }
        texts = texts.map { $0.hasPrefix("\u{1D}") ? String($0.dropFirst()) : $0 }
        // Non-ASCII text goes in a DataMatrix under ECI 26 (UTF-8, ``ZintSymbol``); libdmtx gives
        // the ECI's number as a byte (0x1A) before the text instead of interpreting it.
        if barcode.symbology == .dataMatrix, case .text(let text) = barcode.content, !text.unicodeScalars.allSatisfy(\.isASCII) {
            texts = texts.map { $0.hasPrefix("\u{1A}") ? String($0.dropFirst()) : $0 }
        }
        if barcode.symbology == .upcA {
            texts = texts.map { $0.count == 13 && $0.hasPrefix("0") ? String($0.dropFirst()) : $0 }
        }
        // zbar gives an EAN-13 whose first digit is 0 as the UPC-A it also is (twelve digits).
        if barcode.symbology == .ean13 {
            texts = texts.map { $0.count == 12 ? "0" + $0 : $0 }
        }
        return texts
    }

    private static func printable(_ text: String) -> String {
        text.replacingOccurrences(of: "\u{1D}", with: "<GS>")
    }
}
