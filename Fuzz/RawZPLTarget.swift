#if canImport(Labels)
import Labels
#endif
import Foundation
import GS1

/// The barcodes of raw ZPL, read as a printer reads them (`RawZPLBarcodes`). The input is a ZPL
/// label: reading it returns barcodes or throws ``LabelError``, and each barcode's data lies inside
/// the label's text. The same text is also a value that must come back out of ZPL as itself:
/// written by ``ZPLWriter`` into `^BC` (Code 128's subsets and `>` escapes), `^BX` (`_` doubled),
/// `^BQ` and, when it is bracketed GS1 data, GS1-128 and GS1 DataMatrix; and filled into a raw
/// template's `^BC` and `^BX` fields (whose escaping `Template.fillRaw` promises), wherever the
/// symbology accepts the value.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let text = String(decoding: UnsafeRawBufferPointer(start: start, count: count), as: UTF8.self)
    do throws(LabelError) {
        let size = text.utf8.count
        for barcode in try RawZPLBarcodes.barcodes(in: text) where barcode.data.lowerBound < 0 || barcode.data.upperBound > size {
            fatalError("\(barcode.name): data at \(barcode.data), outside the \(size) bytes of the label")
        }
    } catch {
        _ = error.description
    }
    written(text)
    filled(text)
    return 0
}

/// What ZPLWriter writes reads back as the content it was given.
private func written(_ value: String) {
    var contents: [(Symbology, BarcodeContent)] = [(.dataMatrix, .text(value)), (.qr, .text(value))]
    if (try? BarcodeContent.plain(value, for: .code128)) != nil { contents.append((.code128, .text(value))) }
    if value.hasPrefix("("), let code = try? GS1Parser().parseBracketed(value),
       let built = try? ElementStringBuilder().build(code.elements) {
        contents += [(.gs1_128, .gs1(built)), (.gs1DataMatrix, .gs1(built))]
    }
    for (symbology, content) in contents where !value.isEmpty {
        let item = BarcodeItem(
            x: 10, y: 10, symbology: symbology, content: content, symbolSize: SymbolSize(rows: 1, columns: 1), encoded: nil,
            module: 3, height: 80, humanReadable: nil, name: "fuzz")
        let label = LabelLayout(width: 800, height: 800, dpi: 203, copies: 1, items: [.barcode(item)])
        let zpl: String
        do {
            zpl = try ZPLWriter().write(label)
        } catch {
            fatalError("ZPLWriter refused \(symbology) '\(value)': \(error)")
        }
        expect(zpl, reads: [(symbology, content)])
    }
}

/// A raw template's `^BC` and `^BX` fields filled with the value read back as the value.
private func filled(_ value: String) {
    let flat = value.replacingOccurrences(of: "\r\n", with: " ").replacingOccurrences(of: "\n", with: " ")
    guard !flat.isEmpty else { return }
    var expected: [(Symbology, BarcodeContent)] = []
    var zpl = "^XA\n"
    if (try? BarcodeContent.plain(flat, for: .code128)) != nil {
        zpl += "^FO10,10^BY2^BCN,80,Y,N,N^FD{{v}}^FS\n^FO10,120^FH_^BCN,80,N,N,N,A^FD{{v}}^FS\n"
        expected += [(.code128, .text(flat)), (.code128, .text(flat))]
    }
    zpl += "^FO10,300^BXN,6,200,,,,_^FD{{v}}^FS\n^FO300,300^FH_^BXN,6,200,,,,_^FD{{v}}^FS\n^FO10,500^BXN,6,200,,,,\\^FD{{v}}^FS\n^XZ\n"
    expected += [(.dataMatrix, .text(flat)), (.dataMatrix, .text(flat)), (.dataMatrix, .text(flat))]
    let template: Template
    let fill: Template.RawFill
    do {
        template = try TemplateLoader().loadRaw(zpl, language: .zpl, sample: .object(["v": .string("x")]))
        fill = try template.fillRaw(.object(["v": .string(value)]))
    } catch {
        fatalError("the raw template did not fill: \(error)")
    }
    expect(fill.text, reads: expected)
}

private func expect(_ zpl: String, reads expected: [(Symbology, BarcodeContent)]) {
    let barcodes: [RawZPLBarcodes.Barcode]
    do {
        barcodes = try RawZPLBarcodes.barcodes(in: zpl)
    } catch {
        fatalError("ZPL written for \(expected.map(\.1)) does not read: \(error)\n\(zpl)")
    }
    let read = barcodes.map { ($0.symbology, $0.content) }
    if read.count != expected.count || !zip(read, expected).allSatisfy({ $0.0 == $1.0 && $0.1 == $1.1 }) {
        fatalError("ZPL written for \(expected) reads as \(read)\n\(zpl)")
    }
}
