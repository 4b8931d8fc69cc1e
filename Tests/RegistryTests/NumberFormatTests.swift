import GS1
import Registry
import Testing

@Suite struct NumberFormatTests {
    let date = CalendarDate(year: 2026, month: 11, day: 5)!

    @Test func theIssuesExampleFormatsAsDocumented() throws {
        let format = try NumberFormat("LOT-{yyyy}{MM}-{counter:5}")
        #expect(try format.format(counter: 42, date: date) == "LOT-202611-00042")
    }

    @Test(arguments: [
        ("{yy}{ddd}", "26309"),
        ("{dd}{MMM}{yyyy}", "05NOV2026"),
        ("X{counter}", "X7"),
        ("{{A}}-{counter:2}", "{A}-07"),
    ])
    func everyTokenFormats(pattern: String, expected: String) throws {
        #expect(try NumberFormat(pattern).format(counter: 7, date: date) == expected)
    }

    @Test func anUnknownTokenIsNamedWithItsPosition() async {
        await expectRefusal(.invalidInput, "unknown token {yyy} at character 5") {
            _ = try NumberFormat("LOT-{yyy}")
        }
        await expectRefusal(.invalidInput, "unclosed { at character 4") { _ = try NumberFormat("LOT{counter") }
        await expectRefusal(.invalidInput, "counter width") { _ = try NumberFormat("{counter:0}") }
        await expectRefusal(.invalidInput, "more than one counter") { _ = try NumberFormat("{counter}{counter:3}") }
    }

    @Test func aCounterThatOutgrowsItsWidthIsRefusedNeverWrapped() async throws {
        let format = try NumberFormat("SN{counter:3}")
        #expect(try format.format(counter: 999, date: date) == "SN999")
        await expectRefusal(.counterExhausted, "1000", "3 digits") {
            _ = try format.format(counter: 1000, date: date)
        }
    }

    /// A format makes only numbers the registry takes when typed in: no control or invisible
    /// character, no leading or trailing space, at most 64 characters. A tab and a 71-character
    /// number were made, and then refused when typed (found by a QA run).
    @Test func aFormatMakesOnlyNumbersTheRegistryTakes() async throws {
        await expectRefusal(.invalidInput, "number format", "contains a control character") { _ = try NumberFormat("A\t{counter}") }
        await expectRefusal(.invalidInput, "has leading or trailing spaces") { _ = try NumberFormat(" A{counter}") }
        await expectRefusal(.invalidInput, "contains U+200B") { _ = try NumberFormat("A\u{200B}{counter:3}") }
        await expectRefusal(.invalidInput, "longer than 64 characters") { _ = try NumberFormat(String(repeating: "L", count: 60) + "{counter:5}") }
        // A counter without padding grows: its numbers are checked as they are made.
        let growing = try NumberFormat(String(repeating: "L", count: 60) + "{counter}")
        #expect(try growing.format(counter: 9999, date: date).count == 64)
        await expectRefusal(.counterExhausted, "longer than 64 characters", "shorten the format or start a new series") {
            _ = try growing.format(counter: 10000, date: date)
        }
    }

    @Test func aSerialFormatMustHaveACounter() async {
        await expectRefusal(.invalidInput, "must have a counter") {
            try LotSerialClass(code: "S", tracking: .serial, format: "SN-{yyyy}").validate()
        }
        #expect(throws: Never.self) { try LotSerialClass(code: "L", tracking: .lot, format: "LOT-{yyyy}{MM}{dd}").validate() }
    }

    @Test func formatsOfTheSameShapeCollideOnlyWhenTheirRangesOverlap() throws {
        let format = try NumberFormat("SN{counter:6}")
        #expect(format.mayProduceSameNumber(as: format, counters: 0...99_999, otherCounters: 50_000...199_999))
        #expect(!format.mayProduceSameNumber(as: format, counters: 0...99_999, otherCounters: 100_000...199_999))
    }

    @Test func formatsOfDifferentShapesCollideWhenTheirLanguagesMeet() throws {
        let padded = try NumberFormat("SN{counter:6}")
        #expect(try padded.mayProduceSameNumber(as: NumberFormat("SN{counter}"), counters: 0...1, otherCounters: 0...1))
        #expect(try padded.mayProduceSameNumber(as: NumberFormat("SN{yy}{counter:4}"), counters: 0...1, otherCounters: 0...1))
        #expect(try !padded.mayProduceSameNumber(as: NumberFormat("SX{counter:6}"), counters: 0...1, otherCounters: 0...1))
        #expect(try !padded.mayProduceSameNumber(as: NumberFormat("SN{counter:5}"), counters: 0...1, otherCounters: 0...1))
        #expect(try !padded.mayProduceSameNumber(as: NumberFormat("SN{MMM}{counter:3}"), counters: 0...1, otherCounters: 0...1))
    }
}
