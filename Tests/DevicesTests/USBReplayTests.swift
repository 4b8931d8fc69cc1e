import Devices
import Foundation
import Testing
import TracemarkTesting

#if canImport(Glibc)
import Glibc
#endif

/// libusb end to end without hardware: `tracemark scan` runs under umockdev, which fakes a Symbol
/// 05e0:1200 keyboard-mode scanner (sysfs, /dev/bus/usb node) and replays its interrupt reports
/// (`../shared/usb/umockdev-scanner.py` writes the device; the reports are the script's, or
/// written here for other layouts). The real libusb enumerates, checks the kernel driver, claims
/// the interface and reads the reports; the Devices target decodes them.
@Suite(.enabled(if: Command.which("umockdev-run") != nil, "umockdev is not installed (scripts/install-deps.sh installs it)"))
struct USBReplayTests {
    /// Writes scanner.umockdev and scanner.ioctl for `payload` (US layout) into a new folder.
    private func replay(_ payload: String) async throws -> URL {
        let folder = try Command.temporaryFolder("devices")
        let script = Repository.sharedUSB.appendingPathComponent("umockdev-scanner.py").path
        let made = try await Command.run(try #require(Command.which("python3")), [script, payload], in: folder)
        try #require(made.status == 0, "\(made.stderr)")
        return folder
    }

    private func scan(in folder: URL, _ arguments: [String]) async throws -> Command.Result {
        try await Command.run(try #require(Command.which("umockdev-run")),
                                    ["--device", "scanner.umockdev", "--ioctl", "/dev/bus/usb/001/011=scanner.ioctl", "--",
                                     Repository.tracemark.path, "scan", "--no-resolve"] + arguments,
                                    in: folder)
    }

    @Test func aKeyboardModeScannerIsReadThroughLibUSBAndDecoded() async throws {
        let folder = try await replay("]C101095011015300031726123110ABC123\u{1D}21XYZ\n")
        defer { try? FileManager.default.removeItem(at: folder) }
        let run = try await scan(in: folder, ["--device", "usb:05e0:1200", "--count", "1", "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let line = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
        #expect(line?["source"] as? String == "usb:05e0:1200")
        #expect(line?["symbologyIdentifier"] as? String == "]C1")
        #expect(line?["data"] as? String == "01095011015300031726123110ABC123\u{1D}21XYZ")
        let gs1 = line?["gs1"] as? [String: Any]
        #expect(gs1?["bracketed"] as? String == "(01)09501101530003(17)261231(10)ABC123(21)XYZ")
    }

    @Test func aGermanLayoutScannerIsDecodedThroughItsLayout() async throws {
        let folder = try await replay("x\n")
        defer { try? FileManager.default.removeItem(at: folder) }
        // "]d2" "10Ab-ß" GS "21Z" typed on a German keyboard: ] is AltGr+9, z and y are swapped, - is 0x38.
        let presses: [(UInt8, UInt8)] = [(0x40, 0x26), (0, 0x07), (0, 0x1F), (0, 0x1E), (0, 0x27), (0x02, 0x04), (0, 0x05),
                                         (0, 0x38), (0, 0x2D), (0x01, 0x30), (0, 0x1F), (0, 0x1E), (0x02, 0x1C), (0, 0x28)]
        let lines = presses.flatMap { modifiers, usage in
            [String(format: "USBDEVFS_REAPURBNDELAY 0 1 129 0 0 8 8 0 %02X00%02X0000000000", modifiers, usage),
             "USBDEVFS_REAPURBNDELAY 0 1 129 0 0 8 8 0 0000000000000000"]
        }
        try (lines.joined(separator: "\n") + "\n").write(to: folder.appendingPathComponent("scanner.ioctl"), atomically: true, encoding: .utf8)
        let run = try await scan(in: folder, ["--device", "usb:05e0:1200", "--layout", "de", "--count", "1"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.hasPrefix("usb:05e0:1200  ]d2 10Ab-ß<GS>21Z\n"), "\(run.stdout)")
    }

    /// Turns the shared keyboard-mode device into a Honeywell 0c2e:0b61 in HID POS mode: the
    /// interface is HID without boot protocol, its interrupt endpoint carries 64-byte reports.
    private func posScanner(in folder: URL, reports: [[UInt8]]) throws {
        let file = folder.appendingPathComponent("scanner.umockdev")
        var device = try String(contentsOf: file, encoding: .utf8)
        for (old, new) in [("E0050012", "2E0C610B"), ("090400000103010100", "090400000103000000"), ("0705810308000A", "07058103400001"),
                           ("5e0/1200", "c2e/b61"), ("=05e0", "=0c2e"), ("=1200", "=0b61"), (":030101:", ":030000:")] {
            device = device.replacingOccurrences(of: old, with: new)
        }
        try device.write(to: file, atomically: true, encoding: .utf8)
        let lines = reports.map { report in
            "USBDEVFS_REAPURBNDELAY 0 1 129 0 0 64 64 0 " + report.map { String(format: "%02X", $0) }.joined()
        }
        try (lines.joined(separator: "\n") + "\n").write(to: folder.appendingPathComponent("scanner.ioctl"), atomically: true, encoding: .utf8)
    }

    @Test func aHIDPOSScannerDeliversRawBytesWithItsIdentifier() async throws {
        let folder = try await replay("x\n")
        defer { try? FileManager.default.removeItem(at: folder) }
        // 74 data bytes with GS and UTF-8 Ü, in two reports: 56 flagged "more follows", then 18.
        let data = Array("0109501101530003".utf8) + Array("10".utf8) + Array(repeating: UInt8(ascii: "7"), count: 40) + [0x1D]
            + Array("21".utf8) + Array("SN-Ü-0000000".utf8)
        try #require(data.count == 74)
        try posScanner(in: folder, reports: [
            POSReportDecoderTests.report(Array(data[0..<56]), identifier: "]d2", more: true),
            POSReportDecoderTests.report(Array(data[56...]), identifier: "]d2"),
        ])
        let run = try await scan(in: folder, ["--device", "usb:0c2e:0b61?protocol=pos", "--count", "1", "--json"])
        _ = try expectPOSScan(run, data: data)
    }

    /// Checks a `scan --json` line of the HID POS scanner 0c2e:0b61 carrying `data` as `]d2`, and returns it.
    private func expectPOSScan(_ run: Command.Result, data: [UInt8],
                               sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any]? {
        #expect(run.status == 0, "\(run.stderr)", sourceLocation: sourceLocation)
        let line = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
        #expect(line?["source"] as? String == "usb:0c2e:0b61", sourceLocation: sourceLocation)
        #expect(line?["symbologyIdentifier"] as? String == "]d2", sourceLocation: sourceLocation)
        #expect(line?["hex"] as? String == data.map { String(format: "%02x", $0) }.joined(), sourceLocation: sourceLocation)
        #expect(line?["data"] as? String == String(decoding: data, as: UTF8.self), sourceLocation: sourceLocation)
        return line
    }

    // Detecting the protocol end to end. `tracemark scan` asks the interface for its HID report
    // descriptor with a control transfer (GET_DESCRIPTOR 0x22, bmRequestType 0x81), which umockdev's
    // `--ioctl` replay cannot answer: it matches a control URB (endpoint 0) as an output URB, on
    // the whole buffer, data stage included (uninitialized for an IN transfer), and never copies
    // data back into one. Its usbmon pcap replay (`--pcap SYSFS=FILE`) replays control transfers,
    // so these tests write the device's traffic as a usbmon capture.

    /// The sysfs path `umockdev-scanner.py` gives the device (bus 1, device 11).
    private static let sysfsPath = "/sys/devices/pci0000:00/0000:00:14.0/usb1/1-3"

    /// A Honeywell-style HID POS scanner's report descriptor for the 64-byte ``POSReportLayout/standard``
    /// report: Bar Code Scanner application, report 2 (Scanned Data Report) with the byte count,
    /// the AIM identifier (Symbology Identifier 1-3), 56 bytes of Decoded Data, the vendor's
    /// symbology byte, a reserved byte and Decode Data Continued in bit 0 of the last byte.
    static let posReportDescriptor: [UInt8] = [
        0x05, 0x8C,                    // Usage Page (Bar Code Scanner)
        0x09, 0x02,                    // Usage (Bar Code Scanner)
        0xA1, 0x01,                    // Collection (Application)
        0x85, 0x02,                    //   Report ID (2)
        0x09, 0x12,                    //   Usage (Scanned Data Report)
        0xA1, 0x02,                    //   Collection (Logical)
        0x15, 0x00,                    //     Logical Minimum (0)
        0x26, 0xFF, 0x00,              //     Logical Maximum (255)
        0x75, 0x08,                    //     Report Size (8)
        0x95, 0x01,                    //     Report Count (1)
        0x05, 0x01,                    //     Usage Page (Generic Desktop)
        0x09, 0x3B,                    //     Usage (Byte Count)
        0x81, 0x02,                    //     Input (Data, Variable, Absolute)
        0x05, 0x8C,                    //     Usage Page (Bar Code Scanner)
        0x95, 0x03,                    //     Report Count (3)
        0x09, 0xFB, 0x09, 0xFC, 0x09, 0xFD,  // Usage (Symbology Identifier 1, 2, 3)
        0x81, 0x02,                    //     Input (Data, Variable, Absolute)
        0x95, 0x38,                    //     Report Count (56)
        0x09, 0xFE,                    //     Usage (Decoded Data)
        0x82, 0x02, 0x01,              //     Input (Data, Variable, Absolute, Buffered Bytes)
        0x06, 0x00, 0xFF,              //     Usage Page (Vendor Defined 0xFF00)
        0x95, 0x01,                    //     Report Count (1)
        0x09, 0x01,                    //     Usage (vendor symbology)
        0x81, 0x02,                    //     Input (Data, Variable, Absolute)
        0x81, 0x01,                    //     Input (Constant): reserved
        0x05, 0x8C,                    //     Usage Page (Bar Code Scanner)
        0x25, 0x01,                    //     Logical Maximum (1)
        0x75, 0x01,                    //     Report Size (1)
        0x09, 0xFF,                    //     Usage (Decode Data Continued)
        0x81, 0x02,                    //     Input (Data, Variable, Absolute)
        0x75, 0x07,                    //     Report Size (7)
        0x81, 0x01,                    //     Input (Constant): padding
        0xC0,                          //   End Collection
        0xC0,                          // End Collection
    ]

    /// The HID 1.11 appendix B.1 keyboard descriptor: Generic Desktop Keyboard, modifier bits,
    /// a reserved byte, LED output, six key codes (usage page 7).
    static let keyboardReportDescriptor: [UInt8] = [
        0x05, 0x01, 0x09, 0x06, 0xA1, 0x01, 0x05, 0x07, 0x19, 0xE0, 0x29, 0xE7, 0x15, 0x00, 0x25, 0x01,
        0x75, 0x01, 0x95, 0x08, 0x81, 0x02, 0x95, 0x01, 0x75, 0x08, 0x81, 0x01, 0x95, 0x05, 0x75, 0x01,
        0x05, 0x08, 0x19, 0x01, 0x29, 0x05, 0x91, 0x02, 0x95, 0x01, 0x75, 0x03, 0x91, 0x01, 0x95, 0x06,
        0x75, 0x08, 0x15, 0x00, 0x25, 0x65, 0x05, 0x07, 0x19, 0x00, 0x29, 0x65, 0x81, 0x00, 0xC0,
    ]

    /// Makes the folder's device the non-boot Honeywell interface of ``posScanner(in:reports:)``
    /// whose HID descriptor announces `descriptor`, and writes `scanner.pcap`: a usbmon capture
    /// (DLT_USB_LINUX_MMAPPED) of the report descriptor request answered with `descriptor`, then
    /// one interrupt IN transfer per report.
    private func detectingScanner(in folder: URL, descriptor: [UInt8], reports: [[UInt8]]) throws {
        try posScanner(in: folder, reports: [])
        let file = folder.appendingPathComponent("scanner.umockdev")
        let length = String(format: "%02X%02X", descriptor.count & 0xFF, descriptor.count >> 8)
        let device = try String(contentsOf: file, encoding: .utf8).replacingOccurrences(of: "092111010001223F00", with: "09211101000122" + length)
        try device.write(to: file, atomically: true, encoding: .utf8)

        var capture: [UInt8] = []
        func put<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { capture += $0 } }
        put(UInt32(0xA1B2_C3D4)); put(UInt16(2)); put(UInt16(4)); put(Int32(0)); put(UInt32(0)); put(UInt32(65535)); put(UInt32(220))
        var time: UInt32 = 0
        /// One usbmon event: 'S'ubmit or 'C'omplete of URB `id` on bus 1, device 11.
        func event(_ id: UInt64, _ kind: Character, type: UInt8, endpoint: UInt8, setup: [UInt8]?, length: Int, data: [UInt8] = []) {
            time += 1000
            put(UInt32(0)); put(time); put(UInt32(64 + data.count)); put(UInt32(64 + data.count))
            put(id); put(kind.asciiValue!); put(type); put(endpoint); put(UInt8(11)); put(UInt16(1))
            put(setup == nil ? UInt8(ascii: "-") : 0)                       // setup flag: 0 when present
            put(data.isEmpty ? UInt8(ascii: kind == "S" ? "<" : ">") : 0)   // data flag: 0 when present
            put(Int64(0)); put(Int32(time)); put(Int32(0))                  // seconds, microseconds, status
            put(UInt32(length)); put(UInt32(data.count))
            capture += setup ?? [UInt8](repeating: 0, count: 8)
            put(Int32(0)); put(Int32(0)); put(UInt32(0)); put(UInt32(0))    // interval, start frame, flags, descriptors
            capture += data
        }
        // Tracemark asks for up to 1024 bytes (wLength 0x0400); the pcap replay matches a submitted
        // URB on its setup packet and length.
        event(1, "S", type: 2, endpoint: 0x80, setup: [0x81, 0x06, 0x00, 0x22, 0x00, 0x00, 0x00, 0x04], length: 1024)
        event(1, "C", type: 2, endpoint: 0x80, setup: nil, length: descriptor.count, data: descriptor)
        for (index, report) in reports.enumerated() {
            event(UInt64(2 + index), "S", type: 1, endpoint: 0x81, setup: nil, length: 64)
            event(UInt64(2 + index), "C", type: 1, endpoint: 0x81, setup: nil, length: report.count, data: report)
        }
        try Data(capture).write(to: folder.appendingPathComponent("scanner.pcap"))
    }

    /// Runs `tracemark scan` on the capture, for at most 60 s: a protocol detected wrongly reads
    /// no scan and would otherwise wait for one forever (timeout ends it with status 124).
    private func detectingScan(in folder: URL, _ arguments: [String]) async throws -> Command.Result {
        try await Command.run(try #require(Command.which("timeout")),
                                    ["60", try #require(Command.which("umockdev-run")),
                                     "--device", "scanner.umockdev", "--pcap", "\(Self.sysfsPath)=scanner.pcap", "--",
                                     Repository.tracemark.path, "scan", "--no-resolve"] + arguments,
                                    in: folder)
    }

    @Test func aHIDPOSScannerIsDetectedFromItsReportDescriptor() async throws {
        let folder = try await replay("x\n")
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = Array("010950110153000310LOT-7".utf8) + [0x1D] + Array("21SN-0042".utf8)
        try detectingScanner(in: folder, descriptor: Self.posReportDescriptor,
                             reports: [POSReportDecoderTests.report(data, identifier: "]d2")])
        let run = try await detectingScan(in: folder, ["--device", "usb:0c2e:0b61", "--count", "1", "--json"])
        let line = try expectPOSScan(run, data: data)
        #expect((line?["gs1"] as? [String: Any])?["bracketed"] as? String == "(01)09501101530003(10)LOT-7(21)SN-0042")
    }

    @Test func aKeyboardDescriptorOnANonBootInterfaceIsReadAsAKeyboard() async throws {
        let folder = try await replay("]C10109501101530003\u{1D}10ABC\n")
        defer { try? FileManager.default.removeItem(at: folder) }
        // The script's key presses, 8-byte boot keyboard reports, arrive on the 64-byte endpoint.
        let typed = try String(contentsOf: folder.appendingPathComponent("scanner.ioctl"), encoding: .utf8)
        let reports = typed.split(separator: "\n").map { line in
            let hex = Array(line.split(separator: " ").last!.utf8)
            return stride(from: 0, to: hex.count, by: 2).map { UInt8(String(decoding: hex[$0..<$0 + 2], as: UTF8.self), radix: 16)! }
        }
        try detectingScanner(in: folder, descriptor: Self.keyboardReportDescriptor, reports: reports)
        let run = try await detectingScan(in: folder, ["--device", "usb:0c2e:0b61", "--count", "1", "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let line = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
        #expect(line?["source"] as? String == "usb:0c2e:0b61")
        #expect(line?["symbologyIdentifier"] as? String == "]C1")
        #expect(line?["data"] as? String == "0109501101530003\u{1D}10ABC")
    }

    @Test func anInterfaceThatIsNeitherKeyboardNorHIDPOSIsRefusedWithExitStatus69() async throws {
        let folder = try await replay("x\n")
        defer { try? FileManager.default.removeItem(at: folder) }
        // A vendor-defined interface (usage page 0xFF00), as scanners have for configuration.
        let vendor: [UInt8] = [0x06, 0x00, 0xFF, 0x09, 0x01, 0xA1, 0x01, 0x15, 0x00, 0x26, 0xFF, 0x00, 0x75, 0x08, 0x95, 0x40,
                               0x09, 0x01, 0x81, 0x02, 0x95, 0x40, 0x09, 0x01, 0x91, 0x02, 0xC0]
        try detectingScanner(in: folder, descriptor: vendor, reports: [POSReportDecoderTests.report(Array("X".utf8))])
        let run = try await detectingScan(in: folder, ["--device", "usb:0c2e:0b61", "--count", "1", "--json"])
        #expect(run.status == 69, "\(run.stdout)")
        #expect(run.stderr.contains("interface 0 is neither a keyboard nor a HID POS scanner"), "\(run.stderr)")
        #expect(run.stdout.isEmpty)
    }

    @Test func aMissingScannerIsAClearErrorWithExitStatus69() async throws {
        let folder = try await replay("x\n")
        defer { try? FileManager.default.removeItem(at: folder) }
        let run = try await scan(in: folder, ["--device", "usb:0c2e:0b61", "--count", "1"])
        #expect(run.status == 69)
        #expect(run.stderr.contains("no USB scanner 0c2e:0b61 found"), "\(run.stderr)")
    }

    @Test func devicesListsTheScannerWithItsMaker() async throws {
        let folder = try await replay("x\n")
        defer { try? FileManager.default.removeItem(at: folder) }
        let run = try await Command.run(try #require(Command.which("umockdev-run")),
                                              ["--device", "scanner.umockdev", "--", Repository.tracemark.path, "devices", "--json"],
                                              in: folder)
        #expect(run.status == 0, "\(run.stderr)")
        let listing = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
        let usb = listing?["usb"] as? [[String: Any]]
        let scanner = usb?.first { $0["id"] as? String == "05e0:1200" }
        #expect(scanner?["maker"] as? String == "Zebra (Symbol) scanners")
        #expect(scanner?["role"] as? String == "scanner")
        #expect((scanner?["interfaces"] as? [[String: Any]])?.first?["kind"] as? String == "keyboard")
    }
}

@Suite struct ScanCommandTests {
    @Test func standardInputScansArePrintedWithTheirGS1Reading() async throws {
        let run = try await Command.tracemark(["scan", "--device", "stdin", "--json", "--no-resolve"],
                                              stdin: "]d2010950110153000310LOT-7\r\nhello\n")
        #expect(run.status == 0, "\(run.stderr)")
        let lines = run.stdout.split(separator: "\n").map { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(lines.count == 2)
        #expect((lines.first??["gs1"] as? [String: Any])?["bracketed"] as? String == "(01)09501101530003(10)LOT-7")
        #expect(lines.last??["data"] as? String == "hello")
        #expect(lines.last??["gs1"] as? [String: Any] == nil)
    }

    /// Run as an unprivileged user (root may open anything), a terminal owned by root with mode
    /// 0620 is refused, and the message says how to get access.
    @Test(.enabled(if: getuid() == 0 && Command.which("setpriv") != nil, "needs root and setpriv to become nobody"))
    func aDeviceThisUserMayNotOpenIsExitStatus77() async throws {
        let terminal = try PseudoTerminal()
        let run = try await Command.run(try #require(Command.which("setpriv")), [
            "--reuid=nobody", "--regid=nogroup", "--clear-groups", Repository.tracemark.path,
            "scan", "--device", "serial:\(terminal.slavePath)", "--count", "1",
        ])
        #expect(run.status == 77, "\(run.stderr)")
        #expect(run.stderr == "tracemark: permission denied on \(terminal.slavePath): add the service user to the device's group (usually dialout) or install the udev rules in udev/\n")
    }

    @Test func eachScanIsResolvedAgainstTheRegistry() async throws {
        let folder = try Command.temporaryFolder("devices")
        defer { try? FileManager.default.removeItem(at: folder) }
        let db = folder.appendingPathComponent("registry.sqlite").path
        let demo = try await Command.tracemark(["demo", "--db", db])
        try #require(demo.status == 0, "\(demo.stderr)")
        // The lot the demo's receipt made: its name carries the month the demo ran in.
        let receiptLine = try #require(demo.stdout.split(separator: "\n").first { $0.hasPrefix("Receipt ") })
        let received = try #require(receiptLine.split(separator: ": ").last?.split(separator: ", ").first)
        let run = try await Command.tracemark(["scan", "--device", "stdin", "--json", "--db", db],
                                              stdin: "]C10109501101530003\u{1D}10\(received)\nSN1000006\n]C101bad\n")
        #expect(run.status == 0, "\(run.stderr)")
        let lines = run.stdout.split(separator: "\n").map { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(lines.count == 3)
        let lot = lines.first??["resolution"] as? [String: Any]
        #expect(lot?["subject"] as? String == "lot")
        let serial = lines.dropFirst().first??["resolution"] as? [String: Any]
        #expect(serial?["subject"] as? String == "serial")
        #expect((serial?["warnings"] as? [[String: Any]])?.first?["kind"] as? String == "notInStock")
        #expect((lines.last??["resolveError"] as? String)?.contains("cannot be read") == true)

        let text = try await Command.tracemark(["scan", "--device", "stdin", "--db", db], stdin: "SN1000006\n")
        #expect(text.stdout.contains("SERIAL  SN1000006 of PUMP-200"), "\(text.stdout)")
    }

    @Test func aBadDeviceIsExitStatus64() async throws {
        let run = try await Command.tracemark(["scan", "--device", "usb:nothex"])
        #expect(run.status == 64)
        #expect(run.stderr.contains("vendor and product ids are 4 hex digits"))
    }
}
