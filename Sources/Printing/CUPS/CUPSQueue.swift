/// A CUPS queue as the server describes it (CUPS-Get-Printers / Get-Printer-Attributes).
public struct CUPSQueue: Sendable, Equatable, Codable {
    /// `printer-state`.
    public enum State: String, Sendable, Codable {
        case idle, processing, stopped
    }

    public var name: String
    public var state: State
    /// `printer-is-accepting-jobs`: false after `cupsreject`.
    public var isAcceptingJobs: Bool
    /// `printer-state-reasons` without `none`, e.g. `media-empty-error`, `paused`, `offline-report`.
    public var reasons: [String]
    /// `printer-state-message`: what the backend or an operator last said.
    public var message: String
    /// `device-uri`, e.g. `socket://10.0.0.5:9100/`.
    public var deviceURI: String?
    /// `printer-make-and-model`, e.g. `Zebra ZPL Label Printer` (a raw queue has none, or `Local Raw Printer`).
    public var makeAndModel: String?
    /// Jobs waiting or printing on the queue.
    public var queuedJobs: Int

    public init(name: String, state: State, isAcceptingJobs: Bool, reasons: [String] = [], message: String = "",
                deviceURI: String? = nil, makeAndModel: String? = nil, queuedJobs: Int = 0) {
        self.name = name
        self.state = state
        self.isAcceptingJobs = isAcceptingJobs
        self.reasons = reasons
        self.message = message
        self.deviceURI = deviceURI
        self.makeAndModel = makeAndModel
        self.queuedJobs = queuedJobs
    }

    /// The queue's state as a printer status.
    ///
    /// A stopped queue (`cupsdisable`, or the backend stopped it after an error) is
    /// ``PrinterStatus/Condition/queueStopped``, one that rejects jobs (`cupsreject`)
    /// ``PrinterStatus/Condition/queueRejecting``. State reasons map
    /// by their keyword, whatever their `-error` / `-report` suffix: `media-empty`, `media-needed`
    /// → paper out; `marker-supply-empty` (the ribbon) → ribbon out; `cover-open`, `door-open` →
    /// head open; `paused` → paused (so a disabled queue is both stopped and paused); `offline`
    /// (the backend could not reach the printer) → offline. Other `-error` reasons are
    /// ``PrinterStatus/Condition/other``; `-warning` and other `-report` reasons change nothing.
    public var status: PrinterStatus {
        var conditions: Set<PrinterStatus.Condition> = []
        if state == .stopped { conditions.insert(.queueStopped) }
        if !isAcceptingJobs { conditions.insert(.queueRejecting) }
        for reason in reasons {
            let keyword = Self.keyword(reason)
            switch keyword {
            case "media-empty", "media-needed": conditions.insert(.paperOut)
            case "marker-supply-empty": conditions.insert(.ribbonOut)
            case "cover-open", "door-open": conditions.insert(.headOpen)
            case "paused": conditions.insert(.paused)
            case "offline": conditions.insert(.offline)
            default: if reason.hasSuffix("-error") { conditions.insert(.other) }
            }
        }
        var words = ["queue \(name) \(state.rawValue)" + (state == .stopped ? " (cupsenable \(name) starts it)" : ""),
                     isAcceptingJobs ? "accepting jobs" : "rejecting jobs (cupsaccept \(name) takes them again)"]
        if !reasons.isEmpty { words.append("reasons: " + reasons.joined(separator: " ")) }
        if !message.isEmpty { words.append("\"\(message)\"") }
        return PrinterStatus(conditions: conditions, formatsInBuffer: queuedJobs, answered: true,
                             message: words.joined(separator: ", "))
    }

    /// `media-empty-error` → `media-empty`.
    static func keyword(_ reason: String) -> String {
        for suffix in ["-error", "-warning", "-report"] where reason.hasSuffix(suffix) {
            return String(reason.dropLast(suffix.count))
        }
        return reason
    }
}
