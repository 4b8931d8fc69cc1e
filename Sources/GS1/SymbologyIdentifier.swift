/// An AIM symbology identifier (ISO/IEC 15424), the `]C1` a scanner may put before the data to say
/// which barcode it read and in which mode.
public struct SymbologyIdentifier: Hashable, Sendable, CustomStringConvertible {
    /// The symbology character: `C` Code 128, `E` EAN/UPC, `e` GS1 DataBar, `d` Data Matrix,
    /// `Q` QR Code, `J` DotCode, `I` ITF …
    public let code: Character
    /// The modifier characters, usually one (`1` in `]C1`).
    public let modifiers: String

    /// The identifier `]` + `code` + `modifiers`.
    public init(code: Character, modifiers: String) {
        self.code = code
        self.modifiers = modifiers
    }

    /// The identifier at the start of `scan` (`]` + code + modifier), or `nil` when it has none.
    public init?(prefixOf scan: String) {
        var text = scan
        guard let identifier = text.withUTF8({ Self.parse($0) }) else { return nil }
        self = identifier.0
    }

    /// The identifier at the start of `bytes` and its length.
    static func parse(_ bytes: Bytes) -> (SymbologyIdentifier, Int)? {
        guard bytes.count >= 3, bytes[0] == UInt8(ascii: "]"), isAlphanumeric(bytes[1]), isAlphanumeric(bytes[2]) else {
            return nil
        }
        // System expansion (]Y) carries a two-character modifier.
        let length = bytes[1] == UInt8(ascii: "Y") && bytes.count >= 4 && isAlphanumeric(bytes[3]) ? 4 : 3
        let identifier = SymbologyIdentifier(code: Character(Unicode.Scalar(bytes[1])),
                                             modifiers: String(decoding: bytes.part(2..<length), as: UTF8.self))
        return (identifier, length)
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        isDigit(byte) || (65...90).contains(byte) || (97...122).contains(byte)
    }

    /// `]C1`.
    public var description: String { "]\(code)\(modifiers)" }

    /// GS1-128 (`]C1`).
    public static let gs1_128 = SymbologyIdentifier(code: "C", modifiers: "1")
    /// GS1 DataBar, and GS1-128 or EAN/UPC composite components (`]e0`).
    public static let gs1DataBar = SymbologyIdentifier(code: "e", modifiers: "0")
    /// GS1 DataMatrix (`]d2`).
    public static let gs1DataMatrix = SymbologyIdentifier(code: "d", modifiers: "2")
    /// GS1 QR Code (`]Q3`).
    public static let gs1QR = SymbologyIdentifier(code: "Q", modifiers: "3")
    /// GS1 DotCode (`]J1`).
    public static let gs1DotCode = SymbologyIdentifier(code: "J", modifiers: "1")
    /// EAN-13 and UPC-A (`]E0`, 13 digits).
    public static let ean13 = SymbologyIdentifier(code: "E", modifiers: "0")
    /// EAN-8 (`]E4`).
    public static let ean8 = SymbologyIdentifier(code: "E", modifiers: "4")
    /// Data Matrix in plain (non-GS1) mode (`]d1`).
    public static let dataMatrix = SymbologyIdentifier(code: "d", modifiers: "1")
    /// QR Code in plain mode (`]Q1`).
    public static let qr = SymbologyIdentifier(code: "Q", modifiers: "1")
    /// DotCode in plain mode (`]J0`).
    public static let dotCode = SymbologyIdentifier(code: "J", modifiers: "0")

    /// Whether the identifier announces GS1 element strings (FNC1 in first position).
    public var carriesElementString: Bool {
        switch (code, modifiers) {
        case ("C", "1"), ("e", "0"), ("d", "2"), ("Q", "3"), ("J", "1"): true
        default: false
        }
    }
}
