import Devices
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// libusb end to end without hardware: `tracemark scan` runs under umockdev, which fakes a Symbol
/// 05e0:1200 keyboard-mode scanner (sysfs, /dev/bus/usb node) and replays its interrupt reports
/// (`../shared/usb/umockdev-scanner.py` writes the device; the reports are the script's, or
/// written here for other layouts). The real libusb enumerates, checks the kernel driver, claims
/// the interface and reads the reports; the Devices target decodes them.
@Suite(.enabled(if: CommandRunner.which("umockdev-run") != nil, "umockdev is not installed (scripts/install-deps.sh installs it)"))
struct USBReplayTests {
    /// Writes scanner.umockdev and scanner.ioctl for `payload` (US layout) into a new folder.
    private func replay(_ payload: String) async throws -> URL {
        let folder = try CommandRunner.temporaryFolder()
        let script = CommandRunner.sharedUSB.appendingPathComponent("umockdev-scanner.py").path
        let made = try await CommandRunner.run(try #require(CommandRunner.which("python3")), [script, payload], in: folder)
        try #require(made.status == 0, "\(made.stderr)")
        return folder
    }

    private func scan(in folder: URL, _ arguments: [String]) async throws -> CommandRunner.Run {
        try await CommandRunner.run(try #require(CommandRunner.which("umockdev-run")),
                                    ["--device", "scanner.umockdev", "--ioctl", "/dev/bus/usb/001/011=scanner.ioctl", "--",
                                     CommandRunner.tracemark.path, "scan", "--no-resolve"] + arguments,
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
        #expect(run.status == 0, "\(run.stderr)")
        let line = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
        #expect(line?["source"] as? String == "usb:0c2e:0b61")
        #expect(line?["symbologyIdentifier"] as? String == "]d2")
        #expect(line?["hex"] as? String == data.map { String(format: "%02x", $0) }.joined())
        #expect(line?["data"] as? String == String(decoding: data, as: UTF8.self))
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
        let run = try await CommandRunner.run(try #require(CommandRunner.which("umockdev-run")),
                                              ["--device", "scanner.umockdev", "--", CommandRunner.tracemark.path, "devices", "--json"],
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
        let run = try await CommandRunner.run(CommandRunner.tracemark.path, ["scan", "--device", "stdin", "--json", "--no-resolve"],
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
    @Test(.enabled(if: getuid() == 0 && CommandRunner.which("setpriv") != nil, "needs root and setpriv to become nobody"))
    func aDeviceThisUserMayNotOpenIsExitStatus77() async throws {
        let terminal = try PseudoTerminal()
        let run = try await CommandRunner.run(try #require(CommandRunner.which("setpriv")), [
            "--reuid=nobody", "--regid=nogroup", "--clear-groups", CommandRunner.tracemark.path,
            "scan", "--device", "serial:\(terminal.slavePath)", "--count", "1",
        ])
        #expect(run.status == 77, "\(run.stderr)")
        #expect(run.stderr == "tracemark: permission denied on \(terminal.slavePath): add the service user to the device's group (usually dialout) or install the udev rules in udev/\n")
    }

    @Test func eachScanIsResolvedAgainstTheRegistry() async throws {
        let folder = try CommandRunner.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let db = folder.appendingPathComponent("registry.sqlite").path
        let demo = try await CommandRunner.run(CommandRunner.tracemark.path, ["demo", "--db", db])
        try #require(demo.status == 0, "\(demo.stderr)")
        let run = try await CommandRunner.run(CommandRunner.tracemark.path, ["scan", "--device", "stdin", "--json", "--db", db],
                                              stdin: "]C10109501101530003\u{1D}10L2611-0003\nSN1000006\n]C101bad\n")
        #expect(run.status == 0, "\(run.stderr)")
        let lines = run.stdout.split(separator: "\n").map { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(lines.count == 3)
        let lot = lines.first??["resolution"] as? [String: Any]
        #expect(lot?["subject"] as? String == "lot")
        let serial = lines.dropFirst().first??["resolution"] as? [String: Any]
        #expect(serial?["subject"] as? String == "serial")
        #expect((serial?["warnings"] as? [[String: Any]])?.first?["kind"] as? String == "notInStock")
        #expect((lines.last??["resolveError"] as? String)?.contains("cannot be read") == true)

        let text = try await CommandRunner.run(CommandRunner.tracemark.path, ["scan", "--device", "stdin", "--db", db], stdin: "SN1000006\n")
        #expect(text.stdout.contains("SERIAL  SN1000006 of PUMP-200"), "\(text.stdout)")
    }

    @Test func aBadDeviceIsExitStatus64() async throws {
        let run = try await CommandRunner.run(CommandRunner.tracemark.path, ["scan", "--device", "usb:nothex"])
        #expect(run.status == 64)
        #expect(run.stderr.contains("vendor and product ids are 4 hex digits"))
    }
}
