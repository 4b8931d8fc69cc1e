public import Logging
public import ServiceLifecycle

/// A scanner as a long-lived service: reads its source and hands every scan to `onScan` until the
/// service group shuts down gracefully (or its task is cancelled), then stops the source's reader
/// thread and gives the device back.
///
/// Run it in a `ServiceGroup` with the rest of `tracemark serve`; a source that loses its device
/// keeps waiting for it, so the service ends only on shutdown or an error it cannot recover from.
public struct ScanService: Service {
    /// The scanner read.
    public let source: any ScanSource
    private let onScan: @Sendable (ScanEvent) async throws -> Void
    private let logger: Logger

    /// A service reading `source` and calling `onScan` for each scan, one at a time, in order.
    public init(source: any ScanSource, logger: Logger = Logger(label: "tracemark.devices"),
                onScan: @escaping @Sendable (ScanEvent) async throws -> Void) {
        self.source = source
        self.onScan = onScan
        self.logger = logger
    }

    public func run() async throws {
        logger.info("scanner service started", metadata: ["scanner": "\(source.name)"])
        let events = source.scans()
        do {
            // On graceful shutdown the source stops reading, and the scans it read already (the
            // stream's buffer, a network scanner's unread lines) are still handled before this
            // ends: a scan a scanner sent is not dropped because the service is stopping.
            try await withGracefulShutdownHandler {
                for try await event in events {
                    try await onScan(event)
                }
            } onGracefulShutdown: {
                events.stopReading()
            }
        } catch {
            await events.finish()
            throw error
        }
        await events.finish()
        logger.info("scanner service stopped", metadata: ["scanner": "\(source.name)"])
    }
}
