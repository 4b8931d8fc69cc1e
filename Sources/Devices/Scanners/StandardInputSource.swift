public import Logging
import TracemarkSystem

/// Scans typed into a terminal or piped in, one per line: keyboard-wedge scanners on a console,
/// and scripts. The sequence ends with the input.
public struct StandardInputSource: ScanSource {
    /// The descriptor read (0 for standard input; tests pass a pipe).
    public let fileDescriptor: Int32
    /// How lines are cut (CR, LF or CR LF by default).
    public let framing: ScanFraming
    /// `stdin` unless named otherwise.
    public let name: String
    /// Whether a last line the input's end cut off (no CR or LF after it) is dropped rather than
    /// taken as a scan: a station's scanner drops it, as a TCP scanner's closed connection does
    /// (a QA run's receipt took a truncated lot number so, and printed its label); a script
    /// piping codes to `tracemark scan` ends its last one with the input.
    public let dropsUnendedLastLine: Bool
    let logger: Logger

    /// Reads `fileDescriptor` (standard input by default).
    public init(fileDescriptor: Int32 = 0, framing: ScanFraming = .lines, name: String = "stdin",
                dropsUnendedLastLine: Bool = false, logger: Logger = Logger(label: "tracemark.devices")) {
        self.fileDescriptor = fileDescriptor
        self.framing = framing
        self.name = name
        self.dropsUnendedLastLine = dropsUnendedLastLine
        self.logger = logger
    }

    public func scans() -> ScanEvents {
        let fd = fileDescriptor, framing = framing, name = name, logger = logger, drops = dropsUnendedLastLine
        return ReaderThread.start(name: name) { context in
            var reader = DescriptorReader(fd: fd, source: name, framing: framing)
            let end = reader.run(context, atEnd: drops ? .connection : .flush)
            if reader.cutOff > 0 {
                logger.warning("the input ended in the middle of a scan (\(reader.cutOff) bytes with no end of line): it was not read; scan it again",
                               metadata: ["scanner": "\(name)"])
            }
            switch end {
            case .endOfInput:
                logger.debug("input ended", metadata: ["scanner": "\(name)"])
            case .stopped:
                break
            case .failed(let error):
                throw DevicesError(.io, "reading \(name) failed: \(errnoText(error))", device: name, cause: errnoText(error))
            }
        }
    }
}
