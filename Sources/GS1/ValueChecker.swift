/// Checks AI values against their dictionary entry, component by component, and words the
/// failures. Strict checking stops at the first failure; lenient checking records the failures of
/// rules that legacy labels break (check digits, dates, code lists, associations) as warnings and
/// stops only at those that leave the data meaningless (wrong characters or lengths).
struct ValueChecker {
    let context: LintContext
    let lenient: Bool
    private(set) var warnings: [GS1Error] = []

    init(context: LintContext, lenient: Bool) {
        self.context = context
        self.lenient = lenient
    }

    /// Throws `error` in strict mode; records it as a warning in lenient mode.
    mutating func breach(_ error: GS1Error) throws(GS1Error) {
        guard lenient else { throw error }
        warnings.append(error)
    }

    /// Validates `value` (up to the next separator or the end) for `entry` and returns how many
    /// bytes the components consumed (less than `value.count` only for an AI of predefined length
    /// that is followed directly by the next AI).
    mutating func check(_ value: Bytes, entry: AIEntry, position: Int?) throws(GS1Error) -> Int {
        guard value.count > 0 else {
            throw GS1Error.about(entry.ai, at: position, .invalidLength, "has no value")
        }
        var offset = 0
        let components = entry.plainComponents
        let linters = entry.plainLinters
        for index in components.indices {
            let component = components[index]
            let length = min(component.maximumLength, value.count - offset)
            if component.isOptional && length == 0 { continue }
            guard length >= component.minimumLength else {
                throw GS1Error.about(entry.ai, at: position, .invalidLength, lengthDetail(entry, valueLength: value.count))
            }
            let data = value.part(offset..<(offset + length))
            if let failure = component.charset.check(data) {
                throw error(failure.shifted(by: offset), entry: entry, value: value, component: data,
                            componentEnd: offset + length, position: position)
            }
            for slot in component.linters {
                let linter = linters[slot]
                if let failure = linter.check(data, context) {
                    let error = error(failure.shifted(by: offset), entry: entry, value: value, component: data,
                                      componentEnd: offset + length, position: position)
                    guard Linter.isTolerable(failure.error) else { throw error }
                    try breach(error)
                }
            }
            offset += length
        }
        return offset
    }

    /// Checks a whole value given apart from any other data (bracketed, Digital Link, a label).
    mutating func checkWhole(_ value: Bytes, entry: AIEntry, position: Int?) throws(GS1Error) {
        try checkLength(value, entry: entry, position: position)
        let consumed = try check(value, entry: entry, position: position)
        if consumed < value.count {
            throw GS1Error.about(entry.ai, at: position, .invalidLength, lengthDetail(entry, valueLength: value.count))
        }
    }

    /// The length and `^` checks that come before the components (as the reference does them).
    func checkLength(_ value: Bytes, entry: AIEntry, position: Int?) throws(GS1Error) {
        if value.count < entry.minimumLength || value.count > entry.maximumLength {
            throw GS1Error.about(entry.ai, at: position, .invalidLength,
                                 lengthDetail(entry, valueLength: value.count))
        }
        if value.contains(UInt8(ascii: "^")) {
            throw GS1Error.about(entry.ai, at: position, .invalidCharacter, "\"^\" is not allowed in a value")
        }
    }

    private func lengthDetail(_ entry: AIEntry, valueLength: Int) -> String {
        if valueLength == 0 { return "has no value" }
        // In words, not the dictionary's specification (`N14,csum,gcppos2`): digits when every
        // component is numeric.
        let digits = entry.format.split(whereSeparator: { $0 == " " }).allSatisfy {
            $0.drop(while: { $0 == "[" }).hasPrefix("N")
        }
        let allowed = entry.minimumLength == entry.maximumLength
            ? "exactly \(entry.maximumLength)"
            : "\(entry.minimumLength) to \(entry.maximumLength)"
        return "has \(valueLength) characters; \(entry.title) takes \(allowed) \(digits ? "digits" : "characters")"
    }

    /// Words a failed check: what is wrong, in the value's terms.
    func error(_ failure: LintFailure, entry: AIEntry, value: Bytes, component: Bytes, componentEnd: Int,
               position: Int?) -> GS1Error {
        let start = min(value.count, failure.offset)
        var end = min(value.count, max(start, failure.offset + failure.length))
        // A character beyond ASCII is several bytes: the whole of it is shown, not "�" for its first.
        while end < value.count, end > start, value[end] & 0xC0 == 0x80 { end += 1 }
        let span = String(decoding: value.part(start..<end), as: UTF8.self)
        var (code, detail) = Self.describe(failure, span: span, component: component, currentYear: context.currentYear)
        // Where in the value: the position names the AI's start, and "\" \" is not allowed" in a
        // lot of ten characters left the operator to find the space (a QA run).
        if code == .invalidCharacter, value.count > 1, failure.error != .invalidCSet64Padding {
            detail += ", at character \(String(decoding: value.part(0..<start), as: UTF8.self).count + 1) of its value"
        }
        let markup = "(\(entry.ai))" + String(decoding: value.part(0..<start), as: UTF8.self) + "|" + span + "|"
            + String(decoding: value.part(end..<max(end, min(value.count, componentEnd))), as: UTF8.self)
        return GS1Error.about(entry.ai, at: position, code, detail, lint: failure.error, markup: markup)
    }

    static func describe(_ failure: LintFailure, span: String, component: Bytes, currentYear: Int) -> (GS1Error.Code, String) {
        switch failure.error {
        case .incorrectCheckDigit:
            let expected = Linter.expectedCheckDigit(component)
            return (.invalidCheckDigit, "check digit should be \(expected), got \(span)")
        case .incorrectCheckPair:
            return (.invalidCheckDigit, "check characters \"\(span)\" do not match the value")
        case .nonDigitCharacter:
            return (.invalidCharacter, "\(quoted(span)) is not a digit")
        case .invalidCSet82Character:
            return (.invalidCharacter, "\(quoted(span)) is not allowed (GS1 character set 82)")
        case .invalidCSet39Character:
            return (.invalidCharacter, "\(quoted(span)) is not allowed (GS1 character set 39)")
        case .invalidCSet64Character:
            return (.invalidCharacter, "\(quoted(span)) is not allowed (GS1 character set 64)")
        case .invalidCSet64Padding:
            return (.invalidCharacter, "wrong number of \"=\" pads")
        case .illegalDay:
            let day = Int(span) ?? 0
            if day == 0 { return (.invalidDate, "day 00 is not allowed here") }
            if day > 31 { return (.invalidDate, "day \(span) is not a date") }
            return (.invalidDate, "day \(span) is not a date in \(monthAndYear(component, currentYear: currentYear))")
        case .illegalMonth:
            return (.invalidDate, "month \(span) does not exist")
        case .illegalHour:
            return (.invalidDate, "hour \(span) does not exist")
        case .illegalMinute:
            return (.invalidDate, "minute \(span) does not exist")
        case .illegalSecond:
            return (.invalidDate, "second \(span) does not exist")
        case .dateTooShort, .dateTooLong, .hourTooShort, .hourTooLong, .minuteTooShort, .minuteTooLong,
             .secondTooShort, .secondTooLong, .hourWithMinuteTooShort, .hourWithMinuteTooLong:
            return (.invalidLength, failure.error.summary)
        case .notISO3166:
            return (.invalidValue, "\(span) is not an ISO 3166 country code")
        case .notISO3166Or999:
            return (.invalidValue, "\(span) is not an ISO 3166 country code or 999")
        case .notISO3166Alpha2:
            return (.invalidValue, "\(quoted(span)) is not an ISO 3166 two-letter country code")
        case .notISO4217:
            return (.invalidValue, "\(span) is not an ISO 4217 currency code")
        default:
            return (.invalidValue, span.isEmpty ? failure.error.summary : "\(failure.error.summary) (\(quoted(span)))")
        }
    }

    private static func quoted(_ text: String) -> String {
        // As an operator reads them elsewhere (`<LF>`, `<GS>`), not as Swift escapes (a QA run saw `\u{a}`).
        let names: [UInt32: String] = [0x0A: "<LF>", 0x0D: "<CR>", 0x1D: "<GS>", 0x1E: "<RS>", 0x04: "<EOT>", 0x09: "<TAB>"]
        let visible = text.unicodeScalars.map { scalar -> String in
            guard scalar.value < 32 || scalar.value == 127 else { return String(scalar) }
            return names[scalar.value] ?? "<U+\(String(scalar.value, radix: 16, uppercase: true))>"
        }.joined()
        return "\"\(visible)\""
    }

    private static let monthNames = ["January", "February", "March", "April", "May", "June", "July", "August",
                                     "September", "October", "November", "December"]

    /// "February 2023" for a `YYMMDD` or `YYYYMMDD` component whose day is wrong.
    private static func monthAndYear(_ component: Bytes, currentYear: Int) -> String {
        let long = component.count == 8 || component.count == 12
        let year = long
            ? component.twoDigitValue(at: 0) * 100 + component.twoDigitValue(at: 2)
            : GS1Century.year(twoDigit: component.twoDigitValue(at: 0), currentYear: currentYear)
        let month = component.twoDigitValue(at: long ? 4 : 2)
        return "\((1...12).contains(month) ? monthNames[month - 1] : "month \(month)") \(year)"
    }
}
