public import Foundation
public import Store
public import SQLKit
import Synchronization
import TracemarkSystem

/// The durable print queue: printers configured by name, and every job from the moment it was
/// asked for until its printer printed it (or an operator gave it up).
///
/// It lives in the registry's database (SQLite or PostgreSQL): a job is committed before the
/// request that made it is answered, and a production run writes its numbers and its jobs in one
/// transaction (``enqueue(_:_:)`` takes the open transaction). Every station on a PostgreSQL
/// registry sees the same printers and jobs; one worker at a time sends to each printer (a lease
/// in the `printers` row).
public struct Spool: Sendable {
    public let store: any SQLStore
    let clock: @Sendable () -> Date
    /// Workers of this process waiting for jobs (shared by copies of this value).
    let wakeups = Wakeups()
    /// A random id made when the spool's tables were created: it names what this database's
    /// folder printers write, so files left by another database are never taken for this one's.
    /// As it was when the spool was opened: a restore gives the database a new one while services
    /// run, so whatever sends reads it again with the printer's configuration (``sending(_:)``).
    public let databaseID: String
    /// Places where tests act between two steps of the spool (nothing in production).
    var testHooks = TestHooks()

    struct TestHooks: Sendable {
        /// Runs inside a claim's transaction, between reading the jobs and claiming them.
        var betweenClaimStatements: (@Sendable (any SQLDatabase) async throws -> Void)?
    }

    /// The printer every new spool has: a folder `labels` under the working directory of the
    /// process that created the database (made absolute then, see ``PrinterConfig/absolute()``).
    public static let defaultPrinter = PrinterConfig(name: "file", uri: "file:labels", language: .zpl)

    /// Opens the spool on a store, creating or upgrading its tables.
    /// The print spool's tables and their versions (`tracemark migrate --check`).
    public static let schema = ComponentSchema(component: "printing", ledger: "printing_migrations", migrations: SpoolSchema.migrations)

    public init(store: any SQLStore, clock: @escaping @Sendable () -> Date = Date.init) async throws {
        self.store = store
        self.clock = clock
        let now = Timestamp.string(clock())
        let initial = Self.defaultPrinter.absolute()
        let settings = try Self.encode(PrinterSettings(initial))
        let newID = UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        try await store.migrate(ledger: "printing_migrations", component: "printing",
                                migrations: SpoolSchema.migrations, now: now) { db, version in
            switch version {
            case 1:
                try await db.raw("""
                    INSERT INTO printers (name, uri, language, settings, created_at)
                    VALUES (\(bind: initial.name), \(bind: initial.uri), \(bind: initial.language.rawValue), \(bind: settings), \(bind: now))
                    """).run()
            case 2:
                try await db.raw("INSERT INTO spool_settings (name, value) VALUES ('database_id', \(bind: newID))").run()
            default:
                break
            }
        }
        databaseID = try await store.read { db in
            try await db.raw("SELECT value FROM spool_settings WHERE name = 'database_id'").first()?
                .decode(column: "value", as: String.self) ?? newID
        }
    }

    var now: String { Timestamp.string(clock()) }

    // MARK: Printers

    /// Adds a printer, or replaces its configuration (`replace`), keeping its jobs.
    ///
    /// `expecting` is given the printer's configuration as it is, read in the write's own
    /// transaction (the row locked), and throws to refuse the change: an HTTP `If-Match` is a
    /// compare-and-set, so two clients with the same ETag cannot both replace it.
    public func addPrinter(_ config: PrinterConfig, replace: Bool = false,
                           expecting: (@Sendable (PrinterConfig) throws -> Void)? = nil) async throws {
        // A folder is resolved now, against the working directory of whoever configures it, not
        // later against each worker's.
        let config = config.absolute()
        try config.validate()
        let settings = try Self.encode(PrinterSettings(config))
        let created = now
        try await write { db in
            if let existing = try await Self.printerIfAny(db, config.name, lock: .update) {
                guard replace else {
                    throw PrintingError(.invalidConfiguration, "printer \(config.name) exists already: give --replace to change it")
                }
                try expecting?(existing)
                try await db.raw("""
                    UPDATE printers SET uri = \(bind: config.uri), language = \(bind: config.language.rawValue),
                        settings = \(bind: settings), state = 'unknown', state_message = '' WHERE name = \(bind: config.name)
                    """).run()
            } else if try await Self.removedPrinter(db, config.name, lock: .update) != nil {
                // Removed before: the row comes back with the new configuration, its old jobs
                // and history under the same name, and its lease epoch, so that a worker of the
                // printer as it was stays fenced out.
                try await db.raw("""
                    UPDATE printers SET uri = \(bind: config.uri), language = \(bind: config.language.rawValue),
                        settings = \(bind: settings), state = 'unknown', state_message = '', state_at = NULL,
                        worker = NULL, lease_expires = NULL, removed_at = NULL, created_at = \(bind: created)
                    WHERE name = \(bind: config.name)
                    """).run()
            } else {
                let inserted = try await db.raw("""
                    INSERT INTO printers (name, uri, language, settings, created_at)
                    VALUES (\(bind: config.name), \(bind: config.uri), \(bind: config.language.rawValue), \(bind: settings), \(bind: created))
                    ON CONFLICT (name) DO NOTHING RETURNING name
                    """).first() != nil
                guard !inserted else { return }
                // Another request added it between the look and the insert (PostgreSQL; the
                // insert waited for it to commit). Replacing as asked, without a version to
                // match (two `serve`s starting at once from the same configuration file), it
                // takes this configuration; otherwise it is a conflict to say, not the
                // database's words with a 500 (found by QA runs).
                guard replace, expecting == nil else {
                    throw PrintingError(.invalidState, "printer \(config.name) was added by another request at the same moment: read it, then change it")
                }
                try await db.raw("""
                    UPDATE printers SET uri = \(bind: config.uri), language = \(bind: config.language.rawValue),
                        settings = \(bind: settings), state = 'unknown', state_message = '' WHERE name = \(bind: config.name)
                    """).run()
            }
        }
    }

    /// Removes a printer that has no unfinished jobs. Its finished jobs and their history are kept
    /// (`tracemark jobs`, a reprint's count, a trace of what was printed where): the printer is
    /// marked removed, no longer listed nor sent to, and its lease is ended, so that a worker
    /// still running for it stops at its next step. `expecting` as for
    /// ``addPrinter(_:replace:expecting:)``.
    public func removePrinter(_ name: String, expecting: (@Sendable (PrinterConfig) throws -> Void)? = nil) async throws {
        let removed = now
        try await write { db in
            guard let current = try await Self.printerIfAny(db, name, lock: .update) else { throw try await Self.unknownPrinter(db, name) }
            try expecting?(current)
            let open = try await db.raw("""
                SELECT COUNT(*) AS n FROM print_jobs WHERE printer = \(bind: name) AND state NOT IN ('done', 'cancelled')
                """).first()?.decode(column: "n", as: Int.self) ?? 0
            guard open == 0 else {
                throw PrintingError(.invalidState,
                    "printer \(name) has \(open) unfinished jobs: cancel them or move them to another printer first")
            }
            try await db.raw("""
                UPDATE printers SET removed_at = \(bind: removed), worker = NULL, lease_expires = NULL, lease_epoch = lease_epoch + 1
                WHERE name = \(bind: name)
                """).run()
        }
    }

    /// A configured printer and what the spool last learnt of its state.
    public struct ConfiguredPrinter: Sendable {
        public var config: PrinterConfig
        /// `ready`, `printing`, a condition such as `paper-out`, or `unknown`.
        public var state: String
        public var stateMessage: String
        public var stateAt: String?
        /// Jobs not yet done, failed or cancelled.
        public var queued: Int
        public var held: Int
        /// A worker holds the printer now (its lease has not run out).
        public var worked = false
    }

    /// Whether a printer of this name was ever configured (removed ones too: their jobs' events
    /// are still read).
    public func knowsPrinter(_ name: String) async throws -> Bool {
        try await read { db in try await db.raw("SELECT 1 AS x FROM printers WHERE name = \(bind: name)").first() != nil }
    }

    /// The names of the printers configured, without their queues: what a loop that starts and
    /// ends workers needs.
    public func printerNames() async throws -> [String] {
        try await read { db in
            try await db.raw("SELECT name FROM printers WHERE removed_at IS NULL ORDER BY name").all()
                .map { try $0.decode(column: "name", as: String.self) }
        }
    }

    /// The printers configured with their state and queues; with `name`, only that one (or none).
    public func printers(named name: String? = nil) async throws -> [ConfiguredPrinter] {
        try await read { db in
            var query = SQLQueryString("""
                SELECT p.name, p.uri, p.language, p.settings, p.state, p.state_message, p.state_at,
                       (SELECT COUNT(*) FROM print_jobs j WHERE j.printer = p.name AND j.state IN ('queued', 'sending', 'printing', 'failed')) AS queued,
                       (SELECT COUNT(*) FROM print_jobs j WHERE j.printer = p.name AND j.state = 'held') AS held,
                       CASE WHEN p.worker IS NOT NULL AND p.lease_expires > \(unsafeRaw: store.kind.clockMilliseconds) THEN 1 ELSE 0 END AS worked,
                       p.worker
                FROM printers p WHERE p.removed_at IS NULL
                """)
            if let name { query = query + SQLQueryString(" AND p.name = \(bind: name)") }
            let rows = try await db.raw(query + SQLQueryString(" ORDER BY p.name")).all()
            return try rows.map { row in
                ConfiguredPrinter(config: try Self.config(row), state: try row.decode(column: "state", as: String.self),
                                  stateMessage: try row.decode(column: "state_message", as: String.self),
                                  stateAt: try row.decode(column: "state_at", as: String?.self),
                                  queued: try row.decode(column: "queued", as: Int.self),
                                  held: try row.decode(column: "held", as: Int.self),
                                  // A holder killed on this machine holds nothing, whatever its lease
                                  // says: its jobs in doubt read as plainly "sending" (a QA run).
                                  worked: try row.decode(column: "worked", as: Int.self) != 0
                                    && (try row.decode(column: "worker", as: String?.self).flatMap(ProcessIdentity.init(parsing:))?.isAlive ?? true))
            }
        }
    }

    public func printer(_ name: String) async throws -> PrinterConfig {
        try await read { db in try await Self.printer(db, name) }
    }

    /// What a printer's jobs are sent with: its configuration, and the database's id as it is now.
    public struct Sending: Equatable, Sendable {
        public var config: PrinterConfig
        public var databaseID: String

        public func transport() throws(PrintingError) -> any PrinterTransport {
            try Transports.make(config, databaseID: databaseID)
        }
    }

    /// A printer's configuration and the database's id, read together (one statement): a worker
    /// reads them between batches, and sends with a new transport when either changed (the
    /// printer configured anew; the database restored, which makes its id anew and takes its
    /// job ids back to the backup's, so that a folder printer's file names would repeat).
    public func sending(_ name: String) async throws -> Sending {
        try await read { db in
            guard let row = try await db.raw("""
                SELECT name, uri, language, settings, (SELECT value FROM spool_settings WHERE name = 'database_id') AS database_id
                FROM printers WHERE name = \(bind: name) AND removed_at IS NULL
                """).first() else { throw try await Self.unknownPrinter(db, name) }
            return Sending(config: try Self.config(row), databaseID: try row.decodeNil(column: "database_id") ? databaseID
                                                                                : row.decode(column: "database_id", as: String.self))
        }
    }

    public static func printer(_ db: any SQLDatabase, _ name: String) async throws -> PrinterConfig {
        guard let found = try await printerIfAny(db, name) else { throw try await unknownPrinter(db, name) }
        return found
    }

    /// Printer `name`'s configuration, or nil; its row locked as `lock` says.
    static func printerIfAny(_ db: any SQLDatabase, _ name: String, lock: RowLock = .none) async throws -> PrinterConfig? {
        try await db.raw("""
            SELECT name, uri, language, settings FROM printers WHERE name = \(bind: name) AND removed_at IS NULL\(unsafeRaw: lock.clause(db))
            """).first().map(config)
    }

    /// When printer `name` was removed, or nil when it is configured or never was.
    static func removedPrinter(_ db: any SQLDatabase, _ name: String, lock: RowLock = .none) async throws -> String? {
        try await db.raw("""
            SELECT removed_at FROM printers WHERE name = \(bind: name) AND removed_at IS NOT NULL\(unsafeRaw: lock.clause(db))
            """).first()?.decode(column: "removed_at", as: String.self)
    }

    /// No printer is named `name`: the error names those that are.
    static func unknownPrinter(_ db: any SQLDatabase, _ name: String) async throws -> PrintingError {
        let names = try await db.raw("SELECT name FROM printers WHERE removed_at IS NULL ORDER BY name").all()
            .map { try $0.decode(column: "name", as: String.self) }
        let configured = names.isEmpty ? "none is configured" : "configured are \(names.joined(separator: ", "))"
        if let removed = try await removedPrinter(db, name) {
            return PrintingError(.notFound, "printer \(name) was removed (\(removed)): its finished jobs are kept, but nothing prints on it; \(configured) (add it again with `tracemark printers add`)")
        }
        return PrintingError(.notFound, "no printer named \(name): \(configured) (add one with `tracemark printers add`)")
    }

    /// Records what a printer said, for `tracemark printers` and the jobs waiting on it.
    public func recordState(printer: String, _ status: PrinterStatus) async throws {
        let at = Timestamp.string(status.at)
        try await write { db in
            let before = try await db.raw("SELECT state FROM printers WHERE name = \(bind: printer) AND removed_at IS NULL").first()?
                .decode(column: "state", as: String.self)
            try await db.raw("""
                UPDATE printers SET state = \(bind: status.state), state_message = \(bind: status.description), state_at = \(bind: at)
                WHERE name = \(bind: printer) AND removed_at IS NULL
                """).run()
            // A change of state is an event (the feed's `printer` events); the same state seen again is not.
            if let before, before != status.state {
                try await db.raw("""
                    INSERT INTO printer_events (printer, at, state, message)
                    VALUES (\(bind: printer), \(bind: at), \(bind: status.state), \(bind: status.description))
                    """).run()
            }
        }
    }

    // MARK: Enqueueing

    /// Spools jobs durably: when this returns, they are committed.
    @discardableResult
    public func enqueue(_ requests: [PrintRequest]) async throws -> [Int64] {
        let ids = try await write { db in try await enqueue(db, requests) }
        notify(Set(requests.map(\.printer)))
        return ids
    }

    /// Tells this process's workers for `printers` that jobs were committed for them (call after
    /// committing a transaction that used ``enqueue(_:_:)``).
    public func notify(_ printers: Set<String>) {
        wakeups.signal(printers)
    }

    /// The channel on which a committed job wakes the workers of other processes (PostgreSQL).
    static let jobsChannel = "tracemark_print_jobs"

    /// Runs until its task is cancelled, waking this process's workers when another process
    /// commits a job for their printer, instead of leaving it to their next look (PostgreSQL's
    /// LISTEN/NOTIFY; on SQLite it returns at once and workers keep polling).
    public func listenForJobs() async {
        let wakeups = self.wakeups
        await store.listen(Self.jobsChannel) { printer in wakeups.signal([printer]) }
    }

    /// Spools jobs inside an open transaction (a production run's), so that they are committed
    /// together with whatever else it writes, or not at all. Call ``notify(_:)`` after the commit.
    public func enqueue(_ db: any SQLDatabase, _ requests: [PrintRequest]) async throws -> [Int64] {
        var known: [String: PrinterConfig] = [:]
        var ids: [Int64] = []
        ids.reserveCapacity(requests.count)
        let created = now
        for request in requests {
            let printer: PrinterConfig
            if let config = known[request.printer] {
                printer = config
            } else {
                printer = try await Self.printer(db, request.printer)
                known[request.printer] = printer
            }
            guard printer.language == request.language else {
                throw PrintingError(.invalidConfiguration,
                    "printer \(printer.name) reads \(printer.language.rawValue), but the job is \(request.language.rawValue): render it for \(printer.language.rawValue)")
            }
            if let dpi = request.dpi, dpi != printer.dpi {
                throw PrintingError(.invalidConfiguration,
                    "printer \(printer.name) prints at \(printer.dpi) dpi, but the job was rendered at \(dpi) dpi: render it for \(printer.dpi) dpi")
            }
            guard !request.payload.isEmpty else {
                throw PrintingError(.invalidConfiguration, "the job for printer \(printer.name) is empty: nothing to print")
            }
            guard (1...PrintRequest.maximumLabels).contains(request.copies) else {
                throw PrintingError(.invalidRequest,
                    "the job for printer \(printer.name) asks for \(request.copies) copies: ask for 1 to \(PrintRequest.maximumLabels)")
            }
            let labels = LabelCount.count(request.payload, language: request.language, copies: request.copies)
            guard labels <= PrintRequest.maximumLabels else {
                throw PrintingError(.invalidRequest,
                    "the job for printer \(printer.name) prints \(labels == Int.max ? "more than \(PrintRequest.maximumLabels)" : String(labels)) labels: a job prints at most \(PrintRequest.maximumLabels) (ZPL's ^PQ limit); split it")
            }
            guard labels > 0 else {
                throw PrintingError(.invalidConfiguration,
                    "the job for printer \(printer.name) prints no label: \(request.language.rawValue) without a complete format (^XA … ^XZ, or EPL's P command)")
            }
            guard let row = try await db.raw("""
                INSERT INTO print_jobs (printer, state, language, label_count, copies, template, data,
                                        requested_by, reason, reference, created_at, dpi)
                VALUES (\(bind: printer.name), 'queued', \(bind: request.language.rawValue), \(bind: labels),
                        \(bind: request.copies), \(bind: request.template), \(bind: request.data), \(bind: request.requestedBy),
                        \(bind: request.reason), \(bind: request.reference), \(bind: created), \(bind: request.dpi))
                RETURNING id
                """).first() else {
                throw PrintingError(.database, "the database did not return the new job's id")
            }
            let id = try row.decode(column: "id", as: Int64.self)
            try await db.raw("INSERT INTO print_job_payloads (job_id, payload) VALUES (\(bind: id), \(bind: request.payload))").run()
            ids.append(id)
        }
        try await Self.logEvents(db, ids: ids, at: created, state: .queued, message: "queued")
        // Sent when this transaction commits: the printers' workers in other processes wake at once.
        for printer in Set(known.keys) { try await store.notify(db, channel: Self.jobsChannel, payload: printer) }
        return ids
    }

    // MARK: Jobs

    public func job(_ id: Int64) async throws -> PrintJob {
        try await read { db in try await Self.job(db, id) }
    }

    /// Jobs, newest first.
    /// The newest jobs first, of `printer` or all, in `states` (all when empty), those older than
    /// job `before` when it is given (the next page of a list).
    public func jobs(printer: String? = nil, states: [JobState] = [], limit: Int = 50, before: Int64? = nil) async throws -> [PrintJob] {
        try await read { db in
            var query = SQLQueryString("SELECT \(unsafeRaw: Self.jobColumns) FROM print_jobs WHERE 1 = 1")
            if let before { query.appendInterpolation(unsafeRaw: " AND id < "); query.appendInterpolation(bind: before) }
            if let printer { query.appendInterpolation(unsafeRaw: " AND printer = "); query.appendInterpolation(bind: printer) }
            if !states.isEmpty {
                query.appendInterpolation(unsafeRaw: " AND state IN (")
                for (index, state) in states.enumerated() {
                    if index > 0 { query.appendInterpolation(unsafeRaw: ", ") }
                    query.appendInterpolation(bind: state.rawValue)
                }
                query.appendInterpolation(unsafeRaw: ")")
            }
            query.appendInterpolation(unsafeRaw: " ORDER BY id DESC LIMIT \(max(1, limit))")
            return try await db.raw(query).all().map(Self.job)
        }
    }

    /// A job's history: each state it entered, when, and why.
    public func events(job id: Int64) async throws -> [(at: String, state: JobState, message: String)] {
        try await read { db in
            try await db.raw("SELECT at, state, message FROM print_job_events WHERE job_id = \(bind: id) ORDER BY id").all().map { row in
                (try row.decode(column: "at", as: String.self),
                 JobState(rawValue: try row.decode(column: "state", as: String.self)) ?? .queued,
                 try row.decode(column: "message", as: String.self))
            }
        }
    }

    /// Puts a held, failed or cancelled job back in its printer's queue, now.
    /// `by` is kept in its history, as a cancel's is (a retry read "by an operator" whoever
    /// asked; found by a QA run). A job queued again has not finished: its finish time goes.
    public func retry(_ id: Int64, by user: String? = nil) async throws {
        let job = try await operate(id, allowed: \.canRetry, verb: "retry") { db, job in
            try await Self.refuseMoved(db, job)
            try Self.refuseWithdrawn(job)
            // What would hold it again at once (its printer reads another language or prints at
            // another resolution now) is said now: "queued again" was answered, and the worker
            // held it within a second for the same reason (found by a QA run).
            let config = try await Self.printer(db, job.printer)
            if let why = Self.foreign(job, printerLanguage: config.language) ?? Self.otherResolution(job, printer: config) {
                throw PrintingError(.invalidState, "job \(id) cannot be sent again as it is: \(why)")
            }
            try await db.raw("""
                UPDATE print_jobs SET state = 'queued', attempts = 0, next_attempt_at = NULL, error = '', finished_at = NULL
                WHERE id = \(bind: id)
                """).run()
            return (.queued, "retried by \(user ?? "an operator")")
        }
        notify([job.printer])
    }

    /// Cancels a job that has not printed. A job in the printer's hands (printing) is cancelled
    /// where the printer can (CUPS); a raw printer prints what it holds.
    ///
    /// The job is cancelled in the spool first, so that no worker sends or settles it again (every
    /// step of a worker checks the state it leaves); then, for a job the printer already holds,
    /// at the printer where it can be (the CUPS job is cancelled).
    ///
    /// `by` and `reason` are kept in its history (who cancelled it and why: every cancel read "by
    /// an operator"; found by a QA run). A job `withdrawn` is one whose labels must never print:
    /// a station's line taken off (TM:UNDO), a number voided; it cannot be retried, moved or
    /// reprinted (a label for goods never received was printed twice that way).
    public func cancel(_ id: Int64, by user: String? = nil, reason: String? = nil, withdrawn: Bool = false) async throws {
        let job = try await operate(id, allowed: \.canCancel, verb: "cancel") { db, job in
            let who = user.map { "cancelled by \($0)" } ?? "cancelled by an operator"
            // Already in the printer's hands: a CUPS queue is asked to stop it, but a raw or
            // folder printer cannot call a job back, and the job may well have printed.
            var note = ""
            if job.state == .printing || job.state == .sending, let config = try? await Self.printer(db, job.printer),
               let address = try? config.address, !address.cancelsHeldJobs {
                note = "\(who) while it was \(job.state == .sending ? "being sent" : "in the printer"): it may have printed, as a raw or folder printer cannot call a job back"
            }
            let why = reason.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.flatMap { $0.isEmpty ? nil : $0 }
            let message = (note.isEmpty ? who : note) + (why.map { ": \($0)" } ?? "")
            // A withdrawn job says so where jobs are listed, not only in its history (a QA run).
            let kept = withdrawn ? Self.withdrawnPrefix + message : note
            try await db.raw("""
                UPDATE print_jobs SET state = 'cancelled', finished_at = \(bind: now), error = \(bind: kept)
                WHERE id = \(bind: id) AND state = \(bind: job.state.rawValue)
                """).run()
            return (.cancelled, withdrawn ? Self.withdrawnPrefix + message : message)
        }
        guard job.state == .printing else { return }
        guard let delivery = try await delivery(batch: [job]) else { return }
        do {
            try await sending(job.printer).transport().cancel(delivery)
        } catch let error as PrintingError where error.code == .invalidState {
            // It finished at the printer meanwhile: nothing left to cancel there.
        }
    }

    /// Moves a job that has not printed to another printer of the same language (and resolution,
    /// when it was rendered), at the end of its queue. Returns the job's new number there.
    @discardableResult
    public func move(_ id: Int64, to printer: String) async throws -> Int64 {
        let created = Mutex<Int64?>(nil)
        try await operate(id, allowed: \.canMove, verb: "move") { db, job in
            try await Self.refuseMoved(db, job)
            try Self.refuseWithdrawn(job)
            // Moved "to" its own printer, it went to the back of the queue under a new id: a
            // typo of the target's name, most likely, and not what a move is for.
            guard printer != job.printer else {
                throw PrintingError(.invalidRequest,
                    "job \(id) is on printer \(printer) already: name another printer"
                        + (job.state.canRetry ? "; to send it again on this one, retry it (tracemark jobs retry \(id))" : ""))
            }
            let target = try await Self.printer(db, printer)
            guard target.language == job.language else {
                // A refusal of this job's move (exit 1, 422), not a bad command line.
                throw PrintingError(.invalidRequest,
                    "job \(id) is \(job.language.rawValue), printer \(printer) reads \(target.language.rawValue): reprint it from its template instead")
            }
            if let why = Self.otherResolution(job, printer: target) { throw PrintingError(.invalidRequest, why) }
            // A new id puts it at the end of the target's queue; the old row keeps the history.
            // What held it here (paper out, an error) is history now: its events keep it.
            // Only as it was read: a queued job a worker claimed meanwhile is in its hands now.
            guard try await db.raw("""
                UPDATE print_jobs SET state = 'cancelled', finished_at = \(bind: now), error = ''
                WHERE id = \(bind: id) AND state = \(bind: job.state.rawValue) RETURNING id
                """).first() != nil else {
                throw PrintingError(.invalidState, "job \(id) was taken by its printer's worker meanwhile: it is being sent, and cannot be moved now")
            }
            let moved = try await reinsert(db, job, printer: printer, reprintOf: job.reprintOf,
                                           requestedBy: job.requestedBy, reason: job.reason)
            created.withLock { $0 = moved }
            return (.cancelled, "moved to printer \(printer) as job \(moved)")
        }
        guard let moved = created.withLock({ $0 }) else { throw PrintingError(.invalidState, "job \(id) was not moved") }
        return moved
    }

    /// A moved job's labels live on in the job it was moved to: reprinting, retrying or moving
    /// the old one would print them twice.
    static func refuseMoved(_ db: any SQLDatabase, _ job: PrintJob) async throws {
        guard job.state == .cancelled, let moved = try await moveEvent(db, job: job.id) else { return }
        throw PrintingError(.invalidState, "job \(job.id) was \(moved): its labels print there; act on that job instead")
    }

    /// The history's record of job `id`'s move, `moved to printer X as job N`, if it was moved.
    static func moveEvent(_ db: any SQLDatabase, job id: Int64) async throws -> String? {
        try await db.raw("""
            SELECT message FROM print_job_events WHERE job_id = \(bind: id) AND message LIKE 'moved to printer %' ORDER BY id DESC LIMIT 1
            """).first()?.decode(column: "message", as: String.self)
    }

    /// Withdraws the labels of job `id` wherever they are now: the job they were moved to (and
    /// on), cancelled and withdrawn if not yet in the printer's hands; a job cancelled already (by
    /// an operator) is marked withdrawn. Returns the job that carries them and its state then
    /// (done, printing or sending: they may be on the item). A station took a line off and its
    /// label printed anyway as the job it had been moved to, or was retried after an operator's
    /// cancel (found by a QA run).
    @discardableResult
    public func withdraw(_ id: Int64, by user: String, reason: String) async throws -> (job: Int64, state: JobState) {
        var current = id
        // A move makes a new job; follow them (a chain is short: each move is an operator's).
        for _ in 0..<100 {
            guard let moved = try await read({ [current] db in try await Self.moveEvent(db, job: current) }),
                  let next = moved.split(separator: " ").last.flatMap({ Int64($0) }) else { break }
            current = next
        }
        let state = try await job(current).state
        if state.canCancel, state != .printing {
            try await cancel(current, by: user, reason: reason, withdrawn: true)
        } else if state == .cancelled {
            let at = now
            try await write { db in
                let job = try await Self.job(db, current, lock: .update)
                guard job.state == .cancelled else { return }
                let message = Self.withdrawnPrefix + "cancelled by \(user): \(reason)"
                try await db.raw("UPDATE print_jobs SET error = \(bind: message) WHERE id = \(bind: current)").run()
                try await Self.logEvents(db, ids: [current], at: at, state: .cancelled, message: message)
            }
        }
        return (current, try await job(current).state)
    }

    /// The history message of a job withdrawn: its labels are not to be printed, ever.
    static let withdrawnPrefix = "withdrawn, never to print: "

    /// A job withdrawn (its station line taken off, its number voided) is not sent again in any
    /// way: its labels name goods that are not there. Its note says so, as its history does.
    static func refuseWithdrawn(_ job: PrintJob) throws {
        guard job.state == .cancelled, job.error.hasPrefix(withdrawnPrefix) else { return }
        throw PrintingError(.invalidState,
            "job \(job.id) was \(job.error.dropFirst(withdrawnPrefix.count)), and withdrawn: its labels name what is not there, and are never printed; print a new label for what is")
    }

    /// Queues the same labels again (a reprint of a done job, e.g. a damaged label), as a new job
    /// that points to the original.
    @discardableResult
    public func reprint(_ id: Int64, printer: String? = nil, requestedBy: String, reason: String) async throws -> Int64 {
        try await write { db in
            let job = try await Self.job(db, id, lock: .update)
            guard job.state == .done || job.state == .cancelled || job.state == .held else {
                throw PrintingError(.invalidState,
                    "job \(id) is \(job.state.rawValue): only a done, held or cancelled job is reprinted (a queued job will print anyway)")
            }
            try await Self.refuseMoved(db, job)
            try Self.refuseWithdrawn(job)
            // Cancelled before it was ever sent, nothing of it printed: sending it is a retry,
            // not a reprint (the history would say a label was printed again that never was).
            if job.state == .cancelled, job.sentAt == nil, job.printedLabels == 0 {
                throw PrintingError(.invalidState,
                    "job \(id) was cancelled before it was sent: nothing of it printed, so there is nothing to reprint; to print it, retry it (tracemark jobs retry \(id))")
            }
            let target = printer ?? job.printer
            let config = try await Self.printer(db, target)
            guard config.language == job.language else {
                throw PrintingError(.invalidConfiguration,
                    "job \(id) is \(job.language.rawValue), printer \(target) reads \(config.language.rawValue)")
            }
            if let why = Self.otherResolution(job, printer: config) { throw PrintingError(.invalidConfiguration, why) }
            return try await reinsert(db, job, printer: target, reprintOf: id, requestedBy: requestedBy,
                                      reason: reason.isEmpty ? "reprint of job \(id)" : reason)
        }
    }

    private func reinsert(_ db: any SQLDatabase, _ job: PrintJob, printer: String, reprintOf: Int64?,
                          requestedBy: String, reason: String) async throws -> Int64 {
        let created = now
        guard let row = try await db.raw("""
            INSERT INTO print_jobs (printer, state, language, label_count, copies, template, data,
                                    requested_by, reason, reference, reprint_of, created_at, dpi)
            VALUES (\(bind: printer), 'queued', \(bind: job.language.rawValue), \(bind: job.labelCount),
                    \(bind: job.copies), \(bind: job.template), \(bind: job.data), \(bind: requestedBy), \(bind: reason),
                    \(bind: job.reference), \(bind: reprintOf), \(bind: created), \(bind: job.dpi))
            RETURNING id
            """).first() else {
            throw PrintingError(.database, "the database did not return the new job's id")
        }
        let newID = try row.decode(column: "id", as: Int64.self)
        try await db.raw("INSERT INTO print_job_payloads (job_id, payload) VALUES (\(bind: newID), \(bind: job.payload))").run()
        try await Self.logEvents(db, ids: [newID], at: created, state: .queued,
                                 message: reprintOf.map { "reprint of job \($0)" } ?? "moved from job \(job.id)")
        return newID
    }

    /// Changes one job as an operator asked, if its state allows it; returns the job as it was.
    @discardableResult
    private func operate(_ id: Int64, allowed: KeyPath<JobState, Bool>, verb: String,
                         _ body: (any SQLDatabase, PrintJob) async throws -> (JobState, String)) async throws -> PrintJob {
        let at = now
        return try await write { db in
            // Locked: five cancels (or retries) of one job sent at once each read it cancellable,
            // and its history said "cancelled" three times (found by a QA run).
            let job = try await Self.job(db, id, lock: .update)
            guard job.state[keyPath: allowed] else {
                throw PrintingError(.invalidState, "job \(id) is \(job.state.rawValue): it cannot be \(["retry": "retried", "move": "moved", "cancel": "cancelled"][verb] ?? verb + "ed") now")
            }
            let (state, message) = try await body(db, job)
            try await Self.logEvents(db, ids: [id], at: at, state: state, message: message)
            return job
        }
    }

    // MARK: Rows

    /// A job's bytes, from their own table, as the column `payload`.
    static let payloadColumn = payloadColumn(of: "print_jobs")

    /// The same for the job rows named `table` in the statement.
    static func payloadColumn(of table: String) -> String {
        "(SELECT payload FROM print_job_payloads WHERE job_id = \(table).id) AS payload"
    }

    static let jobColumns = """
        id, printer, state, language, \(payloadColumn), label_count, copies, template, data, requested_by, reason, reference, \
        attempts, next_attempt_at, error, printed_labels, possibly_duplicated, confirmed, reprint_of, created_at, sent_at, finished_at, batch, dpi
        """

    /// Job `id`, its row locked as `lock` says.
    static func job(_ db: any SQLDatabase, _ id: Int64, lock: RowLock = .none) async throws -> PrintJob {
        guard let row = try await db.raw("SELECT \(unsafeRaw: jobColumns) FROM print_jobs WHERE id = \(bind: id)\(unsafeRaw: lock.clause(db))").first() else {
            throw PrintingError(.notFound, "no print job \(id)")
        }
        return try job(row)
    }

    static func job(_ row: any SQLRow) throws -> PrintJob {
        let stateText = try row.decode(column: "state", as: String.self)
        let languageText = try row.decode(column: "language", as: String.self)
        guard let state = JobState(rawValue: stateText), let language = PrinterLanguage(rawValue: languageText) else {
            throw PrintingError(.database, "print job has state \(stateText) and language \(languageText), which this Tracemark does not know")
        }
        return PrintJob(
            id: try row.decode(column: "id", as: Int64.self),
            printer: try row.decode(column: "printer", as: String.self),
            state: state, language: language,
            payload: try row.decode(column: "payload", as: Data.self),
            labelCount: try row.decode(column: "label_count", as: Int.self),
            copies: try row.decode(column: "copies", as: Int.self),
            template: try row.decode(column: "template", as: String?.self),
            data: try row.decode(column: "data", as: String?.self),
            requestedBy: try row.decode(column: "requested_by", as: String.self),
            reason: try row.decode(column: "reason", as: String.self),
            reference: try row.decode(column: "reference", as: String.self),
            attempts: try row.decode(column: "attempts", as: Int.self),
            nextAttemptAt: try row.decode(column: "next_attempt_at", as: String?.self),
            error: try row.decode(column: "error", as: String.self),
            // A job done printed all its labels; before, the column holds what a broken delivery
            // is known to have printed (the worker's own reads take the column as it is).
            printedLabels: state == .done ? try row.decode(column: "label_count", as: Int.self)
                                          : try row.decode(column: "printed_labels", as: Int.self),
            possiblyDuplicated: try row.decode(column: "possibly_duplicated", as: Int.self) != 0,
            reprintOf: try row.decode(column: "reprint_of", as: Int64?.self),
            createdAt: try row.decode(column: "created_at", as: String.self),
            sentAt: try row.decode(column: "sent_at", as: String?.self),
            finishedAt: try row.decode(column: "finished_at", as: String?.self),
            confirmed: try row.decode(column: "confirmed", as: Int.self) != 0,
            dpi: try row.decode(column: "dpi", as: Int?.self),
            batch: try row.decode(column: "batch", as: Int64?.self))
    }

    static func config(_ row: any SQLRow) throws -> PrinterConfig {
        let name = try row.decode(column: "name", as: String.self)
        let languageText = try row.decode(column: "language", as: String.self)
        guard let language = PrinterLanguage(rawValue: languageText) else {
            throw PrintingError(.database, "printer \(name) has language \(languageText), which this Tracemark does not know")
        }
        let settings = try JSONDecoder().decode(PrinterSettings.self,
                                                from: Data(try row.decode(column: "settings", as: String.self).utf8))
        return settings.config(name: name, uri: try row.decode(column: "uri", as: String.self), language: language)
    }

    static func encode(_ settings: PrinterSettings) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(settings), as: UTF8.self)
    }

    /// Records that jobs `ids` entered `state` (nil: the state each row is in now), and why.
    static func logEvents(_ db: any SQLDatabase, ids: [Int64], at: String, state: JobState?, message: String) async throws {
        guard !ids.isEmpty else { return }
        try await logEvents(db, matching: idList(ids), at: at, state: state, message: message)
    }

    /// `id IN (…)` over the ids sent as one JSON parameter: one statement text (and one kept
    /// statement) whatever the count, rather than a placeholder per id.
    static func idList(_ ids: some Collection<Int64>) -> SQLQueryString {
        "id IN (\(SQLJSONList(ids)))"
    }

    func write<T: Sendable>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        try await store.write(body)
    }

    func read<T: Sendable>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        try await store.read(body)
    }
}

/// A printer's configuration as stored: everything but name, URI and language, as JSON, so that
/// settings can be added without a migration.
struct PrinterSettings: Codable {
    var dpi: Int
    var widthMillimetres: Double?
    var lengthMillimetres: Double?
    var connectTimeout: Double?
    var writeTimeout: Double?
    var idleTimeout: Double?
    var statusTimeout: Double?
    var endOfJob: EndOfJob?
    var followUntilPrinted: Bool?
    var printTimeout: Double?
    var maxAttempts: Int?
    var statusQuery: Bool?

    init(_ config: PrinterConfig) {
        dpi = config.dpi
        widthMillimetres = config.widthMillimetres
        lengthMillimetres = config.lengthMillimetres
        connectTimeout = config.connectTimeout
        writeTimeout = config.writeTimeout
        idleTimeout = config.idleTimeout
        statusTimeout = config.statusTimeout
        endOfJob = config.endOfJob
        followUntilPrinted = config.followUntilPrinted
        printTimeout = config.printTimeout
        maxAttempts = config.maxAttempts
        // Written only when off: a database read by an older Tracemark keeps its settings.
        statusQuery = config.statusQuery ? nil : false
    }

    func config(name: String, uri: String, language: PrinterLanguage) -> PrinterConfig {
        let defaults = PrinterConfig(name: name, uri: uri, language: language)
        var config = PrinterConfig(name: name, uri: uri, language: language, dpi: dpi,
                             widthMillimetres: widthMillimetres, lengthMillimetres: lengthMillimetres,
                             connectTimeout: connectTimeout ?? defaults.connectTimeout,
                             writeTimeout: writeTimeout ?? defaults.writeTimeout,
                             idleTimeout: idleTimeout ?? defaults.idleTimeout,
                             statusTimeout: statusTimeout ?? defaults.statusTimeout,
                             endOfJob: endOfJob ?? defaults.endOfJob,
                             followUntilPrinted: followUntilPrinted ?? defaults.followUntilPrinted,
                             printTimeout: printTimeout ?? defaults.printTimeout,
                             maxAttempts: maxAttempts ?? defaults.maxAttempts)
        config.statusQuery = statusQuery ?? true
        return config
    }
}
