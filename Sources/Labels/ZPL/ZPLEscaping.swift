/// Escaping of field data for ZPL II.
///
/// The printer scans field data for `^` and `~`: a value such as `^FS^XZ^XA…` or `~JR` would
/// otherwise end the field and run commands. Every field is sent with `^FH\` and these bytes are
/// hex-escaped (`\5E`, `\7E`), as are the escape character itself and control characters.
/// `\` rather than the default `_` is the `^FH` escape, because `^BX` uses `_` for its own escapes
/// (FNC1 is `_1`) and would lose them to `^FH`.
enum ZPLEscaping {
    /// The `^FH` escape character.
    static let hexIndicator: UInt8 = UInt8(ascii: "\\")

    /// Appends `value` with `^`, `~`, the escape character and control characters written as
    /// `\XX` (or with the field's own `^FH` character: a raw template may use `_`). UTF-8 text
    /// passes as is (the label is `^CI28`).
    static func appendHex(_ value: String, indicator: UInt8 = hexIndicator, to out: inout [UInt8]) {
        func needsEscape(_ byte: UInt8) -> Bool {
            byte == 0x5E || byte == 0x7E || byte == indicator || byte < 0x20 || byte == 0x7F
        }
        guard value.utf8.contains(where: needsEscape) else {
            out.append(contentsOf: value.utf8)
            return
        }
        for byte in value.utf8 {
            if needsEscape(byte) {
                out.append(indicator)
                out.append(hexDigit(byte >> 4))
                out.append(hexDigit(byte & 0x0F))
            } else {
                out.append(byte)
            }
        }
    }

    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? 48 + nibble : 55 + nibble
    }

    /// `value` with each `_` doubled: `^BX` data with `_` as its escape character.
    static func doublingUnderscores(_ value: String) -> String {
        guard value.utf8.contains(0x5F) else { return value }
        var out = [UInt8]()
        out.reserveCapacity(value.utf8.count + 4)
        for byte in value.utf8 {
            out.append(byte)
            if byte == 0x5F { out.append(byte) }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
