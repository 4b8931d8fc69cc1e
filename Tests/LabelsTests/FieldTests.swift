import Foundation
import Testing
@testable import Labels

@Suite struct FieldTests {
    let data = LabelData.object([
        "lot": .object(["number": .string("L-1"), "expiry": .string("2027-01-31"), "produced": .string("2026-11-02T08:05:09Z")]),
        "quantity": .number(Decimal(string: "1234.5")!),
        "text": .string("a^b"),
    ])

    /// What a print job keeps of its data: compact JSON with sorted keys, strings escaped (quotes,
    /// backslashes, line breaks, control characters), read back as the same data.
    @Test func labelDataIsKeptAsJSONThatReadsBackTheSame() throws {
        let tricky = LabelData.object([
            "z": .list([.string("say \"hi\"\\now"), .null, .bool(true)]),
            "a": .string("line\nnext\ttab\u{1}end é"),
        ])
        #expect(tricky.jsonText == #"{"a":"line\nnext\ttab\u0001end é","z":["say \"hi\"\\now",null,true]}"#)
        #expect(try LabelData(json: Data(tricky.jsonText.utf8)) == tricky)
    }

    func render(_ source: String, formats: [String: FieldFormat] = [:]) throws -> String {
        var formats = formats
        let field = try Field(source, formats: &formats)
        return try field.render(data, formats: formats)
    }

    @Test func pipesFormatDatesAndNumbers() throws {
        #expect(try render(#"EXP {{lot.expiry | date: "dd.MM.yyyy"}}"#) == "EXP 31.01.2027")
        #expect(try render(#"{{lot.expiry | date: "yyMMdd"}}"#) == "270131")
        #expect(try render(#"{{lot.produced | date: "yyyy-MM-dd HH:mm:ss"}}"#) == "2026-11-02 08:05:09")
        #expect(try render(##"{{quantity | number: "#,##0.00"}}"##) == "1,234.50")
        #expect(try render(#"{{quantity | number: "0"}}"#) == "1235")
        #expect(try render(#"{{quantity | number: "000000"}}"#) == "001235")
    }

    /// Whole numbers take a faster path than Decimal's formatter; both must write the same text.
    @Test(arguments: ["0", "-0", "7", "-42", "1234", "12.5", "-0.001", "3E+2", "999999999999999999", "1000000000000000000",
                      "-123456789012345678901234", "1e30"])
    func numbersAreWrittenAsDecimalWritesThem(_ text: String) throws {
        let value = try #require(Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")))
        #expect(LabelData.number(value).text == "\(value)")
    }

    @Test func wholeNumbersInPatternsOfZerosArePadded() {
        #expect(FieldFormat.formatNumber(20, "0000") == "0020")
        #expect(FieldFormat.formatNumber(0, "0") == "0")
        #expect(FieldFormat.formatNumber(0, "") == "0")
        #expect(FieldFormat.formatNumber(123_456, "00") == "123456")
        #expect(FieldFormat.formatNumber(-5, "000") == "-005")
        #expect(FieldFormat.formatNumber(Decimal(string: "3E+2")!, "0000") == "0300")
    }

    @Test func datePatternsKeepQuotedAndNonLatinText() throws {
        #expect(try render("{{expiry(lot.expiry)}}", formats: ["expiry": .date("'Utgång' yyyy-MM-dd 'kl' HH ä''ö")]) == "Utgång 2027-01-31 kl 00 äö")
        #expect(try render("{{expiry(lot.expiry)}}", formats: ["expiry": .date("y yyy yyyyy M d")]) == "2027 2027 02027 1 31")
    }

    @Test func namedFormatsAreTransforms() throws {
        #expect(try render("{{expiry(lot.expiry)}}", formats: ["expiry": .date("d 'of' M, yy")]) == "31 of 1, 27")
    }

    @Test func valuesAreNotHTMLEscaped() throws {
        #expect(try render("{{text}} & <{{lot.number}}>") == "a^b & <L-1>")
    }

    @Test func sectionsAndMissingValues() throws {
        #expect(try render("{{#lot}}{{number}}{{/lot}}{{^serial}} no serial{{/serial}}") == "L-1 no serial")
    }

    @Test func aBadPatternIsRefused() {
        #expect(throws: LabelError.self) { try render(#"{{quantity | number: "0.0x"}}"#) }
        #expect(throws: LabelError.self) { try render(#"{{quantity | money: "0"}}"#) }
        #expect(throws: LabelError.self) { try render("{{lot.number") }
    }

    /// A path with an empty name (`lot.`, `lot..number`, `.number`) is a typo: through Mustache it
    /// printed the renderer's own scope object on the label (found by the Mustache fuzz target).
    @Test func aPathWithAnEmptyNameIsRefused() throws {
        for source in ["{{lot.}}", "{{lot..number}}", "{{{.number}}}", "{{&lot. }}"] {
            do {
                _ = try render(source)
                Issue.record("\(source) compiled")
            } catch let error as LabelError {
                #expect(error.message.contains("has an empty name before or after a dot"), "\(source): \(error)")
            }
        }
        #expect(try render("{{#lot}}{{number}}{{/lot}}{{lot.number}}") == "L-1L-1")
    }

    @Test func requiredPathsAreThoseOutsideSections() throws {
        var formats: [String: FieldFormat] = [:]
        let field = try Field(#"{{a.b}} {{#c}}{{d}}{{/c}} {{e | date: "yy"}}"#, formats: &formats)
        #expect(field.requiredPaths == ["a.b", "e"])
    }

    @Test func labelDataReadsJSON() throws {
        let data = try LabelData(json: Data(#"{"a": {"n": 12.50, "s": "x", "t": true, "l": [1, "2"]}}"#.utf8))
        #expect(data[path: "a.n"] == .number(Decimal(string: "12.5")!))
        #expect(data[path: "a.t"] == .bool(true))
        #expect(data[path: "a.l.1"] == .string("2"))
        #expect(data[path: "a.missing"] == nil)
    }
}

extension FieldTests {
    /// Plain fields are rendered without Mustache; they must print exactly what Mustache prints.
    @Test(arguments: [
        "LOT {{lot.number}} / {{quantity}}", #"{{lot.expiry | date: "dd.MM.yy"}}-{{uppercased(lot.number)}}"#,
        "{{missing.path}}x{{lot.number}}", "{{expiry(lot.expiry)}} {{lowercased(expiry(lot.expiry))}}",
        "{{{text}}} {{&text}}", "{{lot.number}}{{! a comment }}",
    ])
    func plainFieldsPrintWhatMustachePrints(_ source: String) throws {
        var formats: [String: FieldFormat] = ["expiry": .date("d MMM")]
        let field = try Field(source, formats: &formats)
        let fast = try field.render(data, formats: formats)
        #expect(try fast == field.renderThroughMustache(data, formats: formats))
        #expect(!fast.isEmpty)
    }

    /// A value inside a URI (a GS1 Digital Link) is percent-encoded by `percentEncoded`, both ways
    /// of rendering: a serial `A/B&001%` made a link no reader took apart right (found by a QA run).
    @Test func aValueInALinkIsPercentEncoded() throws {
        var formats: [String: FieldFormat] = [:]
        let field = try Field("https://id.example.com/01/{{gtin}}/21/{{percentEncoded(serial)}}", formats: &formats)
        let data = LabelData.object(["gtin": .string("09501101530041"), "serial": .string("A/B&001% é")])
        let expected = "https://id.example.com/01/09501101530041/21/A%2FB%26001%25%20%C3%A9"
        #expect(try field.render(data, formats: formats) == expected)
        let sectioned = try Field("{{#serial}}{{percentEncoded(serial)}}{{/serial}}", formats: &formats)
        #expect(try sectioned.render(data, formats: formats) == "A%2FB%26001%25%20%C3%A9")
    }

    /// Found by the Mustache fuzz target: a list's item by index, a list named as a value, and a
    /// field's blank first or last line printed differently through Mustache than plain.
    @Test(arguments: [
        ("{{items.1}}", "b"), ("{{#items}}{{.}};{{/items}}", "a;b;"), ("{{items.first}}", ""),
        ("\n{{lot.number}}", "\nL-1"), ("  \r\n{{lot.number}}", "  \r\nL-1"), ("\u{2028}{{lot.number}}", "\u{2028}L-1"),
        ("{{lot.number}}\n  ", "L-1\n  "), ("{{lot.number}}\r\n\t", "L-1\r\n\t"), ("{{lot.number}}\n", "L-1\n"),
        ("{{#items}}\n{{.}}\n{{/items}}\n ", "a\nb\n "),
    ])
    func listsAndBlankLinesPrintAlikeBothWays(_ source: String, _ expected: String) throws {
        var data = data
        if case .object(var members) = data {
            members["items"] = .list([.string("a"), .string("b")])
            data = .object(members)
        }
        var formats: [String: FieldFormat] = [:]
        let field = try Field(source, formats: &formats)
        #expect(try field.renderThroughMustache(data, formats: formats) == expected)
        #expect(try field.render(data, formats: formats) == expected)
    }

    /// A list or an object where text goes, or a value its format cannot read, is refused both
    /// ways (plain and through Mustache, in a section): they printed as nothing, or unformatted
    /// (`QTY abc`), on a label that looked right (found by a QA run). A partial, which labels do
    /// not have, is refused when the field is read.
    @Test(arguments: [
        ("{{items}}|", "field 'items' is a list of 2 in the label data, not text"),
        ("{{#items}}{{.}}{{/items}}", "field 'items.0' is an object in the label data (with name), not text"),
        ("{{lot}}", "field 'lot' is an object in the label data (with expiry, number, produced, qty), not text"),
        (#"{{#lot}}QTY {{qty | number: "0"}}{{/lot}}"#, #"field 'lot.qty' is "abc", not a number for the number format '0'"#),
        (#"QTY {{qty | number: "0"}}"#, #"field 'qty' is "abc", not a number for the number format '0'"#),
        (#"{{#qty}}{{. | date: "dd.MM"}}{{/qty}}"#, #"field 'qty' is "abc", not a date (YYYY-MM-DD) for the date format 'dd.MM'"#),
    ])
    func valuesThatAreNotTextAreRefused(_ source: String, _ message: String) throws {
        var members: [String: LabelData] = [:]
        if case .object(let all) = data { members = all }
        members["qty"] = .string("abc")
        if source.contains("#items") {
            members["items"] = .list([.object(["name": .string("a")])])
        } else {
            members["items"] = .list([.string("a"), .string("b")])
        }
        if case .object(var lot) = members["lot"] {
            lot["qty"] = .string("abc")
            members["lot"] = .object(lot)
        }
        var formats: [String: FieldFormat] = [:]
        let field = try Field(source, formats: &formats)
        for render in [field.render, field.renderThroughMustache] {
            #expect { _ = try render(.object(members), formats) } throws: { error in
                (error as? LabelError)?.message.hasPrefix(message) == true
            }
        }
    }

    @Test func aPartialIsRefused() {
        var formats: [String: FieldFormat] = [:]
        #expect { _ = try Field("{{>base}} LOT {{lot.number}}", formats: &formats) } throws: { error in
            (error as? LabelError)?.message.contains("'{{>base}}' takes in another template (a partial or a block)") == true
        }
    }
}
