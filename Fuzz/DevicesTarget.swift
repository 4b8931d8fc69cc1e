#if canImport(Devices)
import Devices
#endif

/// What scanners send, whatever they send: the serial/TCP framer, the HID keyboard decoder, the
/// HID POS report decoder and the report-descriptor reader. None may crash or hang, and each keeps
/// its bounds: no frame longer than its maximum or holding its terminator, no POS scan longer
/// than the decoder's maximum.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    guard let setting = bytes.first else { return 0 }
    let data = bytes.dropFirst()

    // Framer: terminator, prefix/suffix and a small maximum chosen by the first byte.
    let lineEnd = ScanFraming.LineEnd.allCases[Int(setting) % ScanFraming.LineEnd.allCases.count]
    let maximum = 1 + Int(setting >> 2) % 40
    let framing = ScanFraming(lineEnd: lineEnd, interCharacterTimeout: setting & 0x40 != 0 ? .milliseconds(50) : nil,
                              prefix: setting & 0x80 != 0 ? [0x02] : [], suffix: setting & 0x20 != 0 ? [0x03] : [], maximumLength: maximum)
    var framer = ScanFramer(framing)
    var now: UInt64 = 0
    var frames: [FramedScan] = []
    for chunk in chunks(data, size: 1 + Int(setting % 7)) {
        now += UInt64(chunk.count) * 30_000_000
        frames += framer.receive(chunk, at: now)
        if let expired = framer.expire(at: now) { frames.append(expired) }
    }
    if let last = framer.finish() { frames.append(last) }
    for frame in frames.map(\.bytes) {
        if frame.count > maximum { fatalError("frame of \(frame.count) bytes, maximum \(maximum)") }
        if lineEnd == .lf, frame.contains(0x0A) { fatalError("frame holds its LF terminator") }
        if lineEnd == .cr, frame.contains(0x0D) { fatalError("frame holds its CR terminator") }
    }

    // HID keyboard: 8-byte boot reports, in each layout.
    let layouts: [KeyboardLayout] = [.us, .german, .french, .swedish]
    var keyboard = KeyboardDecoder(.init(layout: layouts[Int(setting) % layouts.count]))
    for report in chunks(data, size: 8) { _ = keyboard.decode(report) }
    _ = keyboard.finish()

    // HID POS: 64-byte reports, with and without continuation.
    var pos = POSReportDecoder(.standard)
    pos.maximumLength = 200
    for report in chunks(data, size: 64) {
        if let scan = pos.decode(report), scan.data.count > pos.maximumLength {
            fatalError("POS scan of \(scan.data.count) bytes, maximum \(pos.maximumLength)")
        }
    }
    _ = HIDReportDescriptor(Array(data))
    return 0
}

private func chunks(_ bytes: ArraySlice<UInt8>, size: Int) -> [[UInt8]] {
    stride(from: bytes.startIndex, to: bytes.endIndex, by: size).map { Array(bytes[$0..<min($0 + size, bytes.endIndex)]) }
}
