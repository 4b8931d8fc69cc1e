/// One scan cut from a byte stream.
public struct FramedScan: Hashable, Sendable {
    /// Its bytes, without terminator, prefix or suffix; for an over-long one, its first
    /// ``ScanFraming/maximumLength`` bytes.
    public var bytes: [UInt8]
    /// Its whole length when it ran past ``ScanFraming/maximumLength`` (no barcode is that long: a
    /// scanner sending no terminator, or something that is not a scanner): the rest of it was
    /// dropped, and it is no scan to act on. Nil for a scan of an allowed length.
    public var overlongLength: Int?

    public init(_ bytes: [UInt8], overlongLength: Int? = nil) {
        self.bytes = bytes
        self.overlongLength = overlongLength
    }
}

/// Cuts a byte stream into scans by ``ScanFraming``: a value-type state machine fed with bytes and
/// the time they arrived, so it can be tested without a device and a clock.
///
/// Times are monotonic nanoseconds (any origin).
public struct ScanFramer: Sendable {
    /// How scans are cut.
    public let framing: ScanFraming
    private var buffer: [UInt8] = []
    /// `.crlf`: a CR was seen and may be the start of the terminator.
    private var pendingCR = false
    /// `.any`, `.cr`: the last byte was a CR ending a scan, so an LF right after it ends nothing
    /// and is no data (a scanner sending CR LF to a port set for CR).
    private var swallowLF = false
    private var lastByteAt: UInt64?
    /// The bytes of the current scan so far, once it has run past the maximum length (the rest
    /// is counted, not kept, until its end).
    private var overlong: Int?

    /// A framer with nothing buffered.
    public init(_ framing: ScanFraming) {
        self.framing = framing
    }

    private var timeoutNanoseconds: UInt64? {
        guard let timeout = framing.interCharacterTimeout else { return nil }
        let (seconds, attoseconds) = timeout.components
        return UInt64(max(0, seconds)) * 1_000_000_000 + UInt64(max(0, attoseconds) / 1_000_000_000)
    }

    /// True while part of a scan is buffered.
    public var hasPartialScan: Bool { !buffer.isEmpty || pendingCR || overlong != nil }

    /// When the inter-character timeout ends the buffered scan, if nothing else arrives.
    public var deadline: UInt64? {
        guard hasPartialScan, let timeout = timeoutNanoseconds, let last = lastByteAt else { return nil }
        return last + timeout
    }

    /// Takes `bytes` that arrived at `now` and returns the scans they complete, in order.
    public mutating func receive(_ bytes: some Sequence<UInt8>, at now: UInt64) -> [FramedScan] {
        var scans: [FramedScan] = []
        if let scan = expire(at: now) { scans.append(scan) }
        for byte in bytes {
            switch framing.lineEnd {
            case .cr:
                if byte == 13 {
                    complete(into: &scans)
                    swallowLF = true
                } else if byte == 10 && swallowLF {
                    swallowLF = false
                } else {
                    swallowLF = false
                    append(byte, into: &scans)
                }
            case .lf:
                if byte == 10 { complete(into: &scans) } else { append(byte, into: &scans) }
            case .crlf:
                if pendingCR {
                    pendingCR = false
                    if byte == 10 { complete(into: &scans); continue }
                    append(13, into: &scans)
                }
                if byte == 13 { pendingCR = true } else { append(byte, into: &scans) }
            case .any:
                if byte == 13 {
                    complete(into: &scans)
                    swallowLF = true
                } else if byte == 10 {
                    if swallowLF { swallowLF = false } else { complete(into: &scans) }
                } else {
                    swallowLF = false
                    append(byte, into: &scans)
                }
            }
        }
        lastByteAt = now
        return scans
    }

    /// The buffered scan when the inter-character timeout has passed at `now`, else `nil`.
    public mutating func expire(at now: UInt64) -> FramedScan? {
        guard let deadline, now >= deadline else { return nil }
        pendingCR = false
        return take()
    }

    /// The buffered scan at the end of the input (EOF, device gone), if any.
    public mutating func finish() -> FramedScan? {
        pendingCR = false
        swallowLF = false
        return take()
    }

    /// The end of a connection (the peer closed or reset it): a scan framed by a silence ends
    /// there and is returned; the part of one whose line end never came was cut off and is no
    /// scan: it is dropped and its length returned (to say so), never acted on.
    public mutating func end() -> (scan: FramedScan?, cutOff: Int) {
        if framing.interCharacterTimeout != nil { return (finish(), 0) }
        let cut = partialLength
        reset()
        return (nil, cut)
    }

    /// The bytes of the scan begun and not ended yet.
    public var partialLength: Int { (overlong ?? buffer.count) + (pendingCR ? 1 : 0) }

    /// Forgets the buffered part (the device went away in the middle of a scan).
    public mutating func reset() {
        buffer.removeAll()
        overlong = nil
        pendingCR = false
        swallowLF = false
        lastByteAt = nil
    }

    private mutating func append(_ byte: UInt8, into scans: inout [FramedScan]) {
        if let length = overlong {
            overlong = length + 1
            return
        }
        guard buffer.count < framing.maximumLength else {
            // One scan however long, refused as such, rather than many cut from it and each acted on.
            overlong = buffer.count + 1
            return
        }
        buffer.append(byte)
    }

    private mutating func complete(into scans: inout [FramedScan]) {
        if let scan = take() { scans.append(scan) }
    }

    /// The buffer with prefix and suffix removed and the GS substitute turned back into GS, or
    /// `nil` when nothing is left of it.
    private mutating func take() -> FramedScan? {
        if let length = overlong {
            overlong = nil
            defer { buffer.removeAll(keepingCapacity: true) }
            return FramedScan(buffer, overlongLength: length)
        }
        var scan = buffer[...]
        buffer.removeAll(keepingCapacity: true)
        if !framing.prefix.isEmpty, scan.starts(with: framing.prefix) { scan = scan.dropFirst(framing.prefix.count) }
        if !framing.suffix.isEmpty, scan.count >= framing.suffix.count,
           scan.suffix(framing.suffix.count).elementsEqual(framing.suffix) {
            scan = scan.dropLast(framing.suffix.count)
        }
        guard !scan.isEmpty else { return nil }
        let substitute = framing.groupSeparatorSubstitute
        return FramedScan(substitute.isEmpty ? Array(scan) : KeyboardDecoder.replacing(substitute, with: 0x1D, in: Array(scan)))
    }
}
