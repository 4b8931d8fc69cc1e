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
    /// programmer's manual (N, q, Q, A, B, X, LO, P).
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
                at: [16, 48]
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

            N
            q400
            Q200,24
            A16,16,0,4,1,1,N,"LOT \\"L-1\\" \\\\ A"
            B16,48,0,1,2,2,60,N,"L-1"
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
        // At 203 dpi every font misses 44 by 4 dots; the one needing least scaling wins (5, 48 dots).
        #expect(at203.contains("A8,8,0,5,1,1,N,\"Lot\""))
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
