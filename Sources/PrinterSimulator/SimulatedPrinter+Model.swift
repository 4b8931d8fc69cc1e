import Foundation

extension SimulatedPrinter {
    struct Waiter {
        var count: Int
        var deadline: Double
        var continuation: CheckedContinuation<Void, Never>
    }

    struct Pending {
        var format: PrintedFormat
        var remaining: Int
    }

    /// What the printer holds, has printed and reports; guarded by the printer's mutex.
    struct Model {
        let configuration: Configuration
        var state: State = .ready
        var queue: [Pending] = []
        var printed: [PrintedFormat] = []
        /// When each format's `^XZ` arrived (monotonic seconds), with its text when formats are recorded.
        var arrivals: [(text: String, at: Double)] = []
        var labelsPrinted = 0
        var odometer: Int?
        var credit = 0.0
        var lastAdvance = 0.0
        var connections: [Data] = []
        var connectionCount = 0
        var formatBytes = 0
        var statusAnswers = 0
        var dropAfter: Int?
        /// Connections still to drop at `dropAfter` bytes after the next (``dropConnections(afterBytes:times:)``).
        var dropsAfterNext = 0
        var stallAfter: Int?
        var haltsAfter: (labels: Int, state: State)?
        var waiters: [Waiter] = []

        init(configuration: Configuration) {
            self.configuration = configuration
            if case .odometer(let start) = configuration.labelCounter { odometer = start }
            haltsAfter = configuration.haltsAfter
        }

        /// Prints what the time since the last look allows.
        mutating func advance(to now: Double) {
            defer { lastAdvance = now }
            guard !queue.isEmpty, state.isDisjoint(with: .halted) else {
                credit = 0
                return
            }
            var budget = Int.max
            if let rate = configuration.labelsPerSecond {
                credit += max(0, now - lastAdvance) * rate
                budget = Int(credit)
                credit -= Double(budget)
            }
            if let halt = haltsAfter { budget = min(budget, max(0, halt.labels - labelsPrinted)) }
            while budget > 0, !queue.isEmpty {
                let count = min(budget, queue[0].remaining)
                queue[0].remaining -= count
                budget -= count
                labelsPrinted += count
                odometer = odometer.map { $0 + count }
                if queue[0].remaining == 0 { printed.append(queue.removeFirst().format) }
            }
            if queue.isEmpty { credit = 0 }
            if let halt = haltsAfter, labelsPrinted >= halt.labels, !queue.isEmpty {
                state.formUnion(halt.state)
                haltsAfter = nil
                credit = 0
            }
        }

        mutating func receive(_ text: [UInt8], copies: Int, now: Double) {
            advance(to: now)
            let format = PrintedFormat(text: configuration.recordsFormats ? String(decoding: text, as: UTF8.self) : "",
                                       copies: copies)
            queue.append(Pending(format: format, remaining: copies))
            if configuration.recordsFormats { arrivals.append((format.text, now)) }
            advance(to: now)
        }

        /// The answer to `~HS`, or nil while the printer ignores it.
        mutating func hostStatusAnswer(now: Double) -> [UInt8]? {
            guard state.isDisjoint(with: .mute) else { return nil }
            advance(to: now)
            statusAnswers += 1
            return HostStatusStrings(paperOut: state.contains(.paperOut), paused: state.contains(.paused),
                                     formatsInBuffer: queue.count, bufferFull: state.contains(.bufferFull),
                                     headUp: state.contains(.headOpen), ribbonOut: state.contains(.ribbonOut),
                                     labelsRemaining: queue.reduce(0) { $0 + $1.remaining }).bytes
        }

        /// The answer to an SGD getvar, or nil when the printer does not answer SGD.
        mutating func variableAnswer(_ name: String, now: Double) -> [UInt8]? {
            guard !state.contains(.silent) else { return nil }
            advance(to: now)
            switch configuration.labelCounter {
            case .none: return nil
            case .unknownVariable: return Array("\"?\"".utf8)
            case .odometer:
                guard name == "odometer.total_label_count", let odometer else { return Array("\"?\"".utf8) }
                return Array("\"\(odometer)\"".utf8)
            }
        }
    }
}

/// The three `~HS` strings, as a Zebra printer writes them.
struct HostStatusStrings {
    var paperOut: Bool
    var paused: Bool
    var formatsInBuffer: Int
    var bufferFull: Bool
    var headUp: Bool
    var ribbonOut: Bool
    var labelsRemaining: Int

    var bytes: [UInt8] {
        func flag(_ value: Bool) -> String { value ? "1" : "0" }
        func digits(_ value: Int, _ count: Int) -> String {
            let text = String(max(0, value))
            return String(repeating: "0", count: max(0, count - text.count)) + text
        }
        let strings = [
            "030,\(flag(paperOut)),\(flag(paused)),1218,\(digits(formatsInBuffer, 3)),\(flag(bufferFull)),0,0,000,0,0,0",
            "001,0,\(flag(headUp)),\(flag(ribbonOut)),1,2,6,0,\(digits(labelsRemaining, 8)),0,000",
            "1234,0",
        ]
        var bytes: [UInt8] = []
        for string in strings {
            bytes.append(0x02)
            bytes += Array(string.utf8)
            bytes += [0x03, 0x0D, 0x0A]
        }
        return bytes
    }
}
