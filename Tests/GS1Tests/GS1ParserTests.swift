import Foundation
import GS1
import Testing

@Suite struct GS1ParserTests {
    private static let today = CalendarDate(year: 2026, month: 11, day: 23)!

    private func parser(_ configure: (inout GS1Parser.Options) -> Void = { _ in }) -> GS1Parser {
        var options = GS1Parser.Options.strict
        options.today = Self.today
        configure(&options)
        return GS1Parser(options)
    }

    @Test func gs1_128ScanGivesItsAIsAndAccessors() throws {
        let code = try parser().parse("]C1010950110153000317270131" + "10ABC123\u{1D}21XYZ")
        #expect(code.kind == .elementString)
        #expect(code.symbology == .gs1_128)
        #expect(code.elements.map(\.description) == ["(01)09501101530003", "(17)270131", "(10)ABC123", "(21)XYZ"])
        #expect(code.gtin == (try GTIN("09501101530003")))
        #expect(code.expiry == CalendarDate(year: 2027, month: 1, day: 31))
        #expect(code.lot == "ABC123")
        #expect(code.serial == "XYZ")
        #expect(code.warnings.isEmpty)
    }

    @Test(arguments: ["]C1", "]d2", "]Q3", "]e0", "]J1", ""])
    func everyGS1SymbologyAndNoIdentifierReadTheSameElementString(prefix: String) throws {
        let code = try parser().parse(prefix + "0109501101530003" + "10LOT7\u{1D}" + "11260101")
        #expect(code.kind == .elementString)
        #expect(code.bracketed == "(01)09501101530003(10)LOT7(11)260101")
        #expect(code.production == CalendarDate(year: 2026, month: 1, day: 1))
    }

    /// Bracketed data missing its `)` is refused as such, not read as an unknown plain code
    /// (found by a QA run); a code with a bracket that is not an AI's stays plain.
    @Test func aBracketedAIWithoutItsClosingBracketIsRefusedAsSuch() {
        #expect(parser().plainReading("(0109501101530003") == nil)
        #expect(throws: GS1Error.self) { _ = try parser().parse("(0109501101530003") }
        do {
            _ = try parser().parse("(0109501101530003")
        } catch {
            #expect(error.message.contains("has no closing \")\""), "\(error.message)")
        }
        #expect(parser().plainReading("(A-12345") != nil)
        #expect(parser().plainReading("(12 boxes") != nil)
    }

    /// A space typed between bracketed AIs is named where it is, not counted into the value
    /// before it ("AI (01) has 15 characters"; found by a QA run).
    @Test func aSpaceBetweenBracketedAIsIsNamedWhereItIs() {
        do {
            _ = try parser().parse("(01)09501101530003 (10)ABC")
            Issue.record("a space between AIs was read")
        } catch {
            #expect(error.message.contains("a space at character 19, before the next AI"), "\(error.message)")
        }
    }

    @Test func aWrongDayNamesTheAIAndItsPosition() {
        #expect(throws: GS1Error.self) { try parser().parse("]C1010950110153000317270132") }
        do {
            _ = try parser().parse("]C1010950110153000317270132")
        } catch {
            // Counted from 1, as a person reads "]C1" + (01) + its 14 digits: the AI is the 20th character.
            #expect(error.message == "AI (17) at character 20: day 32 is not a date")
            #expect(error.code == .invalidDate)
            #expect(error.ai == "17")
            #expect(error.position == 19)
        }
    }

    /// In the bracketed form the AI is where its "(" is: the 19th character here.
    @Test func theBracketedFormReportsTheAIsOpeningBracket() {
        #expect(throws: GS1Error(.invalidDate, "AI (17) at character 19: day 32 is not a date", ai: "17", position: 18)) {
            try parser().parseBracketed("(01)09501101530003(17)270132")
        }
    }

    /// A control character in a value is named as an operator reads it (`<LF>`), not as a Swift
    /// escape (a QA run saw `"\u{a}" is not a digit` from a scanner sending LF where CR ends scans).
    @Test func aControlCharacterInAValueIsNamedForPeople() {
        let error = #expect(throws: GS1Error.self) { try parser().parse("]C10109501101530003301\n") }
        #expect(error?.message.contains("<LF>") == true && error?.message.contains("\\u{") == false, "\(String(describing: error?.message))")
    }

    @Test func aWrongCheckDigitSaysWhichDigitIsRight() {
        let error = #expect(throws: GS1Error.self) { try parser().parse("]C10109501101530004") }
        #expect(error?.message == "AI (01) at character 4: check digit should be 3, got 4")
        #expect(error?.code == .invalidCheckDigit)
    }

    @Test func anUnknownAIIsNamedWithItsPosition() {
        let error = #expect(throws: GS1Error.self) { try parser().parseElementString("891234") }
        #expect(error?.message == "unknown AI (89) at character 1")
        #expect(error?.code == .unknownAI)
    }

    @Test func aFixedLengthAIWithoutPredefinedLengthNeedsASeparator() throws {
        // (8001) is N14 but its prefix 80 has no predefined length: a GS must follow it.
        let code = try parser { $0.checksRequiredAIs = false }.parseElementString("800112341234512398\u{1D}0109501101530003")
        #expect(code.elements.map(\.ai) == ["8001", "01"])
        #expect(throws: GS1Error.self) {
            try parser { $0.checksRequiredAIs = false }.parseElementString("8001123412345123980109501101530003")
        }
    }

    @Test(arguments: ["^", "~", "<GS>", "{GS}"])
    func configuredSubstitutesStandForGS(separator: String) throws {
        let code = try parser { $0.groupSeparators = [separator] }
            .parse("]d2010950110153000310ABC" + separator + "17270131")
        #expect(code.elements.map(\.description) == ["(01)09501101530003", "(10)ABC", "(17)270131"])
    }

    /// FNC1 in first position sent as a GS (or its substitute) by a scanner without symbology
    /// identifiers says GS1 and is dropped: it was refused as an unexpected separator.
    @Test(arguments: ["\u{1D}", "^", "<GS>"])
    func aLeadingSeparatorIsFNC1InFirstPosition(separator: String) throws {
        let code = try parser { $0.groupSeparators = [separator] }.parse(separator + "010950110153000310ABC" + separator + "17270131")
        #expect(code.kind == .elementString && code.elements.map(\.description) == ["(01)09501101530003", "(10)ABC", "(17)270131"])
        let error = #expect(throws: GS1Error.self) { try parser().parse("\u{1D}0109501101530003\u{1D}\u{1D}10ABC") }
        #expect(error?.message.contains("unexpected separator at character 19") == true, "\(String(describing: error))")
    }

    /// A character beyond ASCII in a value is named whole, not as "�" for its first byte.
    @Test func aCharacterBeyondASCIIIsNamedWhole() throws {
        let error = #expect(throws: GS1Error.self) { try parser().parse("(01)09501101530003(10)ÄBC") }
        #expect(error?.code == .invalidCharacter)
        #expect(error?.message.contains("\"Ä\" is not allowed (GS1 character set 82)") == true, "\(String(describing: error))")
    }

    /// A Digital Link whose key is there but whose path is not right says so, instead of that
    /// there is no primary key.
    @Test func aDigitalLinkPathWithItsKeyButBrokenSaysWhatIsWrong() throws {
        let trailing = #expect(throws: GS1Error.self) { try parser().parse("https://example.com/01/09501101530003/10/L1/") }
        #expect(trailing?.message.contains("the path ends with \"/\"") == true, "\(String(describing: trailing))")
        let unpaired = #expect(throws: GS1Error.self) { try parser().parse("https://id.gs1.org/01/09501101530003/10") }
        #expect(unpaired?.message.contains("the path has /01/, but its segments from there do not pair as /AI/value") == true,
                "\(String(describing: unpaired))")
    }

    /// A Digital Link 1.0/1.1 label's path names (/gtin/ for /01/) are refused when strict, as
    /// the GS1 Syntax Engine refuses them, but the refusal says what they are and how to read
    /// them; the lenient parser reads them.
    @Test func aConvenienceNameIsRefusedSayingHowToReadIt() throws {
        let uri = "https://example.com/gtin/09501101530003/lot/ABC"
        let error = #expect(throws: GS1Error.self) { try parser().parse(uri) }
        #expect(error?.message == "Digital Link: /gtin/ is Digital Link 1.0/1.1's name for /01/, dropped in Digital Link 1.2: read such a label leniently (--lenient, a station's lenient: true)",
                "\(String(describing: error))")
        let lenient = try GS1Parser(.lenient).parse(uri)
        #expect(lenient.bracketed == "(01)09501101530003(10)ABC")
    }

    @Test func aCaretIsRefusedUnlessConfiguredAsSeparator() throws {
        let error = #expect(throws: GS1Error.self) { try parser().parse("]C1010950110153000310ABC^17270131") }
        #expect(error?.code == .invalidCharacter)
        #expect(error?.message == "AI (10) at character 20: \"^\" at character 25 is not allowed (is the scanner sending ^ for GS?)")
        // Within a value of predefined length too, and where the scanner is set to send ^ for GS, it is one.
        let fixed = #expect(throws: GS1Error.self) { try parser().parse("]C101095011015^0003") }
        #expect(fixed?.message == "AI (01) at character 4: \"^\" at character 15 is not allowed (is the scanner sending ^ for GS?)")
        let separated = try parser { $0.groupSeparators = ["^"] }.parse("]C1010950110153000310ABC^17270131")
        #expect(separated.elements.map(\.description) == ["(01)09501101530003", "(10)ABC", "(17)270131"])
    }

    @Test func theRulesBetweenAIsNameTheAIsInvolved() throws {
        // Each rule as the dictionary states it: (3103) excludes the other (310n); (21) needs (01),
        // (03) or (8006); (10) needs one of five; (8030) signs a key only with its serial part.
        let excluded = #expect(throws: GS1Error.self) { try parser().parse("]C10109501101530003" + "3103000500" + "3102000500") }
        #expect(excluded?.message == "AI (3103) at character 20: must not appear together with AI (3102)")
        let alone = #expect(throws: GS1Error.self) { try parser().parse("]C121ABC") }
        #expect(alone?.message == "AI (21) at character 4: requires AI (01), (03) or (8006)")
        let satisfied = try parser().parse("]C18006095011015300030102\u{1D}" + "21ABC")
        #expect(satisfied.value(for: "21") == "ABC")
    }

    @Test func unknownAIsKeepTheirValuesAfterTheParse() throws {
        let parser = parser { $0.permitsUnknownAIs = true }
        // (236) and (419) are no AIs of the dictionary, but their first two digits tell their length.
        let codes = try (0..<50).map { number in try parser.parse("]C10109501101530003" + "236VALUE\(number)\u{1D}" + "419" + "1234567890123") }
        #expect(codes[49].elements.map(\.description) == ["(01)09501101530003", "(236)VALUE49", "(419)1234567890123"])
        let built = try ElementStringBuilder(checksRequiredAIs: false, permitsUnknownAIs: true)
            .build([AIElement(ai: "236", value: "X"), AIElement(ai: "419", value: "1234567890123"), AIElement(ai: "01", value: "09501101530003")])
        #expect(built.elements.map(\.ai) == ["419", "01", "236"])
    }

    @Test func dayZeroIsTheLastDayOfTheMonth() throws {
        let code = try parser().parse("]C1010950110153000317280200")
        #expect(code.expiry == CalendarDate(year: 2028, month: 2, day: 29))
    }

    @Test(arguments: [(2026, "75", 2075), (2026, "77", 1977), (2026, "99", 1999), (2060, "09", 2109), (2021, "72", 1972), (2021, "71", 2071)])
    func twoDigitYearsFollowTheGS1CenturyRule(currentYear: Int, yy: String, year: Int) throws {
        let code = try parser { $0.today = CalendarDate(year: currentYear, month: 6, day: 1) }
            .parse("]C10109501101530003" + "17" + yy + "0101")
        #expect(code.expiry?.year == year)
    }

    @Test func aMissingRequiredAIIsAnErrorWhenStrictAndAWarningWhenLenient() throws {
        #expect(throws: GS1Error.self) { try parser().parse("]C110ABC123") }
        var options = GS1Parser.Options.lenient
        options.today = Self.today
        let code = try GS1Parser(options).parse("]C110ABC123\u{1D}0109501101530004")
        #expect(code.lot == "ABC123")
        #expect(code.warnings.map(\.code) == [.invalidCheckDigit])
        let alone = try GS1Parser(options).parse("]C110ABC123")
        #expect(alone.warnings.map(\.message) == ["AI (10) at character 4: requires AI (01), (02), (03), (8006) or (8026)"])
    }

    @Test func lenientParsingReportsEveryBrokenRule() throws {
        var options = GS1Parser.Options.lenient
        options.today = Self.today
        let code = try GS1Parser(options).parse("]C10109501101530004" + "17271332" + "21A\u{1D}235B")
        #expect(code.warnings.map(\.code) == [.invalidCheckDigit, .invalidDate, .excludedAIs])
        #expect(code.gtin == nil)  // not a valid GTIN, though the (01) value is there
        #expect(code.value(for: "01") == "09501101530004")
    }

    @Test func conflictingRepeatsAndExclusionsAreRefused() {
        #expect(throws: GS1Error.self) { try parser().parse("]C10109501101530003" + "0209501101530003" + "3712") }
        let error = #expect(throws: GS1Error.self) { try parser().parse("]C199ABC\u{1D}99XYZ") }
        #expect(error?.code == .conflictingValues)
    }

    @Test func eanUPCAndITFScansAreGTINs() throws {
        #expect(try parser().parse("]E09501101530003").gtin == (try GTIN("09501101530003")))
        #expect(throws: GS1Error.self) { try parser().parse("]E096385074") }  // ]E0 carries 13 digits
        #expect(try parser().parse("]E496385074").gtin == (try GTIN("96385074")))
        #expect(try parser().parse("]I109501101530003").kind == .gtin)
        #expect(try parser().parse("9501101530003").kind == .gtin)
        #expect(try parser().parse("036000291452").gtin?.gtin14 == "00036000291452")
        #expect(throws: GS1Error.self) { try parser().parse("]E09501101530004") }
    }

    @Test func anythingElseIsAPlainCode() throws {
        for scan in ["]C0ABC-123", "]A0HELLO", "HELLO WORLD", "]Q1just text", "12345", "(HELLO)", "\u{1D}\u{1D}", "01ABC"] {
            let code = try parser().parse(scan)
            #expect(code.kind == .plain, "\(scan)")
            #expect(code.elements.isEmpty)
        }
        #expect(try parser().parse("]C0ABC-123").data == "ABC-123")
    }

    @Test func digitalLinkGivesPathThenQueryAIs() throws {
        let code = try parser().parse("]Q1https://example.com/shop/01/09501101530003/10/AB%2FC?17=270131&x=1")
        #expect(code.kind == .digitalLink)
        #expect(code.elements.map(\.description) == ["(01)09501101530003", "(10)AB/C", "(17)270131"])
        #expect(code.elementString?.raw == "010950110153000310AB/C\u{1D}17270131")
    }

    @Test func digitalLinkPathOrderIsValidated() {
        let error = #expect(throws: GS1Error.self) {
            try parser().parseDigitalLink("https://id.gs1.org/01/09501101530003/21/S1/10/L1")
        }
        #expect(error?.code == .invalidDigitalLink)
        let misplaced = #expect(throws: GS1Error.self) {
            try parser().parseDigitalLink("https://id.gs1.org/01/09501101530003?10=L1")
        }
        #expect(misplaced?.message.contains("belongs in the path") == true)
    }

    @Test func plusIsLiteralInThePathAndASpaceInTheQuery() throws {
        let code = try parser().parseDigitalLink("https://a/01/09501101530003/10/A+B?99=C%2BD")
        #expect(code.lot == "A+B")
        #expect(code.value(for: "99") == "C+D")
        #expect(throws: GS1Error.self) { try parser().parseDigitalLink("https://a/01/09501101530003?98=C+D") }
    }

    @Test func compositeComponentsAfterEANAreRead() throws {
        let code = try parser().parse("]E09501101530003|]e0" + "10LOT\u{1D}" + "17270131")
        #expect(code.kind == .gtin)
        #expect(code.gtin?.gtin14 == "09501101530003")
        #expect(code.lot == "LOT")
    }

    @Test func garbageNeverCrashes() {
        for scan in ["", "]", "]C", "]C1", "(", "((", "(01", "(01)", "http://", "https://a/01/", "\u{1D}\u{1D}", "]E0|]e0",
                     "https://a/01/09501101530003?", "]Q3https://x", String(repeating: "99A\u{1D}", count: 200)] {
            _ = try? parser().parse(scan)
            _ = try? parser().parseBracketed(scan)
            _ = try? parser().parseDigitalLink(scan)
            _ = try? parser().parseElementString(scan)
        }
    }

    /// Measures read with their decimals and units, amounts with their currency, every date AI as
    /// a date (and a time where it has one).
    @Test func measuresAmountsAndDatesReadInTheirUnits() throws {
        let code = try parser { $0.checksRequiredAIs = false }.parse("(01)09501101530003(3102)002004(3923)1250(3912)978995(11)261123(12)270100(7007)261120261127")
        let readings = code.readings.map { "(\($0.element.ai)) \($0.reading.text)" }
        #expect(readings == ["(3102) 20.04 kg", "(3923) 1.250 (local currency)", "(3912) 9.95 EUR", "(11) 2026-11-23",
                             "(12) 2027-01-31", "(7007) 2026-11-20 to 2026-11-27"])
        let weight = try #require(code.readings.first?.reading)
        #expect((weight.number, weight.unit, weight.title) == (Decimal(string: "20.04"), "kg", "NET WEIGHT (kg)"))
        for (element, text) in [("3601", "004005", "400.5 qt (US)"), ("3370", "000015", "15 kg/m²"), ("3942", "0150", "1.50 % off"), ("3940", "0015", "15 % off"),
                                ("13", "261130", "2026-11-30"), ("15", "270200", "2027-02-28"), ("16", "261201", "2026-12-01"),
                                ("7003", "2612011430", "2026-12-01 14:30"), ("8008", "26112310", "2026-11-23 10:00"),
                                ("17", "271301", nil), ("10", "ABC", nil)].map({ (AIElement(ai: $0.0, value: $0.1), $0.2) }) {
            #expect(element.reading(currentYear: 2026)?.text == text, "\(element)")
        }
    }

    /// A scanning station reads Digital Link URIs as the standard asks of a resolver; the strict
    /// reference verdicts (the shared vectors) stay as they were.
    @Test func aStationReadsShortGTINsAndIgnoresQueryParametersThatAreNoAIs() throws {
        var options = GS1Parser.Options.scanning()
        options.today = Self.today
        let station = GS1Parser(options)
        for (uri, gtin) in [("https://a.example/01/2112345678900", "02112345678900"), ("https://a.example/01/12345670", "00000012345670"),
                            ("https://a.example/01/614141000036", "00614141000036")] {
            #expect(try station.parse(uri).value(for: "01") == gtin, "\(uri)")
            #expect(throws: GS1Error.self, "\(uri)") { try parser().parse(uri) }
        }
        let uri = "https://example.com/01/09520123456788/10/ABC?89=TESTING&17=270131&custom=1"
        #expect(try station.parse(uri).elements.map(\.description) == ["(01)09520123456788", "(10)ABC", "(17)270131"])
        #expect(throws: GS1Error.self) { try parser().parse(uri) }
        // A key that is an AI still has to be right.
        #expect(throws: GS1Error.self) { try station.parse("https://example.com/01/09520123456788?17=271301") }
    }
}
