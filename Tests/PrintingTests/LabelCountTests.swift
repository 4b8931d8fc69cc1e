import Foundation
import Testing
@testable import Printing

@Suite struct LabelCountTests {
    @Test func countsZPLFormatsAndTheirQuantities() {
        let payload = zplLabel("A") + zplLabel("B", copies: 3) + Data("~HS".utf8) + zplLabel("C")
        #expect(LabelCount.count(payload, language: .zpl) == 5)
        #expect(LabelCount.count(Data("~HS".utf8), language: .zpl) == 0)
    }

    @Test func cutsZPLAfterPrintedLabelsRewritingTheQuantityOfTheFormatCutInTheMiddle() throws {
        let payload = Data("~SD15\n".utf8) + zplLabel("A") + zplLabel("B", copies: 3) + zplLabel("C")
        let rest = String(decoding: try #require(LabelCount.remainder(payload, language: .zpl, afterPrinting: 2)), as: UTF8.self)
        #expect(rest.hasPrefix("~SD15\n^XA"))
        #expect(rest.contains("^FDB^FS^PQ2,0,1,N"))
        #expect(!rest.contains("^FDA"))
        #expect(rest.contains("^FDC"))
        #expect(LabelCount.count(Data(rest.utf8), language: .zpl) == 3)
        #expect(LabelCount.remainder(payload, language: .zpl, afterPrinting: 5) == Data("".utf8))
        #expect(LabelCount.remainder(payload, language: .zpl, afterPrinting: 0) == payload)
    }

    @Test func countsAndCutsEPLForms() throws {
        let payload = Data("N\nA10,10,0,3,1,1,N,\"ONE\"\nP2\nN\nA10,10,0,3,1,1,N,\"TWO\"\nP1,3\n".utf8)
        #expect(LabelCount.count(payload, language: .epl) == 5)
        let rest = String(decoding: try #require(LabelCount.remainder(payload, language: .epl, afterPrinting: 3)), as: UTF8.self)
        #expect(rest == "N\nA10,10,0,3,1,1,N,\"TWO\"\nP2\n")
    }

    @Test func aPNGIsOneLabelPerCopyAndCannotBeCut() {
        #expect(LabelCount.count(Data([0x89, 0x50]), language: .png, copies: 4) == 4)
        #expect(LabelCount.remainder(Data([0x89, 0x50]), language: .png, afterPrinting: 1) == nil)
    }
}
