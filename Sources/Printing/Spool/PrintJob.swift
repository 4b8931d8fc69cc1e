public import Foundation

/// Where a job is in its life.
///
/// ```
/// queued ─→ sending ─→ printing ─→ done
///   ↑          │            │
///   └─ failed ←┘ (retry     └─→ failed / held
///   (backoff)     with backoff; after the printer's max attempts: held, for an operator)
/// held ─→ queued (retry) │ cancelled │ queued on another printer (move)
/// ```
public enum JobState: String, Sendable, Codable, CaseIterable {
    /// Waiting for its printer (also while the printer cannot print: the printer's state says why).
    case queued
    /// Bytes are going to the printer. A job found in this state after a crash is in doubt.
    case sending
    /// Delivered whole; following the printer until it reports the labels printed.
    case printing
    /// Printed, as far as the printer can tell (or delivered, where it cannot tell: see ``PrintJob/confirmed``).
    case done
    /// A send failed; retried at ``PrintJob/nextAttemptAt``.
    case failed
    /// Failed too often, or given up by the printer: waits for an operator (retry, cancel, move).
    case held
    /// Cancelled by an operator.
    case cancelled

    /// States the worker will still act on.
    public static let unfinished: [JobState] = [.queued, .sending, .printing, .failed]

    /// Whether an operator may retry or move a job in this state.
    public var canRetry: Bool { self == .held || self == .failed || self == .cancelled }
    /// Queued too: a job no worker has in hand goes to another printer as well as a stopped one.
    public var canMove: Bool { canRetry || self == .queued }
    public var canCancel: Bool { self == .queued || self == .failed || self == .held || self == .printing }
}

/// One spooled job: the bytes for one printer, who asked and why, and how far it got.
public struct PrintJob: Sendable, Equatable {
    public var id: Int64
    public var printer: String
    public var state: JobState
    public var language: PrinterLanguage
    public var payload: Data
    /// Labels the payload prints (formats × copies).
    public var labelCount: Int
    public var copies: Int
    /// The template and data it was rendered from, when it was rendered from one.
    public var template: String?
    public var data: String?
    public var requestedBy: String
    public var reason: String
    /// What the labels are for: a serial number, a production run, a document.
    public var reference: String
    public var attempts: Int
    public var nextAttemptAt: String?
    /// The last error, or why the job waits.
    public var error: String
    /// Labels of this job printed: all of them once it is done; before that (or cancelled), those
    /// the printer reported printed before a delivery was interrupted.
    public var printedLabels: Int
    /// Sent again after a crash or a broken connection where the printer could not tell what it
    /// had printed: a label may exist twice. An operator should check.
    public var possiblyDuplicated: Bool
    public var reprintOf: Int64?
    public var createdAt: String
    public var sentAt: String?
    public var finishedAt: String?
    /// Whether the printer confirmed the labels printed (false: delivered, the printer cannot tell).
    public var confirmed: Bool
    /// The resolution its label was rendered at, when Tracemark rendered it.
    public var dpi: Int? = nil
    /// The batch it was claimed in (the first job's id), while it is being sent.
    var batch: Int64? = nil
}

/// What to print: the rendered bytes and the facts kept with them.
public struct PrintRequest: Sendable {
    /// The most labels one job may print, and the most copies it may ask for: ZPL's `^PQ` counts
    /// to 99,999,999, and no printer can be asked for more in one go.
    public static let maximumLabels = 99_999_999

    public var printer: String
    public var payload: Data
    public var language: PrinterLanguage
    public var copies: Int
    public var template: String?
    public var data: String?
    public var requestedBy: String
    public var reason: String
    public var reference: String
    /// The printer resolution the payload was rendered at (nil: raw bytes, whose resolution is
    /// not known). The spool refuses, and holds, a job whose printer prints at another.
    public var dpi: Int?

    public init(printer: String, payload: Data, language: PrinterLanguage, copies: Int = 1, template: String? = nil,
                data: String? = nil, requestedBy: String, reason: String, reference: String = "", dpi: Int? = nil) {
        self.printer = printer
        self.payload = payload
        self.language = language
        self.copies = copies
        self.template = template
        self.data = data
        self.requestedBy = requestedBy
        self.reason = reason
        self.reference = reference
        self.dpi = dpi
    }
}
