public import Problems
/// What went wrong reaching or using the database, before any rule of the registry or the spool
/// was asked: the file or server cannot be reached, the database is locked, the location is not
/// one Tracemark reads.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is. A struct over a private enum, so that codes can be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case locked, unavailable, unsupported, closed
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// Another process holds the write lock longer than the busy timeout: nothing was written, try again.
        public static let locked = Code(.locked)
        /// The database cannot be opened, reached or written (a missing folder, a server that is down, permissions).
        public static let unavailable = Code(.unavailable)
        /// The location names a database Tracemark does not read (`mysql://…`), or is malformed.
        public static let unsupported = Code(.unsupported)
        /// The store was closed while the operation waited for a connection.
        public static let closed = Code(.closed)

        public var description: String { base.rawValue }
    }

    public let code: Code
    /// What failed, on which database (never with a password), and what to do.
    public let message: String
    public let cause: (any Error)?

    public init(_ code: Code, _ message: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String { message }
}

extension StoreError: CodedError {}

extension StoreError.Code: StatusCarrying {
    /// The HTTP status and the exit status of this code: the one mapping both faces use.
    public var statuses: (http: Int, exit: Int32) {
        switch base {
        case .locked: (503, 69)
        case .unavailable: (503, 69)
        case .unsupported: (500, 69)
        case .closed: (503, 69)
        }
    }
}
