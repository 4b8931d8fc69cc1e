public import Devices
public import Logging
public import ServiceLifecycle

/// A station as a long-lived service: reads each of its scanners and hands every scan to the
/// station. A scanner that fails is logged and opened again after a pause; it never stops the
/// station's other scanners, nor the other stations. On graceful shutdown each scanner stops
/// taking scans, the scan in hand is finished, and the devices are given back.
public struct StationService: Service {
    public let station: Station
    public let scanners: [any ScanSource]
    private let logger: Logger
    private let onOutcome: @Sendable (ScanOutcome, StationScan) async -> Void

    public init(station: Station, scanners: [any ScanSource], logger: Logger = Logger(label: "tracemark.stations"),
                onOutcome: @escaping @Sendable (ScanOutcome, StationScan) async -> Void = { _, _ in }) {
        self.station = station
        self.scanners = scanners
        var logger = logger
        logger[metadataKey: "station"] = .string(station.configuration.name)
        self.logger = logger
        self.onOutcome = onOutcome
    }

    public func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            for scanner in scanners { group.addTask { await read(scanner) } }
        }
    }

    private func read(_ scanner: any ScanSource) async {
        var pause: Duration = .milliseconds(500)
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            let service = ScanService(source: scanner, logger: logger) { event in
                let scan = StationScan(data: event.data, symbologyIdentifier: event.symbologyIdentifier, device: event.source,
                                       time: event.time)
                let outcome = await station.handle(scan)
                await onOutcome(outcome, scan)
            }
            do {
                try await service.run()
                return
            } catch is CancellationError {
                return
            } catch {
                logger.error("scanner failed: \(error); opening it again in \(pause)", metadata: ["device": "\(scanner.name)"])
            }
            let wait = pause
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: wait) }
            } catch {
                return
            }
            pause = min(pause * 2, .seconds(30))
        }
    }
}
