import Foundation
import Printing
import Registry
import SQLKit
import Store

/// Control barcodes: `TM:DONE`, `TM:CANCEL`, `TM:UNDO`, `TM:QTY:n`, `TM:OP:<badge>`, `TM:RUN`, `TM:PICK`.
extension Station {
    func handle(_ control: ControlCode, _ scan: StationScan) async throws -> ScanOutcome {
        let signedInNow = signedIn
        switch control {
        case .invalid(let message):
            return try await refuse(scan, [.init("invalid-control-code", message)], next: "scan a valid control code")
        case .run(let product, let count, let expiry):
            return try await startRun(product: product, count: count, expiry: expiry, scan)
        case .pick(let customer):
            guard configuration.kind == .picking else {
                return try await refuse(scan, [.init("not-a-picking-station", "TM:PICK opens an issue at a picking station; this one is \(configuration.kind.rawValue)")],
                                        next: "scan the next code")
            }
            return try await openPick(customer: customer, scan)
        case .done:
            switch configuration.kind {
            case .receiving:
                return try await completeReceipt(scan)
            case .picking:
                let (open, posted) = try await registry.store.read { @Sendable db in
                    let task = try await self.currentTask(db)
                    return (task, task == nil ? try await self.justPosted(db, at: scan.time) : nil)
                }
                guard let task = open else {
                    return try await refuse(scan, [posted.map { .init("already-posted", "the issue was posted already as \($0): nothing more to post") }
                                                   ?? .init("no-open-issue", "no issue is open at this station: scan TM:PICK:<customer> first")],
                                            next: "scan TM:PICK:<customer>")
                }
                return try await completePick(scan, task)
            case .production:
                return try await completeRun(scan)
            case .lookup:
                return try await refuse(scan, [.init("no-open-task", "a \(configuration.kind.rawValue) station has no task to complete")],
                                        next: "scan the next code")
            }
        case .approve(let badge):
            return try await approve(badge: badge, scan)
        case .signIn(let badge):
            let known = try await registry.store.read { @Sendable db in try await Operators.lookup(db, badge) }
            if known == .unknown {
                return try await refuse(scan, [.init("unknown-badge", "badge \(badge) is not an operator's: a supervisor adds it with tracemark operator add \(badge)")],
                                        next: "scan your own badge")
            }
            // The badge as registered (a Caps Lock scanner sends it in another case).
            let badge = { if case .known(let person) = known { return person.badge } else { return badge } }()
            signedIn = badge
            return try await registry.store.write { @Sendable db in
                let task = try await self.currentTask(db)
                if let task {
                    try await db.raw("UPDATE station_tasks SET operator = \(bind: badge) WHERE id = \(bind: task.id)").run()
                }
                var who = badge
                if case .known(let person) = known { who = person.signature }
                var outcome = ScanOutcome(station: self.configuration.name, verdict: .ok, action: "operator-signed-in",
                                          next: "\(who) signed in: scan the next code")
                outcome.scan = try await self.log(db, scan, outcome, task: task?.id, operator: badge)
                return outcome
            }
        case .quantity(let quantity):
            guard configuration.kind != .lookup else {
                return try await refuse(scan, [.init("no-open-task", "a \(configuration.kind.rawValue) station takes no quantity")],
                                        next: "scan the next code")
            }
            let receiving = configuration.kind == .receiving, production = configuration.kind == .production
            return try await registry.store.write { @Sendable db in
                let open = receiving ? try await self.openTask(db, at: scan.time, operator: scan.user ?? signedInNow) : try await self.currentTask(db)
                guard let task = open else {
                    return try await self.refused(db, scan, [production ? .init("no-open-run", "no run is open at this line: scan TM:RUN:<product>:<count> first") : .init("no-open-issue", "no issue is open at this station: scan TM:PICK:<customer> first")],
                                                             next: production ? "scan TM:RUN:<product>:<count>" : "scan TM:PICK:<customer>", task: nil, operator: signedInNow)
                }
                try await db.raw("""
                    UPDATE station_tasks SET next_quantity = \(bind: "\(quantity)"), next_quantity_scanner = \(bind: Self.partKey(scan))
                    WHERE id = \(bind: task.id)
                    """).run()
                var outcome = ScanOutcome(station: self.configuration.name, verdict: .ok, action: "quantity-set",
                                          next: production ? "scan the component: each unit takes \(quantity) of it"
                                                           : receiving ? "scan the item: it is received as \(quantity)"
                                                           : "scan the item: it is picked as \(quantity)")
                outcome.scan = try await self.log(db, scan, outcome, task: task.id, operator: signedInNow)
                return outcome
            }
        case .removeLine(let line):
            return try await removeLine(line, scan)
        case .cancel:
            let (outcome, jobs) = try await registry.store.write { @Sendable db -> (ScanOutcome, [Int64]) in
                guard let task = try await self.currentTask(db) else {
                    var outcome = ScanOutcome(station: self.configuration.name, verdict: .block,
                                              reasons: [.init("no-open-task", "there is no open task to cancel")], next: "scan the next code")
                    outcome.scan = try await self.log(db, scan, outcome, task: nil, operator: signedInNow)
                    return (outcome, [])
                }
                try await db.raw("""
                    UPDATE station_tasks SET state = 'cancelled', closed_at = \(bind: Timestamp.string(scan.time))
                    WHERE id = \(bind: task.id) AND state = 'open'
                    """).run()
                var next = "\(task.kind) abandoned (\(task.lines) line\(task.lines == 1 ? "" : "s") not posted\(task.kind == "receipt" ? "; their labels not printed yet are cancelled, and those printed must come off the goods" : "")): scan to start again"
                var jobs: [Int64] = []
                if task.kind == "receipt" {
                    // Labels of goods never received: they printed later, once the printer was
                    // back, on nothing (found by a QA run). As TM:UNDO does for one line.
                    jobs = try await db.raw("""
                        SELECT job_id FROM station_task_lines WHERE task_id = \(bind: task.id) AND removed_at IS NULL AND job_id IS NOT NULL
                        """).all().map { try $0.decode(column: "job_id", as: Int64.self) }
                }
                if task.kind == "run" {
                    // A run posts each unit as it verifies: those stay made; the labels not
                    // verified have their numbers voided.
                    let (voided, labels) = try await self.voidUnverified(db, task: task, why: "run \(task.id) cancelled", at: scan.time)
                    jobs = labels
                    let report = try await Self.runReport(db, task: task.id)
                    next = "run \(task.id) cancelled: \(report.verified) unit\(report.verified == 1 ? "" : "s") verified and in stock"
                        + (voided.isEmpty ? "" : "; \(voided.count) number\(voided.count == 1 ? "" : "s") never verified voided (\(voided.prefix(10).joined(separator: ", "))\(voided.count > 10 ? ", …" : ""))")
                        + (report.missing.isEmpty ? "" : "; \(report.missing.count) label\(report.missing.count == 1 ? "" : "s") of lot \(task.lot ?? "") never verified")
                        + ": scan TM:RUN to start again"
                }
                var outcome = ScanOutcome(station: self.configuration.name, verdict: .ok, action: "task-cancelled", next: next)
                outcome.scan = try await self.log(db, scan, outcome, task: task.id, operator: signedInNow)
                return (outcome, jobs)
            }
            await cancelLabels(jobs, because: "its task was cancelled (TM:CANCEL): what it names was not received or made")
            return outcome
        }
    }

    /// `TM:UNDO`: takes a line off the open receipt or pick (the last one, or the one named), as
    /// when the wrong item or quantity was scanned, instead of abandoning the whole task. The
    /// line's label is cancelled if it has not printed; one printed already is named, to be
    /// taken off the item.
    func removeLine(_ id: Int64?, _ scan: StationScan) async throws -> ScanOutcome {
        if configuration.kind == .production { return try await removeComponent(id, scan) }
        guard configuration.kind == .receiving || configuration.kind == .picking else {
            let why = "a \(configuration.kind.rawValue) station has no task to remove a line from"
            return try await refuse(scan, [.init("no-line-to-remove", why)], next: "scan the next code")
        }
        struct Line: Sendable { let id: Int64, product: String, number: String?, quantity: String, job: Int64? }
        @Sendable func find(_ db: any SQLDatabase, _ task: OpenTask) async throws -> Line? {
            let filter: SQLQueryString = id.map { "AND id = \(bind: $0)" } ?? ""
            return try await db.raw("""
                SELECT id, product, number, quantity, job_id FROM station_task_lines
                WHERE task_id = \(bind: task.id) AND removed_at IS NULL \(filter)
                ORDER BY id DESC LIMIT 1
                """).first().map { row in
                Line(id: try row.decode(column: "id", as: Int64.self), product: try row.decode(column: "product", as: String.self),
                     number: try row.decode(column: "number", as: String?.self), quantity: try row.decode(column: "quantity", as: String.self),
                     job: try row.decode(column: "job_id", as: Int64?.self))
            }
        }
        // The line's label first, outside the transaction (the spool cancels in its own): the
        // station handles one scan at a time, so the line is still there afterwards.
        let job = try await registry.store.read { @Sendable db -> Int64? in
            guard let task = try await self.currentTask(db) else { return nil }
            return try await find(db, task)?.job
        }
        var printed: ScanOutcome.Reason?
        var cancelled = ""
        if let job {
            // Only a label the printer does not have yet is cancelled: a raw printer prints what
            // it holds, so one being sent or printed is named instead.
            // Wherever its label is now: moved to another printer, or cancelled by an operator.
            let carrier = try? await spool.withdraw(job, by: "station \(configuration.name)",
                                                    reason: "its line was taken off the task (TM:UNDO): what it names was not received")
            let label = carrier.map { $0.job == job ? "job \(job)" : "job \(job), moved as job \($0.job)" } ?? "job \(job)"
            switch carrier?.state {
            case .cancelled?: cancelled = "; its label (\(label)) was cancelled before printing"
            case .done?, .printing?, .sending?:
                printed = .init("label-printed", "the line's label (\(label)) was printed already: take it off the item")
            default: break
            }
        }
        let signedInNow = signedIn, label = printed, labelNote = cancelled
        return try await registry.store.write { @Sendable db in
            guard let task = try await self.currentTask(db) else {
                return try await self.refused(db, scan, [.init("no-open-task", "there is no open task to remove a line from")],
                                              next: "scan the next code", task: nil, operator: signedInNow)
            }
            guard let line = try await find(db, task) else {
                return try await self.refused(db, scan, [.init("no-such-line", id.map { "line \($0) is not on the open \(task.kind)" }
                                                                    ?? "the open \(task.kind) has no line to remove")],
                                              next: "scan the next item", task: task.id, operator: signedInNow)
            }
            // Kept, marked removed, so that its id is never given to another line (SQLite would
            // reuse the highest id) and the task keeps what was taken off it and by whom.
            try await db.raw("""
                UPDATE station_task_lines SET removed_at = \(bind: Timestamp.string(scan.time)),
                    removed_by = \(bind: scan.user ?? (signedInNow.isEmpty ? "station \(self.configuration.name)" : signedInNow))
                WHERE id = \(bind: line.id)
                """).run()
            let left = task.lines - 1
            let what = "\(line.product)\(line.number.map { " \($0)" } ?? "") × \(line.quantity)"
            var outcome = ScanOutcome(station: self.configuration.name, verdict: label == nil ? .ok : .warn,
                                      reasons: label.map { [$0] } ?? [], action: "line-removed",
                                      next: "removed \(what) from the \(task.kind)\(labelNote): scan the next item"
                                        + (left > 0 ? ", or TM:DONE to post it (\(left) line\(left == 1 ? "" : "s"))" : "")
                                        // A TM:QTY scanned before the undo still waits: said, or the next
                                        // item took it unawares (found by a QA run).
                                        + (task.quantity(for: scan).map { "; TM:QTY:\($0) still waits for the next item" } ?? ""))
            outcome.scan = try await self.log(db, scan, outcome, task: task.id, operator: signedInNow)
            return outcome
        }
    }

    /// `TM:OK:<badge>`: a supervisor at the station confirms every line the open task holds back
    /// (expired goods received into quarantine, a later lot picked), recorded with their name.
    func approve(badge: String, _ scan: StationScan) async throws -> ScanOutcome {
        let signedInNow = signedIn
        let name = configuration.name
        return try await registry.store.write { @Sendable db in
            var reasons: [ScanOutcome.Reason] = []
            var supervisor: StationOperator?
            switch try await Operators.lookup(db, badge) {
            case .known(let person) where person.role == .supervisor: supervisor = person
            case .known(let person):
                reasons = [.init("not-a-supervisor", "\(person.signature) is an operator: a supervisor's badge confirms")]
            case .unknown, .unmanaged:
                reasons = [.init("unknown-badge", "badge \(badge) is not a supervisor's: add supervisors with tracemark operator add BADGE --role supervisor")]
            }
            let task = try await self.currentTask(db)
            var pending: [(id: Int64, code: String, what: String)] = []
            if let task, supervisor != nil {
                pending = try await db.raw("""
                    SELECT id, pending, product, number FROM station_task_lines
                    WHERE task_id = \(bind: task.id) AND pending IS NOT NULL AND removed_at IS NULL ORDER BY id
                    """).all().map { row in
                    (try row.decode(column: "id", as: Int64.self), try row.decode(column: "pending", as: String.self),
                     "\(try row.decode(column: "product", as: String.self)) \(try row.decode(column: "number", as: String?.self) ?? "")")
                }
                if pending.isEmpty { reasons = [.init("nothing-to-confirm", "no line of the open task waits for a confirmation")] }
            } else if supervisor != nil {
                reasons = [.init("no-open-task", "there is no open task at station \(name)")]
            }
            guard let supervisor, reasons.isEmpty else {
                return try await self.refused(db, scan, reasons, next: "scan the next code", task: task?.id, operator: signedInNow)
            }
            for line in pending {
                try await db.raw("""
                    UPDATE station_task_lines SET pending = NULL, confirmation = \(bind: "\(line.code) confirmed by supervisor \(supervisor.signature) at the station")
                    WHERE id = \(bind: line.id)
                    """).run()
            }
            var outcome = ScanOutcome(station: name, verdict: .ok,
                                      reasons: pending.map { .init($0.code, "\($0.what) confirmed by \(supervisor.signature)") },
                                      action: "confirmed", next: "scan the next item, or TM:DONE to post")
            outcome.scan = try await self.log(db, scan, outcome, task: task?.id, operator: signedInNow)
            return outcome
        }
    }
}
