import Foundation
import Testing
import TracemarkTesting
@testable import Labels

@Suite struct EPLWriterTests {
    @Test func quotesAndBackslashesAreEscapedAndLineBreaksFlattened() {
        #expect(EPLWriter.quoted(#"say "hi" \o/"#) == #""say \"hi\" \\o/""#)
        #expect(EPLWriter.quoted("two\nlines") == "\"two lines\"")
        // No control byte of a value reaches the printer: NUL, BEL, ESC, GS, DEL and C1 become spaces.
        #expect(EPLWriter.quoted("N\u{0}ul\u{7}\u{1B}\u{1D}GS\u{7F}\u{85}x") == "\"N ul   GS  x\"")
    }

    /// Golden file: the whole EPL2 of a small label, reviewed by hand against the EPL2
    /// programmer's manual (I8, N, q, Q, A, B, X, LO, P).
    @Test func aLabelMatchesTheGoldenFile() throws {
        let template = try TemplateLoader().load(yaml: """
            size: [50mm, 25mm]
            units: dots
            elements:
              - type: text
                at: [16, 16]
                text: 'LOT "{{lot}}" \\ A'
                size: 24
              - type: barcode
                symbology: code128
                at: [40, 48]
                module: 2
                height: 60
                hri: false
                data: "{{lot}}"
              - type: box
                at: [8, 8]
                size: [384, 184]
                thickness: 2
              - type: line
                from: [8, 120]
                to: [392, 120]
                thickness: 3
            sample: {lot: L-1}
            """)
        let epl = String(decoding: try EPLWriter().write(try template.layout(template.sample)), as: UTF8.self)
        let golden = """

            I8,A,001
            N
            q400
            Q200,24
            A16,16,0,4,1,1,N,"LOT \\"L-1\\" \\\\ A"
            B40,48,0,1,2,2,60,N,"L-1"
            X8,8,2,392,192
            LO8,120,384,3
            P1

            """
        #expect(epl == golden)
    }

    /// EPL2's resident fonts are larger on 300 dpi printers: a 44-dot line is font 4 there.
    @Test func fontsFollowThePrintersResolution() throws {
        let template = try TemplateLoader().load(yaml: """
            size: [50mm, 25mm]
            elements:
              - {type: text, at: [1mm, 1mm], text: "Lot", size: 44dots}
            """)
        let at300 = String(decoding: try EPLWriter().write(try template.layout(template.sample, dpi: 300)), as: UTF8.self)
        #expect(at300.contains("A12,12,0,4,1,1,N,\"Lot\""))
        let at203 = String(decoding: try EPLWriter().write(try template.layout(template.sample, dpi: 203)), as: UTF8.self)
        // At 203 dpi every font misses 44 by 4 dots; the one needing least scaling wins (3 twice, 40 dots).
        #expect(at203.contains("A8,8,0,3,1,2,N,\"Lot\""))
    }

    /// EPL has no field block: a text aligned center or right in its box is moved by what the
    /// box has to spare in the resident font's fixed width (it printed left-aligned, where ZPL
    /// and PNG honoured `align`). Font 4 at 203 dpi is 16 dots a character, its pitch (12.7 an
    /// inch: 14 dots of glyph and 2 between): "ABCD" is 64.
    @Test func alignedTextIsPlacedInItsBox() throws {
        let template = try TemplateLoader().load(yaml: """
            size: [50mm, 25mm]
            units: dots
            elements:
              - {type: text, at: [16, 16], text: "ABCD", size: 24, box: [200, 24], align: right}
              - {type: text, at: [16, 60], text: "ABCD", size: 24, box: [200, 24], align: center}
              - {type: text, at: [16, 100], text: "ABCD", size: 24, box: [200, 24]}
            """)
        let epl = String(decoding: try EPLWriter().write(try template.layout(template.sample, dpi: 203)), as: UTF8.self)
        let lines = epl.split(separator: "\n").filter { $0.hasPrefix("A") }.map(String.init)
        #expect(lines == ["A152,16,0,4,1,1,N,\"ABCD\"", "A84,60,0,4,1,1,N,\"ABCD\"", "A16,100,0,4,1,1,N,\"ABCD\""], "\(epl)")
    }

    /// A text in a box takes the font nearest its height among those whose characters fit the
    /// box at their pitch: a 23-character lot in a 288-dot box ran 34 dots into the quantity
    /// beside it in font 3 (14 dots a character), measured as 12 (found by a QA run).
    @Test func aBoxedTextTakesAFontWhoseCharactersFitTheBox() throws {
        let template = try TemplateLoader().load(yaml: """
            size: [100mm, 50mm]
            units: dots
            elements:
              - {type: text, at: [24, 96], text: "LOT LOT-2026-11-0004711", size: 22, box: [288, 36]}
              - {type: text, at: [320, 96], text: "QTY 20 L", size: 22}
            """)
        let epl = String(decoding: try EPLWriter().write(try template.layout(template.sample, dpi: 203)), as: UTF8.self)
        let lot = try #require(epl.split(separator: "\n").first { $0.contains("LOT-2026") })
        let fields = lot.dropFirst().split(separator: ",")
        let pitch = [1: 10, 2: 12, 3: 14, 4: 16][Int(fields[3]) ?? 0] ?? 0
        let end = (Int(fields[0]) ?? 0) + 23 * pitch * (Int(fields[4]) ?? 0)
        #expect(pitch > 0 && end <= 24 + 288, "\(lot): ends at \(end)")
    }

    /// Font 5 has capital letters only: a line of its height is font 4 twice as high instead.
    @Test func aLineOfFontFivesHeightUsesFontFour() throws {
        let template = try TemplateLoader().load(yaml: """
            size: [80mm, 25mm]
            elements:
              - {type: text, at: [1mm, 1mm], text: "lot l-1", size: 48dots}
            """)
        let epl = String(decoding: try EPLWriter().write(try template.layout(template.sample, dpi: 203)), as: UTF8.self)
        let line = try #require(epl.split(separator: "\n").first { $0.hasPrefix("A") })
        #expect(line.split(separator: ",")[3] == "4", "\(line)")
        #expect(line.split(separator: ",")[5] == "2", "\(line)")
    }

    /// An EPL2 printer reads bytes in its code page, DOS 437 unless told: UTF-8 `ü` printed as two
    /// other characters. The label selects Windows-1252 (`I8,A,001`) and its text is written in
    /// it, byte for byte as Python's own cp1252 codec writes it; a letter made of a base letter
    /// and a combining mark is the one byte of the composed letter.
    @Test func textIsWrittenInWindows1252() async throws {
        let name = "Größe Müller – 5 € Œuvre «été» ñ"
        let template = try TemplateLoader().load(yaml: """
            size: [100mm, 25mm]
            elements:
              - {type: text, at: [1mm, 1mm], text: "{{name}}", size: 24dots}
              - {type: text, at: [1mm, 10mm], text: "{{decomposed}}", size: 24dots}
            sample: {name: Name, decomposed: Name}
            """)
        let epl = try EPLWriter().write(try template.layout(.object(["name": .string(name), "decomposed": .string("Mu\u{0308}ller")])))
        #expect(epl.starts(with: Array("\nI8,A,001\nN\n".utf8)))
        let lines = epl.split(separator: 0x0A).filter { $0.first == UInt8(ascii: "A") }
        #expect(lines.count == 2)
        func data(_ line: ArraySlice<UInt8>) -> [UInt8] { Array(line.drop { $0 != UInt8(ascii: "\"") }) }
        let python = "import sys; print(sys.argv[1].encode('cp1252').hex())"
        let expected = try await Command.check("python3", ["-c", python, "\"\(name)\""]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(data(lines[0]).map { String(format: "%02x", $0) }.joined() == expected)
        #expect(data(lines[1]) == Array("\"M\u{FC}ller\"".unicodeScalars.map { UInt8($0.value) }))
    }

    /// A character Windows-1252 does not have would print as another one: the label is refused,
    /// naming the character, the element and its line.
    @Test func aCharacterTheFontsLackIsRefusedNamingTheElement() throws {
        let template = try TemplateLoader().load(yaml: """
            size: [100mm, 25mm]
            elements:
              - {type: text, at: [1mm, 1mm], text: "Lot {{lot}}", size: 24dots}
              - id: product
                type: text
                at: [1mm, 10mm]
                text: "{{name}}"
                size: 24dots
            sample: {lot: L1, name: Name}
            """)
        let label = try template.layout(.object(["lot": .string("L1"), "name": .string("Масло 5 л")]))
        let error = try #require(throws: LabelError.self) { try EPLWriter().write(label) }
        #expect(error.code == .unencodable)
        #expect(error.element == "text 'product'")
        #expect(error.line == 4)
        #expect(error.message.contains("'М' (U+041C)"), "\(error)")
        #expect(error.message.contains("PNG"), "\(error)")
    }

    /// FIELD-NOTES: EPL2 printers lack 2-D symbols, so a DataMatrix goes as a `GW` bitmap, whose
    /// bits are 1 for white (the reverse of `^GF`). The bitmap decodes to the data put in.
    @Test func matrixSymbolsGoAsGWBitmapsThatDecode() async throws {
        let template = try TemplateLoader().load(yaml: """
            size: [50mm, 25mm]
            elements:
              - type: barcode
                symbology: gs1-datamatrix
                at: [4mm, 4mm]
                module: 0.5mm
                ais: {"01": "09501101530003", "21": "SN1"}
            """)
        let label = try template.layout(template.sample)
        let epl = try EPLWriter().write(label)
        // GWx,y,bytesPerRow,rows, then the raw bytes.
        let gw = try #require(epl.firstRange(of: Array("GW".utf8))).lowerBound
        var commas: [Int] = []
        var index = gw
        while commas.count < 4 {
            if epl[index] == UInt8(ascii: ",") { commas.append(index) }
            index += 1
        }
        let header = String(decoding: epl[(gw + 2)..<commas[3]], as: UTF8.self)
        let numbers = header.split(separator: ",").compactMap { Int($0) }
        let (x, y, bytesPerRow, rows) = (numbers[0], numbers[1], numbers[2], numbers[3])
        #expect(x == 32 && y == 32)
        // Rebuild the picture from the GW bytes (1 = white) on a white page with a quiet zone.
        let start = commas[3] + 1
        var page = Bitmap(width: bytesPerRow * 8 + 40, height: rows + 40)
        for row in 0..<rows {
            for column in 0..<(bytesPerRow * 8) {
                let byte = epl[start + row * bytesPerRow + column / 8]
                if (byte >> UInt8(7 - column % 8)) & 1 == 0 { page[column + 20, row + 20] = true }
            }
        }
        let result = try await BarcodeOracle.decode(try PNGFile.encode(page, dpi: 203), extension: "png")
        let barcode = try #require(result.labels.first?.barcodes.first)
        #expect(barcode.text == "(01)09501101530003(21)SN1")
        #expect(barcode.symbology_identifier == "]d2")
    }
}
