/// A job as the command line's `--json` and the HTTP API show it: everything but its bytes.
public struct PrintJobSummary: Codable, Sendable, Hashable {
    public var id: Int64
    public var printer: String
    public var state: String
    public var language: String
    public var labels: Int
    public var copies: Int
    public var printedLabels: Int
    public var template: String?
    /// The resolution it was rendered at (absent: raw bytes).
    public var dpi: Int?
    public var reference: String
    public var requestedBy: String
    public var reason: String
    public var attempts: Int
    public var error: String
    public var confirmed: Bool
    public var possiblyDuplicated: Bool
    public var reprintOf: Int64?
    public var createdAt: String
    public var sentAt: String?
    public var finishedAt: String?

    public init(_ job: PrintJob) {
        id = job.id
        printer = job.printer
        state = job.state.rawValue
        language = job.language.rawValue
        labels = job.labelCount
        copies = job.copies
        printedLabels = job.printedLabels
        template = job.template
        dpi = job.dpi
        reference = job.reference
        requestedBy = job.requestedBy
        reason = job.reason
        attempts = job.attempts
        error = job.error
        confirmed = job.confirmed
        possiblyDuplicated = job.possiblyDuplicated
        reprintOf = job.reprintOf
        createdAt = job.createdAt
        sentAt = job.sentAt
        finishedAt = job.finishedAt
    }
}
