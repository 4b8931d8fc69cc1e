public import Foundation

/// What an AI's value means, for people: a measure with its unit (`(3102)002004` is 20.04 kg),
/// an amount with its currency, a date (`(17)270131` is 2027-01-31), a date with a time.
public struct AIReading: Codable, Hashable, Sendable {
    /// The dictionary's title, e.g. `NET WEIGHT (kg)`.
    public var title: String
    /// The value read, e.g. `20.04 kg`, `12.50 EUR`, `2027-01-31`, `2026-11-23 14:30`.
    public var text: String
    /// A measure's, amount's or percentage's number, its decimals applied.
    public var number: Decimal?
    /// A measure's unit as the dictionary writes it (`kg`, `m²`, `gal (US)`), or `%`.
    public var unit: String?
    /// An amount's currency: ISO 4217 alphabetic code where known (`EUR`), else its number.
    public var currency: String?
    /// A date AI's date (day 00 read as the month's last day); the first of a range.
    public var date: CalendarDate?
}

extension AIElement {
    /// What this element's value means, or `nil` for an AI that is plain data (a GTIN, a lot) or
    /// a value that does not read (wrong length or digits; the parser reports those).
    /// `currentYear` places two-digit years (GS1 century rule).
    public func reading(currentYear: Int) -> AIReading? {
        guard let entry = withBytesOrNil(ai, { AIDictionary.standard.entry(exactly: $0, permitUnknown: false) }) else { return nil }
        let digits = Array(value.utf8)
        guard digits.allSatisfy({ (48...57).contains($0) }) else { return nil }
        var reading = AIReading(title: entry.title, text: "")
        let code = ai.utf8.map { Int($0) - 48 }
        if ai.count == 4, let decimals = code.last, (31...36).contains(code[0] * 10 + code[1]) || ai.hasPrefix("337") {
            // 31nn–36nn: a measure, N6, the fourth digit its decimals.
            guard digits.count == 6 else { return nil }
            let unit = ai.hasPrefix("337") ? "kg/m²" : Self.unit(in: entry.title)
            let number = Self.decimal(value, decimals: decimals)
            reading.number = number
            reading.unit = unit
            reading.text = Self.format(number, decimals: decimals) + (unit.map { " \($0)" } ?? "")
            return reading
        }
        if ai.count == 4, ai.hasPrefix("39"), let decimals = code.last {
            let kind = code[2]
            var amount = value
            if kind == 1 || kind == 3 {
                // 391n, 393n: ISO 4217 numeric currency, then the amount.
                guard digits.count > 3, digits.allSatisfy({ (48...57).contains($0) }) else { return nil }
                let numeric = String(value.prefix(3))
                reading.currency = Self.currencies[numeric] ?? "ISO 4217 \(numeric)"
                amount = String(value.dropFirst(3))
            } else if kind == 4 {
                // 394n: a percentage off.
                reading.unit = "%"
            } else if kind > 5 {
                return nil
            }
            let number = Self.decimal(amount, decimals: decimals)
            reading.number = number
            let shown = Self.format(number, decimals: decimals)
            reading.text = kind == 4 ? "\(shown) % off" : reading.currency.map { "\(shown) \($0)" } ?? "\(shown) (local currency)"
            if kind == 5 { reading.text = "\(shown) per unit of measure (local currency)" }
            return reading
        }
        let format = entry.format
        if format.hasPrefix("N6,yymmd") || format.hasPrefix("N8,yyyymmdd") {
            let long = format.hasPrefix("N8")
            let dateLength = long ? 8 : 6
            guard digits.count >= dateLength, let date = Self.date(Array(digits.prefix(dateLength)), long: long, currentYear: currentYear,
                                                                     dayZero: format.hasPrefix("N6,yymmd0")) else { return nil }
            reading.date = date
            reading.text = date.description
            let rest = Array(digits.dropFirst(dateLength))
            if format.contains("[N6],yymmdd") {
                // 7007: a harvest date, or a range of two.
                if rest.count == 6, let last = Self.date(rest, long: false, currentYear: currentYear, dayZero: false) {
                    reading.text += " to \(last)"
                }
            } else if !rest.isEmpty {
                // A time: hhmi, or hh [mi [ss]].
                let parts = stride(from: 0, to: rest.count, by: 2).map { String(decoding: rest[$0..<min($0 + 2, rest.count)], as: UTF8.self) }
                reading.text += " " + (parts.count == 1 ? parts[0] + ":00" : parts.joined(separator: ":"))
            }
            return reading
        }
        return nil
    }

    private static func date(_ digits: [UInt8], long: Bool, currentYear: Int, dayZero: Bool) -> CalendarDate? {
        func number(_ index: Int) -> Int { Int(digits[index] - 48) * 10 + Int(digits[index + 1] - 48) }
        let year = long ? number(0) * 100 + number(2) : GS1Century.year(twoDigit: number(0), currentYear: currentYear)
        let at = long ? 4 : 2
        let month = number(at)
        guard (1...12).contains(month) else { return nil }
        let day = number(at + 2)
        if day == 0 {
            guard dayZero else { return nil }
            return CalendarDate(year: year, month: month, day: CalendarDate.daysInMonth(year: year, month: month))
        }
        return CalendarDate(year: year, month: month, day: day)
    }

    /// `NET VOLUME (qt (US))` → `qt (US)`; `GROSS WEIGHT (kg)` → `kg`; `LENGTH (m), log` → `m`.
    static func unit(in title: String) -> String? {
        guard let open = title.firstIndex(of: "(") else { return nil }
        var depth = 0
        var index = open
        while index < title.endIndex {
            if title[index] == "(" { depth += 1 }
            if title[index] == ")" {
                depth -= 1
                if depth == 0 { return String(title[title.index(after: open)..<index]) }
            }
            index = title.index(after: index)
        }
        return nil
    }

    private static func decimal(_ digits: String, decimals: Int) -> Decimal {
        var number = Decimal(string: digits, locale: Locale(identifier: "en_US_POSIX")) ?? 0
        for _ in 0..<decimals { number /= 10 }
        return number
    }

    private static func format(_ number: Decimal, decimals: Int) -> String {
        var rounded = number
        var copy = number
        NSDecimalRound(&rounded, &copy, decimals, .plain)
        let text = NSDecimalNumber(decimal: rounded).stringValue
        guard decimals > 0 else { return text }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        let fraction = parts.count > 1 ? String(parts[1]) : ""
        return "\(parts[0]).\(fraction)\(String(repeating: "0", count: max(0, decimals - fraction.count)))"
    }

    /// ISO 4217 numeric codes of the currencies a label in Europe or North America most often
    /// carries; others are shown by number.
    static let currencies: [String: String] = [
        "036": "AUD", "124": "CAD", "156": "CNY", "203": "CZK", "208": "DKK", "348": "HUF", "352": "ISK", "392": "JPY",
        "484": "MXN", "554": "NZD", "578": "NOK", "643": "RUB", "752": "SEK", "756": "CHF", "826": "GBP", "840": "USD",
        "946": "RON", "949": "TRY", "975": "BGN", "978": "EUR", "985": "PLN", "986": "BRL",
    ]
}

extension ScannedCode {
    /// What `element` (one of this scan's) means, with two-digit years placed as for this scan.
    public func reading(of element: AIElement) -> AIReading? {
        element.reading(currentYear: currentYear)
    }

    /// Each element with what its value means, where it means more than its text.
    public var readings: [(element: AIElement, reading: AIReading)] {
        elements.compactMap { element in element.reading(currentYear: currentYear).map { (element, $0) } }
    }
}

/// `withBytes` for a look-up that cannot fail.
private func withBytesOrNil<R>(_ text: String, _ body: (Bytes) -> R?) -> R? {
    var text = text
    return text.withUTF8 { body($0) }
}
