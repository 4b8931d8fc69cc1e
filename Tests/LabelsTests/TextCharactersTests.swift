import Foundation
import Testing
@testable import Labels

/// Text only reaches a label in characters its printer can draw. DejaVu Sans, the label font,
/// has Latin, Greek and Cyrillic; a character it lacks would print as an empty box in PNG, and a
/// ZPL printer's resident font lacks it too. EPL is held to Windows-1252 (EPLWriterTests).
@Suite struct TextCharactersTests {
    static let template = """
        size: [100mm, 30mm]
        elements:
          - {type: text, at: [1mm, 1mm], text: "Lot {{lot}}", size: 3mm}
          - id: product
            type: text
            at: [1mm, 10mm]
            text: "{{name}}"
            size: 4mm
            bold: true
        sample: {lot: L1, name: Name}
        """

    /// Writing the label in each language: PNG, ZPL, EPL.
    static func writers(_ label: LabelLayout) -> [() throws -> Void] {
        [{ _ = try PNGRenderer().png(label) }, { _ = try ZPLWriter().write(label) }, { _ = try EPLWriter().write(label) }]
    }

    static func label(name: String) throws -> LabelLayout {
        let template = try TemplateLoader().load(yaml: template)
        return try template.layout(.object(["lot": .string("L1"), "name": .string(name)]))
    }

    @Test func latinGreekAndCyrillicPrintInPNGAndZPL() throws {
        let label = try Self.label(name: "Масло Ωμέγα Größe ñ")
        _ = try PNGRenderer().png(label)
        let zpl = try ZPLWriter().write(label)
        #expect(zpl.contains("Масло Ωμέγα Größe ñ"))
    }

    @Test(arguments: ["电钻 X1", "Box 📦"])
    func aCharacterTheLabelFontLacksIsRefusedNamingTheElement(name: String) throws {
        let label = try Self.label(name: name)
        let missing = try #require(name.unicodeScalars.first { $0.value > 0x7F })
        let code = "U+" + String(missing.value, radix: 16, uppercase: true)
        // EPL says the same (printing as PNG, its advice for Cyrillic, would not help here).
        let writers = Self.writers(label)
        for write in writers {
            let error = try #require(throws: LabelError.self) { try write() }
            #expect(error.code == .unencodable)
            #expect(error.element == "text 'product'")
            #expect(error.line == 4)
            #expect(error.message.contains(code) && error.message.contains("DejaVu Sans Bold"), "\(error)")
        }
    }

    /// Hebrew and Arabic are in the label font, but the engine lays text out left to right, glyph
    /// by glyph: a QA run saw "שמן" printed backwards and Arabic unjoined, exit 0. Refused, naming
    /// the script, the character and the element, in every language.
    @Test(arguments: [("שמן הידראולי", "Hebrew", "U+05E9"), ("زيت 46", "Arabic", "U+0632"), ("Oil ﭏ", "Hebrew", "U+FB4F")])
    func rightToLeftTextIsRefusedRatherThanPrintedBackwards(name: String, script: String, code: String) throws {
        let label = try Self.label(name: name)
        let writers = Self.writers(label)
        for (index, write) in writers.enumerated() {
            let error = try #require(throws: LabelError.self) { try write() }
            #expect(error.code == .unencodable)
            #expect(error.element == "text 'product'")
            // EPL's own check (Windows-1252) may speak first; PNG and ZPL name the script.
            if index < 2 {
                #expect(error.message.contains("\(script) letters (\(code))") && error.message.contains("right to left"), "\(error)")
            }
        }
        // Left-to-right text around digits and Latin stays printable.
        _ = try PNGRenderer().png(try Self.label(name: "Öl 46 Ωμέγα"))
    }

    /// A value under a number or date format must be one: found by a QA run, where `abc` under
    /// `0` printed `QTY abc`. The data check names the field and the element.
    @Test func aValueThatIsNotWhatItsFormatTakesIsRefused() throws {
        let template = try TemplateLoader().load(yaml: """
            size: [100mm, 30mm]
            elements:
              - id: qty
                type: text
                at: [1mm, 1mm]
                text: 'QTY {{quantity | number: "0"}} until {{expiry | date: "dd.MM.yyyy"}}'
                size: 3mm
            sample: {quantity: 3, expiry: "2027-01-31"}
            """)
        try template.check(.object(["quantity": .string("12"), "expiry": .string("2027-01-31")]))
        for number in ["-3", "12.500", ".5", "+7"] {
            try template.check(.object(["quantity": .string(number), "expiry": .string("2027-01-31")]))
        }
        // Text that only starts with a number is not one: "1,200" went into a barcode's (30) as 1,
        // "12 500" grams into (3103) as 12 (found by a QA run).
        for text in ["1,200", "12,5", "12 500", "12abc", "5kg", "0x10", "-", "1.5.3", "1.", "1e3", " 12"] {
            let error = try #require(throws: LabelError.self) {
                try template.check(.object(["quantity": .string(text), "expiry": .string("2027-01-31")]))
            }
            #expect(error.message.contains("field 'quantity' is \(text.debugDescription), not a number"), "\(error)")
        }
        for (data, message) in [(["quantity": LabelData.string("abc"), "expiry": .string("2027-01-31")], "field 'quantity' is \"abc\", not a number"),
                                (["quantity": .number(1), "expiry": .string("soon")], "field 'expiry' is \"soon\", not a date")] {
            let error = try #require(throws: LabelError.self) { try template.check(.object(data)) }
            #expect(error.code == .invalidValue && error.element == "text 'qty'" && error.message.contains(message), "\(error)")
        }
    }

    /// An invisible character (a byte order mark from a CSV file, a zero-width space, a soft
    /// hyphen) is refused in every language, named as what it is: the byte order mark was said
    /// to be an Arabic letter (found by a QA run).
    @Test(arguments: [("bom\u{FEFF}x", "a byte order mark (U+FEFF), before character 4"), ("a\u{200B}b", "a zero-width space (U+200B)"),
                      ("Ful\u{AD}ler", "a soft hyphen (U+00AD)")])
    func anInvisibleCharacterIsRefusedNamed(name: String, named: String) throws {
        let label = try Self.label(name: name)
        let writers = Self.writers(label)
        for write in writers {
            let error = try #require(throws: LabelError.self) { try write() }
            #expect(error.code == .unencodable && error.element == "text 'product'", "\(error)")
            #expect(error.message.contains("has an invisible character, \(named)") && !error.message.contains("Arabic"), "\(error)")
        }
    }

    /// Text is composed (NFC) before it is written: `e` with a combining accent went to a ZPL
    /// printer as two characters its font draws apart (found by a QA run).
    @Test func decomposedTextIsWrittenComposed() throws {
        let label = try Self.label(name: "Cafe\u{301} OK")
        let zpl = try ZPLWriter().write(label)
        #expect(zpl.unicodeScalars.contains("\u{E9}") && !zpl.unicodeScalars.contains("\u{301}"), "\(zpl)")
    }

    /// A control character in the data (NUL, ESC) is refused in every language, naming the
    /// element: found by a QA run, where they reached a ZPL printer as hex escapes.
    @Test(arguments: ["a\u{0}b", "a\u{1B}[31m", "tab\there"])
    func aControlCharacterIsRefusedNamingTheElement(name: String) throws {
        let label = try Self.label(name: name)
        let writers = Self.writers(label)
        for write in writers {
            let error = try #require(throws: LabelError.self) { try write() }
            #expect(error.code == .unencodable && error.element == "text 'product'", "\(error)")
            #expect(error.message.contains("has a control character"), "\(error)")
        }
    }
}
