import Foundation
import Testing
import TracemarkTesting
@testable import Labels

@Suite struct TemplateLoaderTests {
    func loadError(_ yaml: String, file: String = "test.yaml") -> LabelError? {
        do {
            _ = try TemplateLoader().load(yaml: yaml, file: file)
            return nil
        } catch {
            return error
        }
    }

    @Test func aValidTemplateLoadsWithLengthsInMillimetresInchesAndDots() throws {
        let template = try TemplateLoader().load(yaml: """
            size: [4in, 50mm]
            elements:
              - type: text
                at: [10dots, 2mm]
                text: "LOT {{lot.number}}"
                size: 0.1in
            sample: {lot: {number: L1}}
            """)
        let label = try template.layout(template.sample, dpi: 300)
        #expect(label.width == 1200)
        #expect(label.height == 591)
        guard case .text(let run) = label.items.first else { Issue.record("no text"); return }
        #expect(run.x == 10)
        #expect(run.y == 24)
        #expect(run.text == "LOT L1")
        #expect(run.lineHeight == 30)
    }

    @Test func anUnknownElementNamesFileLineAndElement() throws {
        let error = try #require(loadError("""
            size: [50mm, 25mm]
            elements:
              - type: text
                at: [1, 1]
                text: hello
                size: 3
              - type: circle
                id: ring
                at: [1, 1]
            """))
        #expect(error.code == .unknownElement)
        #expect(error.file == "test.yaml")
        #expect(error.line == 7)
        #expect(error.element == "circle 'ring'")
        #expect(error.description.hasPrefix("test.yaml:7: circle 'ring': unknown element type 'circle'"))
    }

    @Test func anUnknownPropertyIsRefusedWithItsLine() throws {
        let error = try #require(loadError("""
            size: [50mm, 25mm]
            elements:
              - type: text
                at: [1, 1]
                text: hello
                size: 3
                colour: red
            """))
        #expect(error.code == .unknownProperty)
        #expect(error.line == 7)
        #expect(error.message.contains("colour"))
    }

    /// A module under one dot at the template's resolution, and a position below zero, are each
    /// refused in words that say so (a QA run saw 0.01 mm drawn at one dot in silence, and -3
    /// called "not a length").
    @Test func aModuleUnderADotAndANegativePositionAreRefusedAsSuch() throws {
        let module = try #require(loadError("""
            size: [50mm, 25mm]
            elements:
              - type: barcode
                at: [1, 1]
                symbology: code128
                data: ABC
                module: 0.01
            """))
        #expect(module.line == 7 && module.message.contains("module 0.01mm is less than one dot at 203 dpi"), "\(module)")
        let negative = try #require(loadError("""
            size: [50mm, 25mm]
            elements:
              - type: text
                at: [-3, 1]
                text: hello
                size: 3
            """))
        #expect(negative.line == 4 && negative.message.contains("at '-3' is below zero"), "\(negative)")
    }

    /// A Mustache mistake is said in words, at its place in the field, without the parser's
    /// own types (found by a QA run).
    @Test func aMustacheMistakeIsSaidInWords() throws {
        let error = try #require(loadError("""
            size: [50mm, 25mm]
            elements:
              - type: text
                at: [1, 1]
                text: "LOT {{#lot}}{{number}}"
                size: 3
            sample: {lot: {number: L1}}
            """))
        #expect(error.line == 5 && error.message.contains("a section is opened and never closed ({{#name}} needs {{/name}}), at line 1"), "\(error)")
        #expect(!error.message.contains("ParserError") && !error.message.contains("MustacheParserContext"), "\(error)")
    }

    /// `split` is for a GS1-128, at one of its AIs after the first; one too low to hold two
    /// symbols says how high it must be when the data comes that needs it.
    @Test func aSplitIsCheckedWhereItIsWritten() throws {
        func barcode(_ symbology: String, _ split: String, height: Double = 17) -> String {
            """
            size: [100mm, 50mm]
            elements:
              - type: barcode
                symbology: \(symbology)
                at: [5, 5]
                module: 0.375
                height: \(height)
                split: "\(split)"
                ais:
                  "01": "{{gtin}}"
                  "10": "{{lot}}"
            sample:
              gtin: "09501101530003"
              lot: A1
            """
        }
        let matrix = try #require(loadError(barcode("gs1-datamatrix", "10")))
        #expect(matrix.code == .unknownProperty && matrix.line == 8 && matrix.message.contains("only a gs1-128"), "\(matrix)")
        let missing = try #require(loadError(barcode("gs1-128", "21")))
        #expect(missing.message == "split names AI (21), which is not among the barcode's ais ((01)(10))", "\(missing)")
        let first = try #require(loadError(barcode("gs1-128", "01")))
        #expect(first.message.contains("the first AI (01)"), "\(first)")
        let low = try TemplateLoader().load(yaml: barcode("gs1-128", "10", height: 8), file: "low.yaml")
        let error = #expect(throws: LabelError.self) {
            _ = try low.layout(.object(["gtin": .string("09501101530003"), "lot": .string(String(repeating: "X", count: 20))]))
        }
        #expect(error?.message.contains("give it a height of at least") == true && error?.line == 3, "\(String(describing: error))")
    }

    @Test func aFieldTheSampleLacksIsRefused() throws {
        let error = try #require(loadError("""
            size: [50mm, 25mm]
            elements:
              - type: text
                id: lot
                at: [1, 1]
                text: "LOT {{lot.numbr}}"
                size: 3
            sample: {lot: {number: L1}}
            """))
        #expect(error.code == .missingField)
        #expect(error.line == 3)
        #expect(error.element == "text 'lot'")
        #expect(error.message.contains("lot.numbr"))
    }

    /// Data for one label that lacks what the template prints is refused saying where such data
    /// comes from, not as if the template's sample were wrong.
    @Test func labelDataThatLacksAFieldSaysWhatToGive() throws {
        let template = try TemplateLoader().load(contentsOf: Repository.templates.appendingPathComponent("gs1-lot-100x50.yaml"))
        guard case .object(var fields) = template.sample, case .object(var lot)? = fields["lot"] else {
            Issue.record("the sample has no lot")
            return
        }
        lot["expiry"] = nil
        fields["lot"] = .object(lot)
        let error = try #require(throws: LabelError.self) { try template.check(.object(fields)) }
        #expect(error.code == .missingField)
        #expect(error.message.hasPrefix("field 'lot.expiry' is not in the label data: the template prints it, so give it"), "\(error.message)")
        #expect(error.message.contains("a production run: its --expiry") && !error.message.contains("sample"), "\(error.message)")
    }

    @Test func aGS1BarcodeWithABadCheckDigitIsRefusedAtLoad() throws {
        let error = try #require(loadError("""
            size: [100mm, 50mm]
            elements:
              - type: barcode
                id: main
                symbology: gs1-128
                at: [1, 1]
                ais: {"01": "{{gtin}}", "10": "L1"}
            sample: {gtin: "09501101530004"}
            """))
        #expect(error.code == .unencodable)
        #expect(error.element == "barcode 'main'")
        #expect(error.line == 3)
        #expect(error.message.contains("check digit"))
    }

    /// FIELD-NOTES: zint only warns about GS1 errors such as month 13 unless warnings are made
    /// errors; the label must be refused, not printed.
    @Test func aGS1DateThatDoesNotExistIsRefused() throws {
        let error = try #require(loadError("""
            size: [100mm, 50mm]
            elements:
              - type: barcode
                symbology: gs1-datamatrix
                at: [1, 1]
                ais: {"01": "09501101530003", "17": "271331"}
            """))
        #expect(error.code == .unencodable)
    }

    @Test func zintRefusesWhatItWouldOnlyWarnAbout() throws {
        // Straight to libzint, past the GS1 builder: month 13 must be an error, not a warning.
        let elements = GS1ElementsForTest.unchecked([("01", "09501101530003"), ("17", "271331")])
        #expect(throws: LabelError.self) { try ZintSymbol.encode(.gs1(elements), as: .gs1_128) }
    }

    /// FIELD-NOTES: Code 39 upper-cases lowercase silently; the template refuses it instead.
    @Test func lowercaseCode39IsRefused() throws {
        let error = try #require(loadError("""
            size: [100mm, 50mm]
            elements:
              - type: barcode
                symbology: code39
                at: [1, 1]
                data: "lot-a"
            """))
        #expect(error.code == .unencodable)
    }

    @Test func anEAN13WithAWrongCheckDigitIsRefused() throws {
        let error = try #require(loadError("""
            size: [100mm, 50mm]
            elements:
              - type: barcode
                symbology: ean13
                at: [1, 1]
                data: "9501101530004"
            """))
        #expect(error.code == .unencodable)
        #expect(error.message.contains("should be 3"))
    }

    @Test func aMissingImageIsRefused() throws {
        let error = try #require(loadError("""
            size: [100mm, 50mm]
            elements:
              - type: image
                id: logo
                at: [1, 1]
                file: no-such-logo.png
            """))
        #expect(error.code == .missingImage)
        #expect(error.line == 6)
        #expect(error.element == "image 'logo'")
    }

    @Test func badYAMLIsASyntaxErrorWithItsLine() throws {
        let error = try #require(loadError("size: [50mm, 25mm]\nelements:\n  - type: text\n   at: [1, 1\n"))
        #expect(error.code == .syntax)
        #expect(error.line != nil)
    }

    /// The line a YAML error names is the one to fix: an unclosed bracket where it opens (libyaml
    /// finds it a line later), a key given twice where it is given the second time.
    @Test func aYAMLErrorNamesTheLineToFix() throws {
        let unclosed = try #require(loadError("""
            size: [50mm, 25mm]
            elements:
              - type: text
                at: [2, 2
                text: "x"
                size: 3
            """))
        #expect(unclosed.code == .syntax && unclosed.line == 4, "\(unclosed)")
        #expect(unclosed.message.contains("flow sequence that starts here is not closed"), "\(unclosed)")
        let twice = try #require(loadError("""
            size: [50mm, 25mm]
            elements:
              - type: barcode
                symbology: gs1-128
                at: [2, 2]
                ais:
                  "01": "{{product.gtin}}"
                  "10": "{{lot.number}}"
                  "10": "{{lot.number}}"
            sample: {product: {gtin: "09501101530003"}, lot: {number: L1}}
            """))
        #expect(twice.code == .syntax && twice.line == 9, "\(twice)")
        #expect(twice.message.contains("the key 10 is given twice, here and on line 8"), "\(twice)")
    }

    /// A count of copies that is not one names the `copies:` line.
    @Test func badCopiesNameTheirLine() throws {
        let template = try TemplateLoader().load(yaml: """
            size: [50mm, 25mm]
            copies: "{{copies}}"
            elements:
              - type: text
                at: [2, 2]
                text: "x"
                size: 3
            sample: {copies: 1}
            """, file: "c.yaml")
        #expect {
            _ = try template.layout(.object(["copies": .string("two")]))
        } throws: { error in
            guard let error = error as? LabelError else { return false }
            return error.line == 2 && error.element == "copies" && error.message.contains("not 'two'")
        }
    }

    @Test func rotationMustBeAQuarterTurn() throws {
        let error = try #require(loadError("""
            size: [50mm, 25mm]
            elements:
              - type: text
                at: [1, 1]
                text: hi
                size: 3
                rotate: 45
            """))
        #expect(error.code == .invalidValue)
    }

    @Test func aGS1BarcodeTakesAIsNotData() throws {
        let error = try #require(loadError("""
            size: [50mm, 25mm]
            elements:
              - type: barcode
                symbology: gs1-128
                at: [1, 1]
                data: "0109501101530003"
            """))
        #expect(error.code == .unknownProperty)
    }

    @Test func theShippedTemplatesLoadAndRenderTheirSamples() throws {
        let files = try FileManager.default.contentsOfDirectory(at: Repository.templates, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "yaml" }
        #expect(Set(files.map(\.lastPathComponent)).isSuperset(of: [
            "gs1-lot-100x50.yaml", "serial-50x25.yaml", "pallet-sscc-100x150.yaml", "pallet-sscc-mixed-100x150.yaml",
            "hazard-100x100.yaml", "control-sheet-100x150.yaml",
        ]))
        for file in files {
            let template = try TemplateLoader().load(contentsOf: file)
            let label = try template.layout(template.sample)
            #expect(!label.items.isEmpty, "\(file.lastPathComponent)")
        }
    }
}

extension TemplateLoaderTests {
    @Test func aBarcodeThatDoesNotFitOnTheLabelIsRefused() throws {
        let error = try #require(loadError("""
            size: [50mm, 25mm]
            elements:
              - type: barcode
                id: wide
                symbology: gs1-128
                at: [5, 5]
                module: 0.5
                ais: {"01": "09501101530003", "10": "LOT-4711"}
            """))
        #expect(error.code == .invalidValue)
        #expect(error.element == "barcode 'wide'")
        #expect(error.line == 3)
        #expect(error.message.contains("does not fit"))
    }

    /// A text that starts off the label, and a box, reverse area or line that runs past its edge,
    /// are typos: refused with the element and its line, like a barcode that does not fit.
    @Test func elementsOffTheLabelAreRefused() throws {
        let cases: [(element: String, name: String, words: String)] = [
            ("{type: text, id: far, at: [80, 40], size: 3, text: hello}", "text 'far'", "the text starts at (640, 320) dots, off the 400 x 200 dot label"),
            ("{type: box, id: big, at: [40, 20], size: [30, 30]}", "box 'big'", "the box is 240 x 240 dots at (320, 160) and does not fit"),
            ("{type: reverse, id: band, at: [0, 20], size: [50, 10]}", "reverse 'band'", "the reverse area is 400 x 80 dots at (0, 160) and does not fit"),
            ("{type: line, id: rule, from: [0, 5], to: [90, 5]}", "line 'rule'", "the line reaches (720, 40) dots, off the 400 x 200 dot label"),
            ("{type: text, id: boxed, at: [30, 2], size: 3, text: hi, box: [30, 5]}", "text 'boxed'", "the text's box is 240 x 40 dots at (240, 16) and does not fit"),
        ]
        for (element, name, words) in cases {
            let error = try #require(loadError("""
                size: [50mm, 25mm]
                elements:
                  - \(element)
                """), "\(element)")
            #expect(error.code == .invalidValue, "\(element)")
            #expect(error.element == name, "\(element)")
            #expect(error.line == 3, "\(element)")
            #expect(error.message.contains(words), "\(error.message)")
        }
        // Up to the edge is on the label.
        #expect(loadError("""
            size: [50mm, 25mm]
            elements:
              - {type: box, at: [0, 0], size: [50, 25]}
              - {type: line, from: [0, 25], to: [50, 25]}
            """) == nil)
    }

    /// A barcode keeps its quiet zone on the label and clear of ink (10 modules either side of a
    /// linear symbol, 1 around a DataMatrix): one at the label's edge, or with a frame's line at
    /// its last bar, decoded from the image and was printed (found by a QA run). A GS1-128 that
    /// may split does so when its quiet zone would not fit.
    @Test func aBarcodeKeepsItsQuietZoneOnTheLabelAndClear() throws {
        let cases: [(String, String)] = [
            ("- {type: barcode, id: bc, symbology: code128, at: [0, 2], module: 0.25, height: 8, data: ABC}",
             "the barcode's quiet zone (the clear space a scanner needs: 20 dots either side) runs past the label's left edge"),
            ("- {type: barcode, id: bc, symbology: datamatrix, at: [45, 20], module: 0.5, data: ABC}",
             "runs past the label's right and bottom edge"),
            ("- {type: barcode, id: bc, symbology: code128, at: [5, 2], module: 0.25, height: 8, data: ABC}\n  - {type: line, id: frame, from: [12, 0], to: [12, 25], thickness: 0.3}",
             "line 'frame' (line 4) is drawn in the barcode's quiet zone"),
        ]
        for (elements, said) in cases {
            let error = try #require(throws: LabelError.self) {
                _ = try TemplateLoader().load(yaml: "size: [50mm, 25mm]\nelements:\n  \(elements)\n", file: "quiet.yaml")
            }
            #expect(error.element == "barcode 'bc'" && error.message.contains(said), "\(error)")
        }
        // Clear of the edge and the frame by its quiet zone: printed.
        _ = try TemplateLoader().load(yaml: """
            size: [50mm, 25mm]
            elements:
              - {type: barcode, id: bc, symbology: code128, at: [5, 2], module: 0.25, height: 8, data: ABC}
              - {type: line, id: frame, from: [30, 0], to: [30, 25], thickness: 0.3}
            """)
        // The shipped lot label with a 16-character lot: one GS1-128 would end at the frame; it is
        // printed as two, each with its quiet zone.
        let lot = try TemplateLoader().load(contentsOf: Repository.templates.appendingPathComponent("gs1-lot-100x50.yaml"))
        var data = lot.sample
        if case .object(var members) = data, case .object(var number)? = members["lot"] {
            number["number"] = .string("ABCDEFGHIJKLMNOP")
            members["lot"] = .object(number)
            data = .object(members)
        }
        let symbols = try lot.layout(data).items.filter { if case .barcode(let barcode) = $0 { barcode.symbology == .gs1_128 } else { false } }
        #expect(symbols.count == 2)
    }

    /// A template whose sample fits can still be given data that does not: a longer serial, a
    /// longer Code 128, or a higher resolution than the template's. Each label is measured as it
    /// is laid out, with its data at its dpi, and refused rather than printed cut off (found by a
    /// QA run: the shipped serial label printed `SN-2026-11-0001234` for `…00012345`, exit 0).
    @Test func dataThatRunsPastTheEdgeIsRefusedAtItsResolution() throws {
        let template = try TemplateLoader().load(yaml: """
            size: [50mm, 25mm]
            units: mm
            elements:
              - {type: barcode, id: bc, symbology: code128, at: [3, 3], module: 0.25, height: 10, data: "{{x}}"}
              - {type: text, id: tx, at: [2, 18], text: "SN {{y}}", size: 3}
            sample: {x: "AB12", y: "short"}
            """, file: "grow.yaml")
        _ = try template.layout(.object(["x": .string("AB12"), "y": .string("SN-1")]))
        let barcode = try #require(throws: LabelError.self) {
            try template.layout(.object(["x": .string("ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJ"), "y": .string("s")]))
        }
        #expect(barcode.element == "barcode 'bc'" && barcode.file == "grow.yaml" && barcode.message.contains("does not fit on the 400 x 200 dot label at 203 dpi"), "\(barcode)")
        let text = try #require(throws: LabelError.self) {
            try template.layout(.object(["x": .string("AB12"), "y": .string("SERIAL-2026-11-000123456789-0042")]))
        }
        #expect(text.element == "text 'tx'" && text.message.contains("runs past the edge") && text.message.contains("SERIAL-2026-11-000123456789-0042"), "\(text)")
        // Fits at its own 203 dpi, not at 300 where its modules are three dots wide.
        let wide = try TemplateLoader().load(yaml: """
            size: [67mm, 30mm]
            units: mm
            elements:
              - {type: barcode, id: bc, symbology: gs1-128, at: [3, 3], module: 0.25, height: 10, ais: {"01": "09501101530003", "10": "ABCDEFGH"}}
            """)
        _ = try wide.layout(wide.sample)
        let atThreeHundred = try #require(throws: LabelError.self) { try wide.layout(wide.sample, dpi: 300) }
        #expect(atThreeHundred.message.contains("at 300 dpi"), "\(atThreeHundred)")
    }
}
