/// Decides, one status answer at a time, whether a ZPL payload sent over raw TCP has printed.
///
/// Raw TCP gives no acknowledgement and no job id, so "printed" is inferred: the printer answers
/// `~HS` with no formats in its buffer and no labels remaining and, when its label counter is known
/// before and now, the counter moved by the payload's labels. Silence is never "printed": a ZPL
/// printer does not answer while its media or ribbon is out or its head is open.
struct PrintFollower {
    /// What to do after a status answer.
    enum Action: Equatable {
        /// Ask again after this many seconds.
        case poll(after: Double)
        case finish(PrintProgress)
    }

    let labelCount: Int
    let counterBefore: Int?
    /// Monotonic seconds when following gives up.
    let deadline: Double
    /// How long an idle printer whose counter has not moved enough is given before the labels are
    /// taken as lost (a counter may lag the buffer by a moment).
    var counterGrace: Double = 2
    private var interval = 0.05
    private var shortSince: Double?

    /// Whether the printer confirmed reading the whole payload (its `~HS` answer after it, on the
    /// same connection). Without that, an idle printer whose counter has not moved may still be
    /// reading the payload: that is never taken as "not printed" (sending it again would print it
    /// twice), only waited on until the deadline.
    let receiptConfirmed: Bool

    init(labelCount: Int, counterBefore: Int?, deadline: Double, receiptConfirmed: Bool = true) {
        self.labelCount = labelCount
        self.counterBefore = counterBefore
        self.deadline = deadline
        self.receiptConfirmed = receiptConfirmed
    }

    mutating func observe(_ status: PrinterStatus, now: Double) -> Action {
        guard status.answered else {
            if now >= deadline {
                return .finish(.unconfirmed("the printer did not answer ~HS (\(status.message)): unknown, possibly in error (media or ribbon out, head open); the job was delivered but not confirmed"))
            }
            return next(now)
        }
        // A full buffer is normal while a long job prints; anything else holds the job.
        let stopping = status.conditions.subtracting([.bufferFull])
        if !stopping.isEmpty { return .finish(.waiting(status)) }
        if status.isIdle {
            guard let before = counterBefore, let counter = status.labelCounter else { return .finish(.printed) }
            let printed = counter - before
            if printed >= labelCount { return .finish(.printed) }
            let since = shortSince ?? now
            shortSince = since
            guard receiptConfirmed else {
                if now >= deadline {
                    return .finish(.unconfirmed("the printer never confirmed reading the whole job, and its label counter moved by \(max(0, printed)) of \(labelCount) labels: it may still be reading it; check the printer before sending it again"))
                }
                return next(now)
            }
            if now - since >= counterGrace || now >= deadline {
                return .finish(.failed("the printer is idle but its label counter moved by \(max(0, printed)) of \(labelCount) labels; the rest were not printed"))
            }
            return next(now)
        }
        shortSince = nil
        if now >= deadline { return .finish(.waiting(status)) }
        return next(now)
    }

    private mutating func next(_ now: Double) -> Action {
        let wait = min(interval, max(0, deadline - now))
        interval = min(interval * 1.5, 1)
        return .poll(after: wait)
    }

    /// What the printer can say about a payload in doubt, from its status once it stopped printing.
    static func doubtAnswer(labelCount: Int, counterBefore: Int?, status: PrinterStatus) -> DoubtAnswer {
        guard let before = counterBefore else {
            return .unknown("no label counter was recorded before sending, so how many labels printed is unknown")
        }
        // With a counter recorded, the printer can tell once it answers and has printed what it
        // holds: a printer switched off mid-batch keeps its counter through the restart.
        guard status.answered else {
            return .askLater("the printer did not answer ~HS (\(status.message)): what it printed is asked once it answers")
        }
        guard status.isIdle else {
            return .askLater("the printer still holds formats (\(status)): what it printed is asked once it has printed them")
        }
        guard let now = status.labelCounter else {
            return .unknown("the printer did not tell its label counter (odometer.total_label_count)")
        }
        return .printed(labels: min(max(0, now - before), labelCount))
    }
}
