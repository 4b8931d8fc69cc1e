import Foundation
public import Logging
public import ServiceLifecycle
import Synchronization
import TracemarkSystem

/// Sends one printer's jobs in order, and settles every job a crash or a broken connection left
/// in doubt before sending anything new.
///
/// One worker per printer across all stations: it holds the printer's lease in the database
/// while it runs. A printer that cannot print (off, paper out, no answer) keeps its jobs queued,
/// with the printer's state recorded, and is asked again with backoff; a send that fails counts
/// as an attempt, and after the printer's maximum the job is held for an operator.
public struct PrinterWorker: Service {
    public let spool: Spool
    public let printer: String
    let logger: Logger
    let options: Options
    /// What the worker awaits now, said when the service begins to stop and when a stop that
    /// took too long cancels it: a drain that hangs names the step it hangs in.
    private let doing = Doing()
    /// The last reason jobs were left unconfirmed, said once until it changes (an EPL printer,
    /// which has no status query, would otherwise say it for every payload).
    private let unconfirmedSaid = Once()

    public struct Options: Sendable {
        /// How often an idle worker looks for new jobs.
        public var pollInterval: Duration = .milliseconds(500)
        /// Most jobs and bytes sent as one payload.
        public var batchLimit: Int = 2000
        public var batchBytes: Int = 4 << 20
        /// The longest wait between two looks at a printer that cannot print.
        public var maxBackoff: Duration = .seconds(30)
        /// How long the lease lasts without renewal.
        public var lease: Duration = .seconds(30)
        /// Return when the printer has nothing left to do (for `tracemark print` and tests),
        /// instead of running until shut down.
        public var untilIdle = false
        /// Return once this says so (checked between steps).
        public var stop: @Sendable () async -> Bool = { false }
        /// When a caller stops waiting (`tracemark print --wait`): no wait between two looks at
        /// a printer lasts past it, so the worker stops at it rather than a backoff later. A send
        /// under way is not cut short.
        public var until: ContinuousClock.Instant?
        /// Told the ids of jobs once they are done (delivered, and printed where the printer
        /// says so): the scan-to-label latency is measured with it.
        public var done: @Sendable ([Int64]) -> Void = { _ in }

        public init() {}
    }

    public init(spool: Spool, printer: String, options: Options = Options(),
                logger: Logger = Logger(label: "tracemark.printing")) {
        self.spool = spool
        self.printer = printer
        self.options = options
        var logger = logger
        logger[metadataKey: "printer"] = .string(printer)
        self.logger = logger
    }

    public func run() async throws {
        var sending = try await beforeWork { [spool, printer] in try await spool.sending(printer) }
        let identity = ProcessIdentity.start()
        defer { identity.finish() }
        var backoff = Backoff(maximum: options.maxBackoff)
        let (doing, logger) = (doing, logger)
        // The printer's configuration changed while the worker ran (PUT /printers, printers add
        // --replace, another serve's file): the worker goes on with a transport of the new one.
        while true {
            let transport = try sending.transport()
            var changed: Spool.Sending?
            await withTaskCancellationHandler {
                await withGracefulShutdownHandler {
                    do {
                        try await hold(sending, transport, identity, &backoff)
                    } catch is CancellationError {
                    } catch let error as ConfigurationChanged {
                        changed = error.sending
                    } catch {
                        logger.error("printer worker stopped: \(error)")
                    }
                } onGracefulShutdown: {
                    logger.debug("printer worker draining: \(doing.description)")
                }
            } onCancel: {
                logger.info("printer worker cancelled: \(doing.description)")
            }
            doing.now("closing the printer's connection")
            await transport.close()
            guard let changed else { break }
            if changed.config != sending.config {
                let (config, new) = (sending.config, changed.config)
                // What changed, by name: a resolution changed by another station's configuration
                // read as nothing changed (found by a QA run).
                logger.notice("printer \(printer) is configured anew (\(new.changes(from: config).joined(separator: ", "))): sending with the new configuration")
            } else {
                logger.notice("the database was restored (its spool id is new): printer \(printer) sends under the new id")
            }
            sending = changed
        }
        logger.debug("printer worker ended")
    }

    /// The printer's configuration in the database, or the database's id, is no longer the one
    /// the worker sends with.
    struct ConfigurationChanged: Error {
        let sending: Spool.Sending
    }

    /// Takes the printer's lease and sends while holding it; when another worker holds it, waits
    /// (or, until idle, returns once nothing is left to do). A lease lost while sending (this
    /// worker could not reach the database for a whole lease) is taken again before going on.
    private func hold(_ sending: Spool.Sending, _ transport: any PrinterTransport, _ identity: ProcessIdentity,
                      _ backoff: inout Backoff) async throws {
        while !Task.isCancelled, !Task.isShuttingDownGracefully, await !options.stop() {
            let (spool, printer, duration) = (spool, printer, options.lease)
            doing.now("taking the printer's lease")
            guard let lease = try await beforeWork({ try await spool.acquireLease(printer: printer, worker: identity, duration: duration) }) else {
                logger.debug("another worker holds the printer")
                doing.now("looking for unfinished jobs")
                if options.untilIdle, try await !spool.hasUnfinished(printer: printer) { return }
                try await sleep(options.pollInterval)
                continue
            }
            do {
                let start = backoff
                if let kept = try await whileRenewing(lease, { () async throws -> Backoff in
                    var backoff = start
                    try await loop(sending, transport, lease, &backoff)
                    return backoff
                }) {
                    backoff = kept
                }
                doing.now("giving back the printer's lease")
                try? await spool.releaseLease(lease)
                return
            } catch let error as PrintingError where error.code == .leaseLost {
                logger.warning("\(error.message)")
                continue
            } catch {
                doing.now("giving back the printer's lease after: \(error)")
                try? await spool.releaseLease(lease)
                throw error
            }
        }
    }

    /// Runs `body` while renewing `lease` every third of its duration, so that a step that takes
    /// longer than the lease (a slow printer, a long follow) keeps the printer. Throws
    /// ``PrintingError/Code/leaseLost`` as soon as a renewal finds the lease gone; `body` is then
    /// cancelled, and each of its writes is refused by the fence anyway.
    private func whileRenewing<T: Sendable>(_ lease: Lease, _ body: @escaping @Sendable () async throws -> T) async throws -> T? {
        let interval = lease.duration / 3
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                while true {
                    try await Task.sleep(for: interval)
                    do {
                        try await spool.renew(lease)
                    } catch let error as PrintingError where error.code == .leaseLost {
                        throw error
                    } catch is CancellationError {
                        throw CancellationError()
                    } catch {
                        // The database did not answer this time: the next renewal may, well before the lease lapses.
                        logger.warning("could not renew the lease of printer \(printer): \(error); the worker is \(doing.description)")
                    }
                }
            }
            defer { group.cancelAll() }
            return try await group.next() ?? nil
        }
    }

    private func loop(_ sending: Spool.Sending, _ transport: any PrinterTransport, _ lease: Lease,
                      _ backoff: inout Backoff) async throws {
        let config = sending.config
        // After the printer refused or could not be reached, ask it before claiming jobs again, so
        // that an outage does not churn the jobs between queued and sending.
        var blocked = false
        // What `tracemark printers` was last told, so a recovered printer is shown ready again.
        var shownState: String?
        while !Task.isCancelled, !Task.isShuttingDownGracefully, await !options.stop() {
            // First whatever an earlier send left unfinished.
            let (spool, printer) = (spool, printer)
            doing.now("looking for jobs a send left unsettled")
            let unsettled = try await beforeWork { try await spool.unsettled(printer: printer) }
            if !unsettled.isEmpty {
                doing.now("settling \(unsettled.count) jobs a send left unsettled")
                if try await settle(unsettled, config, transport, lease) {
                    backoff.reset()
                } else {
                    try await sleep(backoff.next())
                }
                continue
            }
            // Between batches, with nothing in doubt: still the configuration it sends with?
            doing.now("reading the printer's configuration")
            let current = try await beforeWork { try await spool.sending(printer) }
            if current != sending { throw ConfigurationChanged(sending: current) }
            if blocked {
                doing.now("asking the printer whether it can print")
                let status = await transport.status()
                guard status.canPrint else {
                    try await spool.recordState(printer: printer, status)
                    shownState = status.state
                    if options.untilIdle, try await !spool.hasUnfinished(printer: printer) { return }
                    try await sleep(backoff.next())
                    continue
                }
                blocked = false
                logger.notice("printer can print again: sending its queued jobs")
                try await spool.recordState(printer: printer, status)
                shownState = status.state
            }
            let (limit, maxBytes) = (min(options.batchLimit, transport.batchLimit), options.batchBytes)
            doing.now("claiming jobs")
            switch try await beforeWork({ try await spool.claim(lease, limit: limit, maxBytes: maxBytes, language: config.language, dpi: config.dpi) }) {
            case .empty:
                if options.untilIdle { return }
                // Ends early on a job's wakeup, and on graceful shutdown: the worker drains at once,
                // however long it would look next.
                let wakeups = spool.wakeups, printer = printer, interval = options.pollInterval
                doing.now("waiting for jobs")
                await cancelWhenGracefulShutdown { await wakeups.wait(for: printer, timeout: interval) }
                try Task.checkCancellation()
            case .waitUntil(let date):
                let seconds = max(0.05, min(date.timeIntervalSinceNow, 300))
                try await sleep(.milliseconds(Int64(seconds * 1000)))
            case .jobs(let jobs) where jobs.isEmpty:
                // Jobs were held, or changed under the claim: look again.
                continue
            case .jobs(let jobs):
                doing.now("sending \(jobs.count) jobs")
                switch try await send(jobs, config, transport, lease) {
                case .sent:
                    backoff.reset()
                    if shownState != "ready" {
                        try await spool.recordState(printer: printer, PrinterStatus(answered: true, message: "printed"))
                        shownState = "ready"
                    }
                case .printerBlocked:
                    blocked = true
                    shownState = nil
                    try await sleep(backoff.next())
                case .retryLater:
                    try await sleep(backoff.next())
                }
            }
        }
    }

    /// The payload for a batch: each job's bytes, or what is left of them after a partial print.
    /// Label counts add up without overflow (a claim never batches more than
    /// ``PrintRequest/maximumLabels``, and holds a job with an impossible count).
    static func payload(_ jobs: [PrintJob], _ language: PrinterLanguage) -> PrintPayload {
        var bytes = Data()
        var labels = 0
        for job in jobs {
            bytes += LabelCount.remainder(job.payload, language: job.language, afterPrinting: job.printedLabels) ?? job.payload
            labels = LabelCount.saturatingSum(labels, max(0, job.labelCount - max(0, job.printedLabels)))
        }
        return PrintPayload(jobIDs: jobs.map(\.id), bytes: bytes, language: language, labelCount: labels,
                            copies: jobs.count == 1 && language == .png ? jobs[0].copies : 1)
    }

    enum SendOutcome {
        /// Sent and settled (printed, or put back after a doubt was settled).
        case sent
        /// The printer could not take them: ask it before trying again.
        case printerBlocked
        /// Failed or waiting; try again after a backoff.
        case retryLater
    }

    /// Sends claimed jobs and follows them.
    private func send(_ jobs: [PrintJob], _ config: PrinterConfig, _ transport: any PrinterTransport,
                      _ lease: Lease) async throws -> SendOutcome {
        let payload = Self.payload(jobs, config.language)
        let delivery: Delivery
        do {
            delivery = try await transport.send(payload) { delivery in
                try await spool.record(delivery, for: jobs, lease)
            }
        } catch let error as PrintingError where error.code == .notReady || error.code == .unreachable {
            try await spool.unclaim(jobs, because: "waiting: \(error.message)", lease)
            try await spool.recordState(printer: printer, error.status ?? .offline(error.message))
            // Once per time it stops taking them (the loop then asks its status until it can).
            logger.warning("printer cannot take jobs: \(error.message); they wait")
            return .printerBlocked
        } catch let error as PrintingError where error.mayHaveReachedPrinter {
            logger.warning("send interrupted: \(error.message)")
            let recorded = try await spool.delivery(batch: jobs)
            try await resolveDoubt(jobs, payload, recorded, config, transport, lease, why: error.message, countsAttempt: true)
            return .retryLater
        } catch let error as PrintingError where error.code == .leaseLost {
            throw error
        } catch {
            let message = (error as? PrintingError)?.message ?? "\(error)"
            try await spool.markFailed(jobs, error: message, maxAttempts: config.maxAttempts, lease)
            logger.warning("send failed: \(message)")
            return .retryLater
        }
        // A printer that confirms at once goes from sending to done in one commit; one that takes
        // longer is recorded as printing first, so a crash while following it is not a doubt.
        if config.followUntilPrinted, case .printed = await transport.follow(payload, delivery, timeout: .milliseconds(200)) {
            try await markDone(jobs, confirmed: true, message: "delivered and printed", lease)
            return .sent
        }
        try await spool.markPrinting(jobs, lease)
        return try await follow(jobs, payload, delivery, config, transport, lease) ? .sent : .retryLater
    }

    private func markDone(_ jobs: [PrintJob], confirmed: Bool, message: String, _ lease: Lease) async throws {
        doing.now("marking \(jobs.count) jobs done")
        try await spool.markDone(jobs, confirmed: confirmed, message: message, lease)
        options.done(jobs.map(\.id))
        // What the worker did, one line a batch (--verbose): it logged only what went wrong.
        logger.info("\(Self.jobList(jobs.map(\.id))) (\(jobs.reduce(0) { $0 + $1.labelCount }) labels): \(message)")
    }

    /// `job 7`, `jobs 7–9`, `jobs 7, 9, 12` (the first ten).
    static func jobList(_ ids: [Int64]) -> String {
        guard let first = ids.first else { return "no jobs" }
        if ids.count == 1 { return "job \(first)" }
        if let last = ids.last, last - first == Int64(ids.count - 1), ids == Array(first...last) { return "jobs \(first)–\(last)" }
        return "jobs " + ids.prefix(10).map(String.init).joined(separator: ", ") + (ids.count > 10 ? " and \(ids.count - 10) more" : "")
    }

    /// Follows delivered jobs to printed. Returns false when the printer holds them but has not
    /// printed them (paper out, say): they stay `printing` and are followed again after a backoff.
    private func follow(_ jobs: [PrintJob], _ payload: PrintPayload, _ delivery: Delivery, _ config: PrinterConfig,
                        _ transport: any PrinterTransport, _ lease: Lease) async throws -> Bool {
        guard config.followUntilPrinted else {
            try await markDone(jobs, confirmed: false, message: "delivered (following the printer is off)", lease)
            return true
        }
        let timeout = Duration.milliseconds(Int64(config.printTimeout * 1000))
        doing.now("following \(jobs.count) jobs until printed")
        switch await transport.follow(payload, delivery, timeout: timeout) {
        case .printed:
            try await markDone(jobs, confirmed: true, message: "printed", lease)
            return true
        case .unconfirmed(let why):
            try await markDone(jobs, confirmed: false, message: "delivered; \(why)", lease)
            // Without --verbose too: labels sent that nobody knows were printed is for the operator to hear.
            if unconfirmedSaid.first(why) {
                logger.notice("\(jobs.count == 1 ? "job \(jobs[0].id)" : "jobs \(jobs[0].id)…\(jobs[jobs.count - 1].id)") delivered but not confirmed printed: \(why)")
            }
            return true
        case .waiting(let status):
            try await spool.recordState(printer: printer, status)
            logger.info("printer holds the labels but has not printed them: \(status)")
            return false
        case .failed(let why):
            // Ask what did print, and send only the rest (as another attempt).
            logger.warning("the printer did not print the whole job: \(why)")
            try await resolveDoubt(jobs, payload, delivery, config, transport, lease,
                                   why: "the printer did not print the whole job (\(why))", countsAttempt: true)
            return false
        }
    }

    /// Jobs found `sending` or `printing` when the worker starts, or after a broken send.
    private func settle(_ jobs: [PrintJob], _ config: PrinterConfig, _ transport: any PrinterTransport,
                        _ lease: Lease) async throws -> Bool {
        let payload = Self.payload(jobs, config.language)
        let recorded = try await spool.delivery(batch: jobs)
        if jobs.allSatisfy({ $0.state == .printing }), let recorded {
            return try await follow(jobs, payload, recorded, config, transport, lease)
        }
        guard recorded != nil else {
            // A transport records its delivery before the first byte goes out: without one, the
            // process stopped before sending anything, and the jobs go again as they are.
            try await spool.unclaim(jobs, because: "the sender stopped before sending: sent again", lease)
            return true
        }
        return try await resolveDoubt(jobs, payload, recorded, config, transport, lease,
                                      why: "a send was cut short (the process stopped or the connection broke)", countsAttempt: false)
    }

    /// Settles jobs whose fate the printer knows better than the spool. `countsAttempt`: the send
    /// failed (rather than the process stopping), so what is sent again is one more attempt.
    @discardableResult
    private func resolveDoubt(_ jobs: [PrintJob], _ payload: PrintPayload, _ recorded: Delivery?, _ config: PrinterConfig,
                              _ transport: any PrinterTransport, _ lease: Lease, why: String, countsAttempt: Bool) async throws -> Bool {
        let attempts = countsAttempt ? config.maxAttempts : nil
        doing.now("asking the printer what it printed of \(jobs.count) jobs")
        switch await transport.inquire(about: payload, delivery: recorded) {
        case .printed(let labels):
            logger.notice("settled a send in doubt: the printer printed \(labels) of \(payload.labelCount) labels")
            try await spool.settle(jobs, printedLabels: labels, maxAttempts: attempts, because: why, lease)
            return true
        case .held(let delivery):
            try await spool.record(delivery, for: jobs, lease)
            try await spool.markPrinting(jobs, lease)
            return try await follow(jobs, payload, delivery, config, transport, lease)
        case .askLater(let reason):
            // Nothing is sent until the printer says what it printed: the jobs keep their
            // delivery and are settled at the next look (after a backoff), or by the next worker.
            logger.info("send in doubt, asked again later: \(reason)")
            try await spool.noteDoubt(jobs, because: "\(why); \(reason); nothing is sent until then", lease)
            return false
        case .cancelledThere(let reason):
            logger.notice("\(reason)")
            try await spool.cancelInDoubt(jobs, because: reason, lease)
            return true
        case .unknown(let reason):
            logger.warning("printer cannot tell what it printed (\(reason)): sending again, labels may print twice")
            try await spool.requeueInDoubt(jobs, because: "\(why); the printer cannot tell what it printed (\(reason))",
                                           maxAttempts: attempts, lease)
            return true
        }
    }

    /// A step that only starts work (reading the printer, taking its lease, looking for or claiming
    /// jobs), cancelled once the service begins to shut down: a database that does not answer
    /// (a server gone from the network) would otherwise hold up the drain for a whole connect
    /// timeout at each such step. A cancelled claim rolls back and leaves its jobs queued. Steps
    /// that settle what is in hand (record a delivery, mark jobs done or failed) are never
    /// cancelled this way: they finish, so that a drain leaves nothing in doubt it could settle.
    private func beforeWork<T: Sendable>(_ step: @escaping @Sendable () async throws -> T) async throws -> T {
        try await cancelWhenGracefulShutdown(step)
    }

    /// Sleeps, ending early on graceful shutdown (the loop then stops); throws on cancellation.
    private func sleep(_ duration: Duration) async throws {
        let duration = options.until.map { max(.zero, min(duration, $0 - ContinuousClock.now)) } ?? duration
        doing.now("waiting \(duration) before looking again")
        try? await cancelWhenGracefulShutdown { try await Task.sleep(for: duration) }
        try Task.checkCancellation()
    }
}

/// Exponential backoff between looks at a printer that cannot print: 0.5 s, 1 s, 2 s … maximum.
struct Backoff {
    let maximum: Duration
    private var current: Duration = .milliseconds(250)

    init(maximum: Duration) { self.maximum = maximum }

    mutating func next() -> Duration {
        current = min(current * 2, maximum)
        return current
    }

    mutating func reset() { current = .milliseconds(250) }
}

/// The step a worker awaits, and since when.
private final class Doing: Sendable, CustomStringConvertible {
    private let step = Mutex<(what: String, since: ContinuousClock.Instant)>(("starting", .now))

    func now(_ what: String) {
        step.withLock { $0 = (what, .now) }
    }

    var description: String {
        let (what, since) = step.withLock { $0 }
        let seconds = Double((ContinuousClock.now - since) / .milliseconds(1)) / 1000
        return "\(what) (for \(String(format: "%.1f", seconds)) s)"
    }
}

/// Says whether a text differs from the one before: a notice repeated only when it changes.
private final class Once: Sendable {
    private let last = Mutex<String?>(nil)

    func first(_ text: String) -> Bool {
        last.withLock { last in
            defer { last = text }
            return last != text
        }
    }
}
