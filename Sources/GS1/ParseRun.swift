/// One parse in progress: the AIs found so far, the warnings of a lenient parse, and where in the
/// scan the current data starts (for positions in messages).
struct ParseRun {
    /// An AI found in the data.
    struct Item {
        /// Not counted: entries of a dictionary live as long as it, and a parse holds its
        /// dictionary. A stand-in for an unknown AI is made for the parse, so ``standIn`` keeps it.
        /// (An `unowned(unsafe)` field would be counted at every read of it.)
        private let uncounted: Unmanaged<AIEntry>
        private let standIn: AIEntry?

        /// The entry, counted as it is read: for messages and the rarer paths.
        var entry: AIEntry { uncounted.takeUnretainedValue() }

        /// The AI as text, read without counting the entry.
        var ai: String { uncounted._withUnsafeGuaranteedRef { $0.ai } }
        let value: String
        /// Position of the AI in the scanned text.
        let position: Int?
        /// Place in a Digital Link path (0 for the primary key), `nil` for other AIs.
        var pathOrder: Int?
        /// The entry's ``AIEntry/code``, kept here so the checks between AIs read no entry.
        let code: UInt32

        init(entry: AIEntry, value: String, position: Int?, pathOrder: Int? = nil) {
            self.uncounted = Unmanaged.passUnretained(entry)
            self.standIn = entry.isUnknown ? entry : nil
            self.value = value
            self.position = position
            self.pathOrder = pathOrder
            self.code = entry.code
        }
    }

    /// The parser's settings, copied into plain values so the hot loops touch no reference counts.
    struct Settings {
        var isLenient: Bool
        var permitsUnknownAIs: Bool
        var checksRequiredAIs: Bool
        var permitsUnknownAIsInDigitalLinkQueries: Bool
        var permitsConvenienceAlphas: Bool
        var permitsZeroSuppressedGTINs: Bool
        var ignoresUnknownQueryParameters: Bool
        var separators: ByteSet
        /// The separators and `^`: where an element string's value ends, or goes wrong.
        var valueStops: ByteSet
    }

    let options: Settings
    let dictionary: AIDictionary
    var checker: ValueChecker
    /// Added to positions within the data handed to a parse function.
    var offset: Int
    var items: [Item] = []

    init(options: Settings, dictionary: AIDictionary, checker: ValueChecker, offset: Int) {
        self.options = options
        self.dictionary = dictionary
        self.checker = checker
        self.offset = offset
        items.reserveCapacity(8)
    }

    @inline(__always)
    func isSeparator(_ byte: UInt8) -> Bool { options.separators.contains(byte) }

    mutating func append(_ item: Item) throws(GS1Error) {
        guard items.count < GS1Parser.maximumAIs else {
            throw GS1Error(.malformed, "more than \(GS1Parser.maximumAIs) AIs at character \((item.position ?? 0) + 1)",
                           ai: item.entry.ai, position: item.position)
        }
        items.append(item)
    }

    // MARK: - Element strings

    /// Unbracketed element strings from `start`: each AI is found by its prefix, values of
    /// predefined length end by length, others at a separator (GS or a configured substitute).
    mutating func parseElementString(_ data: Bytes, from start: Int) throws(GS1Error) {
        var p = start
        let end = data.count
        let found = items.count
        guard p < end else { throw GS1Error(.malformed, "there are no AIs after the symbology identifier", ai: nil, position: offset + p) }
        while p < end {
            // A dictionary's entry is lent to the element, not counted (the dictionary outlives
            // the parse); a stand-in for an unknown AI, made now, is kept alive by its item.
            if let known = dictionary.knownEntry(atStartOf: data.part(p..<end)) {
                let start = p
                let next: Result<Int, GS1Error> = known._withUnsafeGuaranteedRef { entry in
                    do throws(GS1Error) { return .success(try element(entry, data, at: start)) } catch { return .failure(error) }
                }
                p = try next.get()
            } else if options.permitsUnknownAIs,
                      let standIn = dictionary.standIn(atStartOf: data.part(p..<end)) {
                p = try element(standIn, data, at: p)
            } else {
                if isSeparator(data[p]), options.isLenient {
                    // An empty field (two separators in a row, or a leading one): legacy printers do this.
                    try checker.breach(GS1Error(.malformed, "empty field at character \(offset + p + 1)", ai: nil, position: offset + p))
                    p += 1
                    continue
                }
                throw unknownAI(data, at: p)
            }
        }
        guard items.count > found else { throw GS1Error(.malformed, "there are no AIs, only separators", ai: nil, position: offset + start) }
    }

    /// The element of `entry`'s AI at `aiPosition` of an element string: its value checked and
    /// appended as an item. Returns where the next AI starts.
    private mutating func element(_ entry: AIEntry, _ data: Bytes, at aiPosition: Int) throws(GS1Error) -> Int {
        let end = data.count
        var p = aiPosition + entry.aiBytes.count
        // A value of predefined length ends there (the next AI follows without a separator);
        // any other at the next separator.
        let limit = entry.hasPredefinedLength ? min(end, p + entry.maximumLength) : end
        var r = p
        while r < limit, !options.valueStops.contains(data[r]) { r += 1 }
        if r < limit, data[r] == UInt8(ascii: "^"), !isSeparator(data[r]) {
            throw GS1Error.about(entry.ai, at: offset + aiPosition, .invalidCharacter,
                                 "\"^\" at character \(offset + r + 1) is not allowed (is the scanner sending ^ for GS?)")
        }
        let consumed = try checker.check(data.part(p..<r), entry: entry, position: offset + aiPosition)
        try append(Item(entry: entry, value: String(decoding: data.part(p..<(p + consumed)), as: UTF8.self),
                        position: offset + aiPosition))
        p += consumed
        if entry.needsSeparator, p < end, !isSeparator(data[p]) {
            throw GS1Error.about(entry.ai, at: offset + aiPosition, .invalidLength,
                                 "value is longer than \(entry.format) allows, or a separator is missing at character \(offset + p + 1)")
        }
        if p < end, isSeparator(data[p]) { p += 1 }
        return p
    }

    private func unknownAI(_ data: Bytes, at p: Int) -> GS1Error {
        var digits = 0
        while digits < 4, p + digits < data.count, isDigit(data[p + digits]) { digits += 1 }
        let position = offset + p
        if digits >= 2 {
            let prefix = data.twoDigitValue(at: p)
            let length = dictionary.aiLength(prefix: prefix) ?? 2
            let ai = String(decoding: data.part(p..<(p + min(length, digits))), as: UTF8.self)
            return GS1Error(.unknownAI, "unknown AI (\(ai)) at character \(position + 1)", ai: ai, position: position)
        }
        if isSeparator(data[p]) {
            return GS1Error(.malformed, "unexpected separator at character \(position + 1)", ai: nil, position: position)
        }
        let shown = String(decoding: data.part(p..<min(data.count, p + 4)), as: UTF8.self)
        return GS1Error(.unknownAI, "no AI at character \(position + 1) (\"\(shown)\" does not start with one)", ai: nil, position: position)
    }

    // MARK: - Bracketed

    /// `(AI)value(AI)value…`; `\(` is a bracket inside a value; `|` before `(` separates a
    /// composite component (as in the GS1 Syntax Engine).
    mutating func parseBracketed(_ data: Bytes) throws(GS1Error) {
        let end = data.count
        guard end > 0 else { throw GS1Error(.malformed, "there are no AIs", ai: nil, position: offset) }
        var p = 0
        var pending: [(entry: AIEntry, value: [UInt8], position: Int)] = []
        while p < end {
            guard data[p] == UInt8(ascii: "(") else {
                throw GS1Error(.malformed, "expected \"(\" at character \(offset + p + 1)", ai: nil, position: offset + p)
            }
            p += 1
            guard let close = data.part(p..<end).firstIndex(of: UInt8(ascii: ")")).map({ $0 + p }) else {
                throw GS1Error(.malformed, "the AI at character \(offset + p) has no closing \")\"", ai: nil, position: offset + p - 1)
            }
            let aiBytes = data.part(p..<close)
            guard let entry = dictionary.entry(exactly: aiBytes, permitUnknown: options.permitsUnknownAIs) else {
                let ai = String(decoding: aiBytes, as: UTF8.self)
                throw GS1Error(.unknownAI, "unknown AI (\(ai)) at character \(offset + p)", ai: ai, position: offset + p - 1)
            }
            // Where the AI's "(" is: what a reader of the bracketed text counts to.
            let aiPosition = p - 1
            var value: [UInt8] = []
            var r = close + 1
            while r < end {
                let byte = data[r]
                if byte == UInt8(ascii: "(") {
                    if value.last == UInt8(ascii: "\\") { value[value.count - 1] = byte; r += 1; continue }
                    break
                }
                if byte == UInt8(ascii: "|"), r + 1 < end, data[r + 1] == UInt8(ascii: "(") { break }
                value.append(byte)
                r += 1
            }
            // A space before the next AI (typed `(01)… (10)…`) is named where it is, not counted
            // into the value's length ("AI (01) has 15 characters"; found by a QA run).
            // Lenient reading drops the spaces, with the warning.
            if r < end, value.last == UInt8(ascii: " ") {
                let spaces = value.reversed().prefix { $0 == UInt8(ascii: " ") }.count
                try checker.breach(GS1Error(.invalidCharacter,
                    "a space at character \(offset + r - spaces + 1), before the next AI: bracketed data has no spaces between its AIs",
                    ai: entry.ai, position: offset + r - spaces))
                value.removeLast(spaces)
            }
            try value.withUnsafeBufferPointer { buffer throws(GS1Error) in
                try checker.checkLength(buffer, entry: entry, position: offset + aiPosition)
            }
            pending.append((entry, value, offset + aiPosition))
            p = r
            if p < end, data[p] == UInt8(ascii: "|") { p += 1 }
        }
        for (entry, value, position) in pending {
            try value.withUnsafeBufferPointer { buffer throws(GS1Error) in
                try checker.checkWhole(buffer, entry: entry, position: position)
            }
            try append(Item(entry: entry, value: String(decoding: value, as: UTF8.self), position: position))
        }
    }

    // MARK: - EAN/UPC/ITF

    mutating func checkPrimaryCheckDigit(_ digits: Bytes, what: String, position: Int) throws(GS1Error) {
        guard Linter.checkDigit(digits) != nil else { return }
        let expected = Linter.expectedCheckDigit(digits)
        let got = Character(Unicode.Scalar(digits[digits.count - 1]))
        try checker.breach(GS1Error(.invalidCheckDigit, "\(what) at character \(position + 1): check digit should be \(expected), got \(got)",
                                    ai: nil, position: position))
    }

    // MARK: - Result

    /// Checks the associations between the AIs and builds the result.
    mutating func finish(symbology: SymbologyIdentifier?, kind: ScannedCode.Kind, data: ScanText,
                         primaryNumber: String? = nil, digitalLink: Bool = false) throws(GS1Error) -> ScannedCode {
        var checked = items
        if kind == .gtin, !items.isEmpty, let primaryNumber, let entry = dictionary["01"] {
            // A composite component's AIs go with the EAN/UPC's GTIN, which stands for (01).
            let gtin14 = String(repeating: "0", count: max(0, 14 - primaryNumber.utf8.count)) + primaryNumber
            checked.insert(Item(entry: entry, value: gtin14, position: nil), at: 0)
        }
        try AssociationRules.check(checked, dictionary: dictionary, checksRequiredAIs: options.checksRequiredAIs, checker: &checker)
        return ScannedCode(symbology: symbology, kind: kind, data: data,
                           elements: items.map { AIElement(ai: $0.ai, value: $0.value) },
                           warnings: checker.warnings, primaryNumber: primaryNumber,
                           currentYear: checker.context.currentYear)
    }
}
