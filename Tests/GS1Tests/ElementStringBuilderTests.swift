import GS1
import Testing

@Suite struct ElementStringBuilderTests {
    private let builder = ElementStringBuilder(today: CalendarDate(year: 2026, month: 11, day: 23))

    @Test func predefinedLengthAIsGoFirstSoFewerSeparatorsAreNeeded() throws {
        let data = try builder.build([("10", "ABC123"), ("01", "09501101530003"), ("21", "S1"), ("17", "270131")])
        #expect(data.elements.map(\.ai) == ["01", "17", "10", "21"])
        #expect(data.bracketed == "(01)09501101530003(17)270131(10)ABC123(21)S1")
        #expect(data.raw == "010950110153000317270131" + "10ABC123\u{1D}21S1")
        #expect(data.caretForm == "^010950110153000317270131" + "10ABC123^21S1")
        #expect(data.hri == ["(01) 09501101530003", "(17) 270131", "(10) ABC123", "(21) S1"])
        #expect(data.hriText == "(01)09501101530003(17)270131(10)ABC123(21)S1")
    }

    @Test func aWrongCheckDigitIsRefusedWithTheRightOne() {
        #expect(throws: GS1Error(.invalidCheckDigit, "AI (01): check digit should be 3, got 4", ai: "01", position: nil)) {
            try builder.build([("01", "09501101530004")])
        }
    }

    @Test func valuesAndRulesAreValidated() {
        #expect(throws: GS1Error.self) { try builder.build([("01", "09501101530003"), ("17", "271301")]) }
        #expect(throws: GS1Error.self) { try builder.build([("10", "ABC")]) }  // (10) requires (01)
        #expect(throws: GS1Error.self) { try builder.build([("99", "")]) }
        #expect(throws: GS1Error.self) { try builder.build([("01", "09501101530003"), ("10", "ABC~")]) }
        #expect(throws: GS1Error.self) { try builder.build([("01", "09501101530003"), ("02", "09501101530003"), ("37", "1")]) }
    }

    /// The rules between AIs alone, for AIs checked one barcode at a time: (10) needs (01) or
    /// (02); (01) and (02) exclude each other; the values are not looked at again.
    @Test func associationsAloneAreCheckedWithoutTheValues() throws {
        let builder = ElementStringBuilder()
        try builder.checkAssociations([AIElement(ai: "01", value: "09501101530003"), AIElement(ai: "10", value: "A")])
        #expect(throws: GS1Error.self) { try builder.checkAssociations([AIElement(ai: "10", value: "A")]) }
        #expect(throws: GS1Error.self) {
            try builder.checkAssociations([AIElement(ai: "01", value: "09501101530003"), AIElement(ai: "02", value: "09501101530003")])
        }
        #expect(throws: GS1Error.self) { try builder.checkAssociations([AIElement(ai: "99999", value: "x")]) }
        // A wrong check digit is the value's business, checked when each barcode was built.
        try builder.checkAssociations([AIElement(ai: "01", value: "09501101530004")])
    }

    @Test func whatIsBuiltParsesBackTheSame() throws {
        let data = try builder.build([("01", "09501101530003"), ("10", "L(1)"), ("17", "270100"), ("8001", "12341234512398")])
        var options = GS1Parser.Options.strict
        options.today = CalendarDate(year: 2026, month: 11, day: 23)
        let parser = GS1Parser(options)
        #expect(try parser.parse("]C1" + data.raw).elements == data.elements)
        #expect(try parser.parseBracketed(data.bracketed).elements == data.elements)
        let scan = try ScanData.generate(dataString: data.caretForm, symbology: .dataMatrix)
        #expect(try parser.parse(scan).elements == data.elements)
    }

    @Test func aDigitalLinkIsBuiltFromTheSameElements() throws {
        let data = try builder.build([("01", "09501101530003"), ("10", "ABC/1"), ("17", "270131")])
        #expect(try DigitalLinkBuilder(stem: "https://example.com/").uri(for: data.elements)
                == "https://example.com/01/09501101530003/10/ABC%2F1?17=270131")
    }
}
