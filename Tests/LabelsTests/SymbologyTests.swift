import Foundation
import Testing
import TracemarkTesting
@testable import Labels

/// Every symbology, on ZPL (rendered by zplkit) and PNG, at 203 and 300 dpi, decoded by the
/// oracle: the data must come back exactly, with the right symbology identifier.
@Suite struct SymbologyTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let symbology: String
        /// The YAML lines giving the data (`data:` or `ais:`).
        let data: String
        let module: String
        let expectedText: String
        let expectedIdentifier: String
        var testDescription: String { symbology }
    }

    static let cases: [Case] = [
        Case(symbology: "gs1-128", data: "ais: {\"01\": \"09501101530003\", \"10\": \"LOT123\", \"17\": \"270131\"}", module: "0.25mm",
             expectedText: "(01)09501101530003(17)270131(10)LOT123", expectedIdentifier: "]C1"),
        Case(symbology: "code128", data: "data: 'Ab^XA~JR\\>12345678'", module: "0.25mm",
             expectedText: "Ab^XA~JR\\>12345678", expectedIdentifier: "]C0"),
        Case(symbology: "gs1-datamatrix", data: "ais: {\"01\": \"09501101530003\", \"21\": \"SN_42\", \"17\": \"270131\"}", module: "0.5mm",
             expectedText: "(01)09501101530003(17)270131(21)SN_42", expectedIdentifier: "]d2"),
        Case(symbology: "datamatrix", data: "data: 'A_1 plain ^FS~ text _'", module: "0.5mm",
             expectedText: "A_1 plain ^FS~ text _", expectedIdentifier: "]d1"),
        Case(symbology: "qr", data: "data: 'https://example.com/lot/LOT-4711?x=^XA'", module: "0.5mm",
             expectedText: "https://example.com/lot/LOT-4711?x=^XA", expectedIdentifier: "]Q1"),
        Case(symbology: "gs1-qr", data: "ais: {\"01\": \"09501101530003\", \"10\": \"LOT-4711\"}", module: "0.5mm",
             expectedText: "(01)09501101530003(10)LOT-4711", expectedIdentifier: "]Q3"),
        Case(symbology: "ean13", data: "data: '950110153000'", module: "0.33mm",
             expectedText: "9501101530003", expectedIdentifier: "]E0"),
        Case(symbology: "upca", data: "data: '03600029145'", module: "0.33mm",
             // zxing-cpp gives UPC-A in its EAN-13 form, with a leading 0.
             expectedText: "0036000291452", expectedIdentifier: "]E0"),
        Case(symbology: "itf14", data: "data: '1950110153000'", module: "0.5mm",
             expectedText: "19501101530000", expectedIdentifier: "]I"),
        Case(symbology: "code39", data: "data: 'LOT-4711 A'", module: "0.25mm",
             expectedText: "LOT-4711 A", expectedIdentifier: "]A0"),
    ]

    static func template(_ testCase: Case) throws -> Template {
        let yaml = """
            size: [100mm, 60mm]
            elements:
              - type: barcode
                symbology: \(testCase.symbology)
                at: [10mm, 8mm]
                module: \(testCase.module)
                height: 15mm
                \(testCase.data)
            """
        return try TemplateLoader().load(yaml: yaml, file: "\(testCase.symbology).yaml")
    }

    static func check(_ result: BarcodeOracle.Result, _ testCase: Case, _ output: String) {
        let barcodes = result.labels.flatMap(\.barcodes)
        #expect(barcodes.count == 1, "\(output): \(barcodes)")
        guard let barcode = barcodes.first else { return }
        #expect(barcode.text == testCase.expectedText, "\(output)")
        #expect(barcode.symbology_identifier.hasPrefix(testCase.expectedIdentifier), "\(output): \(barcode.symbology_identifier)")
    }

    @Test(arguments: cases, [203, 300])
    func zplDecodesToTheDataPutIn(_ testCase: Case, dpi: Int) async throws {
        let label = try Self.template(testCase).layout(.object([:]), dpi: dpi)
        let zpl = try ZPLWriter().write(label)
        let result = try await BarcodeOracle.decode(Data(zpl.utf8), extension: "zpl", dpi: dpi)
        Self.check(result, testCase, "ZPL at \(dpi) dpi:\n\(zpl)")
    }

    @Test(arguments: cases, [203, 300])
    func pngDecodesToTheDataPutIn(_ testCase: Case, dpi: Int) async throws {
        let label = try Self.template(testCase).layout(.object([:]), dpi: dpi)
        let png = try PNGRenderer().png(label)
        let result = try await BarcodeOracle.decode(png, extension: "png")
        Self.check(result, testCase, "PNG at \(dpi) dpi")
        #expect(result.labels.first?.width == label.width)
    }
}

extension SymbologyTests {
    /// FIELD-NOTES: zint warns (and with warnings made errors, refuses) QR with UTF-8 unless the
    /// ECI is given; non-Latin data must still encode and read back.
    @Test func qrWithNonLatinTextReadsBack() async throws {
        let template = try TemplateLoader().load(yaml: """
            size: [60mm, 60mm]
            elements:
              - {type: barcode, symbology: qr, at: [5mm, 5mm], module: 0.5mm, data: "{{name}}"}
            sample: {name: "Åsa Ærø Привет"}
            """)
        let label = try template.layout(template.sample)
        let result = try await BarcodeOracle.decode(try PNGRenderer().png(label), extension: "png")
        #expect(result.labels.first?.barcodes.map(\.text) == ["Åsa Ærø Привет"])
    }
}

extension SymbologyTests {
    /// At 600 dpi a 0.5 mm module is 12 dots, more than ^BQ/^BX/^BY take (10): the symbol goes
    /// as a graphic and still reads back from the ZPL.
    @Test(arguments: cases.filter { ["qr", "gs1-datamatrix", "gs1-128"].contains($0.symbology) })
    func zplAt600DpiDecodes(_ testCase: Case) async throws {
        let label = try Self.template(testCase).layout(.object([:]), dpi: 600)
        let zpl = try ZPLWriter().write(label)
        let result = try await BarcodeOracle.decode(Data(zpl.utf8), extension: "zpl", dpi: 600)
        Self.check(result, testCase, "ZPL at 600 dpi")
    }
}
