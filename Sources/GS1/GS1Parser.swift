/// Reads what a scanner sends (or what someone types) into a ``ScannedCode``: GS1 element strings
/// with or without an AIM symbology identifier, the bracketed human-readable form, GS1 Digital Link
/// URIs, EAN/UPC/ITF-14 GTINs, or a plain code.
///
/// Strict by default: the verdicts agree with the GS1 Syntax Engine, the reference parser. A
/// lenient parser accepts legacy labels that break the rules (wrong check digits, impossible
/// dates, missing required AIs, zero-suppressed GTINs in Digital Link URIs) and reports every rule
/// broken in ``ScannedCode/warnings``.
///
/// Parsing works on the UTF-8 bytes of the scan, without regular expressions or Foundation.
public struct GS1Parser: Sendable {
    /// How a parser reads scans; typically one per scanner.
    public struct Options: Sendable {
        /// Accept data that breaks GS1 rules, reporting each broken rule as a warning.
        public var isLenient = false
        /// Texts that a scanner is configured to send instead of the GS character (ASCII 29) for
        /// FNC1, e.g. `["^"]`, `["~"]` or `["<GS>"]`. GS itself is always understood.
        public var groupSeparators: [String] = []
        /// Accept AIs the dictionary does not define, where their prefix tells their length.
        public var permitsUnknownAIs = false
        /// Check that each AI comes with the AIs it requires (e.g. (10) with (01)).
        public var checksRequiredAIs = true
        /// Allow unknown AIs as Digital Link data attributes (only with `permitsUnknownAIs`).
        public var permitsUnknownAIsInDigitalLinkQueries = false
        /// Accept the deprecated Digital Link path names (`/gtin/`, `/lot/`, `/ser/` …).
        public var permitsConvenienceAlphas = false
        /// Accept GTIN-8, -12 and -13 in Digital Link URIs and pad them to 14 digits.
        public var permitsZeroSuppressedGTINs = false
        /// Ignore Digital Link query parameters whose numeric key is no AI (`?89=TESTING`), as the
        /// Digital Link standard asks of a resolver, instead of refusing the URI as the reference does.
        public var ignoresUnknownQueryParameters = false
        /// The date two-digit years are read against (GS1 century rule); `nil` for the system
        /// clock's today (UTC). Tests set it.
        public var today: CalendarDate?
        /// A GS1 Company Prefix look-up for the key AIs; `nil` checks only the prefix's shape.
        var companyPrefixLookup: (@Sendable (Bytes) -> CompanyPrefixStatus)?

        /// The strict defaults.
        public init() {}

        /// The reference verdicts.
        public static let strict = Options()

        /// What a scanning station reads: the reference's verdicts on element strings, and Digital
        /// Link URIs as the standard has a resolver read them: a GTIN-8, -12 or -13 in the path
        /// padded to 14 digits, query parameters that are not AIs ignored. `lenient` starts from
        /// ``lenient`` instead.
        public static func scanning(lenient: Bool = false) -> Options {
            var options = lenient ? Options.lenient : Options()
            options.permitsZeroSuppressedGTINs = true
            options.ignoresUnknownQueryParameters = true
            return options
        }

        /// Tolerant of legacy labels: every broken rule becomes a warning, and Digital Link URIs may
        /// use zero-suppressed GTINs and convenience path names.
        public static var lenient: Options {
            var options = Options()
            options.isLenient = true
            options.permitsZeroSuppressedGTINs = true
            options.permitsConvenienceAlphas = true
            return options
        }
    }

    /// How this parser reads scans.
    public var options: Options { storage.options }
    var dictionary: AIDictionary { storage.dictionary }
    /// What a parse needs, made once: a parser is copied into each parse's closures, and one
    /// reference to count is cheaper than the options' separators, company prefix look-up, the
    /// dictionary and the separator table each counted on every copy.
    private let storage: Storage

    private final class Storage: Sendable {
        let options: Options
        let dictionary: AIDictionary
        /// The options as the hot loops read them (plain values), strict and lenient (a lenient
        /// trial of a strict parser, or a lenient parser).
        let strictSettings: ParseRun.Settings
        let lenientSettings: ParseRun.Settings
        /// Multi-character GS substitutes, replaced by GS before parsing.
        let multiByteSeparators: [[UInt8]]
        /// Whether there are any (a flag, so that the usual case reads no array).
        let hasMultiByteSeparators: Bool
        /// `options.isLenient`, read on every parse.
        let isLenient: Bool

        /// The year this parser was made in, and its days (since 1970).
        let year: (year: Int, days: Range<Int>)

        init(options: Options) {
            self.options = options
            self.dictionary = .standard
            let today = CalendarDate.todayUTC()
            let first = CalendarDate(year: today.year, month: 1, day: 1)?.daysSinceEpoch ?? today.daysSinceEpoch
            let next = CalendarDate(year: today.year + 1, month: 1, day: 1)?.daysSinceEpoch ?? first
            self.year = (today.year, first..<next)
            var table = ByteSet()
            table.insert(29)
            var multi: [[UInt8]] = []
            for separator in options.groupSeparators where !separator.isEmpty {
                let bytes = Array(separator.utf8)
                if bytes.count == 1 { table.insert(bytes[0]) } else { multi.append(bytes) }
            }
            self.multiByteSeparators = multi
            self.hasMultiByteSeparators = !multi.isEmpty
            self.isLenient = options.isLenient
            var settings = ParseRun.Settings(
                isLenient: false, permitsUnknownAIs: options.permitsUnknownAIs,
                checksRequiredAIs: options.checksRequiredAIs,
                permitsUnknownAIsInDigitalLinkQueries: options.permitsUnknownAIsInDigitalLinkQueries,
                permitsConvenienceAlphas: options.permitsConvenienceAlphas,
                permitsZeroSuppressedGTINs: options.permitsZeroSuppressedGTINs,
                ignoresUnknownQueryParameters: options.ignoresUnknownQueryParameters, separators: table,
                valueStops: table.inserting(UInt8(ascii: "^")))
            self.strictSettings = settings
            settings.isLenient = true
            self.lenientSettings = settings
        }
    }

    /// The most AIs one scan may hold (as in the reference).
    static let maximumAIs = 64

    /// A parser with `options` (strict by default).
    public init(_ options: Options = .strict) {
        self.storage = Storage(options: options)
    }

    // MARK: - Entry points

    /// Parses a scan as a scanner delivers it: an optional AIM symbology identifier, then the data.
    ///
    /// With an identifier, the identifier decides: `]C1`, `]e0`, `]d2`, `]Q3`, `]J1` carry element
    /// strings; `]E0`/`]E4` EAN/UPC (and `|]e0` composite data); `]I1` ITF-14; plain Data Matrix,
    /// QR and DotCode may carry a Digital Link URI; anything else is a plain code. Without one, the
    /// data decides: a URI, a bracketed string, a GTIN with a valid check digit, element strings that
    /// parse, else a plain code.
    public func parse(_ scan: String) throws(GS1Error) -> ScannedCode {
        try withBytes(scan) { bytes throws(GS1Error) in try parse(bytes: bytes, scan: scan) }
    }

    /// AIs that identify something a registry can know: trade items, logistic units, locations,
    /// assets, documents, coupons' issuers. Digits that read only as other AIs name nothing.
    static let identifyingAIs: Set<String> = ["00", "01", "02", "253", "255", "401", "402", "414", "417", "8003", "8004", "8006",
                                              "8010", "8013", "8017", "8018", "8026"]

    /// The scan read as a plain code, when nothing in it says it is GS1: no symbology identifier,
    /// no bracketed AI, no URI, no GS separator. Without those, digits that happen to start like
    /// an AI (a serial `1000123` reads as `(10)00123`) may as well be a registry's own number,
    /// which a caller tries when reading them as element strings failed or named nothing it knows.
    /// Nil when the scan says what it is.
    public func plainReading(_ scan: String) -> ScannedCode? {
        var copy = scan
        let saysGS1 = copy.withUTF8 { bytes in
            bytes.isEmpty || bytes[0] == UInt8(ascii: "]") || bytes.contains(0x1D) || Self.startsWithBracketedAI(bytes)
                || DigitalLinkSyntax.hasWebScheme(bytes)
        }
        guard !saysGS1 else { return nil }
        return ScannedCode(symbology: nil, kind: .plain, data: ScanText(scan: scan, offset: 0), elements: [], warnings: [],
                           currentYear: currentYear())
    }

    /// Parses unbracketed element strings (`0109501101530003` `17270131` `10ABC123`, GS after
    /// variable-length values), as sent by a scanner without a symbology identifier.
    public func parseElementString(_ text: String) throws(GS1Error) -> ScannedCode {
        try withBytes(text) { bytes throws(GS1Error) in
            try withNormalisedSeparators(bytes) { data throws(GS1Error) in
                var run = makeRun()
                try run.parseElementString(data, from: 0)
                return try run.finish(symbology: nil, kind: .elementString, data: ScanText(scan: text, offset: 0))
            }
        }
    }

    /// Parses the bracketed human-readable form, `(01)09501101530003(17)270131(10)ABC123`.
    /// A `(` inside a value is written `\(`.
    public func parseBracketed(_ text: String) throws(GS1Error) -> ScannedCode {
        try withBytes(text) { bytes throws(GS1Error) in
            var run = makeRun()
            try run.parseBracketed(bytes)
            return try run.finish(symbology: nil, kind: .elementString, data: ScanText(scan: text, offset: 0))
        }
    }

    /// Parses an uncompressed GS1 Digital Link URI (any host).
    public func parseDigitalLink(_ uri: String) throws(GS1Error) -> ScannedCode {
        try withBytes(uri) { bytes throws(GS1Error) in
            var run = makeRun()
            try run.parseDigitalLink(bytes)
            return try run.finish(symbology: nil, kind: .digitalLink, data: ScanText(scan: uri, offset: 0), digitalLink: true)
        }
    }

    // MARK: - Detection

    private func parse(bytes: Bytes, scan: String) throws(GS1Error) -> ScannedCode {
        if bytes.count > 0, bytes[0] == UInt8(ascii: "]") {
            guard let (symbology, length) = SymbologyIdentifier.parse(bytes) else {
                throw GS1Error(.malformed, "the symbology identifier at character 1 is cut short", ai: nil, position: 0)
            }
            return try parse(data: bytes.part(length..<bytes.count), offset: length, symbology: symbology, scan: scan)
        }
        return try parseUnidentified(bytes, scan: scan)
    }

    private func parse(data: Bytes, offset: Int, symbology: SymbologyIdentifier, scan: String) throws(GS1Error) -> ScannedCode {
        let text = ScanText(scan: scan, offset: offset)
        if symbology.carriesElementString {
            if storage.isLenient, DigitalLinkSyntax.hasWebScheme(data) {
                // A Digital Link URI printed in GS1 mode: a labelling mistake a lenient parser reads through.
                var run = makeRun(offset: offset)
                try run.checker.breach(GS1Error(.malformed, "\(symbology) announces element strings but carries a URI",
                                                ai: nil, position: 0))
                try run.parseDigitalLink(data)
                return try run.finish(symbology: symbology, kind: .digitalLink, data: text, digitalLink: true)
            }
            return try withNormalisedSeparators(data) { normalised throws(GS1Error) in
                var run = makeRun(offset: offset)
                try run.parseElementString(normalised, from: 0)
                return try run.finish(symbology: symbology, kind: .elementString, data: text)
            }
        }
        switch (symbology.code, symbology.modifiers) {
        case ("E", "0"), ("E", "4"):
            return try parseEANUPC(data, offset: offset, symbology: symbology, length: symbology.modifiers == "0" ? 13 : 8, text: text)
        case ("I", _) where data.count == 14 && Linter.firstNonDigit(data) == nil:
            var run = makeRun(offset: offset)
            try run.checkPrimaryCheckDigit(data, what: "ITF-14", position: offset)
            return try run.finish(symbology: symbology, kind: .gtin, data: text, primaryNumber: String(decoding: data, as: UTF8.self))
        case ("d", "1"), ("Q", "1"), ("J", "0"):
            if DigitalLinkSyntax.hasWebScheme(data) {
                var run = makeRun(offset: offset)
                try run.parseDigitalLink(data)
                return try run.finish(symbology: symbology, kind: .digitalLink, data: text, digitalLink: true)
            }
            return ScannedCode(symbology: symbology, kind: .plain, data: text, elements: [], warnings: [],
                               currentYear: currentYear())
        default:
            return ScannedCode(symbology: symbology, kind: .plain, data: text, elements: [], warnings: [],
                               currentYear: currentYear())
        }
    }

    /// EAN-13/UPC-A (`]E0`, 13 digits) or EAN-8 (`]E4`), optionally followed by `|]e0` and the
    /// element strings of a composite component.
    private func parseEANUPC(_ data: Bytes, offset: Int, symbology: SymbologyIdentifier, length: Int,
                             text: ScanText) throws(GS1Error) -> ScannedCode {
        let name = length == 13 ? "EAN-13" : "EAN-8"
        guard data.count >= length else {
            throw GS1Error(.invalidLength, "\(name) at character \(offset + 1): has \(data.count) digits, needs \(length)",
                           ai: nil, position: offset)
        }
        let composite: Bytes?
        let marker = 4  // "|]e0"
        if data.count >= length + marker, data[length] == UInt8(ascii: "|"), data[length + 1] == UInt8(ascii: "]"),
           data[length + 2] == UInt8(ascii: "e"), data[length + 3] == UInt8(ascii: "0") {
            composite = data.part((length + marker)..<data.count)
        } else if data.count > length {
            throw GS1Error(.invalidLength, "\(name) at character \(offset + 1): has \(data.count) characters, needs \(length) digits",
                           ai: nil, position: offset)
        } else {
            composite = nil
        }
        let primary = data.part(0..<length)
        if let index = Linter.firstNonDigit(primary) {
            throw GS1Error(.invalidCharacter, "\(name) at character \(offset + index + 1): \"\(Character(Unicode.Scalar(primary[index])))\" is not a digit",
                           ai: nil, position: offset + index)
        }
        var run = makeRun(offset: offset)
        try run.checkPrimaryCheckDigit(primary, what: name, position: offset)
        if let composite {
            try withNormalisedSeparators(composite) { normalised throws(GS1Error) in
                run.offset = offset + length + marker
                try run.parseElementString(normalised, from: 0)
            }
        }
        return try run.finish(symbology: symbology, kind: .gtin, data: text,
                              primaryNumber: String(decoding: primary, as: UTF8.self))
    }

    /// No symbology identifier: decide from the data.
    private func parseUnidentified(_ bytes: Bytes, scan: String) throws(GS1Error) -> ScannedCode {
        let text = ScanText(scan: scan, offset: 0)
        if DigitalLinkSyntax.hasWebScheme(bytes) {
            var run = makeRun()
            try run.parseDigitalLink(bytes)
            return try run.finish(symbology: nil, kind: .digitalLink, data: text, digitalLink: true)
        }
        if Self.startsWithBracketedAI(bytes) {
            var run = makeRun()
            try run.parseBracketed(bytes)
            return try run.finish(symbology: nil, kind: .elementString, data: text)
        }
        if [8, 12, 13, 14].contains(bytes.count), Linter.firstNonDigit(bytes) == nil, Linter.checkDigit(bytes) == nil {
            return ScannedCode(symbology: nil, kind: .gtin, data: text, elements: [], warnings: [],
                               primaryNumber: scan, currentYear: currentYear())
        }
        // Element strings if the data splits into known AIs; rules broken after that are reported
        // (a wrong check digit in (01) is an error, not a reason to call the data plain).
        return try withNormalisedSeparators(bytes) { data throws(GS1Error) in
            // FNC1 in first position sent as a GS (scanners without symbology identifiers may):
            // it says the data is GS1, and is not part of it (it was refused as an unexpected
            // separator; found by a QA run).
            if data.count > 1, storage.strictSettings.separators.contains(data[0]), data[1] >= 0x30, data[1] <= 0x39 {
                var run = makeRun()
                try run.parseElementString(data, from: 1)
                return try run.finish(symbology: nil, kind: .elementString, data: text)
            }
            // First whether it splits into AIs at all (a lenient pass), then the real parse.
            var trial = makeRun(lenient: true)
            do throws(GS1Error) {
                try trial.parseElementString(data, from: 0)
            } catch {
                return ScannedCode(symbology: nil, kind: .plain, data: text, elements: [], warnings: [],
                                   currentYear: currentYear())
            }
            // 8, 12 or 13 digits whose check digit is wrong, read as AIs that name nothing (a
            // company's internal (95)): a mistyped or misread EAN/UPC, told as such.
            if [8, 12, 13].contains(bytes.count), Linter.firstNonDigit(bytes) == nil,
               !trial.items.contains(where: { Self.identifyingAIs.contains($0.ai) }) {
                var check = makeRun()
                try check.checkPrimaryCheckDigit(bytes, what: bytes.count == 13 ? "EAN-13" : bytes.count == 12 ? "UPC-A" : "EAN-8", position: 0)
            }
            if storage.isLenient { return try trial.finish(symbology: nil, kind: .elementString, data: text) }
            var run = makeRun()
            try run.parseElementString(data, from: 0)
            return try run.finish(symbology: nil, kind: .elementString, data: text)
        }
    }

    /// `(` + two to four digits + `)`: typed bracketed data rather than a code that starts with a
    /// bracket. Also `(` + digits with no `)` anywhere (`(0109501101530003`): bracketed data
    /// missing its bracket, which the bracketed parser refuses naming it, where it was read as an
    /// unknown plain code and answered with exit status 0 (found by a QA run).
    private static func startsWithBracketedAI(_ bytes: Bytes) -> Bool {
        guard bytes.count >= 4, bytes[0] == UInt8(ascii: "(") else { return false }
        var index = 1
        while index < bytes.count, index <= 5, isDigit(bytes[index]) { index += 1 }
        if (3...5).contains(index) && index < bytes.count && bytes[index] == UInt8(ascii: ")") { return true }
        return index == 6 && !bytes.contains(UInt8(ascii: ")"))
    }

    // MARK: - Helpers

    func currentYear() -> Int {
        if let today = storage.options.today { return today.year }
        // The year of the parser's creation while the clock is still in it: a day's number is
        // cheap, the calendar year of a day is not (and a service runs across New Year).
        let day = CalendarDate.todaysNumberUTC()
        let year = storage.year
        return year.days.contains(day) ? year.year : CalendarDate(daysSinceEpoch: day).year
    }

    func makeRun(offset: Int = 0, lenient: Bool? = nil) -> ParseRun {
        // Fields of the stored options, not `options` (a copy of them all, their arrays counted).
        let storage = storage
        let context = LintContext(currentYear: currentYear(), companyPrefixLookup: storage.options.companyPrefixLookup)
        let isLenient = lenient ?? storage.isLenient
        return ParseRun(options: isLenient ? storage.lenientSettings : storage.strictSettings,
                        dictionary: storage.dictionary, checker: ValueChecker(context: context, lenient: isLenient), offset: offset)
    }

    /// Calls `body` with `data`, or with a copy in which multi-character GS substitutes became GS.
    func withNormalisedSeparators<R>(_ data: Bytes, _ body: (Bytes) throws(GS1Error) -> R) throws(GS1Error) -> R {
        let storage = storage
        if !storage.hasMultiByteSeparators { return try body(data) }
        let multiByteSeparators = storage.multiByteSeparators
        var output: [UInt8] = []
        output.reserveCapacity(data.count)
        var index = 0
        outer: while index < data.count {
            for separator in multiByteSeparators where index + separator.count <= data.count {
                if data.part(index..<(index + separator.count)).elementsEqual(separator) {
                    output.append(29)
                    index += separator.count
                    continue outer
                }
            }
            output.append(data[index])
            index += 1
        }
        let result: Result<R, GS1Error> = output.withUnsafeBufferPointer { buffer in
            do throws(GS1Error) { return .success(try body(buffer)) } catch { return .failure(error) }
        }
        return try result.get()
    }
}

/// Calls `body` with the UTF-8 bytes of `text` (without copying a native string), keeping the
/// typed error.
func withBytes<R>(_ text: String, _ body: (Bytes) throws(GS1Error) -> R) throws(GS1Error) -> R {
    var copy = text
    let result: Result<R, GS1Error> = copy.withUTF8 { bytes in
        do throws(GS1Error) { return .success(try body(bytes)) } catch { return .failure(error) }
    }
    // Taken apart rather than `get()`, which copied the value out (a retain of each of its
    // references) and then released the result.
    switch consume result {
    case .success(let value): return value
    case .failure(let error): throw error
    }
}

/// A set of byte values, as four words of bits: a value type that costs no reference counting.
struct ByteSet: Sendable {
    private var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    init() {}

    func inserting(_ byte: UInt8) -> ByteSet {
        var copy = self
        copy.insert(byte)
        return copy
    }

    mutating func insert(_ byte: UInt8) {
        let bit = UInt64(1) << UInt64(byte & 63)
        switch byte >> 6 {
        case 0: words.0 |= bit
        case 1: words.1 |= bit
        case 2: words.2 |= bit
        default: words.3 |= bit
        }
    }

    /// Without a branch on the byte (a `switch` here became a jump per byte of every value).
    @inline(__always)
    func contains(_ byte: UInt8) -> Bool {
        let word = withUnsafeBytes(of: words) { $0.load(fromByteOffset: Int(byte >> 6) &* 8, as: UInt64.self) }
        return word & (UInt64(1) << UInt64(byte & 63)) != 0
    }
}
