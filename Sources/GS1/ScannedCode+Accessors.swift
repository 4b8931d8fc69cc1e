extension ScannedCode {
    /// The value of the first occurrence of `ai`, or `nil`.
    public func value(for ai: String) -> String? {
        elements.first { $0.ai == ai }?.value
    }

    /// The GTIN: the EAN/UPC/ITF-14 number, or AI (01). `nil` when there is none or its check digit
    /// is wrong (possible after lenient parsing).
    public var gtin: GTIN? {
        if kind == .gtin, let primaryNumber { return try? GTIN(primaryNumber) }
        return value(for: "01").flatMap { try? GTIN($0) }
    }

    /// The batch or lot number, AI (10).
    public var lot: String? { value(for: "10") }

    /// The serial number, AI (21).
    public var serial: String? { value(for: "21") }

    /// The Serial Shipping Container Code, AI (00), 18 digits.
    public var sscc: String? { value(for: "00") }

    /// The expiry date, AI (17) (day 00 is the month's last day).
    public var expiry: CalendarDate? { date(for: "17") }

    /// The production date, AI (11).
    public var production: CalendarDate? { date(for: "11") }

    /// The best-before date, AI (15).
    public var bestBefore: CalendarDate? { date(for: "15") }

    /// The date of a `YYMMDD` AI such as (11), (13), (15), (16) or (17): the century by the GS1 rule
    /// for the year of parsing, day 00 as the month's last day. `nil` when absent or not a date.
    public func date(for ai: String) -> CalendarDate? {
        guard let value = value(for: ai) else { return nil }
        return CalendarDate(gs1: value, currentYear: currentYear)
    }

    /// The AIs as GS1 element strings (received order), for re-encoding or display; `nil` for a
    /// plain code.
    public var elementString: ElementString? {
        elements.isEmpty ? nil : ElementString(ordered: elements)
    }

    /// The human-readable bracketed form, `(01)09501101530003(10)ABC123`; for a plain code its data.
    public var bracketed: String {
        elementString?.bracketed ?? data
    }
}

extension CalendarDate {
    /// A GS1 `YYMMDD` date (or the first six digits of a longer value): century by the GS1 rule
    /// seen from `currentYear`, day 00 as the month's last day.
    public init?(gs1 text: String, currentYear: Int) {
        let digits = Array(text.utf8.prefix(6))
        guard digits.count == 6, digits.allSatisfy(isDigit) else { return nil }
        func number(_ index: Int) -> Int { Int(digits[index] - 48) * 10 + Int(digits[index + 1] - 48) }
        let year = GS1Century.year(twoDigit: number(0), currentYear: currentYear)
        let month = number(2)
        guard (1...12).contains(month) else { return nil }
        let day = number(4) == 0 ? CalendarDate.daysInMonth(year: year, month: month) : number(4)
        self.init(year: year, month: month, day: day)
    }
}
