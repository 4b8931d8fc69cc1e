public import GS1

/// How lot and serial numbers are made: a sequence of segments, written as a pattern.
///
/// Tokens in braces, everything else is constant text (`{{` and `}}` stand for a brace):
///
/// | token | gives |
/// |---|---|
/// | `{yyyy}` / `{yy}` | year of the date of receipt or of use, 4 or 2 digits |
/// | `{MM}` / `{MMM}` | month number `01`…`12` / month name `JAN`…`DEC` |
/// | `{dd}` / `{ddd}` | day of month `01`…`31` / day of year `001`…`366` |
/// | `{counter:N}` | the counter, zero-padded to N digits (1…18); it may never outgrow them |
/// | `{counter}` | the counter without padding |
///
/// `LOT-{yyyy}{MM}-{counter:5}` gives `LOT-202611-00042`.
public struct NumberFormat: Hashable, Sendable, CustomStringConvertible {
    public enum Segment: Hashable, Sendable {
        case text(String)
        case year4, year2, month, monthName, day, dayOfYear
        /// `width` digits; `padded` means always exactly `width` digits, else 1…`width`.
        case counter(width: Int, padded: Bool)
    }

    /// The pattern as written.
    public let pattern: String
    public let segments: [Segment]
    /// Whether every number is as long as the one checked when the format was read: true unless
    /// it has a counter without padding. Read once here, not at each number made.
    let hasFixedLength: Bool

    /// The most digits a counter may have (keeps values inside a signed 64-bit integer).
    public static let maximumCounterWidth = 18

    static let monthNames = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]

    /// Parses a pattern.
    ///
    /// - Throws: ``RegistryError`` with ``RegistryError/Code/invalidInput`` naming the bad token and
    ///   its position (1-based), e.g. `number format "LOT-{yyy}": unknown token {yyy} at character 5`.
    public init(_ pattern: String) throws(RegistryError) {
        self.pattern = pattern
        var segments: [Segment] = []
        var text = ""
        let chars = Array(pattern)
        var i = 0
        func fail(_ what: String) -> RegistryError {
            RegistryError(.invalidInput, "number format \"\(pattern)\": \(what)")
        }
        while i < chars.count {
            let c = chars[i]
            if c == "{", i + 1 < chars.count, chars[i + 1] == "{" {
                text.append("{"); i += 2; continue
            }
            if c == "}", i + 1 < chars.count, chars[i + 1] == "}" {
                text.append("}"); i += 2; continue
            }
            if c == "}" {
                throw fail("unmatched } at character \(i + 1) (write }} for a brace)")
            }
            guard c == "{" else { text.append(c); i += 1; continue }
            guard let close = chars[(i + 1)...].firstIndex(of: "}") else {
                throw fail("unclosed { at character \(i + 1) (write {{ for a brace)")
            }
            let token = String(chars[(i + 1)..<close])
            let segment: Segment
            switch token {
            case "yyyy": segment = .year4
            case "yy": segment = .year2
            case "MM": segment = .month
            case "MMM": segment = .monthName
            case "dd": segment = .day
            case "ddd": segment = .dayOfYear
            case "counter": segment = .counter(width: Self.maximumCounterWidth, padded: false)
            default:
                if token.hasPrefix("counter:") {
                    let widthText = token.dropFirst("counter:".count)
                    guard let width = Int(widthText), (1...Self.maximumCounterWidth).contains(width) else {
                        throw fail("counter width \"\(widthText)\" at character \(i + 1) must be a whole number from 1 to \(Self.maximumCounterWidth)")
                    }
                    segment = .counter(width: width, padded: true)
                } else {
                    throw fail("unknown token {\(token)} at character \(i + 1); known tokens are {yyyy} {yy} {MM} {MMM} {dd} {ddd} {counter} {counter:N}")
                }
            }
            if !text.isEmpty { segments.append(.text(text)); text = "" }
            segments.append(segment)
            i = close + 1
        }
        if !text.isEmpty { segments.append(.text(text)) }
        guard !segments.isEmpty else { throw fail("is empty") }
        if segments.filter({ if case .counter = $0 { true } else { false } }).count > 1 {
            throw fail("has more than one counter")
        }
        // The numbers it makes are held to the rules of a number typed in (no control or
        // invisible character, no leading or trailing space, at most 64 characters): the format
        // made numbers `receive --serials` refused, a tab in one and 71 characters in another
        // (found by a QA run). A counter without padding grows; ``format(counter:date:)`` checks
        // its numbers' length as they are made.
        let sample = segments.map { segment -> String in
            switch segment {
            case .text(let text): text
            case .year4: "2026"
            case .year2, .month, .day: "01"
            case .monthName: "JAN"
            case .dayOfYear: "001"
            case .counter(let width, let padded): String(repeating: "1", count: padded ? width : 1)
            }
        }.joined()
        do {
            try Identifier.validate(sample, what: "a number it makes,")
        } catch {
            throw fail(error.message)
        }
        self.segments = segments
        hasFixedLength = !segments.contains { if case .counter(_, false) = $0 { true } else { false } }
    }

    public var description: String { pattern }

    /// Whether the format has a counter (a serial format must have one).
    public var hasCounter: Bool { counterWidth != nil }

    /// Whether the number carries a date (year, month, day or day of the year).
    public var hasDate: Bool {
        segments.contains { segment in
            switch segment {
            case .year4, .year2, .month, .monthName, .day, .dayOfYear: true
            case .text, .counter: false
            }
        }
    }

    /// Whether the format has a date segment, so that numbers depend on the date of receipt or use.
    public var usesDate: Bool {
        segments.contains { segment in
            switch segment {
            case .text, .counter: false
            default: true
            }
        }
    }

    /// The counter's width in digits, or `nil` when there is no counter.
    public var counterWidth: Int? {
        for case let .counter(width, _) in segments { return width }
        return nil
    }

    /// The largest counter value the format can show (`99999` for `{counter:5}`).
    public var counterCapacity: Int? {
        counterWidth.map { width in
            var value = 1
            for _ in 0..<width { value *= 10 }
            return value - 1
        }
    }

    /// The number for a counter value and a date.
    ///
    /// - Throws: ``RegistryError/Code/counterExhausted`` when the value does not fit the counter's
    ///   width: a number is never wrapped or silently widened.
    public func format(counter: Int?, date: CalendarDate) throws(RegistryError) -> String {
        var out = ""
        out.reserveCapacity(pattern.utf8.count + 8)
        for segment in segments {
            switch segment {
            case .text(let text): out += text
            case .year4: out += Self.pad(date.year, 4)
            case .year2: out += Self.pad(date.year % 100, 2)
            case .month: out += Self.pad(date.month, 2)
            case .monthName: out += Self.monthNames[date.month - 1]
            case .day: out += Self.pad(date.day, 2)
            case .dayOfYear: out += Self.pad(date.dayOfYear, 3)
            case .counter(let width, let padded):
                guard let counter else {
                    throw RegistryError(.invalidInput, "number format \"\(pattern)\" needs a counter value")
                }
                guard counter >= 0, counter <= counterCapacity! else {
                    throw RegistryError(.counterExhausted,
                        "counter value \(counter) does not fit the \(width) digits of number format \"\(pattern)\"; numbers are never wrapped or widened: widen the format or start a new series")
                }
                out += padded ? Self.pad(counter, width) : String(counter)
            }
        }
        if !hasFixedLength, out.utf8.count > Identifier.maximumLength, out.count > Identifier.maximumLength {
            throw RegistryError(.counterExhausted,
                "number format \"\(pattern)\" makes \(out) at counter \(counter ?? 0), longer than \(Identifier.maximumLength) characters: numbers are never cut; shorten the format or start a new series")
        }
        return out
    }

    static func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        let count = text.utf8.count
        return count >= width ? text : String(repeating: "0", count: width - count) + text
    }
}
