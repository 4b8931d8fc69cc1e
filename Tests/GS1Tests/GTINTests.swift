import GS1
import Testing

@Suite struct GTINTests {
    @Test(arguments: [
        ("09501101530003", "09501101530003"),
        ("9501101530003", "09501101530003"),
        ("036000291452", "00036000291452"),
        ("96385074", "00000096385074"),
    ])
    func everyLengthIsNormalisedToGTIN14(text: String, gtin14: String) throws {
        #expect(try GTIN(text).gtin14 == gtin14)
    }

    @Test func shortestFormDropsLeadingZeros() throws {
        #expect(try GTIN("00000096385074").shortest == "96385074")
        #expect(try GTIN("00036000291452").shortest == "036000291452")
        #expect(try GTIN("09501101530003").shortest == "9501101530003")
    }

    @Test func aWrongCheckDigitNamesTheRightOne() {
        #expect(throws: GS1Error(.invalidCheckDigit, "GTIN 09501101530004: check digit should be 3, got 4")) {
            try GTIN("09501101530004")
        }
    }

    @Test(arguments: ["123", "0950110153000A", "", "095011015300031"])
    func malformedGTINsAreRefused(text: String) {
        #expect(throws: GS1Error.self) { try GTIN(text) }
    }
}

@Suite struct CalendarDateTests {
    @Test func dayArithmeticRoundTrips() {
        let date = CalendarDate(year: 2024, month: 2, day: 29)!
        #expect(date.adding(days: 1) == CalendarDate(year: 2024, month: 3, day: 1))
        #expect(CalendarDate(daysSinceEpoch: 0) == CalendarDate(year: 1970, month: 1, day: 1))
        #expect(CalendarDate(daysSinceEpoch: date.daysSinceEpoch) == date)
        #expect(date.dayOfYear == 60)
    }

    @Test func impossibleDatesAreRejected() {
        #expect(CalendarDate(year: 2025, month: 2, day: 29) == nil)
        #expect(CalendarDate(iso: "2026-13-01") == nil)
        #expect(CalendarDate(iso: "2026-11-23")?.description == "2026-11-23")
    }
}
