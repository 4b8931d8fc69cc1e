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
    let logger: Logger

    /// Reads `fileDescriptor` (standard input by default).
    public init(fileDescriptor: Int32 = 0, framing: ScanFraming = .lines, name: String = "stdin",
                logger: Logger = Logger(label: "tracemark.devices")) {
        self.fileDescriptor = fileDescriptor
        self.framing = framing
        self.name = name
        self.logger = logger
    }

    public func scans() -> ScanEvents {
        let fd = fileDescriptor, framing = framing, name = name, logger = logger
        return ReaderThread.start(name: name) { context in
            var reader = DescriptorReader(fd: fd, source: name, framing: framing)
            switch reader.run(context, atEnd: .flush) {
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
