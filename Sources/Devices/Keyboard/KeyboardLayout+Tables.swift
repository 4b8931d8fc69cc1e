// The layouts' key tables, written as the keys' engravings: for each HID usage id the characters
// without modifier, with Shift and with AltGr, separated by spaces. `dead^` is a dead key, `·` a
// level that types nothing. Letters a–z (usages 0x04–0x1D) are implied unless a layout moves them.
// Sources: the Windows layouts (KBD tables), which keyboard-mode scanners emulate. Checked
// against xkb (libxkbcommon, evdev rules, pc105): every base and Shift level agrees; AltGr and
// the ISO key differ only where Windows and X11 differ (US ISO key \ | vs < >, UK AltGr vowels
// and ¦, French AltGr ~ and ` dead and Shift+² empty on Windows, Danish and Norwegian AltGr+5 € vs ½).

extension KeyboardLayout {
    /// United States (QWERTY).
    public static let us = build("us", "United States", [
        (0x1E, "1 !"), (0x1F, "2 @"), (0x20, "3 #"), (0x21, "4 $"), (0x22, "5 %"), (0x23, "6 ^"), (0x24, "7 &"),
        (0x25, "8 *"), (0x26, "9 ("), (0x27, "0 )"), (0x2D, "- _"), (0x2E, "= +"), (0x2F, "[ {"), (0x30, "] }"),
        (0x31, "\\ |"), (0x32, "\\ |"), (0x33, "; :"), (0x34, "' \""), (0x35, "` ~"), (0x36, ", <"), (0x37, ". >"),
        (0x38, "/ ?"), (0x64, "\\ |"),
    ], decimal: ".")

    /// United Kingdom (QWERTY, `£` on Shift+3, `@` on Shift+').
    public static let uk = build("uk", "United Kingdom", [
        (0x1E, "1 !"), (0x1F, "2 \""), (0x20, "3 £"), (0x21, "4 $ €"), (0x22, "5 %"), (0x23, "6 ^"), (0x24, "7 &"),
        (0x25, "8 *"), (0x26, "9 ("), (0x27, "0 )"), (0x2D, "- _"), (0x2E, "= +"), (0x2F, "[ {"), (0x30, "] }"),
        (0x31, "# ~"), (0x32, "# ~"), (0x33, "; :"), (0x34, "' @"), (0x35, "` ¬ ¦"), (0x36, ", <"), (0x37, ". >"),
        (0x38, "/ ?"), (0x64, "\\ |"),
        (0x04, "a A á Á"), (0x08, "e E é É"), (0x0C, "i I í Í"), (0x12, "o O ó Ó"), (0x18, "u U ú Ú"),
    ], decimal: ".")

    /// German (QWERTZ).
    public static let german = build("de", "German", [
        (0x1E, "1 !"), (0x1F, "2 \" ²"), (0x20, "3 § ³"), (0x21, "4 $"), (0x22, "5 %"), (0x23, "6 &"), (0x24, "7 / {"),
        (0x25, "8 ( ["), (0x26, "9 ) ]"), (0x27, "0 = }"), (0x2D, "ß ? \\"), (0x2E, "dead´ dead`"), (0x2F, "ü Ü"),
        (0x30, "+ * ~"), (0x31, "# '"), (0x32, "# '"), (0x33, "ö Ö"), (0x34, "ä Ä"), (0x35, "dead^ °"), (0x36, ", ;"),
        (0x37, ". :"), (0x38, "- _"), (0x64, "< > |"),
        (0x1C, "z Z"), (0x1D, "y Y"), (0x14, "q Q @"), (0x08, "e E €"), (0x10, "m M µ"),
    ], decimal: ",")

    /// French (AZERTY): digits need Shift.
    public static let french = build("fr", "French (AZERTY)", [
        (0x1E, "& 1"), (0x1F, "é 2 dead~"), (0x20, "\" 3 #"), (0x21, "' 4 {"), (0x22, "( 5 ["), (0x23, "- 6 |"),
        (0x24, "è 7 dead`"), (0x25, "_ 8 \\"), (0x26, "ç 9 ^"), (0x27, "à 0 @"), (0x2D, ") ° ]"), (0x2E, "= + }"),
        (0x2F, "dead^ dead¨"), (0x30, "$ £ ¤"), (0x31, "* µ"), (0x32, "* µ"), (0x33, "m M"), (0x34, "ù %"),
        (0x35, "²"), (0x36, "; ."), (0x37, ": /"), (0x38, "! §"), (0x64, "< >"),
        (0x04, "q Q"), (0x14, "a A"), (0x1A, "z Z"), (0x1D, "w W"), (0x10, ", ?"), (0x08, "e E €"),
    ], decimal: ".")

    /// Swedish and Finnish (the same engravings).
    public static let swedish = build("se", "Swedish/Finnish", nordicDigits + [
        (0x2D, "+ ? \\"), (0x2E, "dead´ dead`"), (0x2F, "å Å"), (0x30, "dead¨ dead^ dead~"), (0x31, "' *"),
        (0x32, "' *"), (0x33, "ö Ö"), (0x34, "ä Ä"), (0x35, "§ ½"), (0x64, "< > |"),
    ], decimal: ",")

    /// Danish.
    public static let danish = build("dk", "Danish", nordicDigits + [
        (0x2D, "+ ?"), (0x2E, "dead´ dead` |"), (0x2F, "å Å"), (0x30, "dead¨ dead^ dead~"), (0x31, "' *"),
        (0x32, "' *"), (0x33, "æ Æ"), (0x34, "ø Ø"), (0x35, "½ §"), (0x64, "< > \\"),
    ], decimal: ",")

    /// Norwegian.
    public static let norwegian = build("no", "Norwegian", nordicDigits + [
        (0x2D, "+ ?"), (0x2E, "\\ dead` dead´"), (0x2F, "å Å"), (0x30, "dead¨ dead^ dead~"), (0x31, "' *"),
        (0x32, "' *"), (0x33, "ø Ø"), (0x34, "æ Æ"), (0x35, "| §"), (0x64, "< >"),
    ], decimal: ",")

    /// The digit row, punctuation keys and AltGr letters the Nordic layouts share.
    private static let nordicDigits: [(UInt8, String)] = [
        (0x1E, "1 !"), (0x1F, "2 \" @"), (0x20, "3 # £"), (0x21, "4 ¤ $"), (0x22, "5 % €"), (0x23, "6 &"),
        (0x24, "7 / {"), (0x25, "8 ( ["), (0x26, "9 ) ]"), (0x27, "0 = }"), (0x36, ", ;"), (0x37, ". :"), (0x38, "- _"),
        (0x08, "e E €"), (0x10, "m M µ"),
    ]

    private static func build(_ name: String, _ title: String, _ rows: [(UInt8, String)], decimal: Character) -> KeyboardLayout {
        var keys: [UInt8: [Output?]] = [:]
        for (offset, letter) in "abcdefghijklmnopqrstuvwxyz".enumerated() {
            keys[UInt8(0x04 + offset)] = [.character(letter), .character(Character(letter.uppercased()))]
        }
        keys[0x2C] = [.character(" "), .character(" ")]
        // Keypad with Num Lock on, as scanners send it.
        for (usage, character) in zip(UInt8(0x54)...UInt8(0x63), Array("/*-+\u{0}1234567890")) where usage != 0x58 {
            keys[usage] = [.character(character), .character(character)]
        }
        keys[0x63] = [.character(decimal), .character(decimal)]
        for (usage, engraving) in rows {
            keys[usage] = engraving.split(separator: " ").map { token -> Output? in
                if token == "·" { return nil }
                if token.hasPrefix("dead") { return .dead(token.dropFirst(4).first!) }
                return .character(token.first!)
            }
        }
        return KeyboardLayout(name: name, title: title, keys: keys)
    }
}
