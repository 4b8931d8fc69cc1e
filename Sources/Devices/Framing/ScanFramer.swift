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
    /// `.any`: the last byte was a CR ending a scan, so an LF right after it ends nothing.
    private var swallowLF = false
    private var lastByteAt: UInt64?

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
    public var hasPartialScan: Bool { !buffer.isEmpty || pendingCR }

    /// When the inter-character timeout ends the buffered scan, if nothing else arrives.
    public var deadline: UInt64? {
        guard hasPartialScan, let timeout = timeoutNanoseconds, let last = lastByteAt else { return nil }
        return last + timeout
    }

    /// Takes `bytes` that arrived at `now` and returns the scans they complete, in order.
    public mutating func receive(_ bytes: some Sequence<UInt8>, at now: UInt64) -> [[UInt8]] {
        var scans: [[UInt8]] = []
        if let scan = expire(at: now) { scans.append(scan) }
        for byte in bytes {
            switch framing.lineEnd {
            case .cr:
                if byte == 13 { complete(into: &scans) } else { append(byte, into: &scans) }
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
    public mutating func expire(at now: UInt64) -> [UInt8]? {
        guard let deadline, now >= deadline else { return nil }
        pendingCR = false
        return take()
    }

    /// The buffered scan at the end of the input (EOF, device gone), if any.
    public mutating func finish() -> [UInt8]? {
        pendingCR = false
        swallowLF = false
        return take()
    }

    /// Forgets the buffered part (the device went away in the middle of a scan).
    public mutating func reset() {
        buffer.removeAll()
        pendingCR = false
        swallowLF = false
        lastByteAt = nil
    }

    private mutating func append(_ byte: UInt8, into scans: inout [[UInt8]]) {
        buffer.append(byte)
        if buffer.count >= framing.maximumLength { complete(into: &scans) }
    }

    private mutating func complete(into scans: inout [[UInt8]]) {
        if let scan = take() { scans.append(scan) }
    }

    /// The buffer with prefix and suffix removed, or `nil` when nothing is left of it.
    private mutating func take() -> [UInt8]? {
        var scan = buffer[...]
        buffer.removeAll(keepingCapacity: true)
        if !framing.prefix.isEmpty, scan.starts(with: framing.prefix) { scan = scan.dropFirst(framing.prefix.count) }
        if !framing.suffix.isEmpty, scan.count >= framing.suffix.count,
           scan.suffix(framing.suffix.count).elementsEqual(framing.suffix) {
            scan = scan.dropLast(framing.suffix.count)
        }
        return scan.isEmpty ? nil : Array(scan)
    }
}
