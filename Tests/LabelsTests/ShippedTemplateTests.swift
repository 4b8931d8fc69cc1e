import Foundation
import Testing
import TracemarkTesting
@testable import Labels

/// The templates in `Templates/` render on all three outputs, and their barcodes decode.
@Suite struct ShippedTemplateTests {
    struct Expectation: Sendable, CustomTestStringConvertible {
        let file: String
        let barcodes: Set<String>
        var testDescription: String { file }
    }

    static let expectations: [Expectation] = [
        Expectation(file: "gs1-lot-100x50.yaml", barcodes: [
            "]C1(01)09501101530003(17)270131(10)LOT-4711", "]d2(01)09501101530003(17)270131(10)LOT-4711",
        ]),
        Expectation(file: "serial-50x25.yaml", barcodes: ["]d2(01)09501101530003(21)SN000123"]),
        Expectation(file: "pallet-sscc-100x150.yaml", barcodes: [
            "]C1(00)106141411234567897", "]C1(02)09501101530003(17)270131(37)40(10)LOT-4711",
        ]),
        Expectation(file: "hazard-100x100.yaml", barcodes: ["]C1(01)09501101530003(11)261102(17)270131(10)LOT-4711"]),
        Expectation(file: "pallet-sscc-mixed-100x150.yaml", barcodes: ["]C1(00)106141411234567897"]),
        Expectation(file: "control-sheet-100x150.yaml", barcodes: [
            "]C0TM:DONE", "]C0TM:CANCEL", "]C0TM:UNDO", "]C0TM:QTY:1", "]C0TM:QTY:6", "]C0TM:QTY:12",
        ]),
    ]

    static func found(_ result: BarcodeOracle.Result) -> Set<String> {
        Set(result.labels.flatMap(\.barcodes).map { $0.symbology_identifier + $0.text })
    }

    /// A rule between the label's AIs ((02) needs (37)) is placed at the barcode that carries the
    /// AI, with its line, as every other template error is (found by a QA run).
    @Test func aRuleBetweenTheLabelsAIsNamesItsBarcodeAndLine() throws {
        let error = try #require(try Self.loadError(replacing: "\"01\":", with: "\"02\":"), "a label with (02) and no (37) was loaded")
        #expect(error.line != nil && error.element?.hasPrefix("barcode '") == true, "\(error)")
        #expect(error.message.contains("AI (02): requires AI (37)"), "\(error)")
    }

    /// The lot label's template with `text` replaced by `replacement`, loaded: its error, or nil.
    static func loadError(replacing text: String, with replacement: String) throws -> LabelError? {
        let url = Repository.templates.appendingPathComponent("gs1-lot-100x50.yaml")
        let changed = try String(contentsOf: url, encoding: .utf8).replacingOccurrences(of: text, with: replacement)
        do {
            _ = try TemplateLoader().load(yaml: changed, file: "changed.yaml", folder: Repository.templates)
            return nil
        } catch {
            return error
        }
    }

    /// A barcode split over two symbols that still runs off the label says it was split: the
    /// size of one symbol read as the whole barcode's (found by a QA run).
    @Test func aSplitBarcodeOffTheLabelSaysItWasSplit() throws {
        let error = try #require(try Self.loadError(replacing: "    at: [5, 22]", with: "    at: [95, 22]"), "a barcode off the label was loaded")
        #expect(error.message.contains("symbol 1 of the 2 the barcode was split into (one was too wide for the label)"), "\(error)")
    }

    /// A product without a GTIN on a label whose barcode carries (01) is said as such, not as a
    /// GS1 rule that reads like a fault of the template (found by a QA run).
    @Test func aProductWithoutAGTINIsNamedWhenItsLabelNeedsOne() throws {
        let template = try TemplateLoader().load(contentsOf: Repository.templates.appendingPathComponent("serial-50x25.yaml"))
        let data = template.sample.setting("product.gtin", to: .string("")).setting("product.article", to: .string("PUMP-200"))
        do {
            _ = try template.layout(data)
            Issue.record("a label was laid out without its GTIN")
        } catch {
            #expect(error.message.contains("(01) takes the product's GTIN, and product PUMP-200 has none: give it one (tracemark product update PUMP-200 --gtin"),
                    "\(error)")
        }
    }

    /// A date GS1 would read in another century is refused, not printed: a two-digit year is
    /// read as from 49 years back to 50 ahead, so an expiry 60 years on, printed as (17), reads
    /// as one 40 years ago (a QA run printed 2080-06-30, and a scanner read 1980-06-30).
    @Test func aDateOutsideGS1sCenturyIsRefused() throws {
        let template = try TemplateLoader().load(contentsOf: Repository.templates.appendingPathComponent("gs1-lot-100x50.yaml"))
        for (days, fits) in [(365 * 40, true), (365 * 60, false), (-365 * 60, false)] {
            let expiry = relativeDate(days: days, format: "yyyy-MM-dd")
            let data = template.sample.setting("lot.expiry", to: .string(expiry))
            do {
                let label = try template.layout(data)
                #expect(fits, "\(expiry) was laid out: \(label.items.count) items")
            } catch {
                #expect(!fits && error.message.contains("(17): lot.expiry \(expiry) cannot be written with a two-digit year"), "\(expiry): \(error)")
            }
        }
    }

    @Test(arguments: expectations, [203, 300])
    func pngDecodes(_ expectation: Expectation, dpi: Int) async throws {
        let template = try TemplateLoader().load(contentsOf: Repository.templates.appendingPathComponent(expectation.file))
        let label = try template.layout(template.sample, dpi: dpi)
        let result = try await BarcodeOracle.decode(try PNGRenderer().png(label), extension: "png")
        #expect(Self.found(result) == expectation.barcodes)
    }

    @Test(arguments: expectations, [203, 300])
    func zplDecodes(_ expectation: Expectation, dpi: Int) async throws {
        let template = try TemplateLoader().load(contentsOf: Repository.templates.appendingPathComponent(expectation.file))
        let label = try template.layout(template.sample, dpi: dpi)
        let result = try await BarcodeOracle.decode(Data(try ZPLWriter().write(label).utf8), extension: "zpl", dpi: dpi)
        #expect(Self.found(result) == expectation.barcodes)
    }

    @Test(arguments: expectations)
    func eplIsWritten(_ expectation: Expectation) throws {
        let template = try TemplateLoader().load(contentsOf: Repository.templates.appendingPathComponent(expectation.file))
        let epl = try EPLWriter().write(try template.layout(template.sample))
        let text = String(decoding: epl, as: UTF8.self)
        #expect(text.hasPrefix("\nI8,A,001\nN\nq"))
        #expect(text.hasSuffix("P1\n"))
    }

    /// The lot label prints for every lot: one made on the line has no supplier, one not yet
    /// received no quantity, and neither refuses the label; its barcodes still decode.
    @Test func theLotLabelPrintsForALotWithoutSupplierOrQuantity() async throws {
        let template = try TemplateLoader().load(contentsOf: Repository.templates.appendingPathComponent("gs1-lot-100x50.yaml"))
        guard case .object(var fields) = template.sample else { Issue.record("the sample is not an object"); return }
        fields["partner"] = nil
        fields["quantity"] = nil
        let data = LabelData.object(fields)
        try template.check(data)
        let label = try template.layout(data, dpi: 203)
        let zpl = try ZPLWriter().write(label)
        #expect(!zpl.contains("QTY") && !zpl.contains("Nordic"), "\(zpl)")
        let result = try await BarcodeOracle.decode(Data(zpl.utf8), extension: "zpl", dpi: 203)
        #expect(Self.found(result) == Self.expectations[0].barcodes)
    }

    /// The serial label takes a serial of GS1's longest, 20 characters: its text shrinks to
    /// stay on the label (it ran off the right edge, cut to `…0001234` on the printed label), and
    /// the DataMatrix reads back the whole number.
    @Test(arguments: [203, 300])
    func theSerialLabelTakesATwentyCharacterSerial(dpi: Int) async throws {
        let template = try TemplateLoader().load(contentsOf: Repository.templates.appendingPathComponent("serial-50x25.yaml"))
        guard case .object(var fields) = template.sample else { Issue.record("the sample is not an object"); return }
        fields["serial"] = .object(["number": .string("SN-2026-11-000123456")])
        let label = try template.layout(.object(fields), dpi: dpi)
        let result = try await BarcodeOracle.decode(try PNGRenderer().png(label), extension: "png")
        #expect(Self.found(result) == ["]d2(01)09501101530003(21)SN-2026-11-000123456"])
    }

    /// A lot of 16 to 20 characters (GS1 allows 20 in (10)) makes a GS1-128 with a GTIN and
    /// dates wider than a 100 mm label: the label was refused, and the goods could not be
    /// received. The symbol now prints as two in the same space, the second from (10) on, and
    /// an independent reader reads both (and the DataMatrix, which holds it all).
    static let longLot = "LT2026-12-06-ABCD-99"
    static let splitLabels: [Expectation] = [
        Expectation(file: "gs1-lot-100x50.yaml", barcodes: [
            "]C1(01)09501101530003(17)270131", "]C1(10)\(longLot)", "]d2(01)09501101530003(17)270131(10)\(longLot)",
        ]),
        Expectation(file: "hazard-100x100.yaml", barcodes: ["]C1(01)09501101530003(11)261102(17)270131", "]C1(10)\(longLot)"]),
        Expectation(file: "pallet-sscc-100x150.yaml", barcodes: [
            "]C1(00)106141411234567897", "]C1(02)09501101530003(17)270131(37)40", "]C1(10)\(longLot)",
        ]),
    ]

    @Test(arguments: splitLabels, [203, 300])
    func aLongLotSplitsTheGS1128InTwo(_ expectation: Expectation, dpi: Int) async throws {
        let template = try TemplateLoader().load(contentsOf: Repository.templates.appendingPathComponent(expectation.file))
        guard case .object(var fields) = template.sample, case .object(var lot)? = fields["lot"] else {
            Issue.record("the sample has no lot"); return
        }
        lot["number"] = .string(Self.longLot)
        fields["lot"] = .object(lot)
        let label = try template.layout(.object(fields), dpi: dpi)
        let png = try await BarcodeOracle.decode(try PNGRenderer().png(label), extension: "png")
        #expect(Self.found(png) == expectation.barcodes)
        let zpl = try await BarcodeOracle.decode(Data(try ZPLWriter().write(label).utf8), extension: "zpl", dpi: dpi)
        #expect(Self.found(zpl) == expectation.barcodes)
        _ = try EPLWriter().write(label)
    }

    /// Data that does not say how many copies (a production run's numbers, straight from the
    /// registry) prints one; data that says something else than a count is refused.
    @Test func copiesTheDataDoesNotGiveAreOne() throws {
        let template = try TemplateLoader().load(contentsOf: Repository.templates.appendingPathComponent("gs1-lot-100x50.yaml"))
        guard case .object(var fields) = template.sample else { Issue.record("the sample is not an object"); return }
        fields["copies"] = nil
        #expect(try template.layout(.object(fields), dpi: 203).copies == 1)
        fields["copies"] = .string("two")
        #expect(throws: LabelError.self) { _ = try template.layout(.object(fields), dpi: 203) }
    }

    /// A production run: the template is parsed once and filled with 200 consecutive serials.
    @Test func manyLabelsReuseOneParsedTemplate() throws {
        let template = try TemplateLoader().load(contentsOf: Repository.templates.appendingPathComponent("serial-50x25.yaml"))
        var zpl: [String] = []
        for number in 1...200 {
            let data = template.sample.setting("serial.number", to: .string("SN\(100000 + number)"))
            zpl.append(try ZPLWriter().write(try template.layout(data)))
        }
        #expect(Set(zpl).count == 200)
        #expect(zpl[41].contains("21SN100042"))
    }
}
