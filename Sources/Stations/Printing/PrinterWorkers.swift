public import Logging
public import Printing
public import ServiceLifecycle
import Store
import Synchronization

/// The printer workers of a process: one per printer, each on its own, as one `Service`. On
/// PostgreSQL a job committed by another process wakes its printer's worker at once
/// (LISTEN/NOTIFY); otherwise workers look every `pollInterval`.
///
/// A worker that stops (a printer configuration that no longer loads, a database error it could
/// not ride out) is logged with its printer and started again after a pause that doubles up to
/// ten seconds (``RestartPauses``); it never ends the others, nor the service. Until idle (`Options.untilIdle`), each
/// worker runs once, every worker finishes, and the first error is thrown after all have.
public struct PrinterWorkers: Service {
    public let spool: Spool
    public let printers: [String]
    public let options: PrinterWorker.Options
    /// How often to look for printers added to the database while running (the HTTP API, the
    /// command line, another process), and start their workers; `nil`: only `printers`.
    public let discovery: Duration?
    private let logger: Logger

    public init(spool: Spool, printers: [String], options: PrinterWorker.Options = .init(), discovery: Duration? = nil,
                logger: Logger = Logger(label: "tracemark.printing")) {
        self.spool = spool
        self.printers = printers
        self.discovery = discovery
        var options = options
        let told = options.done
        options.done = { jobs in
            StationMetrics.printed(jobs)
            told(jobs)
        }
        self.options = options
        self.logger = logger
    }

    public func run() async throws {
        if options.untilIdle {
            let failures = await withTaskGroup(of: (any Error)?.self) { group in
                for printer in printers {
                    group.addTask {
                        do { try await worker(printer).run(); return nil } catch { return error }
                    }
                }
                return await group.reduce(into: [any Error]()) { if let error = $1 { $0.append(error) } }
            }
            if let first = failures.first { throw first }
            return
        }
        await withTaskGroup(of: Void.self) { group in
            // Jobs committed by other processes wake the workers at once (PostgreSQL).
            group.addTask { await spool.listenForJobs() }
            await withTaskGroup(of: Void.self) { workers in
                // The printers with a worker: one removed leaves it, so that adding it again
                // starts a worker (its jobs waited for a restart, the printer said "ready"; found
                // by a QA run).
                let running = RunningPrinters(printers)
                for printer in printers {
                    workers.addTask {
                        await supervise(printer)
                        running.remove(printer)
                    }
                }
                guard let discovery else { return }
                while !Task.isCancelled, !Task.isShuttingDownGracefully {
                    do {
                        try await cancelWhenGracefulShutdown { try await Task.sleep(for: discovery) }
                    } catch {
                        break
                    }
                    if Task.isShuttingDownGracefully { break }
                    // Cancelled if the service begins to stop meanwhile (a database that does not answer).
                    guard let names = try? await cancelWhenGracefulShutdown({ [spool] in try await spool.printerNames() }) else { continue }
                    for name in names where running.insert(name) {
                        logger.notice("printer added: starting its worker", metadata: ["printer": "\(name)"])
                        workers.addTask {
                            await supervise(name)
                            running.remove(name)
                        }
                    }
                }
            }
            group.cancelAll()
        }
    }

    private func worker(_ printer: String) -> PrinterWorker {
        PrinterWorker(spool: spool, printer: printer, options: options, logger: logger)
    }

    /// Runs `printer`'s worker until the service shuts down, starting it again whenever it stops.
    private func supervise(_ printer: String) async {
        var pauses = RestartPauses()
        let clock = ContinuousClock()
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            let started = clock.now
            var failure: (any Error)?
            do {
                if discovery != nil,
                   (try? await cancelWhenGracefulShutdown({ [spool] in try await spool.printerNames() }).contains(printer)) == false {
                    logger.notice("printer removed: its worker ends", metadata: ["printer": "\(printer)"])
                    return
                }
                if pauses.failures > 0 {
                    logger.notice("printer worker starting again (after \(pauses.failures) failure\(pauses.failures == 1 ? "" : "s"))",
                                  metadata: ["printer": "\(printer)"])
                }
                try await worker(printer).run()
                if Task.isCancelled || Task.isShuttingDownGracefully { return }
            } catch is CancellationError {
                return
            } catch let error as PrintingError where error.code == .notFound {
                // Removed meanwhile (another process, `tracemark printers remove`): not a failure.
                logger.notice("printer removed: its worker ends (\(error.message))", metadata: ["printer": "\(printer)"])
                return
            } catch {
                failure = error
            }
            let wait = pauses.ended(after: clock.now - started, failed: failure != nil)
            if let failure {
                logger.error("printer worker failed: \(DatabaseErrors.readable(failure) ?? "\(failure)"); starting it again in \(wait)",
                             metadata: ["printer": "\(printer)"])
            } else {
                logger.warning("printer worker stopped; starting it again in \(wait)", metadata: ["printer": "\(printer)"])
            }
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: wait) }
            } catch {
                return
            }
        }
    }
}

/// The printers that have a worker now.
private final class RunningPrinters: Sendable {
    private let names: Mutex<Set<String>>
    init(_ names: [String]) { self.names = Mutex(Set(names)) }
    /// Whether `name` had no worker (it has now).
    func insert(_ name: String) -> Bool { names.withLock { $0.insert(name).inserted } }
    func remove(_ name: String) { names.withLock { _ = $0.remove(name) } }
}

/// The pauses before a stopped printer worker starts again: from the shortest, doubling with
/// each stop up to the longest, and back to the shortest after a run that lasted.
struct RestartPauses: Equatable {
    /// The first pause.
    static let shortest: Duration = .milliseconds(500)
    /// The longest wait before a failed worker starts again: a database restarted or failed over
    /// has every printer printing again within this long (a minute stopped every printer of every
    /// station after a one-second restart; found by a QA run).
    static let longest: Duration = .seconds(10)
    /// A worker that ran this long before it stopped starts again after the shortest pause: the
    /// pauses grew with each outage and never came down again.
    static let healthyRun: Duration = .seconds(30)

    /// The failures since the last run that lasted.
    private(set) var failures = 0
    private var next = Self.shortest

    /// The pause after a run that lasted `ran` and ended, by a failure or not.
    mutating func ended(after ran: Duration, failed: Bool) -> Duration {
        if ran >= Self.healthyRun { (next, failures) = (Self.shortest, 0) }
        if failed { failures += 1 }
        let pause = next
        next = min(next * 2, Self.longest)
        return pause
    }
}

/// How the service group names it in its log (`--verbose`), not with every field of the spool.
extension PrinterWorkers: CustomStringConvertible {
    public var description: String { "printer workers (\(printers.joined(separator: ", ")))" }
}
