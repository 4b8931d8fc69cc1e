public import Foundation

/// The bytes of one or more spooled jobs, sent to a printer as one unit.
public struct PrintPayload: Sendable, Equatable {
    /// The spool's job ids, in the order their bytes appear.
    public var jobIDs: [Int64]
    /// What goes to the printer, whole.
    public var bytes: Data
    public var language: PrinterLanguage
    /// How many labels these bytes print (formats × copies), so that a printer's label counter can
    /// tell how many of them came out.
    public var labelCount: Int
    /// The copies a CUPS job asks for: PNG jobs' only (ZPL and EPL carry theirs in the bytes, and
    /// are asked for once).
    public var copies: Int
    /// A name for the job, seen in CUPS (`tracemark-job-ID`).
    public var title: String

    public init(jobIDs: [Int64], bytes: Data, language: PrinterLanguage, labelCount: Int, copies: Int = 1,
                title: String? = nil) {
        self.jobIDs = jobIDs
        self.bytes = bytes
        self.language = language
        self.labelCount = labelCount
        self.copies = copies
        self.title = title ?? "tracemark-job-\(jobIDs.first.map(String.init) ?? "0")"
    }
}

/// What a transport knows of a payload it sent, kept by the spool so that the job can be followed
/// (and its fate asked about after a crash).
public struct Delivery: Sendable, Equatable, Codable {
    /// The printer's label counter just before the first byte went out, where it has one.
    public var labelCounterBefore: Int?
    /// The CUPS job that carries the payload.
    public var cupsJobID: Int?
    /// `false` when a ZPL printer never answered the `~HS` sent after the payload on its
    /// connection, so that it may still be reading the payload: its counter not having moved
    /// then says nothing about what will print. `nil`: not asked (or recorded before sending).
    public var receiptConfirmed: Bool?

    public init(labelCounterBefore: Int? = nil, cupsJobID: Int? = nil, receiptConfirmed: Bool? = nil) {
        self.labelCounterBefore = labelCounterBefore
        self.cupsJobID = cupsJobID
        self.receiptConfirmed = receiptConfirmed
    }
}

/// How far a delivered payload got, as the printer tells it.
public enum PrintProgress: Sendable, Equatable {
    /// Printed, as far as the printer can tell (ZPL: buffer empty and no labels remaining; CUPS:
    /// job completed).
    case printed
    /// The printer or queue gave the job up (CUPS: aborted or cancelled), with its reason.
    case failed(String)
    /// Still in the printer when following timed out, or stopped by a condition (paper out): the
    /// printer holds the job and will print it once the condition is cleared.
    case waiting(PrinterStatus)
    /// The printer cannot tell (EPL, or no answer): delivered, not confirmed.
    case unconfirmed(String)
}

/// What the printer can say about a payload whose delivery is in doubt (the process died while
/// sending it, or the connection broke part-way).
public enum DoubtAnswer: Sendable, Equatable {
    /// The printer has nothing left of it in its buffer, and printed this many of its labels.
    case printed(labels: Int)
    /// The printer or queue holds the whole payload: follow this delivery instead of resending.
    case held(Delivery)
    /// The printer cannot tell how much of it printed.
    case unknown(String)
    /// An operator cancelled it at the printer or queue (CUPS: `cancel`, the web interface):
    /// their decision, so it is cancelled here too and not sent again.
    case cancelledThere(String)
    /// The printer could tell but cannot answer now (off, unreachable, paused with formats in
    /// its buffer, or the asking was cancelled): the jobs stay in doubt, nothing is sent, and it
    /// is asked again later. Sending again now would print twice what it already printed.
    case askLater(String)
}

/// A way to reach one printer: raw TCP, CUPS or a folder.
///
/// A transport sends one payload at a time; the spool's worker for the printer makes sure of that.
/// It never retries on its own: the spool decides, because only the spool knows whether a retry
/// could print a label twice.
public protocol PrinterTransport: Sendable {
    var printer: PrinterConfig { get }
    /// How many spooled jobs may share one payload (1 for CUPS, whose jobs are followed one by one).
    var batchLimit: Int { get }
    /// The printer's status now. Never throws: an unreachable printer is ``PrinterStatus/offline(_:)``.
    func status() async -> PrinterStatus
    /// Sends the payload whole, once.
    ///
    /// Asks first whether the printer can print, and refuses with ``PrintingError/Code/notReady``
    /// (nothing sent) when it cannot. Throws ``PrintingError/Code/unreachable`` when nothing was
    /// sent, and ``PrintingError/Code/interrupted`` or ``PrintingError/Code/timeout`` when part of
    /// it may have reached the printer. `prepared` runs with the delivery's facts known before the
    /// first byte goes out (the label counter), so that the spool records them durably first.
    func send(_ payload: PrintPayload, prepared: @Sendable (Delivery) async throws -> Void) async throws -> Delivery
    /// After ``send(_:prepared:)``: waits until the printer reports the payload printed or given up,
    /// or until `timeout`.
    func follow(_ payload: PrintPayload, _ delivery: Delivery, timeout: Duration) async -> PrintProgress
    /// For a payload whose delivery is in doubt: how much of it the printer printed or holds.
    /// `delivery` is what was recorded before sending (nil if the process died before that).
    func inquire(about payload: PrintPayload, delivery: Delivery?) async -> DoubtAnswer
    /// Cancels a delivered payload where the printer can (CUPS); elsewhere does nothing.
    func cancel(_ delivery: Delivery) async throws
    /// Closes any open connection.
    func close() async
}

extension PrinterTransport {
    public var batchLimit: Int { 500 }
    public func cancel(_ delivery: Delivery) async throws {}
    public func close() async {}
}
