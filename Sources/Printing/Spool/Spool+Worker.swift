import Foundation
import Store
import SQLKit
import Synchronization
import TracemarkSystem

/// The spool's side of sending: claiming jobs, recording each step, and deciding what a failure
/// means for the job. Every step is its own transaction, committed before the next step touches
/// the printer, so that a crash at any point leaves a state the next worker can act on.
extension Spool {
    /// Takes the printer for `worker` for `duration`, as a new lease with the next fencing epoch.
    /// Nil while another live worker holds it. A lease held by a process of this machine that no
    /// longer runs is taken over at once; one of another machine only once it has expired.
    ///
    /// Expiry is counted on the database's clock, never on a station's: two stations whose clocks
    /// disagree still agree on when a lease lapses.
    func acquireLease(printer: String, worker: ProcessIdentity, duration: Duration) async throws -> Lease? {
        let millis = duration.wholeMilliseconds
        return try await write { db in
            // PostgreSQL: lock the row, so that two stations reading a free lease at once do not both take it
            // (SQLite's BEGIN IMMEDIATE already lets one writer in at a time).
            guard let row = try await db.raw("""
                SELECT worker, lease_expires, \(unsafeRaw: clockMillis) AS now FROM printers
                WHERE name = \(bind: printer) AND removed_at IS NULL\(unsafeRaw: RowLock.update.clause(db))
                """).first() else {
                throw try await Self.unknownPrinter(db, printer)
            }
            let holder = try row.decode(column: "worker", as: String?.self)
            let expires = try row.decode(column: "lease_expires", as: Int64?.self)
            let now = try row.decode(column: "now", as: Int64.self)
            let free = holder == nil || holder == worker.description || expires.map { $0 <= now } ?? true
                || (holder.flatMap(ProcessIdentity.init(parsing:)).map { !$0.isAlive } ?? true)
            guard free else { return nil }
            guard let taken = try await db.raw("""
                UPDATE printers SET worker = \(bind: worker.description), lease_epoch = lease_epoch + 1,
                    lease_expires = \(unsafeRaw: clockMillis) + \(bind: millis)
                WHERE name = \(bind: printer) RETURNING lease_epoch
                """).first() else {
                throw PrintingError(.notFound, "no printer named \(printer)")
            }
            return Lease(printer: printer, worker: worker, epoch: try taken.decode(column: "lease_epoch", as: Int64.self),
                         duration: duration)
        }
    }

    /// Extends `lease` by its duration from now (the database's clock). Throws
    /// ``PrintingError/Code/leaseLost`` when another worker has taken the printer meanwhile.
    func renew(_ lease: Lease) async throws {
        try await write { db in try await Self.fence(db, lease, clock: clockMillis) }
    }

    /// The fence every write of a worker passes first, in the same transaction: it renews the
    /// lease, and fails when the printer's lease is no longer `lease` (same worker, same epoch),
    /// so that a worker that lost its lease while a send took long changes none of the jobs that
    /// another worker now owns. On PostgreSQL the renewal's row lock also makes a takeover wait
    /// until this transaction has committed.
    static func fence(_ db: any SQLDatabase, _ lease: Lease, clock: String) async throws {
        let renewed = try await db.raw("""
            UPDATE printers SET lease_expires = \(unsafeRaw: clock) + \(bind: lease.duration.wholeMilliseconds)
            WHERE name = \(bind: lease.printer) AND worker = \(bind: lease.worker.description) AND lease_epoch = \(bind: lease.epoch)
            RETURNING lease_epoch
            """).first()
        guard renewed != nil else {
            let holder = try await db.raw("SELECT worker FROM printers WHERE name = \(bind: lease.printer)").first()
            let who = try holder?.decode(column: "worker", as: String?.self) ?? "nobody"
            throw PrintingError(.leaseLost,
                "worker \(lease.worker) lost printer \(lease.printer) (lease \(lease.epoch)) to \(who): it leaves the printer's jobs to that worker")
        }
    }

    /// A write of the worker holding `lease`, fenced by it (``fence(_:_:clock:)``).
    func write<T: Sendable>(_ lease: Lease, _ body: (any SQLDatabase) async throws -> T) async throws -> T {
        let clock = clockMillis
        return try await write { db in
            try await Self.fence(db, lease, clock: clock)
            return try await body(db)
        }
    }

    func releaseLease(_ lease: Lease) async throws {
        try await write { db in
            try await db.raw("""
                UPDATE printers SET worker = NULL, lease_expires = NULL
                WHERE name = \(bind: lease.printer) AND worker = \(bind: lease.worker.description) AND lease_epoch = \(bind: lease.epoch)
                """).run()
        }
    }

    /// Milliseconds since 1970 on the database's clock, as an SQL expression.
    var clockMillis: String { store.kind.clockMilliseconds }

    /// Jobs a previous send left unfinished (`sending`: in doubt; `printing`: delivered, being
    /// followed), one batch at a time, oldest first.
    func unsettled(printer: String) async throws -> [PrintJob] {
        try await read { db in
            let jobs = try await db.raw("""
                SELECT \(unsafeRaw: Self.sendColumns) FROM print_jobs
                WHERE printer = \(bind: printer) AND state IN ('sending', 'printing') ORDER BY id
                """).all()
            guard let first = jobs.first else { return [] }
            let batch = try first.decode(column: "batch", as: Int64?.self)
            return try jobs.filter { try $0.decode(column: "batch", as: Int64?.self) == batch }.map { try Self.sendable($0, printer: printer) }
        }
    }

    /// The delivery recorded for a batch before its first byte went out (on the job that names
    /// the batch, as ``record(_:for:_:)`` writes it), for any of the batch's jobs.
    func delivery(batch jobs: [PrintJob]) async throws -> Delivery? {
        guard let first = jobs.first else { return nil }
        return try await read { db in
            guard let text = try await db.raw("SELECT delivery FROM print_jobs WHERE id = \(bind: first.batch ?? first.id)").first()?
                .decode(column: "delivery", as: String?.self) else { return nil }
            return try JSONDecoder().decode(Delivery.self, from: Data(text.utf8))
        }
    }

    /// What the worker should do next when nothing is unsettled.
    enum Claim {
        /// These jobs are now `sending`, in this order.
        case jobs([PrintJob])
        /// The oldest job waits for its retry time.
        case waitUntil(Date)
        case empty
    }

    /// Claims the printer's oldest jobs that may go now, in order, up to `limit` jobs, about
    /// `maxBytes` and ``PrintRequest/maximumLabels`` labels: they become `sending` as one batch.
    /// Stops at a job that waits for its retry, so that labels come out in the order they were
    /// asked for. A job the worker cannot send as it is (a label count beyond what a printer can
    /// be asked for, left by an older version) is held with the reason instead of stopping the queue.
    ///
    /// Exactly the rows read are claimed, each only if it is still queued or failed: a job
    /// committed, cancelled or retried by an operator between the two statements is left as it is.
    /// A job rendered for another language than the printer's `language` now (the printer was
    /// configured anew with jobs queued) is held, saying why, instead of sent.
    /// So is a job rendered at another resolution than the printer's `dpi` now.
    func claim(_ lease: Lease, limit: Int, maxBytes: Int, language: PrinterLanguage? = nil, dpi: Int? = nil) async throws -> Claim {
        let now = self.now
        let printer = lease.printer
        return try await write(lease) { db in
            // Each state's jobs come in id order from the queue index, merged, and only the
            // jobs taken read their label: with `state IN (…)` the database sorted every queued
            // job and read all their labels first, on every claim, so a long queue drained in
            // quadratic time. The rows are put in order here rather than sorted with their labels.
            let columns = Self.sendFields
            let rows = try await db.raw("""
                SELECT \(unsafeRaw: columns), \(unsafeRaw: Self.payloadColumn(of: "j")) FROM (
                    SELECT \(unsafeRaw: columns) FROM print_jobs WHERE printer = \(bind: printer) AND state = 'queued'
                    UNION ALL
                    SELECT \(unsafeRaw: columns) FROM print_jobs WHERE printer = \(bind: printer) AND state = 'failed'
                    ORDER BY id LIMIT \(unsafeRaw: String(max(1, limit)))
                ) j
                """).all().map { (try $0.decode(column: "id", as: Int64.self), $0) }.sorted { $0.0 < $1.0 }.map(\.1)
            var jobs: [PrintJob] = []
            var poisoned: [(PrintJob, String)] = []
            var bytes = 0
            var labels = 0
            for row in rows {
                let job = try Self.sendable(row, printer: printer)
                if let why = Self.unsendable(job) ?? language.flatMap({ Self.foreign(job, printerLanguage: $0) })
                    ?? dpi.flatMap({ Self.otherResolution(job, printer: job.printer, dpi: $0) }) {
                    poisoned.append((job, why))
                    continue
                }
                if job.state == .failed, let next = job.nextAttemptAt, next > now {
                    if jobs.isEmpty && poisoned.isEmpty { return .waitUntil(Self.date(next) ?? Date().addingTimeInterval(1)) }
                    break
                }
                let jobLabels = job.labelCount - job.printedLabels
                if !jobs.isEmpty, bytes + job.payload.count > maxBytes || labels + jobLabels > PrintRequest.maximumLabels { break }
                jobs.append(job)
                bytes += job.payload.count
                labels += jobLabels
            }
            for (job, why) in poisoned {
                try await db.raw("""
                    UPDATE print_jobs SET state = 'held', error = \(bind: why), batch = NULL, delivery = NULL
                    WHERE id = \(bind: job.id) AND state IN ('queued', 'failed')
                    """).run()
                try await Self.logEvents(db, ids: [job.id], at: now, state: .held, message: why)
            }
            try await testHooks.betweenClaimStatements?(db)
            guard let first = jobs.first else { return poisoned.isEmpty ? .empty : .jobs([]) }
            var update = SQLQueryString("UPDATE print_jobs SET state = 'sending', delivery = NULL, batch = \(bind: first.id), sent_at = \(bind: now) WHERE state IN ('queued', 'failed') AND ")
            update.appendInterpolation(Self.idList(jobs.map(\.id)))
            update.appendInterpolation(unsafeRaw: " RETURNING id")
            let claimed = Set(try await db.raw(update).all().map { try $0.decode(column: "id", as: Int64.self) })
            jobs.removeAll { !claimed.contains($0.id) }
            guard !jobs.isEmpty else { return .jobs([]) }
            try await Self.logEvents(db, ids: jobs.map(\.id), at: now, state: .sending, message: "sending")
            return .jobs(jobs.map { var job = $0; job.state = .sending; job.batch = first.id; return job })
        }
    }

    /// Why a job cannot go to a printer that reads `printerLanguage`, or nil: it was rendered for
    /// the printer as it was configured when queued. Sent as it is, EPL reached a ZPL printer and
    /// a PNG a ZPL folder, and the job was marked done (found by a QA run).
    static func foreign(_ job: PrintJob, printerLanguage: PrinterLanguage) -> String? {
        guard job.language != printerLanguage else { return nil }
        return "the job was rendered as \(job.language.rawValue), and printer \(job.printer) reads \(printerLanguage.rawValue) since it was configured anew: print its label again, rendered for the printer as it is now, and cancel this job (tracemark jobs cancel \(job.id)); or move it to a printer that reads \(job.language.rawValue)"
    }

    /// Why a job cannot go to a printer that prints at `dpi`, or nil: rendered at 203 dpi and
    /// sent to a 300 dpi printer, a label prints at two thirds of its size with thinner bars
    /// (found by a QA run). A job of raw bytes, whose resolution is not known, goes as it is.
    static func otherResolution(_ job: PrintJob, printer: String, dpi: Int) -> String? {
        guard let rendered = job.dpi, rendered != dpi else { return nil }
        return "the job was rendered at \(rendered) dpi, and printer \(printer) prints at \(dpi) dpi: its label would print at the wrong size; print its label again, rendered for the printer as it is now\(job.state.canCancel ? ", and cancel this job (tracemark jobs cancel \(job.id))" : ""); or \(job.state.canMove ? "move it to" : "reprint it on") a printer of \(rendered) dpi"
    }

    static func otherResolution(_ job: PrintJob, printer: PrinterConfig) -> String? {
        otherResolution(job, printer: printer.name, dpi: printer.dpi)
    }

    /// Why a queued job cannot be sent as it is, or nil.
    static func unsendable(_ job: PrintJob) -> String? {
        let range = 1...PrintRequest.maximumLabels
        if !range.contains(job.labelCount) || !range.contains(job.copies) {
            return "the job prints \(job.labelCount) labels in \(job.copies) copies: a job prints 1 to \(PrintRequest.maximumLabels) labels (the most a printer can be asked for); cancel it and print it again in smaller jobs"
        }
        if job.printedLabels < 0 || job.printedLabels >= job.labelCount {
            return "the job records \(job.printedLabels) of its \(job.labelCount) labels as printed: check the printer, then cancel or reprint it"
        }
        return nil
    }

    /// Records what the transport knows before the first byte goes out.
    /// Kept on the batch's first job, which names the batch.
    func record(_ delivery: Delivery, for jobs: [PrintJob], _ lease: Lease) async throws {
        guard let first = jobs.first else { return }
        let text = String(decoding: try JSONEncoder().encode(delivery), as: UTF8.self)
        try await write(lease) { db in
            try await db.raw("""
                UPDATE print_jobs SET delivery = \(bind: text) WHERE id = \(bind: first.batch ?? first.id) AND state IN ('sending', 'printing')
                """).run()
        }
    }

    /// Puts claimed jobs back in the queue untouched: the printer took nothing.
    func unclaim(_ jobs: [PrintJob], because why: String, _ lease: Lease) async throws {
        try await updateBatch(jobs, lease, "state = 'queued', batch = NULL, delivery = NULL, error = \(bind: why)", event: (.queued, why))
    }

    func markPrinting(_ jobs: [PrintJob], _ lease: Lease) async throws {
        // Delivered: a note of why it waited before (a paused queue, a printer off) is over.
        try await updateBatch(jobs, lease, "state = 'printing', error = ''", only: "'sending'", event: (.printing, "delivered"))
    }

    func markDone(_ jobs: [PrintJob], confirmed: Bool, message: String, _ lease: Lease) async throws {
        let now = self.now
        try await write(lease) { db in
            let batch = try Self.batchPredicate(jobs)
            try await Self.logEvents(db, matching: batch, at: now, state: .done, message: message)
            try await db.raw("""
                UPDATE print_jobs SET state = 'done', confirmed = \(bind: confirmed ? 1 : 0), error = '', finished_at = \(bind: now)
                WHERE \(batch)
                """).run()
        }
    }

    /// The jobs of one claimed batch still in the worker's hands (`states`: by default sending or
    /// printing), by the batch they share (indexed by printer and state). A job an operator
    /// cancelled meanwhile is no longer matched, so no step of the worker brings it back.
    static func batchPredicate(_ jobs: [PrintJob], states: String = "'sending', 'printing'") throws -> SQLQueryString {
        guard let first = jobs.first, let batch = first.batch else {
            throw PrintingError(.invalidState, "jobs \(jobs.map(\.id)) are not a claimed batch")
        }
        return SQLQueryString("printer = \(bind: first.printer) AND state IN (\(unsafeRaw: states)) AND batch = \(bind: batch)")
    }

    private func updateBatch(_ jobs: [PrintJob], _ lease: Lease, _ assignments: SQLQueryString, only states: String = "'sending', 'printing'",
                             event: (JobState, String)? = nil) async throws {
        let now = self.now
        try await write(lease) { db in
            let batch = try Self.batchPredicate(jobs, states: states)
            if let (state, message) = event {
                try await Self.logEvents(db, matching: batch, at: now, state: state, message: message)
            }
            try await db.raw("UPDATE print_jobs SET \(assignments) WHERE \(batch)").run()
        }
    }

    /// A send that failed: retried later with backoff, or held for an operator after the
    /// printer's maximum attempts.
    ///
    /// One update and its history per attempt count among the jobs (a batch's jobs share theirs,
    /// but for one sent again after a partial print), not per job: a failed batch of thousands
    /// costs a few statements.
    func markFailed(_ jobs: [PrintJob], error: String, maxAttempts: Int, possiblyDuplicated: Bool = false, _ lease: Lease) async throws {
        let now = clock()
        let byAttempts = Dictionary(grouping: jobs, by: \.attempts).sorted { $0.key < $1.key }
        try await write(lease) { db in
            for (previous, group) in byAttempts {
                let attempts = previous + 1
                let held = attempts >= maxAttempts
                let next = Timestamp.string(now.addingTimeInterval(Self.backoff(attempt: attempts)))
                let message = held ? "\(error); held after \(attempts) attempts: retry, cancel or move it" : error
                var query = SQLQueryString("""
                    UPDATE print_jobs SET state = \(bind: held ? JobState.held.rawValue : JobState.failed.rawValue),
                        attempts = \(bind: attempts), next_attempt_at = \(bind: held ? nil : next), error = \(bind: message),
                        batch = NULL, delivery = NULL,
                        possibly_duplicated = CASE WHEN \(bind: possiblyDuplicated ? 1 : 0) = 1 THEN 1 ELSE possibly_duplicated END
                    WHERE state IN ('sending', 'printing')
                    """)
                query.appendInterpolation(unsafeRaw: " AND ")
                query.appendInterpolation(Self.idList(group.map(\.id)))
                query.appendInterpolation(unsafeRaw: " RETURNING id")
                let failed = Set(try await db.raw(query).all().map { try $0.decode(column: "id", as: Int64.self) })
                try await Self.logEvents(db, ids: group.map(\.id).filter(failed.contains), at: Timestamp.string(now),
                                         state: held ? .held : .failed, message: message)
            }
        }
    }

    /// Settles a batch whose delivery was in doubt, by what the printer said it printed:
    /// the labels it printed are done, the rest go back to the front of the queue (a job cut in
    /// the middle keeps how many of its labels printed, and only the rest is sent again).
    ///
    /// With `maxAttempts` (a send that failed, not a crash), the jobs sent again count an attempt
    /// and are held for an operator once they reach it, so a printer that keeps failing does not
    /// get the same labels for ever.
    /// `why`: what interrupted the send, said in each job's note.
    func settle(_ jobs: [PrintJob], printedLabels printed: Int, maxAttempts: Int? = nil, because why: String? = nil,
                _ lease: Lease) async throws {
        let cause = why.map { " (\($0))" } ?? ""
        var left = printed
        var printedJobs: [Int64] = []
        var cut: (PrintJob, Int)?
        var unprinted: [Int64] = []
        for job in jobs {
            let remaining = job.labelCount - job.printedLabels
            if left >= remaining {
                printedJobs.append(job.id)
                left -= remaining
            } else if left > 0 {
                cut = (job, job.printedLabels + left)
                left = 0
            } else {
                unprinted.append(job.id)
            }
        }
        let now = self.now
        try await write(lease) { db in
            // Only jobs still in the worker's hands: one cancelled meanwhile stays cancelled.
            let inHand = Set(try await Self.inHand(db, jobs.map(\.id)))
            let done = printedJobs.filter(inHand.contains)
            let partial = cut.flatMap { inHand.contains($0.0.id) ? $0 : nil }
            let resend = unprinted.filter(inHand.contains)
            if !done.isEmpty {
                var query = SQLQueryString("UPDATE print_jobs SET state = 'done', confirmed = 1, error = '', finished_at = ")
                query.appendInterpolation(bind: now)
                query.appendInterpolation(unsafeRaw: " WHERE ")
                query.appendInterpolation(Self.idList(done))
                try await db.raw(query).run()
                try await Self.logEvents(db, ids: done, at: now, state: .done,
                                         message: "printed before the send was interrupted (the printer's label counter says so)")
            }
            if let (job, labels) = partial {
                try await db.raw("""
                    UPDATE print_jobs SET printed_labels = \(bind: labels), batch = NULL, delivery = NULL,
                        error = \(bind: "\(labels) of \(job.labelCount) labels printed before the send was interrupted\(cause): the rest is sent again")
                    WHERE id = \(bind: job.id)
                    """).run()
                try await Self.requeue(db, [job.id], maxAttempts: maxAttempts,
                                       held: "\(labels) of \(job.labelCount) labels printed before the send was interrupted\(cause)")
                try await Self.logEvents(db, ids: [job.id], at: now, state: nil,
                                         message: "\(labels) of \(job.labelCount) labels printed; sending the rest")
            }
            if !resend.isEmpty {
                try await Self.sendAgain(db, resend, note: "not printed when the send was interrupted\(cause): sent again",
                                         maxAttempts: maxAttempts, held: "not printed when the send was interrupted\(cause)", at: now)
            }
        }
    }

    /// Says why jobs in doubt wait (the printer cannot answer what it printed yet), leaving them
    /// as they are: their state, batch and delivery. The event is logged once per reason.
    func noteDoubt(_ jobs: [PrintJob], because why: String, _ lease: Lease) async throws {
        let now = self.now
        try await write(lease) { db in
            let ids = try await Self.inHand(db, jobs.map(\.id))
            guard !ids.isEmpty else { return }
            // Only the jobs that did not say so already: each reason is logged once.
            var query = SQLQueryString("UPDATE print_jobs SET error = ")
            query.appendInterpolation(bind: why)
            query.appendInterpolation(unsafeRaw: " WHERE COALESCE(error, '') <> ")
            query.appendInterpolation(bind: why)
            query.appendInterpolation(unsafeRaw: " AND ")
            query.appendInterpolation(Self.idList(ids))
            query.appendInterpolation(unsafeRaw: " RETURNING id")
            let fresh = try await db.raw(query).all().map { try $0.decode(column: "id", as: Int64.self) }
            guard !fresh.isEmpty else { return }
            try await Self.logEvents(db, ids: fresh, at: now, state: nil, message: why)
        }
    }

    /// Sends a batch again when the printer could not tell what it printed, marking every job as
    /// possibly duplicated for an operator to check. A job sent again so once already is held
    /// instead: a printer that keeps no label counter and keeps dropping the connection would
    /// otherwise print the same serial labels once per attempt (a QA run saw five of each).
    func requeueInDoubt(_ jobs: [PrintJob], because why: String, maxAttempts: Int? = nil, _ lease: Lease) async throws {
        let message = "\(why): sent again, a label may print twice"
        let held = "\(why), and it had been sent again once already for the same reason: held rather than sent a third time; check what the printer printed, then `jobs retry` or `jobs cancel` it"
        let now = self.now
        try await write(lease) { db in
            let inHand = try await Self.inHand(db, jobs.map(\.id))
            guard !inHand.isEmpty else { return }
            var flagged = SQLQueryString("SELECT id FROM print_jobs WHERE possibly_duplicated = 1 AND ")
            flagged.appendInterpolation(Self.idList(inHand))
            let twice = Set(try await db.raw(flagged).all().map { try $0.decode(column: "id", as: Int64.self) })
            if !twice.isEmpty {
                let ids = inHand.filter(twice.contains)
                try await Self.setJobs(db, ids, "state = 'held', batch = NULL, delivery = NULL, error = \(bind: held)")
                try await Self.logEvents(db, ids: ids, at: now, state: .held, message: held)
            }
            let ids = inHand.filter { !twice.contains($0) }
            guard !ids.isEmpty else { return }
            try await Self.sendAgain(db, ids, note: message, possiblyDuplicated: true, maxAttempts: maxAttempts, held: why, at: now)
        }
    }

    /// Cancels jobs an operator cancelled at the printer or queue: nothing more is sent of them.
    func cancelInDoubt(_ jobs: [PrintJob], because why: String, _ lease: Lease) async throws {
        let now = self.now
        try await write(lease) { db in
            let ids = try await Self.inHand(db, jobs.map(\.id))
            guard !ids.isEmpty else { return }
            try await Self.setJobs(db, ids, "state = 'cancelled', batch = NULL, delivery = NULL, finished_at = \(bind: now), error = \(bind: why)")
            try await Self.logEvents(db, ids: ids, at: now, state: .cancelled, message: why)
        }
    }

    /// Jobs in the worker's hands that go back to the queue, saying why (`note`, their event too),
    /// marked possibly printed twice when they are sent again blind: with `maxAttempts`, as one
    /// more attempt, held once used up (`held`: what the attempt met).
    static func sendAgain(_ db: any SQLDatabase, _ ids: [Int64], note: String, possiblyDuplicated: Bool = false,
                          maxAttempts: Int?, held: String, at now: String) async throws {
        try await setJobs(db, ids, "batch = NULL, delivery = NULL, \(unsafeRaw: possiblyDuplicated ? "possibly_duplicated = 1, " : "")error = \(bind: note)")
        try await requeue(db, ids, maxAttempts: maxAttempts, held: held)
        try await logEvents(db, ids: ids, at: now, state: nil, message: note)
    }

    /// Sets `assignments` on the jobs `ids`.
    static func setJobs(_ db: any SQLDatabase, _ ids: [Int64], _ assignments: SQLQueryString) async throws {
        try await db.raw("UPDATE print_jobs SET \(assignments) WHERE \(idList(ids))").run()
    }

    /// Those of `ids` still in the worker's hands (sending or printing), in their order.
    static func inHand(_ db: any SQLDatabase, _ ids: [Int64]) async throws -> [Int64] {
        guard !ids.isEmpty else { return [] }
        var query = SQLQueryString("SELECT id FROM print_jobs WHERE state IN ('sending', 'printing') AND ")
        query.appendInterpolation(idList(ids))
        let found = Set(try await db.raw(query).all().map { try $0.decode(column: "id", as: Int64.self) })
        return ids.filter(found.contains)
    }

    /// Records that the jobs matching `predicate` entered `state` (nil: the state each row is in now), and why.
    static func logEvents(_ db: any SQLDatabase, matching predicate: SQLQueryString, at: String, state: JobState?,
                          message: String) async throws {
        // Without a state, each row's own (after an update that set different ones).
        let stateColumn = state.map { SQLQueryString("\(bind: $0.rawValue)") } ?? SQLQueryString("state")
        try await db.raw("""
            INSERT INTO print_job_events (job_id, at, state, message)
            SELECT id, \(bind: at), \(stateColumn), \(bind: message) FROM print_jobs WHERE \(predicate)
            """).run()
    }

    /// Back to the queue; with `maxAttempts`, as one more attempt, held once they are used up.
    /// Queues jobs in the worker's hands again; with `maxAttempts`, counting an attempt, and holding
    /// those that reached it, their note saying so and why (`held`: what the last attempt met).
    static func requeue(_ db: any SQLDatabase, _ ids: [Int64], maxAttempts: Int?, held: String = "") async throws {
        var query: SQLQueryString
        if let maxAttempts {
            query = SQLQueryString("UPDATE print_jobs SET attempts = attempts + 1, state = CASE WHEN attempts + 1 >= ")
            query.appendInterpolation(bind: maxAttempts)
            query.appendInterpolation(unsafeRaw: " THEN 'held' ELSE 'queued' END, error = CASE WHEN attempts + 1 >= ")
            query.appendInterpolation(bind: maxAttempts)
            query.appendInterpolation(unsafeRaw: " THEN ")
            query.appendInterpolation(bind: "held after \(maxAttempts) attempts\(held.isEmpty ? "" : ", the last: \(held)"); check the printer, then `jobs retry` or `jobs cancel` it")
            query.appendInterpolation(unsafeRaw: " ELSE error END WHERE ")
        } else {
            query = SQLQueryString("UPDATE print_jobs SET state = 'queued' WHERE ")
        }
        query.appendInterpolation(unsafeRaw: "state IN ('sending', 'printing') AND ")
        query.appendInterpolation(idList(ids))
        try await db.raw(query).run()
    }

    /// Whether the printer has anything the worker still has to do.
    func hasUnfinished(printer: String) async throws -> Bool {
        try await read { db in
            try await db.raw("""
                SELECT id FROM print_jobs WHERE printer = \(bind: printer) AND state IN ('queued', 'sending', 'printing', 'failed') LIMIT 1
                """).first() != nil
        }
    }

    /// What sending needs of a job: fewer columns to read per job than a full ``PrintJob``.
    static let sendColumns = "\(sendFields), \(payloadColumn)"
    /// ``sendColumns`` but the label, which lives in its own table.
    static let sendFields = "id, state, language, label_count, copies, printed_labels, attempts, next_attempt_at, batch, dpi"

    /// A job read with ``sendColumns``: the fields for people (template, who asked, times) are left empty.
    static func sendable(_ row: any SQLRow, printer: String) throws -> PrintJob {
        let stateText = try row.decode(column: "state", as: String.self)
        let languageText = try row.decode(column: "language", as: String.self)
        guard let state = JobState(rawValue: stateText), let language = PrinterLanguage(rawValue: languageText) else {
            throw PrintingError(.database, "print job has state \(stateText) and language \(languageText), which this Tracemark does not know")
        }
        return PrintJob(
            id: try row.decode(column: "id", as: Int64.self), printer: printer, state: state, language: language,
            payload: try row.decode(column: "payload", as: Data.self),
            labelCount: try row.decode(column: "label_count", as: Int.self),
            copies: try row.decode(column: "copies", as: Int.self), template: nil, data: nil, requestedBy: "", reason: "",
            reference: "", attempts: try row.decode(column: "attempts", as: Int.self),
            nextAttemptAt: try row.decode(column: "next_attempt_at", as: String?.self), error: "",
            printedLabels: try row.decode(column: "printed_labels", as: Int.self), possiblyDuplicated: false,
            reprintOf: nil, createdAt: "", sentAt: nil, finishedAt: nil, confirmed: false,
            dpi: try row.decode(column: "dpi", as: Int?.self),
            batch: try row.decode(column: "batch", as: Int64?.self))
    }

    /// Seconds before retry `attempt`: 2, 4, 8 … up to five minutes.
    static func backoff(attempt: Int) -> Double {
        min(300, pow(2, Double(min(attempt, 10))))
    }

    static func date(_ timestamp: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: timestamp)
    }
}

/// A worker's hold on a printer: who, and the fencing epoch it was granted. Every write of the
/// worker checks that the printer's lease is still this one.
struct Lease: Sendable, Equatable {
    let printer: String
    let worker: ProcessIdentity
    /// Grows by one each time the printer changes hands.
    let epoch: Int64
    let duration: Duration
}
