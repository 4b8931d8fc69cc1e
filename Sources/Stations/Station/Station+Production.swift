import Foundation
import GS1
import Labels
import Logging
import Printing
import Registry
import SQLKit
public import Store

/// Production lines.
///
/// - A run (`TM:RUN:<product>:<count>[:<expiry>]`, the HTTP API, or `tracemark station run`)
///   makes its numbers and queues a label per unit, in one transaction with the run's record.
///   A serial-tracked product gets a serial per unit; a lot-tracked one gets one lot, and a label
///   per unit.
/// - The operator's scanner checks each component lot put on the line: expired, blocked,
///   quarantined or not on the line's warehouse → `block`; not the first to expire → `warn`.
///   Each unit consumes the latest lot scanned of each component product (`TM:QTY:n` before the
///   scan: how much per unit; 1 by default). A component serial goes into one unit.
/// - The line's verify scanner reads each printed label. A unit of the run is posted as produced
///   into the line's warehouse, with genealogy to the component lots, in the scan's transaction.
/// - A label that does not read (the scanner sends the station's no-read text) or reads wrong
///   raises the alarm: a `block` outcome, logged as an error. The station's policy then prints
///   the same number again, voids it and prints a new number in its place, or leaves it to the
///   operator.
/// - `TM:DONE` closes the run with its report: printed, verified, voided, missing.
extension Station {
    /// `TM:RUN`: starts a run of `count` units of `product`.
    func startRun(product article: String, count: Int, expiry: CalendarDate?, _ scan: StationScan) async throws -> ScanOutcome {
        let next = "scan the next code"
        guard configuration.kind == .production else {
            return try await refuse(scan, [.init("not-a-production-line", "TM:RUN starts a run at a production line; this station is \(configuration.kind.rawValue)")],
                                    next: next)
        }
        guard let printer = configuration.printer, let template = configuration.template, configuration.warehouse != nil else {
            return try await refuse(scan, [.init("station-not-set-up", "production line \(configuration.name) needs a warehouse, a printer and a template")],
                                    next: next)
        }
        if let task = try await registry.store.read({ @Sendable db in try await self.currentTask(db) }) {
            return try await refuse(scan, [.init("run-open", "run \(task.id) of \(task.product ?? "?") is open: TM:DONE closes it, TM:CANCEL abandons it")],
                                    next: "finish the open run first")
        }
        let product = try await registry.product(article)
        guard let classCode = product.lotSerialClass else {
            return try await refuse(scan, [.init("not-tracked", "product \(article) is not tracked by lot or serial: a run has no numbers to print")],
                                    next: next)
        }
        let lotSerialClass = try await registry.lotSerialClass(classCode)
        if lotSerialClass.tracksExpiry, expiry == nil {
            return try await refuse(scan, [.init("expiry-needed",
                "class \(classCode) of \(article) tracks expiry dates: start the run with the expiry, e.g. TM:RUN:\(article):\(count):\(registry.today.adding(days: 365))")],
                                    next: next)
        }
        // An expiry the class does not keep would be printed on no label and kept nowhere.
        if !lotSerialClass.tracksExpiry, let expiry {
            return try await refuse(scan, [.init("expiry-not-tracked",
                "class \(classCode) of \(article) keeps no expiry dates: start the run without one (TM:RUN:\(article):\(count)), not with \(expiry)")],
                                    next: next)
        }
        // What a run makes is received when each unit is verified: made already expired, none could be.
        if let expiry, expiry < registry.today {
            return try await refuse(scan, [.init("expired-run",
                "the run's expiry \(expiry) is before today (\(registry.today)): what it made could never be received; start it with a later expiry")],
                                    next: next)
        }
        let serial = lotSerialClass.tracking == .serial
        let signedInNow = signedIn
        let today = registry.today
        // A lot-tracked product: one lot, its label printed once per unit.
        let run = ProductionRun(product: article, count: serial ? count : 1, printer: printer, template: template,
                                data: Self.unitData(product, line: configuration.name, copies: serial ? 1 : count),
                                date: today, expiry: expiry, production: today, copies: serial ? nil : count,
                                requestedBy: signedInNow.isEmpty ? "station \(configuration.name)" : signedInNow,
                                reason: "production run at \(configuration.name)")
        let (_, outcome) = try await run.run(registry: registry, spool: spool) { @Sendable db, made in
            // The operator signed in at the line runs it, whoever started it (a supervisor's shell,
            // the API); the one who started it when nobody is.
            let task = try await self.newTask(db, kind: "run", partner: nil, at: scan.time,
                                              operator: signedInNow.isEmpty ? scan.user ?? "" : signedInNow)
            try await db.raw("""
                UPDATE station_tasks SET product = \(bind: article), planned = \(bind: count), lot = \(bind: serial ? nil : made.numbers.first)
                WHERE id = \(bind: task.id)
                """).run()
            let units = serial ? Array(zip(made.numbers, made.jobs)) : Array(repeating: (made.numbers[0], made.jobs[0]), count: count)
            for (number, job) in units {
                try await self.addUnit(db, task: task.id, number: number, job: job, at: scan.time, note: nil, readings: made.readings[number])
            }
            let what = serial ? "\(count) serial\(count == 1 ? "" : "s") \(Self.span(made.numbers))" : "lot \(made.numbers[0]), \(count) label\(count == 1 ? "" : "s")"
            var outcome = ScanOutcome(station: self.configuration.name, verdict: .ok, action: "run-started",
                                      next: "run \(task.id) of \(article): \(what) printing; scan the component lots, the verify scanner reads each label",
                                      jobs: made.jobs)
            outcome.scan = try await self.log(db, scan, outcome, task: task.id, operator: signedInNow)
            return outcome
        }
        return outcome
    }

    /// What a unit's label says besides its product and number: one unit, and the line it was
    /// made at (as the partner, where a supplier's label names the supplier).
    static func unitData(_ product: Product, line: String, copies: Int = 1) -> LabelData {
        .object(["station": .string(line), "quantity": .number(1), "unit": .string(product.unit), "copies": .number(Decimal(copies)),
                 "partner": .object(["code": .string(line), "name": .string("made at \(line)")])])
    }

    /// `first–last` of a run's numbers.
    static func span(_ numbers: [String]) -> String {
        guard let first = numbers.first, let last = numbers.last else { return "" }
        return first == last ? first : "\(first)–\(last)"
    }

    nonisolated func addUnit(_ db: any SQLDatabase, task: Int64, number: String, job: Int64?, at time: Date, note: String?,
                             readings: String?) async throws {
        try await db.raw("""
            INSERT INTO station_run_units (task_id, number, job_id, state, note, changed_at, readings)
            VALUES (\(bind: task), \(bind: number), \(bind: job), 'printed', \(bind: note), \(bind: Timestamp.string(time)), \(bind: readings))
            """).run()
    }

    /// An operator's scan at a production line: a component lot or serial put on the line.
    func component(_ scan: StationScan) async throws -> ScanOutcome {
        let again = "scan the next component, or let the verify scanner read the labels"
        guard let task = try await registry.store.read({ @Sendable db in try await self.currentTask(db) }), task.kind == "run",
              let runProduct = task.product else {
            return try await refuse(scan, [.init("no-open-run", "no run is open at this line: scan TM:RUN:<product>:<count> first")],
                                    next: "scan TM:RUN:<product>:<count>")
        }
        // A lot that goes first but holds less than one unit takes is no better: a unit takes its
        // component from one lot (a QA run's line advised, and recorded on every unit, a lot of
        // 3 pcs where each unit took 5, after refusing a unit for it). The registry looks past
        // such lots to the first that holds enough.
        let resolution = try await resolve(scan, minimumQuantity: task.quantity(for: scan))
        if let refused = try await refusedForMissingNumber(scan, resolution) { return refused }
        guard let product = resolution.product, let lotSerial = resolution.lotSerial else {
            let reasons = resolution.warnings.filter { [.unknownProduct, .unknownLotSerial, .ambiguous, .notTracked].contains($0.kind) }
                .map(Self.reason)
            return try await refuse(scan, reasons.isEmpty ? [.init("not-a-lot-or-serial", "scan the label of a component lot or serial")] : reasons,
                                    next: again, resolution: resolution)
        }
        guard product.article != runProduct else {
            return try await refuse(scan, [.init("not-a-component", "\(lotSerial.number) is the run's own product \(runProduct): the verify scanner reads the finished units")],
                                    next: again, resolution: resolution)
        }
        var blocking = resolution.warnings.filter { [.blocked, .recalled, .expired, .quarantined, .retiredNumber, .notInStock].contains($0.kind) }
            .map(Self.reason)
        let here = resolution.stock.filter { $0.warehouse == configuration.warehouse && $0.number == lotSerial.number }
            .reduce(Decimal(0)) { $0 + $1.quantity }
        if blocking.isEmpty, here <= 0 {
            blocking.append(.init("not-on-this-line", "\(lotSerial.kind.rawValue) \(lotSerial.number) of \(product.article) has no stock in \(configuration.warehouse ?? "the line's warehouse")"))
        }
        guard blocking.isEmpty else { return try await refuse(scan, blocking, next: again, resolution: resolution) }
        let isSerial = lotSerial.kind == .serial
        let perUnit = isSerial ? Decimal(1) : (task.quantity(for: scan) ?? 1)
        let better = resolution.warnings.filter { $0.kind == .betterLotAvailable }.map(Self.reason)
        // What the operator must see about the component itself, though it goes on the line: a
        // label that disagrees with the registry, a lot about to expire, one that appeared
        // without a receipt (a QA run's line took a lot expiring today, its label saying
        // otherwise, with a plain ok).
        let told = resolution.warnings.filter { [.expiryMismatch, .lotMismatch, .expiresSoon, .flaggedForInvestigation].contains($0.kind) }
            .map(Self.reason)
        let signedInNow = signedIn
        // Not held: the line is running, and what the operator put on it goes into the units
        // made. Recorded instead, on the component and in the note of every unit made from it,
        // with who took it: a recall or an audit finds the lot that was not the first to go.
        let override = better.first.map { first in
            "\(first.code): \(first.message); taken at production line \(configuration.name) by \(signedInNow.isEmpty ? "station \(configuration.name)" : signedInNow)"
        }
        return try await registry.store.write { @Sendable db in
            var outcome = ScanOutcome(station: self.configuration.name, verdict: better.isEmpty && told.isEmpty ? .ok : .warn,
                                      reasons: better + told,
                                      action: "component-added",
                                      next: "each unit takes \(perUnit) of \(product.article) \(lotSerial.number)"
                                          + (better.isEmpty ? "" : "; it is recorded as taken before the lot that goes first: scan that lot to use it instead"),
                                      resolution: resolution)
            let logged = try await self.log(db, scan, outcome, task: task.id, operator: signedInNow)
            outcome.scan = logged
            // A new lot of a component takes over from the one before it; component serials go one per unit.
            if !isSerial {
                try await db.raw("""
                    UPDATE station_task_lines SET replaced = 1 WHERE task_id = \(bind: task.id) AND product = \(bind: product.article) AND serial = 0
                    """).run()
            }
            try await db.raw("""
                INSERT INTO station_task_lines (task_id, product, number, serial, quantity, expiry, production, created_at, scan_id, pending,
                                                confirmation)
                VALUES (\(bind: task.id), \(bind: product.article), \(bind: lotSerial.number), \(bind: isSerial ? 1 : 0),
                        \(bind: "\(perUnit)"), \(bind: lotSerial.expiry?.description), \(bind: lotSerial.production?.description),
                        \(bind: Timestamp.string(scan.time)), \(bind: logged), NULL, \(bind: override))
                """).run()
            try await Self.quantityTaken(db, task, by: scan)
            return outcome
        }
    }

    /// `TM:UNDO` (or Remove) at a production line: takes a component off the run, the last one
    /// scanned or the one named, as when the wrong product or lot was scanned; the units made from
    /// now on do not take it, those made already keep it (they were posted). A lot it had taken
    /// over from is used again. Found by a QA run, where a wrong component could only be got rid
    /// of by cancelling the whole run, and every unit consumed it meanwhile.
    func removeComponent(_ id: Int64?, _ scan: StationScan) async throws -> ScanOutcome {
        let signedInNow = signedIn
        return try await registry.store.write { @Sendable db in
            guard let task = try await self.currentTask(db), task.kind == "run" else {
                return try await self.refused(db, scan, [.init("no-open-run", "there is no open run to take a component off")],
                                              next: "scan the next code", task: nil, operator: signedInNow)
            }
            let filter: SQLQueryString = id.map { "AND id = \(bind: $0)" } ?? ""
            guard let line = try await db.raw("""
                SELECT id, product, number, serial FROM station_task_lines
                WHERE task_id = \(bind: task.id) AND removed_at IS NULL AND replaced = 0 \(filter)
                ORDER BY id DESC LIMIT 1
                """).first() else {
                return try await self.refused(db, scan, [.init("no-such-line", id.map { "line \($0) is not a component the run uses now" }
                                                                    ?? "run \(task.id) uses no component now")],
                                              next: "scan the next code", task: task.id, operator: signedInNow)
            }
            let lineID = try line.decode(column: "id", as: Int64.self)
            let product = try line.decode(column: "product", as: String.self)
            let number = try line.decode(column: "number", as: String?.self) ?? ""
            let serial = try line.decode(column: "serial", as: Int.self) == 1
            try await db.raw("""
                UPDATE station_task_lines SET removed_at = \(bind: Timestamp.string(scan.time)), replaced = 3,
                    removed_by = \(bind: scan.user ?? (signedInNow.isEmpty ? "station \(self.configuration.name)" : signedInNow))
                WHERE id = \(bind: lineID)
                """).run()
            // A lot that took over from another of the product: that one is used again.
            var restored: String?
            if !serial, let previous = try await db.raw("""
                SELECT id, number FROM station_task_lines
                WHERE task_id = \(bind: task.id) AND product = \(bind: product) AND serial = 0 AND replaced = 1 AND removed_at IS NULL
                ORDER BY id DESC LIMIT 1
                """).first() {
                try await db.raw("UPDATE station_task_lines SET replaced = 0 WHERE id = \(bind: try previous.decode(column: "id", as: Int64.self))").run()
                restored = try previous.decode(column: "number", as: String?.self)
            }
            let made = try await db.raw("""
                SELECT COUNT(*) AS n FROM station_run_units WHERE task_id = \(bind: task.id) AND state = 'verified'
                AND changed_at >= (SELECT created_at FROM station_task_lines WHERE id = \(bind: lineID))
                """).first()?.decode(column: "n", as: Int.self) ?? 0
            var outcome = ScanOutcome(station: self.configuration.name, verdict: made == 0 ? .ok : .warn,
                                      reasons: made == 0 ? [] : [.init("units-took-it",
                                          "\(made) unit\(made == 1 ? "" : "s") verified since it was scanned took \(product) \(number): they were posted so; a supervisor corrects them in the registry if it was wrong")],
                                      action: "line-removed",
                                      next: "took \(product) \(number) off run \(task.id): units made from now on do not take it"
                                        + (restored.map { "; \(product) \($0) is used again" } ?? "; scan the right component"))
            outcome.scan = try await self.log(db, scan, outcome, task: task.id, operator: signedInNow)
            return outcome
        }
    }

    /// A verify scan, where a label split over two barcodes (a long lot) is read from its two
    /// scans in either order, as a fixed scanner sees whichever passes first: the first part is
    /// kept (answered `part-read`, no alarm), the second completes it and the label is verified.
    /// A part let go without its other (the next label's part came instead, or a minute passed)
    /// is an alarm, as a label that did not read is: that label was read only in part.
    func verifyingParts(_ scan: StationScan) async throws -> ScanOutcome {
        let text = String(decoding: scan.data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard text != configuration.noRead, scan.overlongLength == nil else {
            heldParts[Self.partKey(scan)] = nil
            return try await verify(scan)
        }
        let (joined, dropped, _) = completingHeldPart(scan)
        if joined.received != nil { return try await verify(joined) }
        let task = try await registry.store.read({ @Sendable db in try await self.currentTask(db) })
        let droppedReason = dropped.map { part in
            ScanOutcome.Reason("label-part-only", "the verify scanner read one barcode of a label, \(ElementString.bracketed(part.elements)), and not its other barcode")
        }
        let elements = self.elements(of: scan)
        let keyPart = elements.flatMap { found in Self.namesProduct(found) && !Self.namesNumber(found) ? found : nil }
        guard task?.kind == "run", let part = lonelyRest(scan) ?? keyPart else {
            // The part held before a whole label: its own alarm, logged (and on the station page),
            // then this label is verified. It reached only the journal (a QA run).
            if let droppedReason, let dropped {
                var alone = scan
                alone.scanID = nil
                alone.data = Array(ElementString.bracketed(dropped.elements).utf8)
                alone.symbologyIdentifier = nil
                do {
                    _ = try await partAlarm(alone, droppedReason)
                } catch {
                    logger.error("alarm: \(droppedReason.message); it could not be logged: \(error)", metadata: ["device": "\(scan.device)"])
                }
            }
            return try await verify(scan)
        }
        holdVerifyPart(scan, part)
        if let droppedReason, let task { return try await alarm(scan, task, droppedReason) }
        let signedInNow = signedIn
        var outcome = ScanOutcome(station: configuration.name, verdict: .ok, action: "part-read",
                                  next: "the label's other barcode completes it")
        let shown = outcome
        outcome.scan = try await registry.store.write { @Sendable db in try await self.log(db, scan, shown, task: task?.id, operator: signedInNow) }
        return outcome
    }

    /// The alarm for a part whose window passed, at the run open now (none: the run ended meanwhile).
    func partAlarm(_ scan: StationScan, _ reason: ScanOutcome.Reason) async throws -> ScanOutcome? {
        guard let task = try await registry.store.read({ @Sendable db in try await self.currentTask(db) }), task.kind == "run" else { return nil }
        return try await alarm(scan, task, reason)
    }

    /// The verify scanner's read of a printed label.
    func verify(_ scan: StationScan) async throws -> ScanOutcome {
        guard let task = try await registry.store.read({ @Sendable db in try await self.currentTask(db) }), task.kind == "run",
              let runProduct = task.product else {
            return try await alarm(scan, nil, .init("no-open-run", "the verify scanner read a label, but no run is open at this line"))
        }
        let text = String(decoding: scan.data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if text == configuration.noRead {
            return try await alarm(scan, task, .init("no-read", "a label did not read"))
        }
        // Refused as bad input, it let the unit pass with no alarm (a QA run).
        if let length = scan.overlongLength {
            return try await alarm(scan, task, .init("no-read", "a label did not read: \(StationScan.overlongMessage(length))"))
        }
        let resolution: Resolution
        do {
            resolution = try await resolve(scan)
        } catch {
            return try await alarm(scan, task, .init("wrong-label", "the label read \"\(text)\": \(Self.reason(for: error).message)"))
        }
        let number = resolution.lotSerial?.number ?? resolution.scan.serial ?? resolution.scan.lot
        guard let number, resolution.product?.article == runProduct else {
            let read = resolution.product.map { "\($0.article) \(number ?? "")" } ?? "\"\(text)\""
            return try await alarm(scan, task, .init("wrong-label", "the label read \(read), which is not a unit of run \(task.id) of \(runProduct)"),
                                   resolution: resolution)
        }
        // The unit's number on a label that says something else of it (another expiry, another
        // lot): the label is wrong, which is what the verify scanner is there to catch (a QA
        // run's label with (17) of 2025 verified).
        if let wrong = resolution.warnings.first(where: { [.expiryMismatch, .lotMismatch].contains($0.kind) }) {
            return try await alarm(scan, task, .init("wrong-label", "the label read \(runProduct) \(number), but \(wrong.message)"),
                                   resolution: resolution, unit: number)
        }
        if let differs = try await labelDiffers(resolution, task: task, number: number, joined: scan.received != nil) {
            return try await alarm(scan, task, .init("wrong-label", "the label read \(differs.read), but the label printed for \(runProduct) \(number) carries \(differs.printed): check the label"),
                                   resolution: resolution, unit: number)
        }
        let signedInNow = signedIn
        let warehouse = configuration.warehouse ?? ""
        let outcome: ScanOutcome? = try await registry.store.writeRetryingDeadlocks { @Sendable db in
            guard let unit = try await db.raw("""
                SELECT id FROM station_run_units WHERE task_id = \(bind: task.id) AND number = \(bind: number) AND state = 'printed'
                ORDER BY id LIMIT 1
                """).first() else { return nil }
            let unitID = try unit.decode(column: "id", as: Int64.self)
            let components = try await db.raw("""
                SELECT id, product, number, serial, quantity, confirmation FROM station_task_lines
                WHERE task_id = \(bind: task.id) AND replaced = 0 ORDER BY id
                """).all()
            // A component serial goes into one unit: once each scanned is used, the next units are
            // made without that product, which the operator hears of (a QA run saw it silent).
            let usedUp = try await db.raw("""
                SELECT DISTINCT product FROM station_task_lines
                WHERE task_id = \(bind: task.id) AND serial = 1 AND replaced = 2 AND removed_at IS NULL
                  AND product NOT IN (SELECT product FROM station_task_lines WHERE task_id = \(bind: task.id) AND replaced = 0)
                ORDER BY product
                """).all().map { try $0.decode(column: "product", as: String.self) }
            var inputs: [StockLine] = []
            var overrides: [String] = []
            // One serial of a product per unit, the first scanned: the others scanned after it
            // wait for the next units (both went into the first unit, and the second was made
            // without one; found by a QA run).
            var serialTaken = Set<String>()
            for row in components {
                let product = try row.decode(column: "product", as: String.self)
                if try row.decode(column: "serial", as: Int.self) == 1, !serialTaken.insert(product).inserted { continue }
                if let override = try row.decode(column: "confirmation", as: String?.self) {
                    overrides.append("\(try row.decode(column: "product", as: String.self)) \(try row.decode(column: "number", as: String.self)): \(override)")
                }
                let serial = try row.decode(column: "serial", as: Int.self) == 1
                inputs.append(StockLine(product: try row.decode(column: "product", as: String.self), picks: [StockLine.Pick(
                    number: try row.decode(column: "number", as: String.self),
                    quantity: serial ? nil : Decimal(string: try row.decode(column: "quantity", as: String.self)))]))
                if serial {
                    try await db.raw("UPDATE station_task_lines SET replaced = 2 WHERE id = \(bind: try row.decode(column: "id", as: Int64.self))").run()
                }
            }
            let isLot = task.lot != nil
            let posted = try await self.registry.produce(db, Production(
                warehouse: warehouse, inputs: inputs,
                outputs: [StockLine(product: runProduct, picks: [StockLine.Pick(number: number, quantity: isLot ? 1 : nil)])],
                // Who is signed in at the line made the unit, as its scan is logged; the run's
                // operator when nobody is (a run started from a shell named its user for every unit).
                header: DocumentHeader(user: signedInNow.isEmpty ? self.user(task) : signedInNow,
                                       note: (["verified at production line \(self.configuration.name), run \(task.id)"] + overrides)
                    .joined(separator: "; "))))
            let missing: [ScanOutcome.Reason] = usedUp.isEmpty ? [] : [.init("component-used-up",
                "every serial of \(usedUp.joined(separator: ", ")) scanned for this run went into an earlier unit: \(runProduct) \(number) was made without one")]
            var outcome = ScanOutcome(station: self.configuration.name, verdict: missing.isEmpty ? .ok : .warn, reasons: missing, action: "unit-verified",
                                      next: "\(runProduct) \(number) is in stock at \(warehouse)"
                                        + (usedUp.isEmpty ? "" : "; scan the next serial of \(usedUp.joined(separator: ", ")) before the next unit"),
                                      document: posted.number, resolution: resolution)
            let logged = try await self.log(db, scan, outcome, task: task.id, operator: signedInNow)
            outcome.scan = logged
            try await db.raw("""
                UPDATE station_run_units SET state = 'verified', scan_id = \(bind: logged), document = \(bind: posted.number),
                       changed_at = \(bind: Timestamp.string(scan.time))
                WHERE id = \(bind: unitID)
                """).run()
            return outcome
        }
        if let outcome { return outcome }
        let unit = try await registry.store.read { @Sendable db -> (state: String, note: String?)? in
            guard let row = try await db.raw("""
                SELECT state, note FROM station_run_units WHERE task_id = \(bind: task.id) AND number = \(bind: number) ORDER BY id DESC LIMIT 1
                """).first() else { return nil }
            return (try row.decode(column: "state", as: String.self), try row.decode(column: "note", as: String?.self))
        }
        let ofThisRun = unit?.state
        guard let ofThisRun else {
            // A number voided (another run's, closed with its label unverified) reads as voided,
            // as the README says, with no reprint for a unit that failed nothing (a QA run).
            if let voided = resolution.lotSerial, voided.status == .voided {
                let why = resolution.warnings.first { $0.kind == .retiredNumber }?.message
                return try await alarm(scan, task, .init("voided-number",
                    why.map { "\($0): no unit may carry its label; take it off" } ?? "\(runProduct) \(number) was voided: no unit may carry its label; take it off"),
                                       resolution: resolution, appliesPolicy: false)
            }
            // The run's product, but a number this run never printed (an old label, another
            // run's): the unit whose label was expected did not verify.
            return try await alarm(scan, task, .init("not-in-run", "the label read \(runProduct) \(number), which is not a unit of run \(task.id)"),
                                   resolution: resolution)
        }
        // The number is the run's, but no printed label of it waits: voided (its label must not
        // be on a unit), or verified already (a second label of it is on the line).
        if ofThisRun == "voided" {
            return try await alarm(scan, task, .init("voided-number",
                "\(runProduct) \(number) was voided\(unit?.note.map { " (\($0))" } ?? ""): no unit may carry its label; take it off"),
                                   resolution: resolution, appliesPolicy: false)
        }
        return try await alarm(scan, task, .init("read-twice",
            "\(runProduct) \(number) was verified already: a second label of it is on the line"),
                               resolution: resolution, appliesPolicy: false)
    }

    /// A run unit's note once its label was reprinted after an alarm.
    static let reprintNote = "reprinted after"

    /// A label that did not read or read wrong: the alarm, and the station's policy for the unit
    /// whose label was expected (the oldest printed and not yet verified).
    /// `unit`: the number the bad read names, when it is one of the run's: the policy acts on that
    /// unit's label (it acted on the oldest label not verified yet, and voided or reprinted
    /// another unit than the one in front of the scanner; found by a QA run).
    private func alarm(_ scan: StationScan, _ task: OpenTask?, _ reason: ScanOutcome.Reason, resolution: Resolution? = nil,
                       appliesPolicy: Bool = true, unit named: String? = nil) async throws -> ScanOutcome {
        logger.error("alarm: \(reason.message)", metadata: ["device": "\(scan.device)", "reason": "\(reason.code)"])
        let signedInNow = signedIn
        guard let task, let runProduct = task.product, appliesPolicy, configuration.onFailedVerify != .alarm else {
            var outcome = ScanOutcome(station: configuration.name, verdict: .block, reasons: [reason], action: "alarm",
                                      next: "check the unit on the line and its label", resolution: resolution)
            let shown = outcome
            outcome.scan = try await registry.store.write { @Sendable db in try await self.log(db, scan, shown, task: task?.id, operator: signedInNow) }
            return outcome
        }
        let policy = configuration.onFailedVerify
        let product = try await registry.product(runProduct)
        var config: PrinterConfig?
        if let printer = configuration.printer { config = try await spool.printer(printer) }
        let printerConfig = config
        let template = configuration.template
        // A lot's label carries its expiry; a new serial (void policy) is made without one.
        var lotExpiry: CalendarDate?
        if let lot = task.lot { lotExpiry = try await registry.lotSerial(product: runProduct, number: lot)?.expiry }
        let outcome = try await registry.store.write { @Sendable [lotExpiry] db -> ScanOutcome in
            guard let unit = try await db.raw("""
                SELECT id, number, note, job_id FROM station_run_units WHERE task_id = \(bind: task.id) AND state = 'printed'
                ORDER BY CASE WHEN number = \(bind: named ?? "") THEN 0 ELSE 1 END, id LIMIT 1
                """).first() else {
                var outcome = ScanOutcome(station: self.configuration.name, verdict: .block, reasons: [reason], action: "alarm",
                                          next: "every label of run \(task.id) is verified: check the unit on the line", resolution: resolution)
                outcome.scan = try await self.log(db, scan, outcome, task: task.id, operator: signedInNow)
                return outcome
            }
            let unitID = try unit.decode(column: "id", as: Int64.self)
            var number = try unit.decode(column: "number", as: String.self)
            let voids = policy == .void && task.lot == nil
            // One reprint per label: a second alarm before the reprinted label is verified (the
            // same bad read, or other labels' alarms close behind it) printed yet another copy
            // of the number each time, four labels of one serial (found by a QA run).
            if !voids, let note = try unit.decode(column: "note", as: String?.self), note.hasPrefix(Self.reprintNote) {
                let job = try unit.decode(column: "job_id", as: Int64?.self)
                var outcome = ScanOutcome(station: self.configuration.name, verdict: .block, reasons: [reason], action: "alarm",
                    next: "the label of \(runProduct) \(number) was \(note) already\(job.map { " (job \($0))" } ?? "") and is not verified yet: check the unit and that label; if it is bad too, reprint it by hand\(job.map { " (tracemark jobs reprint \($0) --reason …)" } ?? "")",
                    resolution: resolution)
                outcome.scan = try await self.log(db, scan, outcome, task: task.id, operator: signedInNow)
                return outcome
            }
            var action = "alarm-reprinted"
            var next = "put the new label of \(runProduct) \(number) on the unit"
            if voids {
                try await self.registry.retire(db, product: runProduct, number: number,
                                               reason: "label did not verify at production line \(self.configuration.name) (\(reason.code))",
                                               user: signedInNow.isEmpty ? "station \(self.configuration.name)" : signedInNow)
                try await db.raw("""
                    UPDATE station_run_units SET state = 'voided', note = \(bind: reason.message), changed_at = \(bind: Timestamp.string(scan.time))
                    WHERE id = \(bind: unitID)
                    """).run()
                let made = try await self.registry.generate(db, product: runProduct, count: 1, date: self.registry.today, expiry: nil,
                                                            production: self.registry.today,
                                                            reference: "replaces \(number) at production line \(self.configuration.name)")
                let old = number
                number = made.numbers[0]
                action = "alarm-voided"
                next = "\(old) is voided: put the label of \(number) on the unit"
            }
            var jobs: [Int64] = []
            var readings: String?
            if let config = printerConfig, let template {
                let data = LabelData.from(product: product, number: number, kind: task.lot == nil ? .serial : .lot, expiry: lotExpiry,
                                          production: self.registry.today, over: Self.unitData(product, line: self.configuration.name))
                let (bytes, read) = try LabelRendering.renderReading(template, data, for: config)
                readings = LabelReading.stored(read)
                jobs = try await self.spool.enqueue(db, [PrintRequest(
                    printer: config.name, payload: bytes, language: config.language, template: template.name, data: data.jsonText,
                    requestedBy: self.user(task), reason: "\(voids ? "replacement" : "reprint") after \(reason.code) at \(self.configuration.name)",
                    reference: LabelJobs.reference(product: runProduct, kind: task.lot == nil ? "serial" : "lot", number: number),
                    dpi: config.dpi)])
            }
            if voids {
                try await self.addUnit(db, task: task.id, number: number, job: jobs.first, at: scan.time, note: "replaces a voided number",
                                       readings: readings)
            } else {
                try await db.raw("""
                    UPDATE station_run_units SET job_id = \(bind: jobs.first), note = \(bind: "\(Self.reprintNote) \(reason.code)"),
                           readings = \(bind: readings),
                           changed_at = \(bind: Timestamp.string(scan.time))
                    WHERE id = \(bind: unitID)
                    """).run()
            }
            var outcome = ScanOutcome(station: self.configuration.name, verdict: .block, reasons: [reason], action: action, next: next,
                                      jobs: jobs, resolution: resolution)
            outcome.scan = try await self.log(db, scan, outcome, task: task.id, operator: signedInNow)
            return outcome
        }
        if let printer = configuration.printer, !outcome.jobs.isEmpty { spool.notify([printer]) }
        return outcome
    }

    /// What the verify scanner read, when it is not what the unit's printed label carries (a label
    /// of the right number with an AI missing or added: an old label, another template's), with
    /// what was printed; `nil` when it matches, or the label cannot be made again to compare (a
    /// raw EPL template, a job printed from another template or without its data).
    private func labelDiffers(_ resolution: Resolution, task: OpenTask, number: String, joined: Bool) async throws -> (read: String, printed: String)? {
        guard let row = try await registry.store.read({ @Sendable db in
                  try await db.raw("""
                      SELECT job_id, readings FROM station_run_units WHERE task_id = \(bind: task.id) AND number = \(bind: number) AND state = 'printed'
                      ORDER BY id LIMIT 1
                      """).first()
              }) else { return nil }
        let expected: [LabelReading]
        if let kept = try row.decode(column: "readings", as: String?.self), let readings = LabelReading.stored(from: kept) {
            // What was printed, as it was kept with the unit: the station's template may have
            // changed since (a QA run's line alarmed correct labels after an edit).
            expected = readings
        } else {
            // A unit printed before units kept their labels' readings: made again from its job,
            // when the job's template is still the station's.
            guard let template = configuration.template, let jobID = try row.decode(column: "job_id", as: Int64?.self),
                  let job = try? await spool.job(jobID), job.template == template.name,
                  let text = job.data, let data = try? LabelData(json: Data(text.utf8)),
                  let made = try? template.readings(data) else { return nil }
            expected = made
        }
        guard !expected.isEmpty else { return nil }
        let scanned = resolution.scan
        let read: LabelReading = switch scanned.form {
        case "elementString": .gs1(scanned.elements.lazy.map { (ai: $0.ai, value: $0.value) })
        default: .text(scanned.symbology.map { scanned.code.hasPrefix($0) ? String(scanned.code.dropFirst($0.count)) : scanned.code } ?? scanned.code)
        }
        guard !LabelReading.matches(read, expected, joined: joined) else { return nil }
        // One barcode's data, said once however many barcodes carry it.
        var said: [String] = []
        for reading in expected where !said.contains(reading.description) { said.append(reading.description) }
        return (read.description, said.joined(separator: " and ") + (joined && expected.count < 2 ? ", in one barcode" : ""))
    }

    /// `TM:DONE` at a production line: closes the run, with its report. A serial whose label was
    /// printed but never verified is voided (``voidUnverified(_:task:why:at:)``).
    func completeRun(_ scan: StationScan) async throws -> ScanOutcome {
        let signedInNow = signedIn
        // A verify scanner's part still waiting for its label's other barcode: said now, as the
        // run ends (its window's alarm found no run open, and said nothing; a QA run).
        let waitingParts = heldParts.values.filter { $0.serial != 0 }.map { ElementString.bracketed($0.elements) }.sorted()
        let (outcome, jobs) = try await registry.store.write { @Sendable db -> (ScanOutcome, [Int64]) in
            guard let task = try await self.currentTask(db), task.kind == "run" else {
                return (try await self.refused(db, scan, [.init("no-open-run", "no run is open at this line")],
                                                          next: "scan TM:RUN:<product>:<count>", task: nil, operator: signedInNow), [])
            }
            try await db.raw("""
                UPDATE station_tasks SET state = 'closed', closed_at = \(bind: Timestamp.string(scan.time))
                WHERE id = \(bind: task.id) AND state = 'open'
                """).run()
            // Which of the labels were printed, asked before their numbers are voided: one still
            // queued at a printer that is off was said to be "printed but never verified" (a QA run).
            let unprinted = Set(try await db.raw("""
                SELECT u.number FROM station_run_units u LEFT JOIN print_jobs j ON j.id = u.job_id
                WHERE u.task_id = \(bind: task.id) AND u.state = 'printed' AND (j.state IS NULL OR j.state IN ('queued', 'failed', 'held', 'cancelled'))
                """).all().map { try $0.decode(column: "number", as: String.self) })
            let (voided, jobs) = try await self.voidUnverified(db, task: task, why: "run \(task.id) closed", at: scan.time)
            let report = try await Self.runReport(db, task: task.id)
            let missing = voided.isEmpty ? report.missing : voided
            let (printed, neverPrinted) = (missing.filter { !unprinted.contains($0) }, missing.filter { unprinted.contains($0) })
            func listed(_ numbers: [String]) -> String { numbers.prefix(20).joined(separator: ", ") + (numbers.count > 20 ? ", …" : "") }
            func labels(_ count: Int) -> String { "\(count) label\(count == 1 ? "" : "s")" }
            let parts = (printed.isEmpty ? [] : ["\(labels(printed.count)) printed but never verified: \(listed(printed))"])
                + (neverPrinted.isEmpty ? [] : ["\(labels(neverPrinted.count)) never printed: \(listed(neverPrinted))"])
            var outcome = ScanOutcome(station: self.configuration.name, verdict: missing.isEmpty ? .ok : .warn,
                                      reasons: missing.isEmpty ? [] : [.init("units-missing",
                                          parts.joined(separator: "; ")
                                            + (voided.isEmpty ? "" : "; \(voided.count == 1 ? "its number is" : "their numbers are") voided, so that no unit ever carries \(voided.count == 1 ? "it" : "them")"))],
                                      action: "run-closed", next: report.summary)
            for part in waitingParts {
                outcome.verdict = .warn
                outcome.reasons.append(.init("label-part-only",
                    "the verify scanner read one barcode of a label, \(part), and not its other barcode before the run closed"))
            }
            outcome.scan = try await self.log(db, scan, outcome, task: task.id, operator: signedInNow)
            return (outcome, jobs)
        }
        await cancelLabels(jobs, because: "the run closed, and its number was voided, never verified")
        if outcome.action == "run-closed" { heldParts = heldParts.filter { $0.value.serial == 0 } }
        return outcome
    }

    /// The numbers of a serial run whose labels were printed but never verified, voided when the
    /// run closes or is cancelled: no unit was made under them, and a label of one found later
    /// must not become a second unit or be counted as issued (`series audit` counts them voided).
    /// Returns them, and their labels' print jobs (cancelled once the transaction commits, if not
    /// printed yet). A lot run's labels all carry its one lot: nothing is voided.
    nonisolated func voidUnverified(_ db: any SQLDatabase, task: OpenTask, why: String, at time: Date) async throws -> (numbers: [String], jobs: [Int64]) {
        guard task.lot == nil, let product = task.product else { return ([], []) }
        var numbers: [String] = [], jobs: [Int64] = []
        for unit in try await db.raw("""
            SELECT id, number, job_id FROM station_run_units WHERE task_id = \(bind: task.id) AND state = 'printed' ORDER BY id
            """).all() {
            let number = try unit.decode(column: "number", as: String.self)
            try await registry.retire(db, product: product, number: number,
                                      reason: "label printed at production line \(configuration.name), never verified: \(why)", user: user(task))
            try await db.raw("""
                UPDATE station_run_units SET state = 'voided', note = \(bind: "never verified: \(why)"), changed_at = \(bind: Timestamp.string(time))
                WHERE id = \(bind: try unit.decode(column: "id", as: Int64.self))
                """).run()
            numbers.append(number)
            if let job = try unit.decode(column: "job_id", as: Int64?.self) { jobs.append(job) }
        }
        return (numbers, jobs)
    }

    /// Cancels the print jobs of voided numbers that have not printed yet; one printed already
    /// (or printing) is left as it is.
    /// They are withdrawn: never to print, by retry, move or reprint either.
    func cancelLabels(_ jobs: [Int64], because why: String) async {
        for job in jobs {
            _ = try? await spool.withdraw(job, by: "station \(configuration.name)", reason: why)
        }
    }
}

/// What a production run printed and what became of each label.
public struct RunReport: Codable, Sendable {
    public struct Unit: Codable, Sendable {
        public var number: String
        /// `queued` (its label not printed yet: see `label`), `printed` (not verified yet; missing
        /// once the run is closed), `not-printed` (its label cancelled), `verified` or `voided`.
        public var state: String
        public var job: Int64?
        /// Its label's print job: `queued`, `sending`, `printing`, `failed`, `held`, `done` or `cancelled`
        /// (nil without a job). A unit `printed` whose label is not `done` is only queued.
        public var label: String?
        public var document: String?
        public var note: String?
    }

    public struct Component: Codable, Sendable {
        public var product: String
        public var number: String
        public var perUnit: String
        /// False once a later lot of the same product took over (or a serial went into a unit).
        public var current: Bool
        /// Why it was taken though another lot goes first (`better-lot-available: …; taken at
        /// production line L by OPERATOR`), as every unit made from it records it too.
        public var override: String?
    }

    public var run: Int64
    public var station: String
    public var product: String
    public var lot: String?
    public var planned: Int
    /// `open`, `closed` or `cancelled`.
    public var state: String
    public var openedAt: String
    public var closedAt: String?
    /// Labels printed (their print job done, or verified since).
    public var printed: Int
    /// Labels of units not verified whose print job has not printed yet (queued, held, …).
    public var notPrinted: Int
    public var verified: Int
    public var voided: Int
    /// Numbers printed and not verified: still on the line while the run is open, missing after.
    public var missing: [String]
    public var units: [Unit]
    public var components: [Component]

    /// One line: printed, verified, voided, missing.
    public var summary: String {
        "run \(run) of \(product)\(lot.map { " lot \($0)" } ?? ""): \(printed) printed\(notPrinted > 0 ? " (\(notPrinted) more not printed yet)" : ""), \(verified) verified, \(voided) voided, \(missing.count) \(state == "open" ? "waiting" : "missing")"
    }
}

extension Station {
    /// The report of run `id` at `station` (its latest run when `id` is nil), or nil when there is none.
    public static func runReport(_ store: any SQLStore, station: String, run id: Int64? = nil) async throws -> RunReport? {
        try await store.read { @Sendable db in
            let found: Int64?
            if let id {
                found = try await db.raw("SELECT id FROM station_tasks WHERE id = \(bind: id) AND station = \(bind: station) AND kind = 'run'")
                    .first()?.decode(column: "id", as: Int64.self)
            } else {
                found = try await db.raw("SELECT MAX(id) AS id FROM station_tasks WHERE station = \(bind: station) AND kind = 'run'")
                    .first()?.decode(column: "id", as: Int64?.self)
            }
            guard let found else { return nil }
            return try await runReport(db, task: found)
        }
    }

    static func runReport(_ db: any SQLDatabase, task id: Int64) async throws -> RunReport {
        guard let row = try await db.raw("""
            SELECT station, product, lot, planned, state, opened_at, closed_at FROM station_tasks WHERE id = \(bind: id)
            """).first() else { throw RegistryError(.notFound, "there is no run \(id)") }
        // Each label's print job as the spool has it: a unit is `printed` once its label is queued.
        let units = try await db.raw("""
            SELECT u.number, u.state, u.job_id, j.state AS label, u.document, u.note
            FROM station_run_units u LEFT JOIN print_jobs j ON j.id = u.job_id WHERE u.task_id = \(bind: id) ORDER BY u.id
            """).all().map { unit in
            RunReport.Unit(number: try unit.decode(column: "number", as: String.self), state: try unit.decode(column: "state", as: String.self),
                           job: try unit.decode(column: "job_id", as: Int64?.self), label: try unit.decode(column: "label", as: String?.self),
                           document: try unit.decode(column: "document", as: String?.self),
                           note: try unit.decode(column: "note", as: String?.self))
        }
        let waiting = units.count { $0.state == "printed" && $0.label != nil && $0.label != "done" && $0.label != "cancelled" }
        let missing = units.filter { $0.state == "printed" }.map(\.number)
        // A unit not verified says what became of its label: `printed` only once it is (a QA run's
        // report said printed for labels queued at a printer that was off, under a summary of 0 printed).
        let shown = units.map { unit in
            var unit = unit
            if unit.state == "printed", let label = unit.label, label != "done" { unit.state = label == "cancelled" ? "not-printed" : "queued" }
            return unit
        }
        let components = try await db.raw("""
            SELECT product, number, quantity, replaced, confirmation FROM station_task_lines WHERE task_id = \(bind: id) ORDER BY id
            """).all().map { line in
            RunReport.Component(product: try line.decode(column: "product", as: String.self),
                                number: try line.decode(column: "number", as: String?.self) ?? "",
                                perUnit: try line.decode(column: "quantity", as: String.self),
                                current: try line.decode(column: "replaced", as: Int.self) == 0,
                                override: try line.decode(column: "confirmation", as: String?.self))
        }
        let state = try row.decode(column: "state", as: String.self)
        return RunReport(run: id, station: try row.decode(column: "station", as: String.self),
                         product: try row.decode(column: "product", as: String?.self) ?? "",
                         lot: try row.decode(column: "lot", as: String?.self), planned: try row.decode(column: "planned", as: Int?.self) ?? 0,
                         state: state, openedAt: try row.decode(column: "opened_at", as: String.self),
                         closedAt: try row.decode(column: "closed_at", as: String?.self),
                         printed: units.count { $0.label == nil || $0.label == "done" || $0.state == "verified" }, notPrinted: waiting, verified: units.count { $0.state == "verified" },
                         voided: units.count { $0.state == "voided" },
                         missing: missing, units: shown, components: components)
    }
}
