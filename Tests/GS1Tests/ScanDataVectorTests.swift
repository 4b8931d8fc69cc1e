@testable import GS1
import Testing

/// `scan-data-generate.tsv`: what a scanner sends for a symbol, from the encoder's data string.
@Suite struct ScanDataVectorTests {
    struct Vector: Sendable, CustomTestStringConvertible {
        let symbology: String
        let data: String
        let expected: String?
        let addsCheckDigit: Bool
        var testDescription: String { "\(symbology) \(data.debugDescription)" }
    }

    static func vectors() throws -> [Vector] {
        try VectorFiles.tsv("scan-data-generate.tsv").map { row in
            let expected = row["expected_scan_data"] ?? ""
            return Vector(symbology: row["symbology"] ?? "", data: VectorFiles.unescape(row["data_str_caret_fnc1"] ?? ""),
                          expected: expected.hasPrefix("(NULL") ? nil : VectorFiles.unescape(expected),
                          addsCheckDigit: VectorFiles.json(row["options"] ?? "")["addCheckDigit"] as? Bool ?? false)
        }
    }

    private func symbology(_ name: String) -> Symbology? {
        switch name {
        case "QR": .qrCode
        case "DM": .dataMatrix
        case "DotCode": .dotCode
        case "GS1_128_CCA", "GS1_128_CCC": .gs1_128
        case "DataBarExpanded": .dataBarExpanded
        case "DataBarOmni": .dataBarOmnidirectional
        case "DataBarLimited": .dataBarLimited
        case "UPCA": .upcA
        case "UPCE": .upcE
        case "EAN13": .ean13
        case "EAN8": .ean8
        default: nil
        }
    }

    @Test(arguments: try vectors())
    func scanDataMatchesTheReference(_ vector: Vector) throws {
        guard let symbology = symbology(vector.symbology) else {
            // "NONE": the reference refuses to generate without a symbology; ours cannot be asked to.
            #expect(vector.symbology == "NONE" && vector.expected == nil)
            return
        }
        guard let expected = vector.expected else {
            #expect(throws: GS1Error.self) {
                try ScanData.generate(dataString: vector.data, symbology: symbology, addsCheckDigit: vector.addsCheckDigit)
            }
            return
        }
        let scanData = try ScanData.generate(dataString: vector.data, symbology: symbology, addsCheckDigit: vector.addsCheckDigit)
        #expect(scanData == expected)

        // And the parser reads back what the scanner would send.
        var options = GS1Parser.Options.strict
        options.checksRequiredAIs = false
        options.today = VectorFiles.today
        let code = try GS1Parser(options).parse(scanData)
        #expect(code.symbology?.description == String(scanData.prefix(3)))
    }
}
