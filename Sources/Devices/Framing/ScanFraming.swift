/// How a byte stream (serial port, TCP connection, standard input) is cut into scans.
public struct ScanFraming: Hashable, Sendable {
    /// What ends a scan.
    public enum LineEnd: String, Hashable, Sendable, CaseIterable {
        /// Carriage return (the default of most serial scanners).
        case cr
        /// Line feed.
        case lf
        /// CR followed by LF; a lone CR is data.
        case crlf
        /// Any of CR, LF or CR LF (one scan per line of text).
        case any
    }

    /// What ends a scan.
    public var lineEnd: LineEnd
    /// A scan also ends when no byte followed for this long (scanners set to send no terminator).
    public var interCharacterTimeout: Duration?
    /// Bytes the scanner is configured to send before each scan; removed when present.
    public var prefix: [UInt8]
    /// Bytes the scanner is configured to send after each scan (before the terminator); removed when present.
    public var suffix: [UInt8]
    /// The longest scan: a longer one (a stream that never sends a terminator, something that is
    /// not a scanner) is kept to this length and marked (``FramedScan/overlongLength``), and the
    /// rest of it, up to its terminator, dropped.
    public var maximumLength: Int
    /// Text the scanner is set to send instead of GS (`<GS>`, `~`), turned back into GS (0x1D)
    /// in each scan; empty: none.
    public var groupSeparatorSubstitute: [UInt8] = []

    /// The longest scan by default, in bytes: far more than any barcode holds (a 2D symbol about
    /// 3,000), so that what runs past it is a scanner sending without end, not a label.
    public static let defaultMaximumLength = 8192

    /// Framing with the given terminator and, optionally, timeout, prefix and suffix.
    public init(lineEnd: LineEnd = .any, interCharacterTimeout: Duration? = nil, prefix: [UInt8] = [],
                suffix: [UInt8] = [], maximumLength: Int = ScanFraming.defaultMaximumLength) {
        self.lineEnd = lineEnd
        self.interCharacterTimeout = interCharacterTimeout
        self.prefix = prefix
        self.suffix = suffix
        self.maximumLength = maximumLength
    }

    /// One scan per line: CR, LF or CR LF.
    public static let lines = ScanFraming()
}
