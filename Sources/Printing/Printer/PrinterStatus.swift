public import Foundation

/// What a printer said about itself (or that it said nothing), at one moment.
///
/// A printer in an error state may not answer at all (a ZPL printer ignores `~HS` while the media
/// or ribbon is out or the head is open), so "no answer" is ``Condition/noAnswer``: unknown,
/// possibly in error, and never taken as "done".
public struct PrinterStatus: Sendable, Equatable, Codable, CustomStringConvertible {
    /// One thing that is wrong or noteworthy. Several can hold at once (paused and paper out).
    public enum Condition: String, Sendable, Codable, CaseIterable, Comparable {
        /// Could not connect: switched off, unplugged, out of WiFi range, or the address is wrong.
        case offline
        /// Connected but the status query was not answered in time: unknown, possibly in error.
        case noAnswer = "no-answer"
        case headOpen = "head-open"
        case paperOut = "paper-out"
        case ribbonOut = "ribbon-out"
        case headTooHot = "head-too-hot"
        case headTooCold = "head-too-cold"
        case corruptMemory = "corrupt-memory"
        case paused
        /// The printer's receive buffer is full: it takes no more data until it prints.
        case bufferFull = "buffer-full"
        /// A CUPS queue that is stopped (disabled: `cupsenable` starts it).
        case queueStopped = "queue-stopped"
        /// A CUPS queue that refuses new jobs (`cupsreject`: `cupsaccept` takes them again). It
        /// was reported as stopped, and `cupsenable` did nothing for it.
        case queueRejecting = "queue-rejecting"
        /// Anything else the printer or queue reported as an error, in ``PrinterStatus/message``.
        case other

        public static func < (lhs: Condition, rhs: Condition) -> Bool {
            allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
        }
    }

    /// What is wrong; empty when the printer can print.
    public var conditions: Set<Condition>
    /// ZPL: formats received but not yet printed.
    public var formatsInBuffer: Int?
    /// ZPL: labels of the current batch still to print.
    public var labelsRemaining: Int?
    /// The printer's own count of labels printed, where it has one (Link-OS `odometer.total_label_count`).
    public var labelCounter: Int?
    /// Whether the printer answered at all (false for "offline" and "no answer", and for printers
    /// whose language has no status query).
    public var answered: Bool
    /// What the printer or queue said, in its words, or why there is no answer.
    public var message: String
    /// When this was learnt.
    public var at: Date

    public init(conditions: Set<Condition> = [], formatsInBuffer: Int? = nil, labelsRemaining: Int? = nil,
                labelCounter: Int? = nil, answered: Bool, message: String = "", at: Date = Date()) {
        self.conditions = conditions
        self.formatsInBuffer = formatsInBuffer
        self.labelsRemaining = labelsRemaining
        self.labelCounter = labelCounter
        self.answered = answered
        self.message = message
        self.at = at
    }

    /// A printer that could not be reached.
    public static func offline(_ why: String) -> PrinterStatus {
        PrinterStatus(conditions: [.offline], answered: false, message: why)
    }

    /// A printer that was reached but did not answer its status query in time.
    public static func noAnswer(_ why: String) -> PrinterStatus {
        PrinterStatus(conditions: [.noAnswer], answered: false, message: why)
    }

    /// A printer that cannot be asked (EPL over raw TCP, a file): assumed ready.
    public static func notAsked(_ why: String) -> PrinterStatus {
        PrinterStatus(answered: false, message: why)
    }

    /// Whether a job may be sent now. A printer with a full buffer or in any error is left alone.
    public var canPrint: Bool { conditions.isEmpty }

    /// Whether the printer holds nothing more to print (both counts known and zero).
    public var isIdle: Bool { answered && formatsInBuffer == 0 && labelsRemaining == 0 }

    /// One word for lists: `ready`, `printing`, or the most serious condition.
    public var state: String {
        if let worst = conditions.min() { return worst.rawValue }
        if (formatsInBuffer ?? 0) > 0 || (labelsRemaining ?? 0) > 0 { return "printing" }
        return answered ? "ready" : "unknown"
    }

    public var description: String {
        var parts = [conditions.isEmpty ? state : conditions.sorted().map(\.rawValue).joined(separator: ", ")]
        if let formatsInBuffer, formatsInBuffer > 0 { parts.append("\(formatsInBuffer) formats in buffer") }
        if let labelsRemaining, labelsRemaining > 0 { parts.append("\(labelsRemaining) labels remaining") }
        if !message.isEmpty { parts.append(message) }
        return parts.joined(separator: "; ")
    }
}
