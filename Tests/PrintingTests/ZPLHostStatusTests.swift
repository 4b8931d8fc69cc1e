import Testing
@testable import Printing

@Suite struct ZPLHostStatusTests {
    /// A ZT410 with nothing to do: three strings, each STX … ETX CR LF.
    static let ready = "\u{02}030,0,0,1218,000,0,0,0,000,0,0,0\u{03}\r\n\u{02}001,0,0,0,1,2,6,0,00000000,1,000\u{03}\r\n\u{02}1234,0\u{03}\r\n"
    /// Paused, printing: 3 formats in the buffer, a partial one arriving, 12 labels of the batch left.
    static let busyPaused = "\u{02}030,0,1,1218,003,0,0,1,000,0,0,0\u{03}\r\n\u{02}001,0,0,0,1,2,6,0,00000012,1,000\u{03}\r\n\u{02}1234,0\u{03}\r\n"
    /// Everything that can be wrong at once (as some firmwares answer with the head up while paused).
    static let allWrong = "\u{02}030,1,1,1218,000,1,0,0,000,1,1,1\u{03}\r\n\u{02}001,0,1,1,1,2,6,1,00000000,1,000\u{03}\r\n\u{02}1234,0\u{03}\r\n"

    private func replies(_ text: String) -> [ZPLReplyReader.Reply] {
        var reader = ZPLReplyReader()
        reader.feed(Array(text.utf8))
        return reader.take()
    }

    @Test func readyPrinterIsIdleWithNoConditions() throws {
        let replies = replies(Self.ready)
        #expect(replies.count == 1)
        guard case .hostStatus(let status) = try #require(replies.first) else { Issue.record("not a host status"); return }
        #expect(status == ZPLHostStatus(labelLength: 1218))
        let printer = status.printerStatus(labelCounter: 1234)
        #expect(printer.conditions.isEmpty)
        #expect(printer.isIdle)
        #expect(printer.labelCounter == 1234)
        #expect(printer.state == "ready")
    }

    @Test func busyPausedPrinterCountsThePartialFormatAsInTheBuffer() throws {
        guard case .hostStatus(let status) = try #require(replies(Self.busyPaused).first) else { Issue.record("not a host status"); return }
        #expect(status.paused && status.partialFormat)
        #expect(status.formatsInBuffer == 3 && status.labelsRemaining == 12)
        let printer = status.printerStatus()
        #expect(printer.conditions == [.paused])
        #expect(printer.formatsInBuffer == 4)
        #expect(!printer.isIdle && !printer.canPrint)
    }

    @Test func everyFlagBecomesItsCondition() throws {
        guard case .hostStatus(let status) = try #require(replies(Self.allWrong).first) else { Issue.record("not a host status"); return }
        #expect(status.labelWaiting)
        #expect(status.printerStatus().conditions == [.paperOut, .paused, .bufferFull, .corruptMemory, .headTooCold,
                                                      .headTooHot, .headOpen, .ribbonOut])
    }

    @Test func answersCutAnywhereAcrossSegmentsDecodeOnce() {
        let bytes = Array(Self.busyPaused.utf8)
        let whole = replies(Self.busyPaused)
        for cut in 0...bytes.count {
            var reader = ZPLReplyReader()
            reader.feed(bytes[..<cut])
            let early = reader.take()
            reader.feed(bytes[cut...])
            #expect(early + reader.take() == whole, "cut at \(cut)")
        }
        // One byte at a time, as a slow serial-to-Ethernet bridge delivers it.
        var reader = ZPLReplyReader()
        for byte in bytes { reader.feed([byte]) }
        #expect(reader.take() == whole)
    }

    @Test func incompleteAnswerYieldsNothingYet() {
        var reader = ZPLReplyReader()
        reader.feed(Array(Self.ready.utf8).dropLast(12))
        #expect(reader.take().isEmpty)
    }

    @Test func counterAnswerBeforeOrAfterTheStatusIsFound() {
        let answers = replies("\"1234\"" + Self.ready)
        #expect(answers.count == 2)
        #expect(answers.first == .variable("1234"))
        let after = replies("\r\n" + Self.ready + "\"98765\"")
        #expect(after.last == .variable("98765"))
    }

    @Test(arguments: [("1234", 1234), ("0", 0), (" 42 ", 42), ("?", nil), ("", nil), ("12a", nil), ("-3", nil)] as [(String, Int?)])
    func labelCounterIsAWholeNumberOrNothing(value: String, expected: Int?) {
        #expect(ZPLReplyReader.labelCounter(fromVariable: value) == expected)
    }

    @Test func stringsWithMissingFieldsAreUnreadableNotReady() {
        let answers = replies("\u{02}030,0,0\u{03}\r\n\u{02}001,0\u{03}\r\n\u{02}1234,0\u{03}\r\n")
        guard case .unreadableHostStatus = answers.first else {
            Issue.record("expected unreadable, got \(answers)")
            return
        }
    }

    @Test func noiseBeforeTheFirstStringIsSkipped() {
        #expect(replies("\r\n\0garbage" + Self.ready).count == 1)
    }
}
