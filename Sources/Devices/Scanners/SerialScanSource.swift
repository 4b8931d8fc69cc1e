public import Logging
import TracemarkSystem

/// A serial scanner: termios in raw mode, scans cut at the configured terminator or after the
/// inter-character timeout, prefix and suffix removed. When the device disappears (a USB adapter
/// unplugged) it is reopened as soon as it is back; every change is logged.
public struct SerialScanSource: ScanSource {
    /// The port and its line settings.
    public let configuration: SerialConfiguration
    /// When false, a device that cannot be opened at the start ends the sequence with the error
    /// (what a person at `tracemark scan` wants); a device lost later is always waited for.
    public let waitsForDevice: Bool
    /// `serial:PATH`.
    public let name: String
    let logger: Logger

    /// A source for the port `configuration` names, logging its state changes to `logger`.
    public init(_ configuration: SerialConfiguration, waitsForDevice: Bool = true,
                logger: Logger = Logger(label: "tracemark.devices")) {
        self.configuration = configuration
        self.waitsForDevice = waitsForDevice
        self.name = "serial:\(configuration.path)"
        self.logger = logger
    }

    public func scans() -> ScanEvents {
        let source = self
        return ReaderThread.start(name: name) { context in try source.run(context) }
    }

    private func run(_ context: ReaderContext) throws {
        try configuration.validate()
        let metadata: Logger.Metadata = ["scanner": "\(name)"]
        var everOpened = false
        var lastError: DevicesError?
        while !context.isStopped {
            let port: SerialPort
            do throws(DevicesError) {
                port = try SerialPort(configuration)
            } catch {
                if !everOpened && !waitsForDevice { throw error }
                if error != lastError {
                    logger.warning("\(error.message); waiting for it", metadata: metadata)
                    lastError = error
                }
                guard context.pause(configuration.reopenInterval) else { return }
                continue
            }
            // Back after a problem the log showed: said at the level the problem was seen at.
            logger.log(level: lastError == nil ? .info : .notice, everOpened ? "reopened" : "opened", metadata: metadata.merging([
                "baud": "\(configuration.baudRate)",
                "framing": "\(configuration.dataBits)\(configuration.parity.rawValue.prefix(1).uppercased())\(configuration.stopBits)",
            ]) { $1 })
            everOpened = true
            lastError = nil
            var reader = DescriptorReader(fd: port.fd, source: name, framing: configuration.framing)
            switch reader.run(context, atEnd: .drop) {
            case .stopped:
                return
            case .endOfInput:
                // A scan it was sending is lost: said, as the TCP and stdin sources say it (a QA run
                // unplugged a scanner mid-scan and the log said only that it went).
                let cut = reader.cutOff > 0
                    ? " in the middle of a scan (\(reader.cutOff) bytes with no end of line: not read, scan it again)" : ""
                logger.warning("device disappeared\(cut); reopening when it is back", metadata: metadata)
            case .failed(let error):
                logger.warning("read failed: \(errnoText(error)); reopening", metadata: metadata)
            }
            guard context.pause(configuration.reopenInterval) else { return }
        }
    }
}
