import Devices
import Testing

@Suite struct ScanFramerTests {
    private func frames(_ framing: ScanFraming, _ chunks: [(String, UInt64)]) -> [String] {
        var framer = ScanFramer(framing)
        var out: [String] = []
        for (text, time) in chunks {
            out += framer.receive(Array(text.utf8), at: time).map { String(decoding: $0.bytes, as: UTF8.self) }
        }
        return out
    }

    @Test func crEndsAScanAndLFIsData() {
        #expect(frames(ScanFraming(lineEnd: .cr), [("AB\rCD\r", 0)]) == ["AB", "CD"])
        #expect(frames(ScanFraming(lineEnd: .cr), [("AB\nCD\r", 0)]) == ["AB\nCD"])
    }

    /// A scanner sending CR LF to a port set for CR: the LF is part of the end, not the start of
    /// the next scan.
    @Test func anLFRightAfterTheCRIsPartOfTheEnd() {
        #expect(frames(ScanFraming(lineEnd: .cr), [("CRLF-1\r\nCRLF-2\r", 0), ("\n", 1), ("CRLF-3\r\n", 2)]) == ["CRLF-1", "CRLF-2", "CRLF-3"])
    }

    /// The end of a connection: a line whose end never came is dropped and counted; with silence
    /// framing what came is the scan.
    @Test func theEndOfAConnectionCutsOffAnUnfinishedLine() {
        var lines = ScanFramer(.lines)
        #expect(lines.receive(Array("DONE\rPART".utf8), at: 0).map(\.bytes) == [Array("DONE".utf8)])
        let cut = lines.end()
        #expect(cut.scan == nil && cut.cutOff == 4)
        #expect(!lines.hasPartialScan)
        var silence = ScanFramer(ScanFraming(lineEnd: .cr, interCharacterTimeout: .milliseconds(50)))
        _ = silence.receive(Array("WHOLE".utf8), at: 0)
        let ended = silence.end()
        #expect(ended.scan == FramedScan(Array("WHOLE".utf8)) && ended.cutOff == 0)
    }

    /// A scanner set to send a text for GS: the text comes back as GS in serial, TCP and stdin
    /// scans alike, as it does from a keyboard-wedge one (the station's gs-substitute).
    @Test func theGSSubstituteBecomesGSInByteStreams() throws {
        var framing = ScanFraming.lines
        framing.groupSeparatorSubstitute = Array("<GS>".utf8)
        #expect(frames(framing, [("]C10109501101530003<GS>10L1<GS>21X\n", 0)]) == ["]C10109501101530003\u{1D}10L1\u{1D}21X"])
        let keyboard = KeyboardDecoder.Options(groupSeparatorSubstitute: "~")
        let stdin = try DeviceAddress(parsing: "stdin").makeSource(keyboard: keyboard)
        #expect((stdin as? StandardInputSource)?.framing.groupSeparatorSubstitute == Array("~".utf8))
        let tcp = try DeviceAddress(parsing: "tcp://127.0.0.1:9").makeSource(keyboard: keyboard)
        #expect((tcp as? TCPScanSource)?.framing.groupSeparatorSubstitute == Array("~".utf8))
    }

    @Test func lfEndsAScan() {
        #expect(frames(ScanFraming(lineEnd: .lf), [("AB\nC", 0), ("D\n", 1)]) == ["AB", "CD"])
    }

    @Test func crlfNeedsBothAndALoneCRIsData() {
        #expect(frames(ScanFraming(lineEnd: .crlf), [("AB\r", 0), ("\nX\rY\r\n", 1)]) == ["AB", "X\rY"])
    }

    @Test func anyLineEndCountsCRLFOnceAndSkipsEmptyLines() {
        #expect(frames(.lines, [("A\r\nB\nC\r\r\n\nD\r", 0)]) == ["A", "B", "C", "D"])
    }

    @Test func theInterCharacterTimeoutEndsAScanWithoutTerminator() {
        var framer = ScanFramer(ScanFraming(lineEnd: .cr, interCharacterTimeout: .milliseconds(50)))
        #expect(framer.receive(Array("ABC".utf8), at: 1_000_000_000).isEmpty)
        #expect(framer.deadline == 1_050_000_000)
        #expect(framer.expire(at: 1_049_000_000) == nil)
        #expect(framer.expire(at: 1_050_000_000) == FramedScan(Array("ABC".utf8)))
        #expect(framer.deadline == nil)
        // Bytes arriving after the pause start a new scan even before the timer ran.
        _ = framer.receive(Array("12".utf8), at: 2_000_000_000)
        #expect(framer.receive(Array("34\r".utf8), at: 3_000_000_000) == [FramedScan(Array("12".utf8)), FramedScan(Array("34".utf8))])
    }

    @Test func prefixAndSuffixAreStrippedOnlyWhenPresent() {
        let framing = ScanFraming(lineEnd: .cr, prefix: Array("<S>".utf8), suffix: Array("#".utf8))
        #expect(frames(framing, [("<S>0101#\r", 0), ("plain\r", 1), ("<S>#\r", 2)]) == ["0101", "plain"])
    }

    /// A line past the maximum is one scan marked too long, not several cut from it; a scan of
    /// exactly the maximum is whole, and the next line is read as usual.
    @Test func anOverlongLineIsOneScanMarkedTooLong() {
        var framer = ScanFramer(ScanFraming(lineEnd: .cr, maximumLength: 4))
        #expect(framer.receive(Array("ABCD\rABCDEFG".utf8), at: 0) == [FramedScan(Array("ABCD".utf8))])
        #expect(framer.receive(Array("HIJ\rOK\r".utf8), at: 1) == [FramedScan(Array("ABCD".utf8), overlongLength: 10), FramedScan(Array("OK".utf8))])
        // Cut by the inter-character timeout or the end of input alike.
        var timed = ScanFramer(ScanFraming(lineEnd: .cr, interCharacterTimeout: .milliseconds(50), maximumLength: 4))
        _ = timed.receive(Array("ABCDEF".utf8), at: 1_000_000_000)
        #expect(timed.expire(at: 1_050_000_000) == FramedScan(Array("ABCD".utf8), overlongLength: 6))
        _ = timed.receive(Array("ABCDE".utf8), at: 2_000_000_000)
        #expect(timed.finish() == FramedScan(Array("ABCD".utf8), overlongLength: 5))
    }

    @Test func finishReturnsWhatIsLeft() {
        var framer = ScanFramer(.lines)
        _ = framer.receive(Array("tail".utf8), at: 0)
        #expect(framer.finish() == FramedScan(Array("tail".utf8)))
        #expect(framer.finish() == nil)
    }
}

@Suite struct ScanEventTests {
    @Test func aLeadingAIMIdentifierIsSeparated() {
        let event = ScanEvent(transmitted: Array("]d2010950110153000310ABC".utf8), source: "test")
        #expect(event.symbologyIdentifier == "]d2")
        #expect(event.text == "010950110153000310ABC")
        #expect(event.transmitted == "]d2010950110153000310ABC")
    }

    @Test func dataWithoutIdentifierIsKeptWhole() {
        #expect(ScanEvent(transmitted: Array("]x".utf8), source: "t").symbologyIdentifier == nil)
        #expect(ScanEvent(transmitted: Array("ABC".utf8), source: "t").text == "ABC")
        #expect(ScanEvent(transmitted: Array("]Y12X".utf8), source: "t").symbologyIdentifier == "]Y12")
    }
}
