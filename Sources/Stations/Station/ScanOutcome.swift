public import Foundation
public import Registry

/// A scan as a station receives it: from a scanner, or from a client that names it with a scan
/// id so that sending it again acts once.
public struct StationScan: Sendable {
    /// The data without symbology identifier.
    public var data: [UInt8]
    public var symbologyIdentifier: String?
    /// The device (`tcp://…`, `usb:…`) or client (`api`) it came from.
    public var device: String
    /// A client's id for the scan: the same id at the same station acts once.
    public var scanID: String?
    public var time: Date
    /// Who sent it, when a client signed in sent it (an API token's name, an operator's
    /// session); else the operator signed in at the station with `TM:OP`.
    public var user: String?
    /// What the scanner is for: an operator's scans, or a production line's verify scanner that
    /// reads each printed label.
    public var purpose: Purpose
    /// The whole length of a scan its device cut because it ran past the longest a scan may be
    /// (the devices' `FramedScan`): refused as such, whatever its start says.
    public var overlongLength: Int?
    /// The scanner a label's parts are kept for (`Station+SplitLabel`), when it is not `device`:
    /// a network scanner that connects to the station is known by its address without the port,
    /// since it may connect anew, from another port, for each scan.
    public var scanner: String?
    /// What the scanner sent, when `data` is a label read from two barcodes (this scan's and the
    /// one before it): the log keeps what came, so that a client's retry matches it.
    var received: (data: [UInt8], symbologyIdentifier: String?)?

    /// Why a scan of `length` bytes is refused.
    public static func overlongMessage(_ length: Int) -> String {
        "the scanner sent \(length) bytes as one scan, more than any barcode holds: it was not read; check the scanner's end-of-scan setting (CR, LF) and that nothing else sends to this port"
    }

    public enum Purpose: String, Sendable, Codable {
        case `operator`
        case verify
    }

    public init(data: [UInt8], symbologyIdentifier: String? = nil, device: String, scanID: String? = nil, time: Date = Date(),
                user: String? = nil, purpose: Purpose = .operator, overlongLength: Int? = nil) {
        self.overlongLength = overlongLength
        self.user = user
        self.purpose = purpose
        self.data = data
        self.symbologyIdentifier = symbologyIdentifier
        self.device = device
        self.scanID = scanID
        self.time = time
    }

    /// What the scanner sent: identifier and data in one string, as the GS1 parser reads it.
    public var transmitted: String { (symbologyIdentifier ?? "") + String(decoding: data, as: UTF8.self) }
}

/// What a station made of one scan: its verdict and why, what it did, and what to do next. The
/// same shape goes to the log, the command line and the HTTP API.
public struct ScanOutcome: Codable, Sendable, Hashable {
    /// `ok`: done as asked. `warn`: done, but look. `block`: nothing was done; the reasons say why.
    public enum Verdict: String, Codable, Sendable, Hashable {
        case ok, warn, block
    }

    /// Why, with a stable code (the resolver's warnings in kebab case, and the workflow's own).
    public struct Reason: Codable, Sendable, Hashable {
        public var code: String
        public var message: String

        public init(_ code: String, _ message: String) {
            self.code = code
            self.message = message
        }
    }

    /// The scan log's row (`nil` when the database could not be reached to write it).
    public var scan: Int64?
    public var station: String
    public var verdict: Verdict
    public var reasons: [Reason]
    /// What the station did: `looked-up`, `added-to-receipt`, `receipt-posted`, `task-cancelled`,
    /// `quantity-set`, `operator-signed-in`, or `none`.
    public var action: String
    /// What the operator does next.
    public var next: String
    /// The document the scan posted, if any.
    public var document: String?
    /// The print jobs it queued.
    public var jobs: [Int64]
    /// What the registry says of the scan (not kept in the log: a replayed answer carries what it
    /// says now).
    public var resolution: Resolution?
    /// True when the scan id had been seen: this is what the first one did, and nothing was done again.
    public var replayed: Bool
    /// A confirmation's own entry in the scan log (``scan`` is the entry it confirms).
    public var confirmation: Int64?

    public init(scan: Int64? = nil, station: String, verdict: Verdict, reasons: [Reason] = [], action: String = "none",
                next: String, document: String? = nil, jobs: [Int64] = [], resolution: Resolution? = nil, replayed: Bool = false) {
        self.scan = scan
        self.station = station
        self.verdict = verdict
        self.reasons = reasons
        self.action = action
        self.next = next
        self.document = document
        self.jobs = jobs
        self.resolution = resolution
        self.replayed = replayed
    }
}
