@testable import Devices
import Foundation
import Testing
import TracemarkTesting

#if canImport(Glibc)
import Glibc
#endif

@Suite struct SerialScanSourceTests {
    /// A folder with a stable name for the device, as udev's /dev/serial/by-id links are.
    private func linkFolder() throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tracemark-serial-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder
    }

    @Test func theTerminalIsRawAtTheConfiguredSpeedAndFraming() async throws {
        let terminal = try PseudoTerminal()
        let configuration = SerialConfiguration(path: terminal.slavePath, baudRate: 115200, dataBits: 7, parity: .even,
                                                stopBits: 2, flowControl: .hardware)
        let collector = EventCollector(SerialScanSource(configuration))
        #expect(try await eventually { terminal.isRaw })
        var settings = terminal.settings
        #expect(cfgetispeed(&settings) == speed_t(B115200))
        // Linux's pty driver forces CS8 without parity whatever is asked (checked on this kernel),
        // so data bits and parity are checked on the settings the source applies, in the next test.
        #expect(settings.c_cflag & tcflag_t(CSTOPB) != 0)
        #expect(settings.c_cflag & 0o20000000000 != 0)  // CRTSCTS
        // A CR arrives as CR (no ICRNL), so it ends the scan; GS and UTF-8 pass unchanged.
        terminal.write("]d2010950110153000310ABC\u{1D}21Ü\r")
        let events = try await collector.waitFor(1)
        #expect(events.first?.text == "010950110153000310ABC\u{1D}21Ü")
        #expect(events.first?.symbologyIdentifier == "]d2")
        #expect(events.first?.source == "serial:\(terminal.slavePath)")
    }

    @Test(arguments: [(7, SerialConfiguration.Parity.even, tcflag_t(CS7 | PARENB)), (8, .none, tcflag_t(CS8)),
                      (5, .odd, tcflag_t(CS5 | PARENB | PARODD)), (6, .none, tcflag_t(CS6))])
    func dataBitsAndParityAreSetInTheTerminalSettings(bits: Int, parity: SerialConfiguration.Parity, expected: tcflag_t) {
        var settings = termios()
        settings.c_cflag = tcflag_t(CS8 | PARODD | CSTOPB)
        SerialPort.apply(SerialConfiguration(path: "/dev/null", dataBits: bits, parity: parity), to: &settings)
        #expect(settings.c_cflag & tcflag_t(CSIZE | PARENB | PARODD) == expected)
        #expect(settings.c_cflag & tcflag_t(CSTOPB) == 0)
        #expect((settings.c_iflag & tcflag_t(INPCK) != 0) == (parity != .none))
        #expect(settings.c_lflag & tcflag_t(ICANON | ECHO | ISIG) == 0)
    }

    @Test(arguments: [(ScanFraming.LineEnd.cr, "A\rB\r", ["A", "B"]), (.lf, "A\nB\n", ["A", "B"]),
                      (.crlf, "A\r\nB\rC\r\n", ["A", "B\rC"])])
    func scansEndAtTheConfiguredTerminator(end: ScanFraming.LineEnd, input: String, expected: [String]) async throws {
        let terminal = try PseudoTerminal()
        let collector = EventCollector(SerialScanSource(SerialConfiguration(path: terminal.slavePath, framing: ScanFraming(lineEnd: end))))
        #expect(try await eventually { terminal.isRaw })
        terminal.write(input)
        #expect(try await collector.waitFor(expected.count).map(\.text) == expected)
    }

    @Test func aPauseEndsAScanWithoutTerminatorAndPrefixAndSuffixGo() async throws {
        let terminal = try PseudoTerminal()
        let framing = ScanFraming(lineEnd: .cr, interCharacterTimeout: .milliseconds(400), prefix: Array("#".utf8), suffix: Array("!".utf8))
        let collector = EventCollector(SerialScanSource(SerialConfiguration(path: terminal.slavePath, baudRate: 9600, framing: framing)))
        #expect(try await eventually { terminal.isRaw })
        // Two writes in quick succession are one scan; it ends when the line stays quiet for the
        // timeout. (Gaps between bytes are timed exactly in ScanFramerTests: sleeping in a test
        // on a loaded machine cannot promise a gap shorter than the timeout.)
        terminal.write("#01095011")
        terminal.write("01530003!")
        let clock = ContinuousClock()
        let start = clock.now
        let events = try await collector.waitFor(1)
        #expect(events.map(\.text) == ["0109501101530003"])
        #expect(clock.now - start >= .milliseconds(300))
        terminal.write("#SECOND!\r")
        #expect(try await collector.waitFor(2).map(\.text) == ["0109501101530003", "SECOND"])
    }

    @Test func aDeviceThatDisappearsIsReopenedWhenItComesBack() async throws {
        let folder = try linkFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let link = folder + "/usb-Scanner_123-if00"
        var terminal: PseudoTerminal? = try PseudoTerminal()
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: terminal!.slavePath)
        let collector = EventCollector(SerialScanSource(SerialConfiguration(path: link, reopenInterval: .milliseconds(50))))
        #expect(try await eventually { terminal!.isRaw })
        terminal!.write("BEFORE\r")
        try await collector.waitFor(1)
        // Unplugged: the terminal hangs up and its name goes away.
        terminal = nil
        try FileManager.default.removeItem(atPath: link)
        try await Task.sleep(for: .milliseconds(200))
        // Plugged back in: a new terminal under the same name.
        let replugged = try PseudoTerminal()
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: replugged.slavePath)
        #expect(try await eventually { replugged.isRaw })
        replugged.write("AFTER\r")
        let events = try await collector.waitFor(2)
        #expect(events.map(\.text) == ["BEFORE", "AFTER"])
        #expect(collector.error == nil)
    }

    /// A device gone while it was sending a scan: the part is not a scan, and is counted, so
    /// that the serial source's log says a scan was lost, as the TCP and stdin sources do (it said
    /// only that the device went). A pipe ends as a device does, with what was sent still read.
    @Test func aScanCutOffByTheDeviceGoingIsCounted() throws {
        var fds: [Int32] = [-1, -1]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]) }
        let bytes = Array("WHOLE\rHALFSCAN".utf8)
        #expect(write(fds[1], bytes, bytes.count) == bytes.count)
        close(fds[1])
        let (stream, continuation) = AsyncThrowingStream<ScanEvent, any Error>.makeStream()
        _ = stream
        var reader = DescriptorReader(fd: fds[0], source: "serial:test", framing: ScanFraming(lineEnd: .cr))
        #expect(reader.run(ReaderContext(continuation: continuation), atEnd: .drop) == .endOfInput)
        #expect(reader.cutOff == 8)
    }

    /// One reader per port, however it is named: a second (another station, `tracemark scan`
    /// beside the service) is refused as busy instead of taking some of the scans.
    @Test func aPortIsReadByOneReaderAtATime() throws {
        let terminal = try PseudoTerminal()
        let first = try SerialPort(SerialConfiguration(path: terminal.slavePath))
        let folder = try linkFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let link = folder + "/scanner"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: terminal.slavePath)
        #expect {
            _ = try SerialPort(SerialConfiguration(path: link))
        } throws: { error in
            (error as? DevicesError)?.code == .deviceBusy && (error as? DevicesError)?.message.contains("is in use by another program") == true
        }
        _ = first
    }

    @Test func aMissingDeviceIsAClearErrorWhenNotWaiting() async throws {
        let collector = EventCollector(SerialScanSource(SerialConfiguration(path: "/dev/tracemark-no-such-tty"), waitsForDevice: false))
        try await collector.waitForEnd()
        #expect(collector.error?.contains("/dev/tracemark-no-such-tty does not exist") == true)
    }

    @Test func settingsNoPortTakesAreRefused() {
        #expect(throws: DevicesError.self) { try SerialConfiguration(path: "/dev/ttyS0", baudRate: 12345).validate() }
        #expect(throws: DevicesError.self) { try SerialConfiguration(path: "/dev/ttyS0", dataBits: 9).validate() }
        #expect(throws: DevicesError.self) { try SerialConfiguration(path: "/dev/ttyS0", stopBits: 3).validate() }
    }
}

