/// An error of the GS1 target: what is wrong with a piece of GS1 data, and where.
///
/// In lenient parsing the same values are reported as warnings on the result instead of thrown.
public struct GS1Error: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure this is; new codes can be added without breaking callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case invalidLength, invalidCharacter, invalidCheckDigit, invalidDate, invalidValue
            case unknownAI, malformed, missingRequiredAI, excludedAIs, conflictingValues
            case invalidDigitalLink, unsupported
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The data has a length the key or AI does not allow.
        public static let invalidLength = Code(.invalidLength)
        /// The data contains a character the key or AI does not allow.
        public static let invalidCharacter = Code(.invalidCharacter)
        /// The check digit (or check character pair) does not match the data.
        public static let invalidCheckDigit = Code(.invalidCheckDigit)
        /// A date or time that does not exist (month 13, 30 February, hour 24).
        public static let invalidDate = Code(.invalidDate)
        /// A value that breaks another rule of its AI: an unknown country or currency code, a
        /// malformed coupon, a piece number above the total, a wrong IBAN.
        public static let invalidValue = Code(.invalidValue)
        /// An AI that the GS1 dictionary does not define (or that is not allowed here).
        public static let unknownAI = Code(.unknownAI)
        /// The text is not shaped like the form it claims to be: a missing bracket, no data, a
        /// separator where none may be, too many AIs.
        public static let malformed = Code(.malformed)
        /// An AI appears without an AI it requires, e.g. a lot (10) without a GTIN (01).
        public static let missingRequiredAI = Code(.missingRequiredAI)
        /// Two AIs that must not appear together, e.g. (01) and (02).
        public static let excludedAIs = Code(.excludedAIs)
        /// The same AI appears twice with different values.
        public static let conflictingValues = Code(.conflictingValues)
        /// A GS1 Digital Link URI that breaks the Digital Link rules: scheme, domain, characters,
        /// no primary key, qualifiers out of order, an attribute that belongs in the path.
        public static let invalidDigitalLink = Code(.invalidDigitalLink)
        /// Something this package deliberately does not handle, e.g. compressed Digital Link URIs.
        public static let unsupported = Code(.unsupported)

        public var description: String { "\(base)" }
    }

    /// What kind of failure this is.
    public let code: Code
    /// A sentence that says what is wrong, naming the AI and, for scanned data, where it is.
    public let message: String
    /// The AI concerned, e.g. `17`, when the error is about one AI.
    public let ai: String?
    /// The 0-based position in the parsed text of the AI (or of the character) concerned: of
    /// its first digit in raw data, of its `(` in the bracketed form. Messages count characters
    /// from 1 (`AI (17) at character 20`), as a person reading the text does.
    public let position: Int?
    /// The GS1 Barcode Syntax Test that failed, when one did (for comparison with the reference).
    let lintError: LintError?
    /// The reference's markup of a failed test: `(AI)before|error|after` within the component.
    let markup: String?

    /// An error with a message and nothing else known.
    public init(_ code: Code, _ message: String) {
        self.init(code, message, ai: nil, position: nil)
    }

    /// An error about an AI and where it is.
    public init(_ code: Code, _ message: String, ai: String?, position: Int?) {
        self.code = code
        self.message = message
        self.ai = ai
        self.position = position
        self.lintError = nil
        self.markup = nil
    }

    init(_ code: Code, _ message: String, ai: String?, position: Int?, lintError: LintError?, markup: String? = nil) {
        self.code = code
        self.message = message
        self.ai = ai
        self.position = position
        self.lintError = lintError
        self.markup = markup
    }

    /// `AI (17) at character 20: detail` (counted from 1), or `AI (17): detail` when there is no position.
    static func about(_ ai: String, at position: Int?, _ code: Code, _ detail: String, lint: LintError? = nil,
                      markup: String? = nil) -> GS1Error {
        let place = position.map { "AI (\(ai)) at character \($0 + 1)" } ?? "AI (\(ai))"
        return GS1Error(code, "\(place): \(detail)", ai: ai, position: position, lintError: lint, markup: markup)
    }

    public var description: String { message }

    /// Equal when code, message, AI and position are (the reference's details are not compared).
    public static func == (lhs: GS1Error, rhs: GS1Error) -> Bool {
        lhs.code == rhs.code && lhs.message == rhs.message && lhs.ai == rhs.ai && lhs.position == rhs.position
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
        hasher.combine(message)
        hasher.combine(ai)
        hasher.combine(position)
    }
}
