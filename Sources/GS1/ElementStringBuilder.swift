/// Builds the GS1 data for a label (GS1-128, GS1 DataMatrix, GS1 QR) from AIs and values:
/// validates every value and the rules between AIs, puts the AIs of predefined length first so that
/// fewer FNC1 separators are needed, and gives the encoder's forms and the human-readable text.
///
/// ```swift
/// let data = try ElementStringBuilder().build([
///     AIElement(ai: "10", value: "ABC123"), AIElement(ai: "01", value: "09501101530003"),
///     AIElement(ai: "17", value: "270131"),
/// ])
/// data.bracketed  // "(01)09501101530003(17)270131(10)ABC123"
/// data.raw        // "010950110153000317270131" + "10ABC123"
/// ```
public struct ElementStringBuilder: Sendable {
    /// Check that each AI comes with the AIs it requires (e.g. (10) with (01)).
    public var checksRequiredAIs = true
    /// Accept AIs the dictionary does not define.
    public var permitsUnknownAIs = false
    /// The date two-digit years are read against; `nil` for today (UTC).
    public var today: CalendarDate?

    /// A builder with the given checks; the defaults are the strict ones.
    public init(checksRequiredAIs: Bool = true, permitsUnknownAIs: Bool = false, today: CalendarDate? = nil) {
        self.checksRequiredAIs = checksRequiredAIs
        self.permitsUnknownAIs = permitsUnknownAIs
        self.today = today
    }

    /// Validates `elements` and orders them for encoding: AIs of predefined length first, in the
    /// given order, then the others in the given order.
    ///
    /// - Throws: ``GS1Error`` naming the AI and what is wrong, e.g. `AI (01): check digit should be 3, got 4`.
    public func build(_ elements: [AIElement]) throws(GS1Error) -> ElementString {
        guard !elements.isEmpty else { throw GS1Error(.malformed, "no AIs to encode") }
        guard elements.count <= GS1Parser.maximumAIs else {
            throw GS1Error(.malformed, "\(elements.count) AIs; at most \(GS1Parser.maximumAIs) fit in one symbol")
        }
        let context = LintContext(currentYear: (today ?? CalendarDate.todayUTC()).year)
        var checker = ValueChecker(context: context, lenient: false)
        var items: [ParseRun.Item] = []
        for element in elements {
            let entry = try withBytes(element.ai) { ai throws(GS1Error) -> AIEntry in
                guard let entry = AIDictionary.standard.entry(exactly: ai, permitUnknown: permitsUnknownAIs) else {
                    throw GS1Error(.unknownAI, "unknown AI (\(element.ai))", ai: element.ai, position: nil)
                }
                return entry
            }
            try withBytes(element.value) { value throws(GS1Error) in
                try checker.checkWhole(value, entry: entry, position: nil)
            }
            items.append(ParseRun.Item(entry: entry, value: element.value, position: nil, pathOrder: nil))
        }
        try AssociationRules.check(items, dictionary: .standard, checksRequiredAIs: checksRequiredAIs, checker: &checker)
        let fixed = items.filter { $0.entry.hasPredefinedLength }
        let variable = items.filter { !$0.entry.hasPredefinedLength }
        return ElementString(ordered: (fixed + variable).map { AIElement(ai: $0.entry.ai, value: $0.value) })
    }

    /// Checks only the rules between AIs (required and excluded AIs, repeats, signed keys) for
    /// elements whose values are already valid, e.g. the AIs of several barcodes of one label,
    /// each built without ``checksRequiredAIs``: the values are not checked again.
    ///
    /// - Throws: ``GS1Error`` as ``build(_:)`` does for these rules.
    public func checkAssociations(_ elements: [AIElement]) throws(GS1Error) {
        guard !elements.isEmpty else { return }
        var items: [ParseRun.Item] = []
        items.reserveCapacity(elements.count)
        for element in elements {
            let entry = try withBytes(element.ai) { ai throws(GS1Error) -> AIEntry in
                guard let entry = AIDictionary.standard.entry(exactly: ai, permitUnknown: permitsUnknownAIs) else {
                    throw GS1Error(.unknownAI, "unknown AI (\(element.ai))", ai: element.ai, position: nil)
                }
                return entry
            }
            items.append(ParseRun.Item(entry: entry, value: element.value, position: nil, pathOrder: nil))
        }
        var checker = ValueChecker(context: LintContext(currentYear: (today ?? CalendarDate.todayUTC()).year), lenient: false)
        try AssociationRules.check(items, dictionary: .standard, checksRequiredAIs: checksRequiredAIs, checker: &checker)
    }

    /// Builds from `(AI, value)` pairs, e.g. `[("01", "09501101530003"), ("10", "ABC123")]`.
    public func build(_ pairs: [(ai: String, value: String)]) throws(GS1Error) -> ElementString {
        try build(pairs.map { AIElement(ai: $0.ai, value: $0.value) })
    }
}
