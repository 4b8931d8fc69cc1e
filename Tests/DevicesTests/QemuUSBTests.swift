import Foundation
import Testing
import TracemarkTesting

/// libusb on a real kernel USB stack: `../shared/usb/qemu-harness.sh` boots a small Linux guest
/// with qemu's emulated USB keyboard (0627:0001, a boot keyboard exactly like a keyboard-mode
/// scanner) and USB serial adapter (FTDI, /dev/ttyUSB0), runs `tracemark scan` inside it, types a
/// GS1 scan with GS as Ctrl+], unplugs and re-plugs the keyboard, types a second scan, and writes
/// one scan into the serial port. About 25 s; the kernel is fetched once into .build/qemu-usb.
@Suite(.enabled(if: QemuHarness.isAvailable, "qemu-system-x86 is not installed (scripts/install-deps.sh installs it)"))
struct QemuUSBTests {
    /// A guest shell line printing the driver bound to the keyboard's interface 0.
    static func driver(_ tag: String) -> String {
        "for i in /sys/bus/usb/devices/*:1.0; do if [ \"$(cat $i/../idVendor)\" = 0627 ]; then "
            + "if [ -e $i/driver ]; then echo \"@@DRIVER \(tag) $(basename $(readlink $i/driver))@@\"; "
            + "else echo \"@@DRIVER \(tag) none@@\"; fi; fi; done; "
    }

    @Test func scansComeThroughTheKernelUSBStackAndSurviveReplugging() async throws {
        let files = try await QemuHarness.prepare()
        defer { try? FileManager.default.removeItem(at: files) }
        let (run, guest) = try await QemuHarness.run(files: files, timeout: 900, options: [
            "--wait-for", "Devices\\] reading",
            "--serial-text", "SER-1\\r",
            "--keys", "]C10109501101530003{ctrl-bracket_right}10ABC\\n{unplug}{sleep:1}{replug}{sleep:8}]d2SECOND\\n",
        ], command:
            // A registry to resolve against (the demo's: PAINT-5L has GTIN 09501101530003).
            "./tracemark demo --db reg.sqlite > /dev/null; "
                + "./tracemark scan --no-resolve --device serial:/dev/ttyUSB0 --count 1 --json --verbose > serial.out & "
                + "./tracemark scan --db reg.sqlite --device usb:0627:0001 --count 2 --json --verbose; wait; cat serial.out; "
                + Self.driver("COUNT")
                // Stopped by Ctrl+C (SIGINT) while reading: the keyboard driver must come back too.
                + "./tracemark scan --no-resolve --device usb:0627:0001 --verbose & p=$!; " + QemuHarness.waitForClaim
                + Self.driver("READING")
                // A second program asking for the same scanner is told who holds it.
                + "./tracemark scan --no-resolve --device usb:0627:0001 --count 1; echo \"@@BUSY rc=$? holder=$p@@\"; "
                + "kill -INT $p; wait $p; echo \"@@INT rc=$?@@\"; " + Self.driver("INT"))
        #expect(run.status == 0, "guest: \(guest)\nharness: \(run.stderr)")
        let scans = guest.split(separator: "\n").filter { $0.hasPrefix("{") }
            .compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let usb = scans.filter { $0["source"] as? String == "usb:0627:0001" }
        #expect(usb.count == 2, "\(guest)")
        #expect((usb.first?["gs1"] as? [String: Any])?["bracketed"] as? String == "(01)09501101530003(10)ABC")
        #expect(usb.first?["data"] as? String == "0109501101530003\u{1D}10ABC")
        // Resolved in the guest against its registry: the product is known, lot ABC is not.
        let resolution = usb.first?["resolution"] as? [String: Any]
        #expect((resolution?["product"] as? [String: Any])?["article"] as? String == "PAINT-5L", "\(guest)")
        #expect((resolution?["warnings"] as? [[String: Any]])?.first?["kind"] as? String == "unknownLotSerial", "\(guest)")
        #expect(usb.last?["symbologyIdentifier"] as? String == "]d2")
        #expect(usb.last?["data"] as? String == "SECOND")
        #expect(scans.contains { $0["source"] as? String == "serial:/dev/ttyUSB0" && $0["data"] as? String == "SER-1" }, "\(guest)")
        // The kernel's keyboard driver held the device and was detached, also after re-plugging.
        #expect(guest.contains("detached=true"))
        #expect(guest.contains("scanner unplugged"))
        #expect(guest.contains("scanner back, reading again"))
        // Held through usbfs while reading; given back to usbhid when the command ends by itself or on Ctrl+C.
        #expect(guest.contains("@@DRIVER COUNT usbhid@@"), "\(guest)")
        #expect(guest.contains("@@DRIVER READING usbfs@@"), "\(guest)")
        let busy = try #require(guest.split(separator: "\n").first { $0.hasPrefix("@@BUSY rc=") }, "\(guest)")
        #expect(busy.hasPrefix("@@BUSY rc=69 holder="), "\(guest)")
        let holder = busy.dropFirst("@@BUSY rc=69 holder=".count).dropLast(2)
        #expect(guest.contains("cannot claim interface 0 of USB device 0627:0001: another program has claimed it: held by tracemark (pid \(holder))"),
                "\(guest)")
        #expect(guest.contains("@@INT rc=0@@"), "\(guest)")
        #expect(guest.contains("@@DRIVER INT usbhid@@"), "\(guest)")
    }
}
