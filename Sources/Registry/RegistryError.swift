public import Problems
/// An error of the registry: what failed, on which product, lot, serial or series, and what to do.
///
/// Expected outcomes (a lot that is not found by a look-up, say) are values, not errors; errors are
/// for operations that were refused, and a refused operation has written nothing.
public struct RegistryError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is. A struct over a private enum, so that codes can be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case invalidInput, notFound, duplicate, conflict, recalled, counterExhausted, numberRetired
            case databaseLocked, database, unsupportedDatabase
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A value given by the user is malformed (a GTIN, a number format, a count).
        public static let invalidInput = Code(.invalidInput)
        /// A named thing (product, class, series, warehouse, lot, serial) does not exist.
        public static let notFound = Code(.notFound)
        /// Something with the same identity exists already (article number, serial number).
        public static let duplicate = Code(.duplicate)
        /// The change contradicts what the registry holds (stock, issued numbers, a collision).
        public static let conflict = Code(.conflict)
        /// The lot or serial is affected by a recall that is not closed: it must not move.
        public static let recalled = Code(.recalled)
        /// A counter has run past what its number format or range can hold.
        public static let counterExhausted = Code(.counterExhausted)
        /// A number was voided or deleted before and can never be used again.
        public static let numberRetired = Code(.numberRetired)
        /// Another process holds the database's write lock for longer than the busy timeout.
        public static let databaseLocked = Code(.databaseLocked)
        /// The database failed or could not be reached.
        public static let database = Code(.database)
        /// The `--db` value names no database Tracemark can open.
        public static let unsupportedDatabase = Code(.unsupportedDatabase)

        public var description: String { base.rawValue }
    }

    public let code: Code
    /// One or two sentences: what failed, where, and what to do about it.
    public let message: String
    /// The underlying error, when there is one (a driver error, say).
    public let cause: (any Error)?
    /// The document line the refusal is about (counted from 0, a production's inputs first), when
    /// the posting knew it: a file's row or a request's `lines[i]` is then named from it, not
    /// guessed from the product the message names (which picked the product's first line).
    public private(set) var line: Int?
    /// A shortage of a lot the registry itself chose for a line (an issue's proposal), which
    /// another transaction took first (PostgreSQL, where postings run side by side): the posting
    /// is run again, proposing anew (``Registry/postRetrying(_:)``). Six parallel issues of 30
    /// one-litre lots refused a third of themselves with "take another lot" though the user had
    /// named none (found by a QA run).
    var allocationRaced = false

    public init(_ code: Code, _ message: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    /// This refusal, about document line `index` unless it names a line already.
    func onLine(_ index: Int) -> RegistryError {
        var error = self
        if error.line == nil { error.line = index }
        return error
    }

    public var description: String {
        guard let cause else { return message }
        return "\(message) (\(String(describing: cause)))"
    }
}

extension RegistryError: CodedError {}

extension RegistryError.Code: StatusCarrying {
    /// The HTTP status and the exit status of this code: the one mapping both faces use.
    public var statuses: (http: Int, exit: Int32) {
        switch base {
        case .invalidInput: (422, 1)
        case .notFound: (404, 1)
        case .duplicate: (409, 1)
        case .conflict: (409, 1)
        case .recalled: (409, 1)
        case .counterExhausted: (409, 1)
        case .numberRetired: (409, 1)
        case .databaseLocked: (503, 69)
        case .database: (503, 69)
        case .unsupportedDatabase: (500, 69)
        }
    }
}
