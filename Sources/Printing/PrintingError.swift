public import Problems
/// What went wrong while configuring a printer, spooling or sending a job.
///
/// Expected printer conditions (paper out, paused, head open) are ``PrinterStatus`` values, not
/// errors: a printer that cannot print refuses a job with ``Code/notReady`` and the status.
public struct PrintingError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is. A struct over a private enum, so that codes can be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case invalidConfiguration, notFound, unreachable, notReady, interrupted, timeout
            case cups, io, invalidState, database, invalidRequest, leaseLost
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A printer's URI, language or setting is malformed.
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// A named printer, queue or job does not exist.
        public static let notFound = Code(.notFound)
        /// The printer could not be reached: nothing was sent, so the job can be sent again.
        public static let unreachable = Code(.unreachable)
        /// The printer answered that it cannot print (``PrintingError/status`` says why): nothing was sent.
        public static let notReady = Code(.notReady)
        /// The connection broke after part of the job went out: the printer may hold some of it.
        public static let interrupted = Code(.interrupted)
        /// The printer stopped taking data (a write or an answer timed out) part-way.
        public static let timeout = Code(.timeout)
        /// CUPS refused or failed a request.
        public static let cups = Code(.cups)
        /// A file could not be read or written.
        public static let io = Code(.io)
        /// The job is not in a state that allows this (retrying a job that is done, say).
        public static let invalidState = Code(.invalidState)
        /// The spool's database failed.
        public static let database = Code(.database)
        /// A print request the spool refuses as it is (no label, too many labels or copies).
        public static let invalidRequest = Code(.invalidRequest)
        /// A printer worker lost its lease to another worker: it stops touching that printer's jobs.
        public static let leaseLost = Code(.leaseLost)

        public var description: String { base.rawValue }
    }

    public let code: Code
    /// One or two sentences: what failed, on which printer or job, and what to do about it.
    public let message: String
    /// The printer's status, when the printer said why it cannot print.
    public let status: PrinterStatus?
    /// The underlying error, when there is one.
    public let cause: (any Error)?

    public init(_ code: Code, _ message: String, status: PrinterStatus? = nil, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.status = status
        self.cause = cause
    }

    /// Whether bytes of the job may have reached the printer, so sending it again could print a
    /// label twice. False for a printer that could not be reached or refused before the first byte.
    public var mayHaveReachedPrinter: Bool {
        code == .interrupted || code == .timeout
    }

    public var description: String { message }
}

extension PrintingError: CodedError {}

extension PrintingError.Code: StatusCarrying {
    /// The HTTP status and the exit status of this code: the one mapping both faces use.
    public var statuses: (http: Int, exit: Int32) {
        switch base {
        case .invalidConfiguration: (422, 64)
        case .notFound: (404, 1)
        case .unreachable: (503, 69)
        case .notReady: (503, 69)
        case .interrupted: (502, 69)
        case .timeout: (504, 69)
        case .cups: (502, 69)
        case .io: (500, 1)
        case .invalidState: (409, 1)
        case .database: (503, 69)
        case .invalidRequest: (422, 1)
        case .leaseLost: (409, 1)
        }
    }
}
