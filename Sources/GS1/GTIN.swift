/// A Global Trade Item Number, validated and normalised to its 14-digit form.
///
/// GTIN-8, GTIN-12 (UPC-A), GTIN-13 (EAN-13) and GTIN-14 are the same key with different lengths;
/// stored and compared as GTIN-14 (left-padded with zeros), so one product has one key whichever
/// barcode was scanned.
public struct GTIN: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    /// The 14-digit form, e.g. `09501101530003`.
    public let gtin14: String

    /// Validates `text` (8, 12, 13 or 14 digits, correct check digit).
    ///
    /// - Throws: ``GS1Error`` naming the value and, for a wrong check digit, the right one.
    public init(_ text: String) throws(GS1Error) {
        let bytes = Array(text.utf8)
        guard [8, 12, 13, 14].contains(bytes.count) else {
            throw GS1Error(.invalidLength, "GTIN \(text): has \(bytes.count) digits; a GTIN has 8, 12, 13 or 14")
        }
        if let bad = bytes.firstIndex(where: { $0 < UInt8(ascii: "0") || $0 > UInt8(ascii: "9") }) {
            throw GS1Error(.invalidCharacter, "GTIN \(text): character \(bad + 1) is not a digit")
        }
        let expected = CheckDigit.compute(bytes.dropLast())
        let got = bytes[bytes.count - 1] - UInt8(ascii: "0")
        guard expected == got else {
            throw GS1Error(.invalidCheckDigit, "GTIN \(text): check digit should be \(expected), got \(got)")
        }
        self.gtin14 = String(repeating: "0", count: 14 - bytes.count) + text
    }

    /// The shortest standard form: GTIN-8, GTIN-12 or GTIN-13 when the leading digits are zeros.
    public var shortest: String {
        let digits = Array(gtin14)
        if digits.prefix(6).allSatisfy({ $0 == "0" }) { return String(digits.suffix(8)) }
        if digits.prefix(2).allSatisfy({ $0 == "0" }) { return String(digits.suffix(12)) }
        if digits.first == "0" { return String(digits.suffix(13)) }
        return gtin14
    }

    public var description: String { gtin14 }

    public static func < (lhs: GTIN, rhs: GTIN) -> Bool { lhs.gtin14 < rhs.gtin14 }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do { try self.init(text) } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.message))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(gtin14)
    }
}

extension GTIN {
    /// The UPC-A a UPC-E code stands for (zero-suppressed: 8 digits, number system 0 or 1, the
    /// six digits, and the UPC-A's check digit), or nil when `code` is not one. Scanners often
    /// send a UPC-E as its 8 digits; the product is registered under the UPC-A's GTIN.
    public static func expandingUPCE(_ code: String) -> GTIN? {
        let digits = Array(code.utf8)
        guard digits.count == 8, digits.allSatisfy({ (48...57).contains($0) }), digits[0] == 48 || digits[0] == 49 else { return nil }
        let d = digits[1...6].map { Character(Unicode.Scalar($0)) }
        let manufacturer: [Character], item: [Character]
        switch d[5] {
        case "0", "1", "2": (manufacturer, item) = ([d[0], d[1], d[5], "0", "0"], ["0", "0", d[2], d[3], d[4]])
        case "3": (manufacturer, item) = ([d[0], d[1], d[2], "0", "0"], ["0", "0", "0", d[3], d[4]])
        case "4": (manufacturer, item) = ([d[0], d[1], d[2], d[3], "0"], ["0", "0", "0", "0", d[4]])
        default: (manufacturer, item) = ([d[0], d[1], d[2], d[3], d[4]], ["0", "0", "0", "0", d[5]])
        }
        let upcA = String(Character(Unicode.Scalar(digits[0]))) + String(manufacturer) + String(item) + String(Character(Unicode.Scalar(digits[7])))
        return try? GTIN(upcA)
    }
}
