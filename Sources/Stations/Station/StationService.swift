public import Devices
public import Logging
public import ServiceLifecycle
import TracemarkSystem

/// A station as a long-lived service: reads each of its scanners and hands every scan to the
/// station. A scanner that fails is logged and opened again after a pause; it never stops the
/// station's other scanners, nor the other stations. On graceful shutdown each scanner stops
/// taking scans, the scan in hand is finished, and the devices are given back.
///
/// The station is claimed in the database first: of several processes configured with it, one
/// runs it; the others say who holds it, stand by, and take over when it stops.
public struct StationService: Service {
    public let station: Station
    /// Opens the station's scanners: only once the station is claimed, so that a standby process
    /// neither holds the devices nor listens where scanners connect.
    private let makeScanners: @Sendable () throws -> [any ScanSource]
    /// A production line's verify scanners, which read each printed label; opened with the others.
    private let makeVerifiers: @Sendable () throws -> [any ScanSource]
    /// How long a claim lasts without renewal: how soon a standby takes over from a process on
    /// another machine that stopped answering. Renewed every third of it.
    public let claimDuration: Duration
    private let logger: Logger
    private let onOutcome: @Sendable (ScanOutcome, StationScan) async -> Void
    private let onHeld: @Sendable (String) async -> Void

    /// A service for `station` reading `scanners`; `onOutcome` hears every scan's outcome, and
    /// `onHeld` why the station waits (another process holds it).
    public init(station: Station, claimDuration: Duration = .seconds(30),
                logger: Logger = Logger(label: "tracemark.stations"),
                onHeld: @escaping @Sendable (String) async -> Void = { _ in },
                verifiers: @escaping @Sendable () throws -> [any ScanSource] = { [] },
                scanners: @escaping @Sendable () throws -> [any ScanSource],
                onOutcome: @escaping @Sendable (ScanOutcome, StationScan) async -> Void = { _, _ in }) {
        self.station = station
        self.makeScanners = scanners
        self.makeVerifiers = verifiers
        self.claimDuration = claimDuration
        var logger = logger
        logger[metadataKey: "station"] = .string(station.configuration.name)
        self.logger = logger
        self.onHeld = onHeld
        self.onOutcome = onOutcome
    }

    public func run() async throws {
        let identity = ProcessIdentity.start()
        defer { identity.finish() }
        var announced: String?
        var standingBehind: String?
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            let holder: ProcessIdentity?
            do {
                holder = try await station.claim(for: identity, duration: claimDuration)
            } catch {
                logger.error("cannot claim the station: \(error)")
                if !(await pause(claimDuration / 3)) { return }
                continue
            }
            if let holder {
                let message = "station \(station.configuration.name) is run by another process: pid \(holder.pid) on \(holder.host); this one stands by and takes it over when that one stops"
                if announced != holder.description {
                    logger.warning("\(message)")
                    await onHeld(message)
                    announced = holder.description
                    standingBehind = "pid \(holder.pid) on \(holder.host)"
                }
                if !(await pause(claimDuration / 3)) { return }
                continue
            }
            if announced != nil, let previous = standingBehind {
                // It stood by until now: say so, as it said it was standing by.
                logger.notice("station \(station.configuration.name) taken over from \(previous), which stopped or lost its claim: this process runs it now")
            } else {
                logger.debug("station claimed")
            }
            announced = nil
            let scanners: [(source: any ScanSource, purpose: StationScan.Purpose)]
            do {
                scanners = try makeScanners().map { ($0, .operator) } + makeVerifiers().map { ($0, .verify) }
            } catch {
                // A listening address taken, say: give the station up, and try again after a pause.
                logger.error("cannot open the station's scanners: \(error)")
                await station.releaseClaim(for: identity)
                if !(await pause(claimDuration / 3)) { return }
                continue
            }
            await station.setHeldHere(true)
            let lost = await withTaskGroup(of: Bool.self) { group in
                group.addTask {
                    await withTaskGroup(of: Void.self) { readers in
                        for scanner in scanners { readers.addTask { await read(scanner.source, purpose: scanner.purpose) } }
                    }
                    // No scanner (a station that only clients of the HTTP API feed), or every
                    // scanner's input ended (stdin at its end): the station is held, fed by the
                    // API, until shutdown. Returning here ended the service, and the service
                    // group stopped every station, the API and the printers with it.
                    if !Task.isCancelled, !Task.isShuttingDownGracefully { try? await gracefulShutdown() }
                    return false
                }
                group.addTask {
                    while !Task.isCancelled {
                        guard (try? await Task.sleep(for: claimDuration / 3)) != nil else { return false }
                        do {
                            if try await !station.renewClaim(for: identity, duration: claimDuration) { return true }
                        } catch {
                            // The database did not answer this time: the next renewal may, well before the claim lapses.
                            logger.warning("could not renew the station's claim: \(error)")
                        }
                    }
                    return false
                }
                let first = await group.next() ?? false
                group.cancelAll()
                return first
            }
            await station.setHeldHere(false)
            if lost {
                logger.error("another process took the station over: its scanners are closed until it is free again")
                continue
            }
            await station.releaseClaim(for: identity)
            return
        }
    }

    /// Sleeps unless the service is shutting down; false when it is.
    private func pause(_ duration: Duration) async -> Bool {
        do {
            try await cancelWhenGracefulShutdown { try await Task.sleep(for: duration) }
            return !Task.isShuttingDownGracefully
        } catch {
            return false
        }
    }

    /// `tcp://10.1.0.5:50494` as `tcp://10.1.0.5`: a connected scanner's address, whatever port
    /// it came from.
    static func hostOnly(_ peer: String) -> String {
        guard let colon = peer.lastIndex(of: ":"), peer[peer.index(after: colon)...].allSatisfy(\.isNumber),
              peer[..<colon].count > "tcp://".count else { return peer }
        return String(peer[..<colon])
    }

    private func read(_ scanner: any ScanSource, purpose: StationScan.Purpose) async {
        var pause: Duration = .milliseconds(500)
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            let service = ScanService(source: scanner, logger: logger) { event in
                var scan = StationScan(data: event.data, symbologyIdentifier: event.symbologyIdentifier, device: event.source,
                                       time: event.time, purpose: purpose, overlongLength: event.overlongLength)
                if scanner.name.hasPrefix("tcp-listen://") { scan.scanner = Self.hostOnly(event.source) }
                let outcome = await station.handle(scan)
                await onOutcome(outcome, scan)
            }
            do {
                try await service.run()
                if !Task.isCancelled, !Task.isShuttingDownGracefully {
                    logger.notice("scanner \(scanner.name): its input ended; the station goes on with its other scanners and the HTTP API",
                                  metadata: ["device": "\(scanner.name)"])
                }
                return
            } catch is CancellationError {
                return
            } catch {
                logger.error("scanner failed: \(error); opening it again in \(pause)", metadata: ["device": "\(scanner.name)"])
            }
            if !(await self.pause(pause)) { return }
            pause = min(pause * 2, .seconds(30))
        }
    }
}

/// How the service group names it in its log (`--verbose`): its station, not every field of it.
extension StationService: CustomStringConvertible {
    public var description: String { "station \(station.configuration.name)" }
}
