import Foundation

/// A way to print a date or a number in a field: `{{lot.expiry | date: "dd.MM.yyyy"}}` or a named
/// format from the template's `formats:` table used as `{{expiry(lot.expiry)}}`.
///
/// Date patterns: `yyyy` `yy` `MM` `M` `dd` `d` `HH` `mm` `ss`, text in single quotes, anything
/// else literal. The value is an ISO 8601 date (`2027-01-31`) or date-time (`2027-01-31T08:00:00Z`,
/// printed as written, without time-zone conversion). Number patterns: `0` a digit that is always
/// printed, `#` a digit printed only when needed, `,` grouping, `.` the decimal point
/// (`#,##0.00`, `000000`); rounding is half-up.
public enum FieldFormat: Hashable, Sendable {
    case date(String)
    case number(String)

    /// Formats a value, or returns `nil` when the value is not a date (or number).
    func apply(to value: LabelData) -> String? {
        switch self {
        case .date(let pattern):
            guard case .string(let text) = value, let parts = DateParts(iso: text) else { return nil }
            return parts.format(pattern)
        case .number(let pattern):
            let decimal: Decimal
            switch value {
            case .number(let number): decimal = number
            case .string(let text):
                // The whole text, not a number at its start: Decimal(string:) reads "1,200" as 1
                // and "12 500" as 12, which went into a barcode's (30) and (3103) as 1 and 12.
                guard Self.isPlainNumber(text), let number = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")) else { return nil }
                decimal = number
            default: return nil
            }
            return Self.formatNumber(decimal, pattern)
        }
    }

    /// Whether `text` is a number written plainly, whole: an optional sign, digits, and a point
    /// with more digits (`12`, `-3`, `12.500`, `.5`); no grouping, spaces, units or exponent.
    static func isPlainNumber(_ text: String) -> Bool {
        var bytes = Substring(text).utf8[...]
        if let first = bytes.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") { bytes = bytes.dropFirst() }
        let isDigit: (UInt8) -> Bool = { $0 >= 48 && $0 <= 57 }
        let whole = bytes.prefix(while: isDigit)
        bytes = bytes.dropFirst(whole.count)
        guard let point = bytes.first else { return !whole.isEmpty }
        guard point == UInt8(ascii: "."), bytes.count > 1 else { return false }
        return bytes.dropFirst().allSatisfy(isDigit)
    }

    /// Checks a pattern when the template is loaded, so a typo is found before printing.
    func validate() throws(LabelError) {
        switch self {
        case .date(let pattern):
            guard !pattern.isEmpty else { throw LabelError(.invalidValue, "empty date format") }
        case .number(let pattern):
            let allowed = Set("0#,.")
            guard !pattern.isEmpty, pattern.allSatisfy({ allowed.contains($0) }),
                pattern.filter({ $0 == "." }).count <= 1
            else {
                throw LabelError(.invalidValue, "number format '\(pattern)' may only use 0 # , and one .")
            }
        }
    }

    static func formatNumber(_ value: Decimal, _ pattern: String) -> String {
        // Whole numbers in a pattern of zeros (`0`, `000000`): the usual quantity or counter.
        if value.exponent >= 0, !value.isNaN, pattern.utf8.allSatisfy({ $0 == UInt8(ascii: "0") }) {
            let digits = value.plainText
            if !digits.hasPrefix("-"), digits.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) {
                let width = pattern.utf8.count
                return digits.utf8.count >= width ? digits : String(repeating: "0", count: width - digits.utf8.count) + digits
            }
        }
        let parts = pattern.split(separator: ".", omittingEmptySubsequences: false)
        let integerPattern = parts[0]
        let fraction = parts.count > 1 ? parts[1] : ""
        let minimumFraction = fraction.filter { $0 == "0" }.count
        let maximumFraction = fraction.count
        let minimumInteger = integerPattern.filter { $0 == "0" }.count
        let grouping = integerPattern.contains(",")

        var input = value
        var rounded = Decimal()
        NSDecimalRound(&rounded, &input, maximumFraction, .plain)
        let negative = rounded < 0
        let text = (negative ? -rounded : rounded).plainText
        let split = text.split(separator: ".", omittingEmptySubsequences: false)
        var integerDigits = String(split[0])
        var fractionDigits = split.count > 1 ? String(split[1]) : ""
        while fractionDigits.count < minimumFraction { fractionDigits += "0" }
        while fractionDigits.count > minimumFraction, fractionDigits.hasSuffix("0") { fractionDigits.removeLast() }
        if integerDigits == "0", minimumInteger == 0 { integerDigits = "" }
        while integerDigits.count < minimumInteger { integerDigits = "0" + integerDigits }
        if grouping, integerDigits.count > 3 {
            var grouped = ""
            for (index, digit) in integerDigits.enumerated() {
                if index > 0, (integerDigits.count - index) % 3 == 0 { grouped += "," }
                grouped.append(digit)
            }
            integerDigits = grouped
        }
        var result = integerDigits
        if !fractionDigits.isEmpty { result += "." + fractionDigits }
        if result.isEmpty { result = "0" }
        return negative ? "-" + result : result
    }
}

/// The numbers of an ISO 8601 date or date-time, as written.
struct DateParts {
    var year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0

    init?(iso text: String) {
        let bytes = Array(text.utf8)
        func number(_ start: Int, _ count: Int) -> Int? {
            guard start + count <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[start..<start + count] {
                guard byte >= 48, byte <= 57 else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            return value
        }
        guard bytes.count >= 10, bytes[4] == 45, bytes[7] == 45,
            let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
            (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        self.year = year
        self.month = month
        self.day = day
        if bytes.count >= 16, bytes[10] == 84 || bytes[10] == 32, let hour = number(11, 2), let minute = number(14, 2) {
            self.hour = hour
            self.minute = minute
            self.second = number(17, 2) ?? 0
        }
    }

    /// The date written by `pattern`. Worked on UTF-8 bytes: the pattern letters are ASCII, and
    /// the bytes of other characters are copied as they are.
    func format(_ pattern: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(pattern.utf8.count + 4)
        var bytes = pattern.utf8.makeIterator()
        var pending = bytes.next()
        func pad(_ value: Int, _ width: Int) {
            var digits: [UInt8] = []
            var rest = value
            repeat {
                digits.append(UInt8(48 + rest % 10))
                rest /= 10
            } while rest > 0
            if digits.count < width { out += repeatElement(48, count: width - digits.count) }
            out += digits.reversed()
        }
        while let byte = pending {
            pending = bytes.next()
            if byte == 0x27 {  // '…' is literal
                while let quoted = pending, quoted != 0x27 {
                    out.append(quoted)
                    pending = bytes.next()
                }
                pending = bytes.next()
                continue
            }
            var run = 1
            while pending == byte {
                run += 1
                pending = bytes.next()
            }
            switch byte {
            case UInt8(ascii: "y"): run == 2 ? pad(year % 100, 2) : pad(year, run)
            case UInt8(ascii: "M"): pad(month, run)
            case UInt8(ascii: "d"): pad(day, run)
            case UInt8(ascii: "H"): pad(hour, run)
            case UInt8(ascii: "m"): pad(minute, run)
            case UInt8(ascii: "s"): pad(second, run)
            default: out += repeatElement(byte, count: run)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
