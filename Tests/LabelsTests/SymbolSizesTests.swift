import GS1
import Testing
@testable import Labels

/// A symbol's size is remembered by its data's shape (digits, capitals and small letters as one
/// character each): every datum of a shape must have exactly the size libzint gives it afresh.
@Suite struct SymbolSizesTests {
    /// A linear congruential generator (Knuth's MMIX constants): the same data on every run.
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state ^ (state >> 33)
        }
    }

    /// `pattern` with each `9` a random digit, `A` a random capital and `a` a random small letter.
    static func fill(_ pattern: String, _ random: inout Generator) -> String {
        String(pattern.map { character -> Character in
            switch character {
            case "9": Character(UnicodeScalar(UInt8.random(in: 48...57, using: &random)))
            case "A": Character(UnicodeScalar(UInt8.random(in: 65...90, using: &random)))
            case "a": Character(UnicodeScalar(UInt8.random(in: 97...122, using: &random)))
            default: character
            }
        })
    }

    static func gtin(_ random: inout Generator) -> String {
        let body = Array(fill("0950110999999", &random).utf8)
        return String(decoding: body, as: UTF8.self) + String(CheckDigit.compute(body))
    }

    static let plainCases: [(Labels.Symbology, String)] = [
        (.code128, "LOT-99999a"), (.code128, "9A9A9999999aa A"), (.code128, "99"),
        (.dataMatrix, "Aaaa 9999 _^ AA-99"), (.dataMatrix, "AAAAAAAAAA99999999"), (.dataMatrix, "aaaaaaaaaa aaaa"),
        (.qr, "https://example.com/lot/AAA-9999?x=a"), (.qr, "99999999999999999999"), (.qr, "AAAA 99 AAAA"),
        (.code39, "AAA-9999"), (.ean13, "999999999999"), (.upcA, "99999999999"), (.itf14, "9999999999999"),
    ]

    @Test(arguments: plainCases.indices)
    func plainDataOfOneShapeHasOneSize(_ index: Int) throws {
        let (symbology, pattern) = Self.plainCases[index]
        var random = Generator(state: UInt64(index) + 1)
        let first = try BarcodeContent.plain(Self.fill(pattern, &random), for: symbology)
        _ = try SymbolSizes.size(of: first, as: symbology)
        for _ in 0..<40 {
            let content = try BarcodeContent.plain(Self.fill(pattern, &random), for: symbology)
            let (size, encoded) = try SymbolSizes.size(of: content, as: symbology)
            #expect(encoded == nil, "the same shape is sized from memory")
            let fresh = try ZintSymbol.encode(content, as: symbology)
            #expect(size == SymbolSize(rows: fresh.rows, columns: fresh.columns), "\(content)")
        }
    }

    @Test(arguments: [Labels.Symbology.gs1_128, .gs1DataMatrix, .gs1QR])
    func gs1DataOfOneShapeHasOneSize(_ symbology: Labels.Symbology) throws {
        var random = Generator(state: 7)
        func content() throws -> BarcodeContent {
            let elements = [
                AIElement(ai: "01", value: Self.gtin(&random)),
                AIElement(ai: "17", value: "2" + Self.fill("7", &random) + "0" + String(Int.random(in: 1...9, using: &random)) + "1" + String(Int.random(in: 0...9, using: &random))),
                AIElement(ai: "10", value: Self.fill("AA-999a", &random)),
                AIElement(ai: "21", value: Self.fill("9999999999", &random)),
            ]
            return .gs1(try ElementStringBuilder(checksRequiredAIs: false).build(elements))
        }
        _ = try SymbolSizes.size(of: try content(), as: symbology)
        for _ in 0..<40 {
            let next = try content()
            let (size, encoded) = try SymbolSizes.size(of: next, as: symbology)
            #expect(encoded == nil)
            let fresh = try ZintSymbol.encode(next, as: symbology)
            #expect(size == SymbolSize(rows: fresh.rows, columns: fresh.columns), "\(next)")
        }
    }

    /// A different shape is a different entry: a digit where a letter was can change the size.
    @Test func theShapeKeepsClassesAndLiterals() {
        #expect(SymbolSizes.shape(of: .text("Ab9-_ä")) == Array("Aa0-_ä".utf8))
        #expect(SymbolSizes.shape(of: .text("LOT-10")) != SymbolSizes.shape(of: .text("LOT-1A")))
    }

    /// A datum that libzint refuses is refused on every label, remembered shape or not.
    @Test func dataThatDoesNotEncodeIsRefusedEachTime() throws {
        let tooLong = String(repeating: "9", count: 4000)
        for _ in 0..<2 {
            #expect(throws: LabelError.self) { try SymbolSizes.size(of: .text(tooLong), as: .dataMatrix) }
        }
    }
}
