import Foundation
import GS1
import Testing
import TracemarkTesting
@testable import Labels

@Suite struct ZPLWriterTests {
    static let hostile = "^XA^JUF^XZ ~JR \"quoted\" back\\slash\nnew line Åsa Ærø Привет"

    func textLabel(_ value: String) throws -> LabelLayout {
        let template = try TemplateLoader().load(yaml: """
            size: [100mm, 30mm]
            elements:
              - type: text
                at: [2mm, 2mm]
                text: "{{value}}"
                size: 3mm
                box: [96mm, 20mm]
              - type: barcode
                symbology: code128
                at: [3mm, 12mm]
                module: 0.25mm
                height: 10mm
                hri: false
                data: "{{code}}"
            sample: {value: x, code: x}
            """)
        return try template.layout(.object(["value": .string(value), "code": .string("A^XA~JR\\B")]))
    }

    /// FIELD-NOTES: `^` and `~` in field data would end the field and run commands. Every field is
    /// `^FH\`-escaped: the ZPL has no command that the template did not write.
    @Test func commandsInDataNeverBecomeCommands() throws {
        let zpl = try ZPLWriter().write(try textLabel(Self.hostile))
        #expect(!zpl.contains("^JUF"))
        #expect(!zpl.contains("~JR"))
        #expect(zpl.components(separatedBy: "^XA").count == 2)
        #expect(zpl.components(separatedBy: "^XZ").count == 2)
        #expect(zpl.contains(#"\5EXA\5EJUF\5EXZ \7EJR "quoted" back\5Cslash"#))
        #expect(zpl.contains("Åsa Ærø Привет"))
        for line in zpl.split(separator: "\n") where line.contains("^FD") {
            #expect(line.contains("^FH\\^FD") || line.contains("^BE") || line.contains("^BU") || line.contains("^B2"), "\(line)")
        }
    }

    /// zplkit's resident font lacks non-Latin glyphs (the oracle's README), so this label's text
    /// is the ASCII part of the hostile value.
    @Test func hostileDataPrintsOneLabelWhoseBarcodeReadsBack() async throws {
        let zpl = try ZPLWriter().write(try textLabel("^XA^JUF^XZ ~JR \"quoted\" back\\slash\nnew line"))
        let result = try await BarcodeOracle.decode(Data(zpl.utf8), extension: "zpl")
        #expect(result.labels.count == 1)
        #expect(result.labels.first?.barcodes.map(\.text) == ["A^XA~JR\\B"])
    }

    /// FIELD-NOTES: subset C after FNC1 silently drops letters (`>;>8` then `10LOT123`
    /// prints `(10)12`): letters always switch to subset B.
    @Test func code128PlanNeverPutsLettersInSubsetC() {
        let tokens = Code128Plan.tokens(gs1: [("01", "09501101530003"), ("10", "LOT123")], separatorAfter: { _ in false })
        let data = Code128Plan.fieldData(tokens)
        #expect(data == ">;>8010950110153000310>6LOT123")
        #expect(Code128Plan.fieldData(Code128Plan.tokens(text: "123")) == ">:123")
        #expect(Code128Plan.fieldData(Code128Plan.tokens(text: "A12345")) == ">:A1>52345")
        #expect(Code128Plan.fieldData(Code128Plan.tokens(text: "a>^~")) == ">:a>0><>=")
    }

    /// Found by the raw-ZPL fuzz target: an odd digit run that holds an FNC1 put its first digit
    /// in B, so the FNC1 followed an unpaired digit in C and the printer dropped digits
    /// (`(10)LOT0530(21)12345` printed without a 0 and a 5). The spare digit now goes last.
    @Test func anOddDigitRunAcrossAnFNC1KeepsEveryDigit() async throws {
        let cases: [[(String, String)]] = [
            [("10", "LOT0530"), ("21", "12345")],
            [("10", "12"), ("21", "123")],
            [("17", "261231"), ("10", "A1234"), ("21", "5")],
            [("21", "123"), ("10", "L")],
        ]
        for var elements in cases {
            elements.insert(("01", "09501101530003"), at: 0)
            let tokens = Code128Plan.tokens(gs1: elements, separatorAfter: { _ in true })
            let data = Code128Plan.fieldData(tokens)
            let zpl = "^XA^BY2^BCN,80,N,N,N,N^FD\(data)^FS^XZ"
            let bracketed = elements.map { "(\($0.0))\($0.1)" }.joined()
            let read = try RawZPLBarcodes.barcodes(in: zpl).map(\.content)
            guard read.count == 1, case .gs1(let string) = read[0] else {
                Issue.record("\(data) reads as \(read)"); continue
            }
            #expect(string.bracketed == bracketed, "\(data)")
            let decoded = try await BarcodeOracle.decode(Data(zpl.utf8), extension: "zpl")
            #expect(decoded.labels.first?.barcodes.map(\.text) == [bracketed], "\(data)")
        }
    }

    /// FIELD-NOTES: `^FH` and `^BX` both default to `_`; the DataMatrix keeps `_` for FNC1 and the
    /// field uses `\`, so the symbol stays GS1 (`]d2`). Checked through zplkit in SymbologyTests.
    @Test func dataMatrixAndFieldHexUseDifferentEscapes() throws {
        let template = try TemplateLoader().load(yaml: """
            size: [50mm, 25mm]
            elements:
              - type: barcode
                symbology: gs1-datamatrix
                at: [1mm, 1mm]
                ais: {"01": "09501101530003", "21": "A_B"}
            """)
        let zpl = try ZPLWriter().write(try template.layout(template.sample))
        #expect(zpl.contains(",_^FH\\^FD_10109501101530003" + "21A__B^FS"))
    }

    /// In a ^FB field (centred or right-aligned text) `\&` is a line break, read after ^FH's hex
    /// is decoded; text with a backslash is aligned without ^FB, so `a\&b` stays on one line.
    @Test func aBackslashInCentredTextIsNotAFieldBlockEscape() async throws {
        let template = try TemplateLoader().load(yaml: """
            size: [60mm, 30mm]
            units: dots
            elements:
              - {type: text, at: [20, 20], text: "{{t}}", size: 40, align: center, box: [400, 100]}
            sample: {t: x}
            """)
        let zpl = try ZPLWriter().write(try template.layout(.object(["t": .string("A\\&B")])))
        #expect(zpl.contains("^FDA\\5C&B^FS"))
        #expect(!zpl.contains("^FB"))
        let png = FileManager.default.temporaryDirectory.appendingPathComponent("tracemark-fb-\(UUID().uuidString).png")
        defer { try? FileManager.default.removeItem(at: png) }
        _ = try await BarcodeOracle.decode(Data(zpl.utf8), extension: "zpl", renderedPNG: png)
        let rendered = try PNGFile.readMonochrome(png)
        let inkRows = (0..<rendered.height).filter { y in (0..<rendered.width).contains { rendered[$0, y] } }
        #expect((inkRows.max() ?? 0) - (inkRows.min() ?? 0) < 45, "one line of 40 dots")
    }

    @Test func sizeCopiesAndEncodingAreSet() throws {
        let template = try TemplateLoader().load(yaml: """
            size: [100mm, 50mm]
            copies: "{{copies}}"
            elements: []
            sample: {copies: 3}
            """)
        let zpl = try ZPLWriter().write(try template.layout(template.sample, dpi: 300))
        #expect(zpl == "^XA\n^CI28\n^PW1181\n^LL591\n^LH0,0\n^PQ3,0,1,N\n^XZ\n")
    }

    @Test func graphicCompressionUsesRepeatCountsAndRowShortcuts() {
        var bitmap = Bitmap(width: 48, height: 3)
        bitmap.fill(x: 0, y: 0, width: 48, height: 1)
        bitmap.fill(x: 0, y: 1, width: 8, height: 2)
        // Row 0: all ones ("!"); rows 1 and 2: FF (H = twice F) then zeros (","), ":" repeats.
        #expect(ZPLGraphic.field(bitmap) == "^GFA,18,18,6,!HF,:")
        var long = Bitmap(width: 8 * 220, height: 1)
        long.fill(x: 8, y: 0, width: 8 * 219, height: 1)
        // "00" then 438 F's: 400 = z, 20 = g, 18 = X.
        #expect(ZPLGraphic.field(long) == "^GFA,220,220,220,H0!")
    }

    /// The compressed `^GF` renders back (through zplkit) pixel for pixel.
    @Test func compressedGraphicRendersBackPixelIdentical() async throws {
        let picture = try PNGFile.readMonochrome(Repository.templates.appendingPathComponent("images/exclamation-ghs07.png"))
        let label = LabelLayout(width: 400, height: 300, dpi: 203, copies: 1, items: [.image(x: 17, y: 9, bitmap: picture)])
        let zpl = try ZPLWriter().write(label)
        let png = FileManager.default.temporaryDirectory.appendingPathComponent("tracemark-gf-\(UUID().uuidString).png")
        defer { try? FileManager.default.removeItem(at: png) }
        _ = try await BarcodeOracle.decode(Data(zpl.utf8), extension: "zpl", renderedPNG: png)
        let rendered = try PNGFile.readMonochrome(png)
        #expect(rendered.width == 400)
        let drawn = try PNGRenderer().bitmap(label)
        #expect(rendered == drawn)
    }
}
