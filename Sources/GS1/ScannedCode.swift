/// What a scan (or typed text) turned out to be: GS1 element strings, a GS1 Digital Link URI, a
/// GTIN from an EAN/UPC/ITF-14 barcode, or a plain code; with its AIs in order and, in lenient
/// parsing, every rule the data breaks.
public struct ScannedCode: Hashable, Sendable {
    /// The form of the data.
    public enum Kind: Hashable, Sendable {
        /// GS1 element strings (GS1-128, GS1 DataMatrix, GS1 QR, GS1 DataBar, DotCode, or typed).
        case elementString
        /// A GS1 Digital Link URI.
        case digitalLink
        /// A GTIN read from an EAN-13, UPC-A, EAN-8 or ITF-14 barcode.
        case gtin
        /// Anything else: the data is kept as it is.
        case plain
    }

    /// The AIM symbology identifier the scanner sent, if any.
    public let symbology: SymbologyIdentifier?
    /// The form of the data.
    public let kind: Kind
    /// The data without the symbology identifier, as received.
    public var data: String { text.data }
    /// The AIs and their values in the order they came (for a Digital Link: the path's, then the
    /// query's). For a `.gtin` they are those of a composite component, if any.
    public let elements: [AIElement]
    /// The rules the data breaks, found by a lenient parser; always empty after strict parsing.
    public let warnings: [GS1Error]
    /// The scan, kept whole so that no copy is made while parsing.
    private let text: ScanText
    /// For `.gtin`: the digits of the barcode (8, 12, 13 or 14).
    let primaryNumber: String?
    /// The year the two-digit years were read in (GS1 century rule).
    let currentYear: Int

    init(symbology: SymbologyIdentifier?, kind: Kind, data: ScanText, elements: [AIElement], warnings: [GS1Error],
         primaryNumber: String? = nil, currentYear: Int) {
        self.symbology = symbology
        self.kind = kind
        self.text = data
        self.elements = elements
        self.warnings = warnings
        self.primaryNumber = primaryNumber
        self.currentYear = currentYear
    }
}

/// A scan and where its data starts (after the symbology identifier).
struct ScanText: Hashable, Sendable {
    let scan: String
    let offset: Int

    var data: String { offset == 0 ? scan : String(decoding: scan.utf8.dropFirst(offset), as: UTF8.self) }

    static func == (lhs: ScanText, rhs: ScanText) -> Bool { lhs.data == rhs.data }
    func hash(into hasher: inout Hasher) { hasher.combine(data) }
}
