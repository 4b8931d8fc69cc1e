/// The barcode symbologies GS1 data is printed in, for predicting what a scanner sends.
public enum Symbology: Hashable, Sendable, CaseIterable {
    case qrCode, dataMatrix, dotCode
    /// GS1-128 (linear only; with a composite component the scanner reports `]e0`).
    case gs1_128
    case dataBarExpanded, dataBarOmnidirectional, dataBarTruncated, dataBarStacked, dataBarStackedOmnidirectional
    case dataBarLimited
    case ean13, ean8, upcA, upcE
}

/// What a scanner configured to send AIM symbology identifiers transmits for a symbol, after the
/// GS1 Syntax Engine's `gs1_generateScanData`: for testing labels end to end.
public enum ScanData {
    private static let gs: UInt8 = 0x1D

    /// The scan data for `dataString` encoded in `symbology`.
    ///
    /// `dataString` is in the encoders' convention: `^` is FNC1 (a leading `^` means GS1 data, later
    /// ones are separators), a plain-data leading `^` is written `\^`, and `|` separates the
    /// linear data from a composite component. EAN/UPC and DataBar (other than Expanded) take the
    /// primary number, or `^01` and a GTIN-14; with `addsCheckDigit` it is given without its check
    /// digit.
    ///
    /// - Throws: ``GS1Error`` when the data cannot be carried by the symbology.
    public static func generate(dataString: String, symbology: Symbology, addsCheckDigit: Bool = false) throws(GS1Error) -> String {
        let data = Array(dataString.utf8)
        var linear = data
        var composite: [UInt8]?
        if let bar = data.firstIndex(of: UInt8(ascii: "|")) {
            linear = Array(data[..<bar])
            composite = Array(data[(bar + 1)...])
        }
        let isGS1 = data.first == UInt8(ascii: "^")
        var out: [UInt8] = []
        switch symbology {
        case .qrCode, .dataMatrix, .dotCode:
            let id: String = switch symbology {
            case .qrCode: isGS1 ? "]Q3" : "]Q1"
            case .dataMatrix: isGS1 ? "]d2" : "]d1"
            default: isGS1 ? "]J1" : "]J0"
            }
            out += Array(id.utf8)
            if isGS1 {
                out += transmitted(linear)  // 2-D symbols carry no composite component
            } else {
                out += transmitted(data)
            }
        case .gs1_128 where composite == nil:
            guard isGS1 else { throw notGS1(symbology) }
            out += Array("]C1".utf8) + transmitted(linear)
        case .gs1_128, .dataBarExpanded:
            guard isGS1 else { throw notGS1(symbology) }
            out += Array("]e0".utf8) + transmitted(linear)
            if let composite {
                guard composite.first == UInt8(ascii: "^") else { throw notGS1(symbology) }
                if try lastAINeedsSeparator(linear) { out.append(gs) }
                out += transmitted(composite)
            }
        case .dataBarOmnidirectional, .dataBarTruncated, .dataBarStacked, .dataBarStackedOmnidirectional, .dataBarLimited:
            var primary = linear[...]
            if primary.starts(with: Array("^01".utf8)) { primary = primary.dropFirst(3) }
            let digits = try primaryNumber(Array(primary), length: 14, addsCheckDigit: addsCheckDigit)
            if symbology == .dataBarLimited, digits[0] >= UInt8(ascii: "2") {
                throw GS1Error(.invalidValue, "GS1 DataBar Limited carries GTINs below 20000000000000 only")
            }
            out += Array("]e001".utf8) + digits
            if let composite {
                guard composite.first == UInt8(ascii: "^") else { throw notGS1(symbology) }
                out += transmitted(composite)
            }
        case .ean13, .ean8, .upcA, .upcE:
            let length = symbology == .ean13 ? 13 : symbology == .ean8 ? 8 : 12
            var primary = linear[...]
            let zeros = Array("^01000000".utf8).prefix(17 - length)
            if primary.starts(with: zeros) { primary = primary.dropFirst(zeros.count) }
            let digits = try primaryNumber(Array(primary), length: length, addsCheckDigit: addsCheckDigit)
            out += Array((symbology == .ean8 ? "]E4" : "]E0").utf8)
            if length == 12 { out.append(UInt8(ascii: "0")) }
            out += digits
            if let composite {
                guard composite.first == UInt8(ascii: "^") else { throw notGS1(symbology) }
                out += Array("|]e0".utf8) + transmitted(composite)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// GS1 data without its leading FNC1 and with GS for the others; plain data with the escape of
    /// a leading `^` removed.
    private static func transmitted(_ data: [UInt8]) -> [UInt8] {
        if data.first == UInt8(ascii: "^") {
            return data.dropFirst().map { $0 == UInt8(ascii: "^") ? gs : $0 }
        }
        var backslashes = 0
        while backslashes < data.count, data[backslashes] == UInt8(ascii: "\\") { backslashes += 1 }
        if backslashes < data.count, backslashes > 0, data[backslashes] == UInt8(ascii: "^") { return Array(data.dropFirst()) }
        return data
    }

    /// The digits of an EAN/UPC/DataBar primary number, its check digit checked (or added).
    private static func primaryNumber(_ data: [UInt8], length: Int, addsCheckDigit: Bool) throws(GS1Error) -> [UInt8] {
        let given = addsCheckDigit ? length - 1 : length
        guard data.count == given else {
            throw GS1Error(.invalidLength, "the primary number has \(data.count) digits; needs \(given)"
                           + (addsCheckDigit ? " without its check digit" : ""))
        }
        guard data.allSatisfy(isDigit) else { throw GS1Error(.invalidCharacter, "the primary number must be digits only") }
        var digits = addsCheckDigit ? data + [UInt8(ascii: "0")] : data
        let expected = digits.withUnsafeBufferPointer { Linter.expectedCheckDigit($0) }
        if addsCheckDigit {
            digits[digits.count - 1] = UInt8(48 + expected)
        } else if Int(digits[digits.count - 1]) - 48 != expected {
            throw GS1Error(.invalidCheckDigit, "the primary number's check digit should be \(expected), got \(Character(Unicode.Scalar(digits[digits.count - 1])))")
        }
        return digits
    }

    /// Whether the last AI of `data` (`^…` form) is followed by a separator before more data.
    private static func lastAINeedsSeparator(_ data: [UInt8]) throws(GS1Error) -> Bool {
        let text = String(decoding: data.dropFirst(), as: UTF8.self)
        var options = GS1Parser.Options()
        options.groupSeparators = ["^"]
        options.checksRequiredAIs = false
        let parsed = try GS1Parser(options).parseElementString(text)
        guard let last = parsed.elements.last else { return false }
        return ElementString.needsSeparator(last.ai)
    }

    private static func notGS1(_ symbology: Symbology) -> GS1Error {
        GS1Error(.malformed, "\(symbology) needs GS1 data (starting with FNC1)")
    }
}
