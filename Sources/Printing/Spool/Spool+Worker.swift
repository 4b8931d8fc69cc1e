import Foundation
import Registry
import SQLKit
import Synchronization

/// The spool's side of sending: claiming jobs, recording each step, and deciding what a failure
/// means for the job. Every step is its own transaction, committed before the next step touches
/// the printer, so that a crash at any point leaves a state the next worker can act on.
extension Spool {
    /// Takes the printer for `worker` until `until`, or keeps it. Returns false while another
    /// live worker holds it. A lease held by a process of this host that no longer runs is taken over.
    func acquireLease(printer: String, worker: WorkerIdentity, until: Date) async throws -> Bool {
        let now = self.now
        let expiry = Registry.timestamp(until)
        return try await write { db in
            // PostgreSQL: lock the row, so that two stations reading a free lease at once do not both take it
            // (SQLite's BEGIN IMMEDIATE already lets one writer in at a time).
            let lock = store.kind == .postgres ? " FOR UPDATE" : ""
            guard let row = try await db.raw("SELECT worker, lease_until FROM printers WHERE name = \(bind: printer)\(unsafeRaw: lock)").first() else {
                throw PrintingError(.notFound, "no printer named \(printer)")
            }
            let holder = try row.decode(column: "worker", as: String?.self)
            let leaseUntil = try row.decode(column: "lease_until", as: String?.self)
            let free = holder == nil || holder == worker.description || (leaseUntil ?? "") < now
                || (holder.flatMap(WorkerIdentity.init(parsing:)).map { !$0.isAlive } ?? true)
            guard free else { return false }
            try await db.raw("""
                UPDATE printers SET worker = \(bind: worker.description), lease_until = \(bind: expiry) WHERE name = \(bind: printer)
                """).run()
            return true
        }
    }

    func releaseLease(printer: String, worker: WorkerIdentity) async throws {
        try await write { db in
            try await db.raw("""
                UPDATE printers SET worker = NULL, lease_until = NULL WHERE name = \(bind: printer) AND worker = \(bind: worker.description)
                """).run()
        }
    }

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

    /// The delivery recorded for a batch before its first byte went out.
    func delivery(batch jobs: [PrintJob]) async throws -> Delivery? {
        guard let first = jobs.first else { return nil }
        return try await read { db in
            guard let text = try await db.raw("SELECT delivery FROM print_jobs WHERE id = \(bind: first.id)").first()?
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

    /// Claims the printer's oldest jobs that may go now, in order, up to `limit` jobs and about
    /// `maxBytes`: they become `sending` as one batch. Stops at a job that waits for its retry, so
    /// that labels come out in the order they were asked for.
    func claim(printer: String, limit: Int, maxBytes: Int) async throws -> Claim {
        let now = self.now
        return try await write { db in
            let rows = try await db.raw("""
                SELECT \(unsafeRaw: Self.sendColumns) FROM print_jobs
                WHERE printer = \(bind: printer) AND state IN ('queued', 'failed') ORDER BY id LIMIT \(unsafeRaw: String(max(1, limit)))
                """).all()
            var jobs: [PrintJob] = []
            var bytes = 0
            for row in rows {
                let job = try Self.sendable(row, printer: printer)
                if job.state == .failed, let next = job.nextAttemptAt, next > now {
                    if jobs.isEmpty { return .waitUntil(Self.date(next) ?? Date().addingTimeInterval(1)) }
                    break
                }
                if !jobs.isEmpty, bytes + job.payload.count > maxBytes { break }
                jobs.append(job)
                bytes += job.payload.count
            }
            guard let first = jobs.first, let last = jobs.last else { return .empty }
            // The claimed jobs are every queued or failed job of the printer from the first to the
            // last (claiming stops at the first that waits for its retry), so a range names them.
            let claimed = SQLQueryString("printer = \(bind: printer) AND state IN ('queued', 'failed') AND id BETWEEN \(bind: first.id) AND \(bind: last.id)")
            try await Self.logEvents(db, matching: claimed, at: now, state: .sending, message: "sending")
            var update = SQLQueryString("UPDATE print_jobs SET state = 'sending', delivery = NULL, batch = \(bind: first.id), sent_at = \(bind: now) WHERE ")
            update.appendInterpolation(claimed)
            try await db.raw(update).run()
            return .jobs(jobs.map { var job = $0; job.state = .sending; job.batch = first.id; return job })
        }
    }

    /// Records what the transport knows before the first byte goes out.
    /// Kept on the batch's first job, which names the batch.
    func record(_ delivery: Delivery, for jobs: [PrintJob]) async throws {
        guard let first = jobs.first else { return }
        let text = String(decoding: try JSONEncoder().encode(delivery), as: UTF8.self)
        try await write { db in
            try await db.raw("UPDATE print_jobs SET delivery = \(bind: text) WHERE id = \(bind: first.batch ?? first.id)").run()
        }
    }

    /// Puts claimed jobs back in the queue untouched: the printer took nothing.
    func unclaim(_ jobs: [PrintJob], because why: String) async throws {
        try await updateBatch(jobs, "state = 'queued', batch = NULL, delivery = NULL, error = \(bind: why)", event: (.queued, why))
    }

    func markPrinting(_ jobs: [PrintJob]) async throws {
        try await updateBatch(jobs, "state = 'printing'", event: (.printing, "delivered"))
    }

    func markDone(_ jobs: [PrintJob], confirmed: Bool, message: String) async throws {
        let now = self.now
        try await write { db in
            let batch = try Self.batchPredicate(jobs)
            try await Self.logEvents(db, matching: batch, at: now, state: .done, message: message)
            try await db.raw("""
                UPDATE print_jobs SET state = 'done', confirmed = \(bind: confirmed ? 1 : 0), error = '', finished_at = \(bind: now)
                WHERE \(batch)
                """).run()
        }
    }

    /// The jobs of one claimed batch, by the batch they share (indexed by printer and state).
    static func batchPredicate(_ jobs: [PrintJob]) throws -> SQLQueryString {
        guard let first = jobs.first, let batch = first.batch else {
            throw PrintingError(.invalidState, "jobs \(jobs.map(\.id)) are not a claimed batch")
        }
        return SQLQueryString("printer = \(bind: first.printer) AND state IN ('sending', 'printing') AND batch = \(bind: batch)")
    }

    private func updateBatch(_ jobs: [PrintJob], _ assignments: SQLQueryString, event: (JobState, String)? = nil) async throws {
        let now = self.now
        try await write { db in
            let batch = try Self.batchPredicate(jobs)
            if let (state, message) = event {
                try await Self.logEvents(db, matching: batch, at: now, state: state, message: message)
            }
            try await db.raw("UPDATE print_jobs SET \(assignments) WHERE \(batch)").run()
        }
    }

    /// A send that failed: retried later with backoff, or held for an operator after the
    /// printer's maximum attempts.
    func markFailed(_ jobs: [PrintJob], error: String, maxAttempts: Int, possiblyDuplicated: Bool = false) async throws {
        let now = clock()
        try await write { db in
            for job in jobs {
                let attempts = job.attempts + 1
                let held = attempts >= maxAttempts
                let next = Registry.timestamp(now.addingTimeInterval(Self.backoff(attempt: attempts)))
                let message = held ? "\(error); held after \(attempts) attempts: retry, cancel or move it" : error
                try await db.raw("""
                    UPDATE print_jobs SET state = \(bind: held ? JobState.held.rawValue : JobState.failed.rawValue),
                        attempts = \(bind: attempts), next_attempt_at = \(bind: held ? nil : next), error = \(bind: message),
                        batch = NULL, delivery = NULL,
                        possibly_duplicated = CASE WHEN \(bind: possiblyDuplicated ? 1 : 0) = 1 THEN 1 ELSE possibly_duplicated END
                    WHERE id = \(bind: job.id)
                    """).run()
                try await Self.logEvents(db, ids: [job.id], at: Registry.timestamp(now), state: held ? .held : .failed, message: message)
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
    func settle(_ jobs: [PrintJob], printedLabels printed: Int, maxAttempts: Int? = nil) async throws {
        var left = printed
        var done: [Int64] = []
        var partial: (PrintJob, Int)?
        var resend: [Int64] = []
        for job in jobs {
            let remaining = job.labelCount - job.printedLabels
            if left >= remaining {
                done.append(job.id)
                left -= remaining
            } else if left > 0 {
                partial = (job, job.printedLabels + left)
                left = 0
            } else {
                resend.append(job.id)
            }
        }
        let now = self.now
        try await write { db in
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
                        error = \(bind: "\(labels) of \(job.labelCount) labels printed before the send was interrupted: the rest is sent again")
                    WHERE id = \(bind: job.id)
                    """).run()
                try await Self.requeue(db, [job.id], maxAttempts: maxAttempts)
                try await Self.logEvents(db, ids: [job.id], at: now, state: nil,
                                         message: "\(labels) of \(job.labelCount) labels printed; sending the rest")
            }
            if !resend.isEmpty {
                var query = SQLQueryString("UPDATE print_jobs SET batch = NULL, delivery = NULL, error = 'not printed when the send was interrupted: sent again' WHERE ")
                query.appendInterpolation(Self.idList(resend))
                try await db.raw(query).run()
                try await Self.requeue(db, resend, maxAttempts: maxAttempts)
                try await Self.logEvents(db, ids: resend, at: now, state: nil, message: "not printed when the send was interrupted: sent again")
            }
        }
    }

    /// Sends a batch again when the printer could not tell what it printed, marking every job as
    /// possibly duplicated for an operator to check.
    func requeueInDoubt(_ jobs: [PrintJob], because why: String, maxAttempts: Int? = nil) async throws {
        let message = "\(why): sent again, a label may print twice"
        let ids = jobs.map(\.id)
        let now = self.now
        try await write { db in
            var query = SQLQueryString("UPDATE print_jobs SET batch = NULL, delivery = NULL, possibly_duplicated = 1, error = ")
            query.appendInterpolation(bind: message)
            query.appendInterpolation(unsafeRaw: " WHERE ")
            query.appendInterpolation(Self.idList(ids))
            try await db.raw(query).run()
            try await Self.requeue(db, ids, maxAttempts: maxAttempts)
            try await Self.logEvents(db, ids: ids, at: now, state: nil, message: message)
        }
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
    static func requeue(_ db: any SQLDatabase, _ ids: [Int64], maxAttempts: Int?) async throws {
        var query: SQLQueryString
        if let maxAttempts {
            query = SQLQueryString("UPDATE print_jobs SET attempts = attempts + 1, state = CASE WHEN attempts + 1 >= ")
            query.appendInterpolation(bind: maxAttempts)
            query.appendInterpolation(unsafeRaw: " THEN 'held' ELSE 'queued' END WHERE ")
        } else {
            query = SQLQueryString("UPDATE print_jobs SET state = 'queued' WHERE ")
        }
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
    static let sendColumns = "id, state, language, \(payloadColumn), label_count, copies, printed_labels, attempts, next_attempt_at, batch"

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

/// Who sends to a printer: a worker of a process of a host, so that a lease left by a process that
/// died can be taken over at once instead of after it expires.
struct WorkerIdentity: Sendable, CustomStringConvertible, Equatable {
    let host: String
    let pid: Int32
    let token: String

    /// The workers running in this process, by token.
    private static let running = Mutex<Set<String>>([])

    /// A new identity for a worker of this process, counted as running until ``finish()``.
    static func start() -> WorkerIdentity {
        let identity = WorkerIdentity(host: ProcessInfo.processInfo.hostName, pid: getpid(),
                                      token: String(UUID().uuidString.prefix(8)))
        _ = running.withLock { $0.insert(identity.token) }
        return identity
    }

    func finish() {
        _ = Self.running.withLock { $0.remove(token) }
    }

    init(host: String, pid: Int32, token: String) {
        self.host = host
        self.pid = pid
        self.token = token
    }

    init?(parsing text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3, let pid = Int32(parts[1]) else { return nil }
        self.init(host: String(parts[0]), pid: pid, token: String(parts[2]))
    }

    var description: String { "\(host)/\(pid)/\(token)" }

    /// False only for a worker known to be gone: one of this process that finished, or of a
    /// process of this host that no longer runs (a process id reused after a restart has another
    /// token). A worker of another host is assumed alive until its lease expires.
    var isAlive: Bool {
        guard host == ProcessInfo.processInfo.hostName else { return true }
        if pid == getpid() { return Self.running.withLock { $0.contains(token) } }
        return kill(pid, 0) == 0 || errno != ESRCH
    }
}
