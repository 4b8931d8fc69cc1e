// Devices benchmarks: how long decoding adds between the last byte (or report) of a scan and
// its scan event, and how many scans per second decoding sustains. Run with `make bench-devices`
// (release build); figures and conditions are in BENCHMARKS.md.
import Devices
import Foundation

#if canImport(Glibc)
import Glibc
#endif

let clock = ContinuousClock()
let arguments = CommandLine.arguments
let scale = arguments.firstIndex(of: "--scale").flatMap { Double(arguments[$0 + 1]) } ?? 1

func count(_ n: Int) -> Int { max(10, Int(Double(n) * scale)) }

func microseconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1e6 + Double(duration.components.attoseconds) / 1e12
}

func percentile(_ sorted: [Double], _ p: Double) -> Double {
    sorted[min(sorted.count - 1, Int(Double(sorted.count - 1) * p))]
}

func report(_ name: String, _ samples: [Double]) {
    let sorted = samples.sorted()
    print(String(format: "%@: p50 %.2f µs, p99 %.2f µs, max %.2f µs (%d scans)", name, percentile(sorted, 0.5),
                 percentile(sorted, 0.99), sorted.last ?? 0, sorted.count))
}

/// A GS1 scan as a keyboard-mode scanner types it on a US layout: key down, key up per character.
let scanText = "]d2010950110153000317271231" + "10LOT-2026-11-A\u{1D}21SN0000123456"
let us = KeyboardLayout.us
var scanReports: [[UInt8]] = []
for character in scanText {
    if character == "\u{1D}" {
        scanReports += [[0x01, 0, 0x30, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0]]
        continue
    }
    let stroke = us.keystrokes(for: character)[0]
    scanReports += [[stroke.level == .shift ? 0x02 : 0, 0, stroke.usage, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0]]
}
let enterDown: [UInt8] = [0, 0, 0x28, 0, 0, 0, 0, 0], allUp: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0]

// 1. HID keyboard: latency of the Enter report to the scan event, and throughput.
do {
    var decoder = KeyboardDecoder()
    var samples: [Double] = []
    let scans = count(20_000)
    var events = 0
    let start = clock.now
    for _ in 0..<scans {
        for report in scanReports { _ = decoder.decode(report) }
        let t0 = clock.now
        for scan in decoder.decode(enterDown) {
            let event = ScanEvent(transmitted: scan, source: "usb:bench")
            events += event.data.isEmpty ? 0 : 1
        }
        samples.append(microseconds(clock.now - t0))
        _ = decoder.decode(allUp)
    }
    let elapsed = clock.now - start
    precondition(events == scans, "every scan decoded")
    report("HID keyboard, Enter report to scan event", samples)
    let reports = Double(scans * (scanReports.count + 2))
    print(String(format: "HID keyboard throughput: %.0f scans/s, %.0f reports/s (%d-character GS1 scan, %d reports each)",
                 Double(scans) / (microseconds(elapsed) / 1e6), reports / (microseconds(elapsed) / 1e6), scanText.count,
                 scanReports.count + 2))
}

// 2. HID POS: one 64-byte report per scan.
do {
    var decoder = POSReportDecoder()
    var posReport = [UInt8](repeating: 0, count: 64)
    let data = Array(scanText.dropFirst(3).utf8)
    posReport[0] = 2
    posReport[1] = UInt8(data.count)
    for (index, byte) in "]d2".utf8.enumerated() { posReport[2 + index] = byte }
    for (index, byte) in data.enumerated() { posReport[5 + index] = byte }
    var samples: [Double] = []
    let scans = count(100_000)
    let start = clock.now
    for _ in 0..<scans {
        let t0 = clock.now
        if let scan = decoder.decode(posReport) {
            _ = ScanEvent(data: scan.data, symbologyIdentifier: scan.symbologyIdentifier, source: "usb:bench")
        }
        samples.append(microseconds(clock.now - t0))
    }
    let elapsed = clock.now - start
    report("HID POS, report to scan event", samples)
    print(String(format: "HID POS throughput: %.0f scans/s", Double(scans) / (microseconds(elapsed) / 1e6)))
}

// 3. Serial at 115200 baud through a real pseudo-terminal: from writing the CR that ends a scan
//    to the consumer holding its event (thread wake-up, read, framing, hand-over to async code).
//    A pty has no wire: at 115200 8N1 each byte takes 86.8 µs on a real line, on top of this.
do {
    let master = open("/dev/ptmx", O_RDWR | O_NOCTTY)
    var unlock: Int32 = 0, number: UInt32 = 0
    guard master >= 0, ioctl(master, UInt(0x4004_5431), &unlock) == 0, ioctl(master, UInt(0x8004_5430), &number) == 0 else {
        fatalError("no pseudo-terminal")
    }
    let source = SerialScanSource(SerialConfiguration(path: "/dev/pts/\(number)", baudRate: 115200))
    var iterator = source.scans().makeAsyncIterator()
    // Wait until the source has put the terminal in raw mode.
    while true {
        var settings = termios()
        tcgetattr(master, &settings)
        if settings.c_lflag & tcflag_t(ICANON) == 0 { break }
        try await Task.sleep(for: .milliseconds(5))
    }
    let body = Array(scanText.utf8)
    var samples: [Double] = []
    for _ in 0..<count(5_000) {
        _ = write(master, body, body.count)
        let t0 = clock.now
        var cr: UInt8 = 13
        _ = write(master, &cr, 1)
        guard let event = try await iterator.next() else { fatalError("serial source ended") }
        samples.append(microseconds(clock.now - t0))
        precondition(event.data.count == body.count - 3)
    }
    report("Serial 115200 (pty), CR written to scan event", samples)
    close(master)
}
