import Foundation
import Testing
import TracemarkTesting
@testable import Labels

/// The same template puts each barcode at the same place on ZPL (as zplkit renders it) and PNG,
/// within one dot, as the oracle finds them.
@Suite struct PlacementTests {
    @Test(arguments: SymbologyTests.cases, [203, 300])
    func barcodesLandOnTheSameDotsInZPLAndPNG(_ testCase: SymbologyTests.Case, dpi: Int) async throws {
        let label = try SymbologyTests.template(testCase).layout(.object([:]), dpi: dpi)
        async let fromZPL = BarcodeOracle.decode(Data(try ZPLWriter().write(label).utf8), extension: "zpl", dpi: dpi)
        async let fromPNG = BarcodeOracle.decode(try PNGRenderer().png(label), extension: "png")
        let zpl = try #require(try await fromZPL.labels.first?.barcodes.first)
        let png = try #require(try await fromPNG.labels.first?.barcodes.first)
        let (zx, zy) = (zpl.position[0][0], zpl.position[0][1])
        let (px, py) = (png.position[0][0], png.position[0][1])
        #expect(abs(zx - px) <= 1, "x: ZPL \(zpl.position), PNG \(png.position)")
        if testCase.symbology.contains("datamatrix") || testCase.symbology.contains("qr") {
            // A linear symbol's y is wherever the reader's scan line crossed it.
            #expect(abs(zy - py) <= 1, "y: ZPL \(zpl.position), PNG \(png.position)")
            let (zx2, zy2) = (zpl.position[1][0], zpl.position[1][1])
            let (px2, py2) = (png.position[1][0], png.position[1][1])
            #expect(abs(zx2 - px2) <= 1 && abs(zy2 - py2) <= 1, "size: ZPL \(zpl.position), PNG \(png.position)")
        } else {
            #expect(abs(zpl.position[1][0] - png.position[1][0]) <= 1, "width: ZPL \(zpl.position), PNG \(png.position)")
        }
    }
}

extension PlacementTests {
    /// Lines, boxes and reverse areas (`^GB`, `^FR`) come out of zplkit dot for dot as the PNG
    /// renderer draws them.
    @Test(arguments: [203, 300])
    func linesBoxesAndReverseAreasAreTheSameDots(dpi: Int) async throws {
        let template = try TemplateLoader().load(yaml: """
            size: [60mm, 40mm]
            elements:
              - {type: box, at: [2, 2], size: [56, 36], thickness: 0.5}
              - {type: line, from: [2, 20], to: [58, 20], thickness: 0.3}
              - {type: line, from: [30, 2], to: [30, 38], thickness: 1}
              - {type: box, at: [5, 25], size: [10, 8], filled: true}
              - {type: reverse, at: [10, 5], size: [30, 20]}
            """)
        let label = try template.layout(template.sample, dpi: dpi)
        let png = FileManager.default.temporaryDirectory.appendingPathComponent("tracemark-gb-\(UUID().uuidString).png")
        defer { try? FileManager.default.removeItem(at: png) }
        _ = try await BarcodeOracle.decode(Data(try ZPLWriter().write(label).utf8), extension: "zpl", dpi: dpi, renderedPNG: png)
        let rendered = try PNGFile.readMonochrome(png)
        let ours = try PNGRenderer().bitmap(label)
        #expect(rendered.width == ours.width && rendered.height == ours.height)
        let differing = zip(rendered.pixels, ours.pixels).filter { $0 != $1 }.count
        #expect(differing == 0)
    }
}
