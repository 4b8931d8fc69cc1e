import Testing
@testable import Printing

@Suite struct PrintFollowerTests {
    private func status(formats: Int, labels: Int, counter: Int? = nil, conditions: Set<PrinterStatus.Condition> = []) -> PrinterStatus {
        PrinterStatus(conditions: conditions, formatsInBuffer: formats, labelsRemaining: labels, labelCounter: counter, answered: true)
    }

    @Test func idlePrinterIsPrinted() {
        var follower = PrintFollower(labelCount: 3, counterBefore: nil, deadline: 10)
        #expect(follower.observe(status(formats: 1, labels: 2), now: 0) == .poll(after: 0.05))
        #expect(follower.observe(status(formats: 0, labels: 0), now: 1) == .finish(.printed))
    }

    @Test func silenceIsNeverPrinted() {
        var follower = PrintFollower(labelCount: 3, counterBefore: 10, deadline: 5)
        for second in 0..<5 {
            guard case .poll = follower.observe(.noAnswer("test"), now: Double(second)) else {
                Issue.record("finished early")
                return
            }
        }
        guard case .finish(.unconfirmed) = follower.observe(.noAnswer("test"), now: 5) else {
            Issue.record("silence at the deadline must be unconfirmed")
            return
        }
    }

    /// A printer that never confirmed reading the whole payload may still be reading it: an idle
    /// printer with an unmoved counter is not "not printed" (sending it again would print it
    /// twice); its counter moving is still printed, and the deadline leaves it unconfirmed.
    @Test func unconfirmedReceiptIsNeverTakenAsNotPrinted() {
        var follower = PrintFollower(labelCount: 3, counterBefore: 100, deadline: 60, receiptConfirmed: false)
        for second in [0.0, 3, 10, 59] {
            guard case .poll = follower.observe(status(formats: 0, labels: 0, counter: 100), now: second) else {
                Issue.record("an idle printer that may still be reading the job was taken as done at \(second) s")
                return
            }
        }
        guard case .finish(.unconfirmed(let why)) = follower.observe(status(formats: 0, labels: 0, counter: 100), now: 60) else {
            Issue.record("the deadline must leave it unconfirmed")
            return
        }
        #expect(why.contains("never confirmed reading the whole job"))
        var late = PrintFollower(labelCount: 3, counterBefore: 100, deadline: 60, receiptConfirmed: false)
        _ = late.observe(status(formats: 0, labels: 0, counter: 100), now: 0)
        #expect(late.observe(status(formats: 0, labels: 0, counter: 103), now: 20) == .finish(.printed))
    }

    @Test func pausedPrinterHoldsTheJob() {
        var follower = PrintFollower(labelCount: 3, counterBefore: nil, deadline: 10)
        let paused = status(formats: 1, labels: 3, conditions: [.paused])
        #expect(follower.observe(paused, now: 0) == .finish(.waiting(paused)))
    }

    @Test func fullBufferIsNotAReasonToStop() {
        var follower = PrintFollower(labelCount: 3, counterBefore: nil, deadline: 10)
        guard case .poll = follower.observe(status(formats: 9, labels: 3, conditions: [.bufferFull]), now: 0) else {
            Issue.record("a full buffer while printing stopped following")
            return
        }
    }

    @Test func stillPrintingAtTheDeadlineIsWaiting() {
        var follower = PrintFollower(labelCount: 3, counterBefore: nil, deadline: 1)
        let busy = status(formats: 1, labels: 1)
        #expect(follower.observe(busy, now: 1) == .finish(.waiting(busy)))
    }

    @Test func counterMustMoveByThePayloadsLabels() {
        var follower = PrintFollower(labelCount: 3, counterBefore: 100, deadline: 60)
        guard case .poll = follower.observe(status(formats: 0, labels: 0, counter: 101), now: 0) else {
            Issue.record("idle with a short counter was taken as printed")
            return
        }
        #expect(follower.observe(status(formats: 0, labels: 0, counter: 103), now: 0.5) == .finish(.printed))
        var lost = PrintFollower(labelCount: 3, counterBefore: 100, deadline: 60)
        _ = lost.observe(status(formats: 0, labels: 0, counter: 101), now: 0)
        guard case .finish(.failed) = lost.observe(status(formats: 0, labels: 0, counter: 101), now: 3) else {
            Issue.record("labels that never came out must be failed")
            return
        }
    }

    @Test(arguments: [(105, 5), (100, 0), (130, 10), (90, 0)])
    func doubtIsAnsweredFromTheCounterClamped(counter: Int, printed: Int) {
        #expect(PrintFollower.doubtAnswer(labelCount: 10, counterBefore: 100, status: status(formats: 0, labels: 0, counter: counter))
                == .printed(labels: printed))
    }

    @Test func doubtWithoutCountersIsUnknown() {
        guard case .unknown = PrintFollower.doubtAnswer(labelCount: 10, counterBefore: nil, status: status(formats: 0, labels: 0, counter: 5)),
              case .unknown = PrintFollower.doubtAnswer(labelCount: 10, counterBefore: 5, status: status(formats: 0, labels: 0)),
              case .unknown = PrintFollower.doubtAnswer(labelCount: 10, counterBefore: nil, status: .noAnswer("silent"))
        else {
            Issue.record("a doubt answered without both counters")
            return
        }
    }

    /// With a counter recorded before sending, a printer that does not answer now (switched off)
    /// or still holds formats (paused) is asked again later: sending now would print twice.
    @Test func aDoubtThePrinterCanAnswerLaterWaits() {
        guard case .askLater = PrintFollower.doubtAnswer(labelCount: 10, counterBefore: 5, status: .noAnswer("silent")),
              case .askLater = PrintFollower.doubtAnswer(labelCount: 10, counterBefore: 5, status: status(formats: 2, labels: 0, counter: 6))
        else {
            Issue.record("a doubt the printer can answer later was settled now")
            return
        }
    }
}
