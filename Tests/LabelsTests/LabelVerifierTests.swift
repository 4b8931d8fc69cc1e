import Foundation
import Testing
import TracemarkTesting
@testable import Labels

@Suite struct LabelVerifierTests {
    /// Every symbology's label reads back (zbar, libdmtx) to the data put in, at 203 and 300 dpi.
    @Test(arguments: SymbologyTests.cases, [203, 300])
    func everySymbologyReadsBack(_ testCase: SymbologyTests.Case, dpi: Int) throws {
        let label = try SymbologyTests.template(testCase).layout(.object([:]), dpi: dpi)
        guard case .barcode(let barcode) = label.items.first else { Issue.record("no barcode"); return }
        let read = try LabelVerifier.read(barcode)
        #expect(read.contains(LabelVerifier.expected(barcode)), "\(read)")
        try LabelVerifier().verify(label)
    }

    @Test func theShippedTemplatesVerify() throws {
        for name in ["gs1-lot-100x50", "serial-50x25", "pallet-sscc-100x150", "pallet-sscc-mixed-100x150", "hazard-100x100",
                     "control-sheet-100x150"] {
            let template = try TemplateLoader().load(contentsOf: Repository.templates.appendingPathComponent(name + ".yaml"))
            try LabelVerifier().verify(try template.layout(template.sample))
        }
    }

    /// A symbol that reads alone can be spoilt on the label by what is drawn over it or in its
    /// quiet zone: refused when the label is laid out, naming the element to move (a symbol that
    /// still decoded from the image with a frame's line at its last bar was printed, and a
    /// scanner does not read that reliably; a QA run). A frame around a symbol, clear of it, passes.
    @Test func aTextDrawnOverABarcodeIsRefusedNamingIt() throws {
        #expect {
            _ = try TemplateLoader().load(yaml: """
            size: [50mm, 25mm]
            elements:
              - {type: barcode, id: dm, symbology: gs1-datamatrix, at: [2, 2], module: 0.5, ais: {"01": "{{gtin}}", "21": "{{serial}}"}}
              - {type: text, id: serial, at: [2, 6], text: "SN {{serial}} {{serial}}", size: 4, bold: true}
            sample: {gtin: "09501101530003", serial: "SN000123"}
            """, file: "over.yaml")
        } throws: { error in
            guard let error = error as? LabelError else { return false }
            return error.code == .invalidValue && error.element == "barcode 'dm'" && error.file == "over.yaml"
                && error.message.contains("text 'serial' (line 4) is drawn in the barcode's quiet zone")
        }
        let framed = try TemplateLoader().load(yaml: """
            size: [50mm, 25mm]
            elements:
              - {type: box, at: [1, 1], size: [16, 16], thickness: 0.3}
              - {type: barcode, id: dm, symbology: gs1-datamatrix, at: [3, 3], module: 0.5, ais: {"01": "{{gtin}}", "21": "{{serial}}"}}
              - {type: text, id: serial, at: [19, 3], text: "SN {{serial}}", size: 3}
            sample: {gtin: "09501101530003", serial: "SN000123"}
            """)
        try LabelVerifier().verify(try framed.layout(framed.sample))
    }

    /// Text beyond ASCII in a plain DataMatrix (ECI 26, UTF-8) verifies, and reads back as itself.
    @Test func aPlainDataMatrixOfNonASCIITextVerifies() throws {
        let template = try TemplateLoader().load(yaml: """
            size: [50mm, 25mm]
            elements:
              - {type: barcode, id: dm, symbology: datamatrix, at: [2mm, 2mm], data: "Åsa Öberg 漢字"}
            """)
        let label = try template.layout(template.sample)
        try LabelVerifier().verify(label)
        guard case .barcode(let barcode) = label.items[0] else { Issue.record("no barcode"); return }
        #expect(try LabelVerifier.read(barcode) == ["Åsa Öberg 漢字"])
    }

    /// A symbol whose modules were damaged (here: a DataMatrix with a quarter of its modules
    /// flipped) does not read back, and the label is refused with the element named.
    @Test func aDamagedSymbolIsRefused() throws {
        let template = try TemplateLoader().load(yaml: """
            size: [50mm, 25mm]
            elements:
              - {type: barcode, id: dm, symbology: gs1-datamatrix, at: [2mm, 2mm], ais: {"01": "09501101530003", "21": "X1"}}
            """)
        var label = try template.layout(template.sample)
        guard case .barcode(var barcode) = label.items[0] else { Issue.record("no barcode"); return }
        let matrix = try barcode.modules()
        var modules = matrix.modules
        for index in stride(from: 0, to: modules.count, by: 4) { modules[index] ^= 1 }
        barcode.encoded = SymbolMatrix(rows: matrix.rows, columns: matrix.columns, modules: modules)
        label.items[0] = .barcode(barcode)
        let error = try #require(throws: LabelError.self) { try LabelVerifier().verify(label) }
        #expect(error.code == .unverified)
        #expect(error.element == "barcode 'dm'")
    }
}
