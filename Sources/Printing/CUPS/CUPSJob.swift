/// A CUPS job as the server describes it (Get-Job-Attributes / Get-Jobs).
public struct CUPSJob: Sendable, Equatable, Codable {
    /// `job-state`.
    public enum State: String, Sendable, Codable {
        case pending, held, processing, stopped, cancelled, aborted, completed

        /// Whether the job is over (CUPS will do nothing more with it).
        public var isFinished: Bool {
            self == .cancelled || self == .aborted || self == .completed
        }
    }

    public var id: Int
    /// The queue, from `job-printer-uri`.
    public var queue: String?
    /// `job-name`: Tracemark titles its jobs `tracemark-job-ID`.
    public var title: String
    public var state: State
    /// `job-state-reasons` without `none`, e.g. `job-hold-until-specified`, `job-canceled-by-user`.
    public var reasons: [String]
    /// `job-printer-state-message`: what the filter or backend last said about it.
    public var message: String
    /// Whether CUPS ever started processing it (`time-at-processing` is set): a job cancelled or
    /// aborted before that sent nothing to the printer.
    public var reachedPrinter: Bool
    /// `number-of-documents`: 0 for a job created but never given its document.
    public var documents: Int

    public init(id: Int, queue: String? = nil, title: String, state: State, reasons: [String] = [], message: String = "",
                reachedPrinter: Bool = false, documents: Int = 1) {
        self.id = id
        self.queue = queue
        self.title = title
        self.state = state
        self.reasons = reasons
        self.message = message
        self.reachedPrinter = reachedPrinter
        self.documents = documents
    }

    /// `job 12 aborted (job-aborted-by-system): "Unable to connect"`.
    public var summary: String {
        var text = "job \(id) \(state.rawValue)"
        if !reasons.isEmpty { text += " (\(reasons.joined(separator: " ")))" }
        if !message.isEmpty { text += ": \"\(message)\"" }
        return text
    }
}
