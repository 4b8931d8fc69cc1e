import Foundation
import Testing
import TracemarkTesting
@testable import Labels

@Suite struct RawTemplateTests {
    @Test func zplValuesAreHexEscapedInTheirField() throws {
        let template = try TemplateLoader().loadRaw(
            "^XA\n^FO10,10^A0N,30,30^FD{{name}}^FS\n^FO10,50^FH_^FDX {{name}}^FS\n^PQ{{copies}}\n^XZ\n",
            language: .zpl, sample: .object(["name": .string("a"), "copies": .number(1)]))
        let zpl = try template.renderRaw(.object(["name": .string("^XA^JUF^XZ ~JR _\\"), "copies": .string("2")]))
        #expect(zpl == "^XA\n^FO10,10^A0N,30,30^FH\\^FD\\5EXA\\5EJUF\\5EXZ \\7EJR _\\5C^FS\n"
            + "^FO10,50^FH_^FDX _5EXA_5EJUF_5EXZ _7EJR _5F\\^FS\n^PQ2\n^XZ\n")
    }

    /// A raw ZPL template may not change ZPL's command characters: after `~CT+` a value's `+JA`
    /// would be a command the printer runs (found by a QA run). Refused at load, with its line.
    @Test func aTemplateThatChangesZPLsCommandCharactersIsRefused() throws {
        for (command, what) in [("~CT+", "the control character ~"), ("^CC+", "the command character ^"), ("~cc!", "the command character ^"),
                                ("^CD;", "the delimiter ,")] {
            #expect {
                _ = try TemplateLoader().loadRaw("^XA\n\(command)\n^FO30,30^A0N,40,40^FD{{a}}^FS\n^XZ\n", language: .zpl, file: "ct.zpl",
                                                 sample: .object(["a": .string("x")]))
            } throws: { error in
                guard let error = error as? LabelError else { return false }
                return error.code == .syntax && error.line == 2 && error.file == "ct.zpl"
                    && error.message.contains("\(command.prefix(3)) changes \(what)")
            }
        }
        // ^CI (the character set) and ^CF (the default font) are not such changes.
        _ = try TemplateLoader().loadRaw("^XA^CI28^CF0,30\n^FO30,30^FD{{a}}^FS^XZ\n", language: .zpl, sample: .object(["a": .string("x")]))
    }

    /// A value outside a field's data is a command's parameter: one that is not a plain word is
    /// refused with its placeholder's line, not trimmed into another value (`1\nP999` was `^PQ1P999`).
    @Test func aValueOutsideAFieldThatIsNotAPlainWordIsRefused() throws {
        let zpl = try TemplateLoader().loadRaw(
            "^XA\n^FO10,10^A0N,30,30^FD{{name}}^FS\n^PQ{{copies}}\n^XZ\n", language: .zpl, file: "lot.zpl",
            sample: .object(["name": .string("a"), "copies": .number(1)]))
        for (copies, what) in [("1\nP999", "a line break"), ("2^XZ", "\"^\" (U+5E)"), ("1,0,0", "\",\" (U+2C)"), ("1\u{1B}", "a control character (U+1B)")] {
            #expect {
                _ = try zpl.renderRaw(.object(["name": .string("a"), "copies": .string(copies)]))
            } throws: { error in
                guard let error = error as? LabelError else { return false }
                return error.code == .invalidValue && error.line == 3 && error.file == "lot.zpl"
                    && error.message.contains("{{copies}} is outside a field's text") && error.message.contains(what)
            }
        }
        let epl = try TemplateLoader().loadRaw("N\nA10,10,0,3,1,1,N,\"LOT {{lot}}\"\nP{{copies}}\n", language: .epl, file: "lot.epl",
                                               sample: .object(["lot": .string("a"), "copies": .number(1)]))
        #expect(throws: LabelError.self) { _ = try epl.renderRaw(.object(["lot": .string("a"), "copies": .string("1\nP999")])) }
        // A print quantity is a count, as a designed template's copies: `^PQ0` was sent and
        // counted as one label (found by a QA run).
        for (template, language) in [(zpl, "ZPL"), (epl, "EPL")] {
            for copies in ["0", "100000000", "two", "1.5"] {
                #expect("\(language) \(copies)") {
                    _ = try template.renderRaw(.object(["name": .string("a"), "lot": .string("a"), "copies": .string(copies)]))
                } throws: { error in
                    guard let error = error as? LabelError else { return false }
                    return error.code == .invalidValue && error.line == 3
                        && error.message.contains("{{copies}} is a print quantity here, a whole number from 1 to 99999999, not \"\(copies)\"")
                }
            }
        }
        #expect(try epl.renderRaw(.object(["lot": .string("a\nb"), "copies": .number(3)])) == "N\nA10,10,0,3,1,1,N,\"LOT a b\"\nP3\n")
    }

    /// A field's text with a control or invisible character is refused, as a designed
    /// template's, naming the placeholder: a raw template sent NUL, NEL and U+2028 to the
    /// printer (found by a QA run). Line breaks still become spaces.
    @Test func aControlCharacterInAFieldIsRefused() throws {
        let zpl = try TemplateLoader().loadRaw("^XA\n^FO10,10^A0N,30,30^FD{{name}}^FS\n^XZ\n", language: .zpl, file: "name.zpl",
                                               sample: .object(["name": .string("a")]))
        let epl = try TemplateLoader().loadRaw("N\nA10,10,0,3,1,1,N,\"{{name}}\"\nP1\n", language: .epl, file: "name.epl",
                                               sample: .object(["name": .string("a")]))
        for (template, language) in [(zpl, "ZPL"), (epl, "EPL")] {
            for (value, what) in [("x\u{0}y", "a control character (U+0000)"), ("x\u{85}y", "a control character (U+0085)"),
                                  ("x\u{2028}y", "a line separator (U+2028)"), ("x\u{200B}y", "a zero-width space (U+200B)")] {
                #expect("\(language) \(what)") {
                    _ = try template.renderRaw(.object(["name": .string(value)]))
                } throws: { error in
                    guard let error = error as? LabelError else { return false }
                    return error.code == .unencodable && error.line == 2 && error.element == "placeholder {{name}}" && error.message.contains(what)
                }
            }
        }
        #expect(try zpl.renderRaw(.object(["name": .string("a\r\nb")])).contains("^FDa b^FS"))
    }

    @Test func eplValuesAreEscapedInsideQuotes() throws {
        let template = try TemplateLoader().loadRaw(
            "N\nA10,10,0,3,1,1,N,\"LOT {{lot}}\"\nP{{copies}}\n", language: .epl,
            sample: .object(["lot": .string("a"), "copies": .number(1)]))
        let epl = try template.renderRaw(.object(["lot": .string("A\"B\\C\nP9"), "copies": .number(2)]))
        #expect(epl == "N\nA10,10,0,3,1,1,N,\"LOT A\\\"B\\\\C P9\"\nP2\n")
    }

    /// A raw EPL label goes to the printer in Windows-1252, as EPLWriter's do: ASCII as written;
    /// other text encoded, with `I8,A,001` put first when the template selects no code page; a
    /// template that selects another one, or a character outside 1252, is refused.
    @Test func rawEPLTextIsSentInWindows1252() throws {
        let plain = try TemplateLoader().loadRaw("\nN\nA10,10,0,3,1,1,N,\"{{name}}\"\nP1\n", language: .epl, file: "name.epl",
                                                 sample: .object(["name": .string("a")]))
        let ascii = try plain.rawEPLBytes(try plain.renderRaw(.object(["name": .string("Muller")])))
        #expect(ascii == Array("\nN\nA10,10,0,3,1,1,N,\"Muller\"\nP1\n".utf8))
        let latin = try plain.rawEPLBytes(try plain.renderRaw(.object(["name": .string("Müller €")])))
        #expect(latin == Array("I8,A,001\n\nN\nA10,10,0,3,1,1,N,\"M".utf8) + [0xFC] + Array("ller ".utf8) + [0x80] + Array("\"\nP1\n".utf8))
        // The template's own I8,A is kept, not doubled.
        let selected = try TemplateLoader().loadRaw("I8,A,001\nN\nA10,10,0,3,1,1,N,\"{{name}}\"\nP1\n", language: .epl, file: "a.epl",
                                                    sample: .object(["name": .string("a")]))
        #expect(try selected.rawEPLBytes(try selected.renderRaw(.object(["name": .string("é")]))).starts(with: Array("I8,A,001\nN".utf8)))
        let cyrillic = try #require(throws: LabelError.self) {
            try plain.rawEPLBytes(try plain.renderRaw(.object(["name": .string("Масло")])))
        }
        #expect(cyrillic.message.contains("U+041C"), "\(cyrillic)")
        let other = try TemplateLoader().loadRaw("I8,B,001\nN\nA10,10,0,3,1,1,N,\"{{name}}\"\nP1\n", language: .epl, file: "b.epl",
                                                 sample: .object(["name": .string("a")]))
        let refused = try #require(throws: LabelError.self) { try other.rawEPLBytes(try other.renderRaw(.object(["name": .string("ł")]))) }
        #expect(refused.line == 1 && refused.message.contains("code page B"), "\(refused)")
    }

    /// Escaping goes by Unicode scalar, as the printer reads bytes, not by character (found by the
    /// fuzz targets): a `"` or `\` with a combining mark after it, a `^` or `"` after a prepended
    /// letter (U+0D4E joins the next character into one), a `>` or `_` with a combining mark in a
    /// barcode's data are each one character not equal to the ASCII one, and passed unescaped.
    @Test func escapingGoesByScalarNotByCharacter() throws {
        let epl = try TemplateLoader().loadRaw(
            "N\nA10,10,0,3,1,1,N,\"LOT {{lot}}\"\nP{{copies}}\n", language: .epl,
            sample: .object(["lot": .string("a"), "copies": .number(1)]))
        let quoted = try epl.renderRaw(.object(["lot": .string("x\"\u{301},9\\\u{301}"), "copies": .string("2")]))
        #expect(quoted == "N\nA10,10,0,3,1,1,N,\"LOT x\\\"\u{301},9\\\\\u{301}\"\nP2\n", "\(quoted.debugDescription)")
        // A letter joined to the count is a plain word, but not a print quantity.
        #expect(throws: LabelError.self) { _ = try epl.renderRaw(.object(["lot": .string("a"), "copies": .string("\u{D4E}2")])) }
        #expect(throws: LabelError.self) { _ = try epl.renderRaw(.object(["lot": .string("a"), "copies": .string("\u{D4E}\"2")])) }
        #expect(EPLWriter.quoted("a\r\nb\rc") == "\"a b c\"")

        let zpl = try TemplateLoader().loadRaw(
            "^XA\n^FO10,10^A0N,30,30^FD{{name}}^FS\n^PQ{{copies}}\n^XZ\n",
            language: .zpl, sample: .object(["name": .string("a"), "copies": .number(1)]))
        let filled = try zpl.renderRaw(.object(["name": .string("\u{D4E}^XZ"), "copies": .string("1")]))
        #expect(filled == "^XA\n^FO10,10^A0N,30,30^FH\\^FD\u{D4E}\\5EXZ^FS\n^PQ1\n^XZ\n", "\(filled.debugDescription)")
        #expect(throws: LabelError.self) { _ = try zpl.renderRaw(.object(["name": .string("a"), "copies": .string("1\u{D4E}^XZ~JR")])) }

        let code128 = try TemplateLoader().loadRaw("^XA\n^FO10,10^BCN,100,Y,N,N^FD{{lot}}^FS\n^XZ\n", language: .zpl,
                                                   sample: .object(["lot": .string("L1")]))
        #expect(try code128.renderRaw(.object(["lot": .string("A>\u{301}B")])).contains("^FDA>0\u{301}B^FS"))
        let matrix = try TemplateLoader().loadRaw("^XA\n^FO20,20^BXN,6,200,,,,_^FD_110{{lot}}^FS\n^XZ\n", language: .zpl,
                                                  sample: .object(["lot": .string("L1")]))
        #expect(try matrix.renderRaw(.object(["lot": .string("A_\u{301}B")])).contains("_110A__\u{301}B^FS"))
    }

    /// A `\` of an EPL template right before a placeholder would escape the value's first
    /// character (a value's `"`, written `\"`, would close the string): refused when the template
    /// loads, naming its line (found by the Mustache fuzz target). An escaped `\\` is a backslash.
    @Test func anEPLBackslashRightBeforeAPlaceholderIsRefused() throws {
        do {
            _ = try TemplateLoader().loadRaw("N\nA10,10,0,3,1,1,N,\"X\\{{lot}}\"\nP1\n", language: .epl, file: "x.epl",
                                             sample: .object(["lot": .string("a")]))
            Issue.record("a template with \\{{lot}} loaded")
        } catch {
            #expect(error.line == 2 && error.message.contains("right before {{lot}} would escape"), "\(error)")
        }
        let template = try TemplateLoader().loadRaw("N\nA10,10,0,3,1,1,N,\"X\\\\{{lot}}\"\nP1\n", language: .epl,
                                                    sample: .object(["lot": .string("a")]))
        #expect(try template.renderRaw(.object(["lot": .string("\"P9")])) == "N\nA10,10,0,3,1,1,N,\"X\\\\\\\"P9\"\nP1\n")
    }

    @Test func theShippedRawTemplatesLoadWithTheirSamples() async throws {
        let zplTemplate = try TemplateLoader().load(contentsOf: Repository.templates.appendingPathComponent("raw/lot-label.zpl"))
        let zpl = try zplTemplate.renderRaw(zplTemplate.sample)
        #expect(zpl.contains("^FH^FDEXP 31.01.2027^FS"))
        let result = try await BarcodeOracle.decode(Data(zpl.utf8), extension: "zpl")
        #expect(result.labels.first?.barcodes.map(\.text) == ["LOT-4711"])
        let eplTemplate = try TemplateLoader().load(contentsOf: Repository.templates.appendingPathComponent("raw/lot-label.epl"))
        #expect(try eplTemplate.renderRaw(eplTemplate.sample).contains("B30,180,0,1,2,4,100,B,\"LOT-4711\""))
    }

    // MARK: - Values stay data inside barcode commands

    /// In `^BC` a `>` starts an invocation: lot `AB>:CD` would switch to subset B and print
    /// `ABCD` (an independent renderer refuses the field outright). The value goes in as `>0`.
    @Test func aLotWithAnAngleBracketPrintsAsItselfInCode128() async throws {
        let template = try TemplateLoader().load(contentsOf: Repository.templates.appendingPathComponent("raw/lot-label.zpl"))
        let fill = try template.fillRaw(template.sample.setting("lot.number", to: .string("AB>:CD")))
        #expect(fill.text.contains("^BCN,100,Y,N,N^FH\\^FDAB>0:CD^FS"), "\(fill.text)")
        try LabelVerifier().verify(rawZPL: fill.text, placed: fill.placed)
        let result = try await BarcodeOracle.decode(Data(fill.text.utf8), extension: "zpl")
        #expect(result.labels.first?.barcodes.map(\.text) == ["AB>:CD"], "\(result)")
    }

    /// In `^BX` with escape `_`, a value's `_1` would be FNC1: in a GS1 DataMatrix the lot
    /// `X_121Y` would become lot `X` and serial `Y`. The escape character is doubled.
    @Test func aLotCannotAddAnElementToAGS1DataMatrix() async throws {
        let template = try TemplateLoader().loadRaw(
            "^XA\n^FO20,20^BXN,6,200,,,,_^FD_10109501101530003_110{{lot}}^FS\n^XZ\n",
            language: .zpl, sample: .object(["lot": .string("L1")]))
        let fill = try template.fillRaw(.object(["lot": .string("X_121Y")]))
        #expect(fill.text.contains("_110X__121Y^FS"), "\(fill.text)")
        try LabelVerifier().verify(rawZPL: fill.text, placed: fill.placed)
        let result = try await BarcodeOracle.decode(Data(fill.text.utf8), extension: "zpl")
        #expect(result.labels.first?.barcodes.map(\.text) == ["(01)09501101530003(10)X_121Y"], "\(result)")
    }

    /// A `^BX` that leaves its escape character to the printer cannot take a value: where the
    /// default is `_`, `_1` in the value is FNC1 and `_10109501101530003` a GS1 DataMatrix of
    /// the value's choosing (found by a QA run). Refused, naming the line and the placeholder.
    @Test func aDataMatrixWithoutItsEscapeCharacterTakesNoValue() throws {
        let text = "^XA\n^FO30,30^BXN,6,200^FD{{a}}^FS\n^XZ\n"
        do {
            let template = try TemplateLoader().loadRaw(text, language: .zpl, sample: .object(["a": .string("AB")]))
            _ = try template.fillRaw(.object(["a": .string("_10109501101530003")]))
            Issue.record("a value went into a ^BX without its escape character")
        } catch {
            #expect(error.line == 2 && error.element == "placeholder {{a}}", "\(error)")
            #expect(error.message.contains("^BXN,6,200 has no escape character (its 7th parameter)"), "\(error.message)")
        }
    }

    /// The check before print compares each value with what its barcode carries, not only that
    /// the barcode reads: ZPL written by hand with the bare `>` reads, as `ABCD`, and is refused.
    @Test func theCheckRefusesABarcodeThatDoesNotCarryTheValuePlaced() throws {
        let zpl = "^XA\n^FO10,10^BCN,80,N,N,N^FDAB>:CD^FS\n^XZ\n"
        let start = try #require(Self.offset(of: "AB>", in: zpl))
        try LabelVerifier().verify(rawZPL: zpl)  // it reads, as ABCD
        do {
            try LabelVerifier().verify(rawZPL: zpl, placed: [RawPlacement(offset: start, value: "AB>:CD", field: "{{lot.number}}")])
            Issue.record("a barcode carrying ABCD passed for AB>:CD")
        } catch {
            #expect(error.code == .unverified)
            #expect(error.element == "^BC field at line 2")
            #expect(error.message.contains("'AB>:CD' of {{lot.number}}") && error.message.contains("carries 'ABCD'"), "\(error.message)")
        }
        // A GS1 lot that would split into a second element is refused the same way.
        let gs1 = "^XA^FO10,10^BCN,80,N,N,N,D^FD(01)09501101530003(10)X(21)Y^FS^XZ"
        let lot = try #require(Self.offset(of: "X(21)", in: gs1))
        #expect(throws: LabelError.self) {
            try LabelVerifier().verify(rawZPL: gs1, placed: [RawPlacement(offset: lot, value: "X(21)Y", field: "{{lot.number}}")])
        }
    }

    static func offset(of needle: String, in text: String) -> Int? {
        let bytes = Array(text.utf8), wanted = Array(needle.utf8)
        return bytes.indices.first { bytes[$0...].starts(with: wanted) }
    }

    // MARK: - Check before print

    static func refusal(_ zpl: String) -> LabelError? {
        do {
            try LabelVerifier().verify(rawZPL: zpl)
            return nil
        } catch {
            return error
        }
    }

    @Test func theShippedRawZPLTemplateIsCheckedAndPasses() throws {
        let template = try TemplateLoader().load(contentsOf: Repository.templates.appendingPathComponent("raw/lot-label.zpl"))
        let zpl = try template.renderRaw(template.sample)
        #expect(try RawZPLBarcodes.barcodes(in: zpl).map(\.name) == ["^BC field at line 8"])
        try LabelVerifier().verify(rawZPL: zpl)
        // Hostile data in the barcode field is data: it reads back as written.
        let hostile = try template.renderRaw(template.sample.setting("lot.number", to: .string("L^XA~JR\\1")))
        try LabelVerifier().verify(rawZPL: hostile)
        #expect(try RawZPLBarcodes.barcodes(in: hostile).first?.content == .text("L^XA~JR\\1"))
    }

    /// The FIELD-NOTES trap: subset C after FNC1 drops letters and the odd digit. The check
    /// refuses it; the independent ZPL renderer shows the printer would indeed lose them.
    @Test func subsetCDroppingLettersIsRefusedNamingTheField() async throws {
        let zpl = "^XA\n^FO40,40^BY2^BCN,100,N,N,N^FD>;>80109501101530003>810LOT123^FS\n^XZ\n"
        let error = try #require(Self.refusal(zpl))
        #expect(error.code == .unverified)
        #expect(error.element == "^BC field at line 2")
        #expect(error.message.contains("drops 'LOT3'"), "\(error.message)")
        let rendered = try await BarcodeOracle.decode(Data(zpl.utf8), extension: "zpl")
        let texts = rendered.labels.first?.barcodes.map(\.text) ?? []
        #expect(!texts.isEmpty && !texts.contains { $0.contains("LOT") }, "\(texts)")
        // Switching to subset B before the letters is right, and passes.
        try LabelVerifier().verify(rawZPL: "^XA^FO40,40^BY2^BCN,100,N,N,N^FD>;>80109501101530003>810>6LOT123^FS^XZ")
    }

    @Test func gs1DataIsCheckedInEveryForm() throws {
        // ^BX with `_1` FNC1, a wrong GTIN check digit.
        let bad = try #require(Self.refusal("^XA^FO10,10^BXN,5,200,,,,_^FD_10109501101530004^FS^XZ"))
        #expect(bad.message.contains("not valid GS1 data"), "\(bad.message)")
        try LabelVerifier().verify(rawZPL: "^XA^FO10,10^BXN,5,200,,,,_^FD_1010950110153000317270131_110A__B^FS^XZ")
        let dataMatrix = try RawZPLBarcodes.barcodes(in: "^XA^FO10,10^BXN,5,200,,,,_^FD_1010950110153000317270131_110A__B^FS^XZ")
        #expect(dataMatrix.first?.symbology == .gs1DataMatrix)
        // ^BC in GS1 mode takes the bracketed form; a month 13 is refused.
        try LabelVerifier().verify(rawZPL: "^XA^FO10,10^BCN,80,N,N,N,D^FD(01)09501101530003(10)LOT1^FS^XZ")
        #expect(Self.refusal("^XA^FO10,10^BCN,80,N,N,N,D^FD(01)09501101530003(17)271331^FS^XZ") != nil)
    }

    @Test func fieldHexEscapesAreDecodedAndUncheckableBarcodesSaySo() throws {
        let barcodes = try RawZPLBarcodes.barcodes(in: "^XA^FO10,10^BCN,80,N,N,N^FH\\^FDAB\\5ECD>0^FS^FO10,200^BQN,2,4^FDMA,hello^FS^XZ")
        #expect(barcodes.map(\.content) == [.text("AB^CD>"), .text("hello")])
        let pdf = try #require(Self.refusal("^XA^FO10,10^B7N,8,5,,,N^FDtext^FS^XZ"))
        #expect(pdf.message.contains("^B7 barcodes cannot be checked"), "\(pdf.message)")
    }

    @Test func aRawPlaceholderTheSampleLacksIsRefused() {
        #expect(throws: LabelError.self) {
            try TemplateLoader().loadRaw("^XA^FO1,1^FD{{missing}}^FS^XZ", language: .zpl, sample: .object([:]))
        }
    }
}
