import Foundation
import Testing
import TracemarkTesting
@testable import Labels

@Suite struct TextLayoutTests {
    func runs(_ yamlText: String, data: LabelData = .object([:])) throws -> [TextRun] {
        let template = try TemplateLoader().load(yaml: """
            size: [100mm, 60mm]
            units: dots
            elements:
            \(yamlText)
            """)
        return try template.layout(data).items.compactMap { if case .text(let run) = $0 { run } else { nil } }
    }

    @Test func truncateWrapsAtTheBoxWidthAndCutsAtItsHeight() throws {
        let lines = try runs("""
              - type: text
                at: [10, 20]
                text: "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen"
                size: 20
                box: [200, 60]
                fit: truncate
            """)
        #expect(lines.count == 3)
        #expect(lines.map(\.y) == [20, 40, 60])
        for line in lines {
            #expect(TextLayout.width(line.text, lineHeight: 20, bold: false) <= 200, "\(line.text)")
        }
        #expect(lines[0].text.hasPrefix("one two"))
        #expect(lines[2].text.hasSuffix("...") && !lines[2].text.contains("fifteen"), "\(lines.map(\.text))")
    }

    /// A wrapped text with more lines than its box holds is made smaller until it fits, every
    /// word kept: cut at the box, a hazard statement lost its end without a word (a QA run).
    @Test func wrapMakesTheLinesSmallerRatherThanCutThem() throws {
        let text = "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen"
        let lines = try runs("""
              - type: text
                at: [10, 20]
                text: "\(text)"
                size: 20
                box: [200, 60]
            """)
        #expect(lines.map(\.text).joined(separator: " ") == text)
        let height = try #require(lines.first?.lineHeight)
        #expect(height < 20 && lines.count * height <= 60, "\(lines.count) lines of \(height)")
        for line in lines {
            #expect(TextLayout.width(line.text, lineHeight: height, bold: false) <= 200, "\(line.text)")
        }
    }

    /// One that does not fit even at the smallest size is refused, naming the element and its line.
    @Test func wrapThatCannotFitIsRefused() throws {
        let template = try TemplateLoader().load(yaml: """
            size: [100mm, 60mm]
            units: dots
            elements:
              - type: text
                id: hazard
                at: [0, 0]
                text: "{{hazard}}"
                size: 20
                box: [200, 30]
            sample: {hazard: H315}
            """, file: "hazard.yaml")
        #expect(try template.layout(.object(["hazard": .string("H315 Causes skin irritation.")])).items.count >= 1)
        let long = Array(repeating: "P305+P351+P338 IF IN EYES: Rinse cautiously with water for several minutes.", count: 4).joined(separator: " ")
        #expect {
            _ = try template.layout(.object(["hazard": .string(long)]))
        } throws: { error in
            guard let error = error as? LabelError else { return false }
            return error.code == .invalidValue && error.element == "text 'hazard'" && error.line == 4
                && error.message.contains("lines in its box (200 × 30 dots), which holds 3 even at 10 dots high")
        }
    }

    @Test func shrinkMakesTheFontSmallerUntilItFits() throws {
        let lines = try runs("""
              - type: text
                at: [0, 0]
                text: "A rather long product description"
                size: 40
                box: [200, 40]
                fit: shrink
            """)
        let line = try #require(lines.first)
        #expect(lines.count == 1)
        #expect(line.lineHeight < 40)
        #expect(TextLayout.width(line.text, lineHeight: line.lineHeight, bold: false) <= 200)
    }

    /// A text too wide for its box even at the smallest size is refused, naming the element and its
    /// line: the printer would cut it off at the box.
    @Test func shrinkThatCannotFitIsRefused() throws {
        let template = try TemplateLoader().load(yaml: """
            size: [100mm, 60mm]
            units: dots
            elements:
              - type: text
                id: lot
                at: [0, 0]
                text: "LOT {{lot}}"
                size: 40
                box: [120, 40]
                fit: shrink
            sample: {lot: L1}
            """, file: "lot.yaml")
        #expect(try template.layout(.object(["lot": .string("L-2026-0001")])).items.count == 1)
        #expect {
            _ = try template.layout(.object(["lot": .string(String(repeating: "W", count: 60))]))
        } throws: { error in
            guard let error = error as? LabelError else { return false }
            return error.code == .invalidValue && error.element == "text 'lot'" && error.line == 4
                && error.message.contains("does not fit its box (120 dots wide) even shrunk to 10 dots high")
        }
    }

    /// Lines of rotated text are placed so the block keeps its top-left corner at `at`.
    @Test(arguments: [(0, [(10, 20), (10, 50)]), (90, [(40, 20), (10, 20)]), (180, [(10, 50), (10, 20)]), (270, [(10, 20), (40, 20)])])
    func rotatedLinesStayInTheirBlock(rotation: Int, expected: [(Int, Int)]) throws {
        let lines = try runs("""
              - type: text
                at: [10, 20]
                text: "first\\nsecond"
                size: 30
                rotate: \(rotation)
            """)
        #expect(lines.map { [$0.x, $0.y] } == expected.map { [$0.0, $0.1] })
    }

    /// A text turned 90° draws its glyphs in a band as tall as the text is long and as wide as a
    /// line is high, starting at the block's corner.
    @Test func rotatedTextIsDrawnTurned() throws {
        let template = try TemplateLoader().load(yaml: """
            size: [400dots, 400dots]
            elements:
              - {type: text, at: [100dots, 50dots], text: "WWWWWWWW", size: 30dots, rotate: 90}
            """)
        let bitmap = try PNGRenderer().bitmap(try template.layout(template.sample))
        var minX = Int.max, maxX = 0, minY = Int.max, maxY = 0
        for y in 0..<bitmap.height { for x in 0..<bitmap.width where bitmap[x, y] {
            minX = min(minX, x); maxX = max(maxX, x); minY = min(minY, y); maxY = max(maxY, y)
        } }
        #expect(minX >= 100 && maxX < 130)
        #expect(minY >= 50 && maxY - minY > 150)
    }

    @Test func nonLatinTextIsDrawn() throws {
        let template = try TemplateLoader().load(yaml: """
            size: [400dots, 100dots]
            elements:
              - {type: text, at: [0dots, 0dots], text: "{{t}}", size: 40dots}
            sample: {t: x}
            """)
        let blank = try PNGRenderer().bitmap(try template.layout(.object(["t": .string(" ")])))
        let drawn = try PNGRenderer().bitmap(try template.layout(.object(["t": .string("Привет Åsa Ærø")])))
        #expect(blank.pixels.allSatisfy { $0 == 0 })
        #expect(drawn.pixels.filter { $0 != 0 }.count > 500)
    }

    @Test func reverseInvertsWhatWasDrawnBefore() throws {
        let template = try TemplateLoader().load(yaml: """
            size: [100dots, 50dots]
            elements:
              - {type: box, at: [0dots, 0dots], size: [50dots, 50dots], filled: true}
              - {type: reverse, at: [25dots, 0dots], size: [50dots, 50dots]}
            """)
        let bitmap = try PNGRenderer().bitmap(try template.layout(template.sample))
        #expect(bitmap[10, 10] == true)
        #expect(bitmap[30, 10] == false)
        #expect(bitmap[60, 10] == true)
        #expect(bitmap[90, 10] == false)
    }

    @Test func imagesAreMadeOneBitAndScaledToTheirSize() throws {
        let url = Repository.templates.appendingPathComponent("images/exclamation-ghs07.png")
        let picture = try PNGFile.readMonochrome(url)
        #expect(picture.width == 240 && picture.height == 240)
        #expect(picture[120, 2] == true)      // the diamond's top corner
        #expect(picture[5, 5] == false)       // outside it
        #expect(picture[120, 100] == true)    // the exclamation mark
        let scaled = picture.scaled(width: 120, height: 120)
        #expect(scaled[60, 50] == true)
    }

    @Test func pngIsOneBitWithTheResolutionRecorded() throws {
        var bitmap = Bitmap(width: 16, height: 2)
        bitmap.fill(x: 0, y: 0, width: 8, height: 1)
        let png = try PNGFile.encode(bitmap, dpi: 203)
        let bytes = [UInt8](png)
        // IHDR: width 16, height 2, bit depth 1, colour type 0 (grey).
        #expect(Array(bytes[16..<26]) == [0, 0, 0, 16, 0, 0, 0, 2, 1, 0])
        // pHYs: 7992 dots per metre (203 dpi), unit metre.
        let phys = try #require(bytes.firstRange(of: Array("pHYs".utf8)))
        #expect(Array(bytes[phys.upperBound..<(phys.upperBound + 9)]) == [0, 0, 0x1F, 0x38, 0, 0, 0x1F, 0x38, 1])
        let grey = [UInt8](try PNGFile.encode(bitmap, dpi: 300, eightBit: true))
        #expect(grey[24] == 8)
    }
}
