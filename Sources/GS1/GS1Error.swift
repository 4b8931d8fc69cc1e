/// An error of the GS1 target: what is wrong with a piece of GS1 data, and where.
public struct GS1Error: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure this is; new codes can be added without breaking callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case invalidLength, invalidCharacter, invalidCheckDigit
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The data has a length the key does not allow.
        public static let invalidLength = Code(.invalidLength)
        /// The data contains a character the key does not allow.
        public static let invalidCharacter = Code(.invalidCharacter)
        /// The check digit does not match the data.
        public static let invalidCheckDigit = Code(.invalidCheckDigit)

        public var description: String { "\(base)" }
    }

    public let code: Code
    /// A sentence that says what is wrong, naming the value.
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
