import Foundation
import GS1
import Labels
import Printing
import Registry
import SQLKit
import Store

/// Picking and shipping: `TM:PICK:<customer>` (or the API) opens an issue; each scan of a lot or
/// serial is checked against what may go to that customer; `TM:DONE` posts the issue.
extension Station {
    /// `TM:PICK:<customer>`: opens an issue for the customer (an issue still open is refused).
    func openPick(customer: String, _ scan: StationScan) async throws -> ScanOutcome {
        let signedInNow = signedIn
        let partners = try await registry.partners()
        // As written, else in another case when only one code reads so: a scanner with Caps Lock
        // on sends `tm:pick:shop` for TM:PICK:SHOP (a QA run was told to add customer "shop").
        let folded = partners.filter { $0.code.lowercased() == customer.lowercased() }
        let partner = partners.first { $0.code == customer } ?? (folded.count == 1 ? folded.first : nil)
        guard let partner, partner.role != .supplier else {
            let why = partner == nil ? "there is no customer \(customer): add it with tracemark partner add \(customer) --role customer"
                : "\(customer) is a supplier, not a customer: goods are picked for customers"
            return try await refuse(scan, [.init("unknown-customer", why)], next: "scan TM:PICK:<customer> with a known customer")
        }
        return try await registry.store.write { @Sendable db in
            if let task = try await self.currentTask(db) {
                return try await self.refused(db, scan, [.init("task-open", "an issue\(task.partner.map { " for \($0)" } ?? "") is open with \(task.lines) line\(task.lines == 1 ? "" : "s"): TM:DONE posts it, TM:CANCEL abandons it")],
                                                         next: "finish the open issue first", task: task.id, operator: signedInNow)
            }
            let task = try await self.newTask(db, kind: "issue", partner: partner.code, at: scan.time, operator: scan.user ?? signedInNow)
            var outcome = ScanOutcome(station: self.configuration.name, verdict: .ok, action: "issue-opened",
                                      next: "scan the goods for \(partner.code), then TM:DONE")
            outcome.scan = try await self.log(db, scan, outcome, task: task.id, operator: signedInNow)
            return outcome
        }
    }

    func pick(_ scan: StationScan) async throws -> ScanOutcome {
        let again = "scan the next item, or TM:DONE to post the issue"
        guard let task = try await registry.store.read({ @Sendable db in try await self.currentTask(db) }), task.kind == "issue",
              let customerCode = task.partner else {
            return try await refuse(scan, [.init("no-open-issue", "no issue is open at this station: scan TM:PICK:<customer> first")],
                                    next: "scan TM:PICK:<customer>")
        }
        // A lot the customer would refuse for its shelf life is no better lot to take first.
        let customer = try await registry.partners().first { $0.code == customerCode }
        let resolution = try await resolve(scan, minimumShelfLifeDays: customer?.minimumShelfLifeDays)
        if let refused = try await refusedForMissingNumber(scan, resolution) { return refused }
        guard let product = resolution.product, let lotSerial = resolution.lotSerial else {
            let reasons = resolution.warnings.filter { [.unknownProduct, .unknownLotSerial, .ambiguous, .notTracked].contains($0.kind) }
                .map(Self.reason)
            return try await refuse(scan, reasons.isEmpty ? [.init("not-a-lot-or-serial", "scan the label of a lot or a serial unit")] : reasons,
                                    next: again, resolution: resolution)
        }
        var blocking = resolution.warnings
            .filter { [.blocked, .recalled, .expired, .quarantined, .retiredNumber, .notInStock, .expiryMismatch, .lotMismatch].contains($0.kind) }
            .map(Self.reason)
        // An expired lot is refused as expired (its own reason), not as "-5 days of shelf life left".
        if let minimum = customer?.minimumShelfLifeDays, let days = resolution.daysToExpiry, days >= 0, days < minimum {
            blocking.append(.init("below-shelf-life",
                "\(lotSerial.kind.rawValue) \(lotSerial.number) has \(days) day\(days == 1 ? "" : "s") of shelf life left; \(customerCode) takes at least \(minimum)"))
        }
        guard blocking.isEmpty else { return try await refuse(scan, blocking, next: again, resolution: resolution) }

        let isSerial = lotSerial.kind == .serial
        let labelled = Self.labelledQuantity(resolution)
        let quantity = isSerial ? Decimal(1) : (labelled ?? task.quantity(for: scan) ?? 1)
        if let refusal = Self.uncountable(quantity, of: product) {
            return try await refuse(scan, [refusal], next: Self.countAdvice(labelled: labelled != nil && !isSerial, verb: "issue"), resolution: resolution)
        }
        let here = resolution.stock.filter { $0.warehouse == configuration.warehouse && $0.number == lotSerial.number }
            .reduce(Decimal(0)) { $0 + $1.quantity }
        let better = resolution.warnings.filter { $0.kind == .betterLotAvailable }.map(Self.reason)
        // Said, not held back: the label's own quantity wins over the TM:QTY scanned before it.
        let said = better + [isSerial ? nil : Self.labelOverrides(task.quantity(for: scan), labelled)].compactMap { $0 }
        let signedInNow = signedIn
        return try await registry.store.write { @Sendable db in
            let picked = try await db.raw("""
                SELECT quantity FROM station_task_lines WHERE task_id = \(bind: task.id) AND product = \(bind: product.article)
                AND number = \(bind: lotSerial.number) AND removed_at IS NULL
                """).all().reduce(Decimal(0)) { $0 + (Decimal(string: try $1.decode(column: "quantity", as: String.self)) ?? 0) }
            var reasons: [ScanOutcome.Reason] = []
            if isSerial, picked > 0 {
                reasons = [.init("serial-on-pick", "serial \(lotSerial.number) of \(product.article) is on this issue already")]
            } else if picked + quantity > here {
                reasons = [.init("not-enough-stock",
                    "lot \(lotSerial.number) of \(product.article) has \(here - picked) left in \(self.configuration.warehouse ?? "") for this issue; \(quantity) asked")]
            }
            if !reasons.isEmpty {
                return try await self.refused(db, scan, reasons, next: again, task: task.id, operator: signedInNow, resolution: resolution)
            }
            var outcome = ScanOutcome(station: self.configuration.name, verdict: said.isEmpty ? .ok : .warn, reasons: said,
                                      action: "added-to-issue",
                                      next: better.isEmpty ? "scan the next item, or TM:DONE to post the issue (\(task.lines + 1) line\(task.lines == 0 ? "" : "s"))"
                                                           : "take the lot proposed, or confirm this one with a reason before TM:DONE",
                                      resolution: resolution)
            let logged = try await self.log(db, scan, outcome, task: task.id, operator: signedInNow)
            outcome.scan = logged
            try await db.raw("""
                INSERT INTO station_task_lines (task_id, product, number, serial, quantity, expiry, production, created_at, scan_id, pending)
                VALUES (\(bind: task.id), \(bind: product.article), \(bind: lotSerial.number), \(bind: isSerial ? 1 : 0),
                        \(bind: "\(quantity)"), \(bind: lotSerial.expiry?.description), \(bind: lotSerial.production?.description),
                        \(bind: Timestamp.string(scan.time)), \(bind: logged), \(bind: better.first?.code))
                """).run()
            try await Self.quantityTaken(db, task, by: scan)
            return outcome
        }
    }

    /// Confirms a `warn` that holds a line back (picking: a lot that is not the first to go;
    /// receiving: expired goods, which a supervisor confirms) with the reason given, recorded on
    /// the line and in the posted document's note. The scan is the log entry that warned.
    public func confirm(scan logged: Int64, reason: String, user: String, device: String = "api") async throws -> ScanOutcome {
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reason.isEmpty else { throw RegistryError(.invalidInput, "a confirmation needs a reason") }
        let name = configuration.name
        return try await registry.store.write { @Sendable db in
            guard let row = try await db.raw("""
                SELECT l.id, l.task_id, l.pending, l.product, l.number FROM station_task_lines l
                JOIN station_tasks t ON t.id = l.task_id
                WHERE l.scan_id = \(bind: logged) AND t.station = \(bind: name) AND t.state = 'open' AND l.removed_at IS NULL
                """).first() else {
                throw RegistryError(.notFound, "scan \(logged) made no line of an open task at station \(name)")
            }
            guard let pending = try row.decode(column: "pending", as: String?.self) else {
                throw RegistryError(.conflict, "scan \(logged) needs no confirmation")
            }
            // Named as the scanner's TM:OK names them: "Sara Sup (SUP-1)" for a badge, else as given.
            let who = try await Operators.find(db, user).map { $0.signature } ?? user
            let text = "\(pending) confirmed by \(who): \(reason)"
            try await db.raw("""
                UPDATE station_task_lines SET pending = NULL, confirmation = \(bind: text) WHERE id = \(bind: try row.decode(column: "id", as: Int64.self))
                """).run()
            // The confirmation is in the scan log too, after the scan it confirms: who, why, when.
            var outcome = ScanOutcome(scan: logged, station: name, verdict: .ok, reasons: [.init(pending, text)], action: "confirmed",
                                      next: "scan the next item, or TM:DONE to post")
            let entry = try await self.log(db, StationScan(data: Array("TM:CONFIRM:\(logged)".utf8), device: device, user: user), outcome,
                                           task: try row.decode(column: "task_id", as: Int64.self), operator: user)
            outcome.confirmation = entry
            return outcome
        }
    }

    /// `TM:DONE` at a picking station: posts the open issue with the scan's log entry.
    func completePick(_ scan: StationScan, _ task: OpenTask) async throws -> ScanOutcome {
        let signedInNow = signedIn
        let customer = try await registry.partners().first { $0.code == task.partner }
        let outcome = try await registry.store.writeRetryingDeadlocks { @Sendable db in
            let rows = try await db.raw("""
                SELECT product, number, serial, quantity, pending, confirmation FROM station_task_lines
                WHERE task_id = \(bind: task.id) AND removed_at IS NULL ORDER BY id
                """).all()
            var refusal: [ScanOutcome.Reason] = []
            if rows.isEmpty { refusal = [.init("nothing-to-post", "the issue has no lines: scan the goods first")] }
            let unconfirmed = try rows.filter { try $0.decode(column: "pending", as: String?.self) != nil }
                .map { "\(try $0.decode(column: "product", as: String.self)) \(try $0.decode(column: "number", as: String.self))" }
            if !unconfirmed.isEmpty {
                refusal = [.init("confirmation-needed", "confirm with a reason, or cancel and pick again: \(unconfirmed.joined(separator: ", ")) is not the first to go")]
            }
            guard refusal.isEmpty else {
                return try await self.refused(db, scan, refusal, next: "scan the goods", task: task.id, operator: signedInNow)
            }
            var lines: [StockLine] = []
            var notes: [String] = []
            for row in rows {
                let product = try row.decode(column: "product", as: String.self)
                let number = try row.decode(column: "number", as: String.self)
                let serial = try row.decode(column: "serial", as: Int.self) == 1
                let quantity = Decimal(string: try row.decode(column: "quantity", as: String.self)) ?? 1
                lines.append(StockLine(product: product, picks: [StockLine.Pick(number: number, quantity: serial ? nil : quantity)]))
                if let confirmation = try row.decode(column: "confirmation", as: String?.self) { notes.append("\(product) \(number): \(confirmation)") }
            }
            guard let warehouse = self.configuration.warehouse else {
                throw RegistryError(.invalidInput, "station \(self.configuration.name) has no warehouse to pick from")
            }
            let note = (["picked at station \(self.configuration.name)"] + notes).joined(separator: "; ")
            let posted = try await self.registry.issue(db, Issue(
                warehouse: warehouse, customer: task.partner, lines: lines,
                header: DocumentHeader(user: self.user(task), note: note)))
            let pallet = try await self.palletLabel(db, lines: lines, document: posted.number, customer: customer, user: self.user(task))
            return try await self.posted(db, task, document: posted.number, scan, action: "issue-posted",
                                         next: pallet.map { "put the pallet label (SSCC \($0.sscc)) on the pallet; scan TM:PICK:<customer> for the next order" }
                                             ?? "scan TM:PICK:<customer> for the next order",
                                         operator: signedInNow, jobs: pallet.map { [$0.job] } ?? [])
        }
        if let printer = configuration.printer, !outcome.jobs.isEmpty { spool.notify([printer]) }
        return outcome
    }

    /// The SSCC pallet label of a posted issue, if the station prints one: the next serial
    /// reference of the station's series, and the label queued, in the issue's transaction.
    nonisolated func palletLabel(_ db: any SQLDatabase, lines: [StockLine], document: String, customer: Partner?,
                                 user: String) async throws -> (sscc: String, job: Int64)? {
        guard let pallet = configuration.palletLabel, let printer = configuration.printer else { return nil }
        let taken = try await registry.takeNumbers(db, series: pallet.series, count: 1, reason: "SSCC of \(document)", reference: document)
        guard let sscc = pallet.sscc(taken.first) else {
            throw RegistryError(.invalidInput,
                "series \(pallet.series) reached \(taken.first), more than the \(16 - pallet.companyPrefix.count) digits company prefix \(pallet.companyPrefix) leaves for an SSCC's serial reference")
        }
        let config = try await Spool.printer(db, printer)
        let count = lines.reduce(Decimal(0)) { total, line in
            total + (line.picks.isEmpty ? (line.quantity ?? 0) : line.picks.reduce(Decimal(0)) { $0 + ($1.quantity ?? 1) })
        }
        var data: [String: LabelData] = [
            "partner": .object(["sender": .string(pallet.sender), "name": .string(customer?.name.isEmpty == false ? customer!.name : customer?.code ?? ""),
                                "code": .string(customer?.code ?? "")]),
            "pallet": .object(["sscc": .string(sscc), "count": .number(count), "document": .string(document)]),
            "station": .string(configuration.name),
        ]
        // One product and one lot: the content and the lot go on the label too.
        var template = pallet.mixedTemplate
        let numbers = Set(lines.flatMap { $0.picks.map(\.number) })
        if Set(lines.map(\.product)).count == 1, numbers.count == 1, let article = lines.first?.product, let number = numbers.first,
           let lot = try await registry.lotSerial(product: article, number: number), lot.kind == .lot,
           case .object(let members) = LabelData.from(product: try await registry.product(article), lotSerial: lot, over: .object(data)) {
            data = members
            template = pallet.template
        }
        let labelData = LabelData.object(data)
        let bytes = try LabelRendering.render(template, labelData, for: config)
        let jobs = try await spool.enqueue(db, [PrintRequest(
            printer: config.name, payload: bytes, language: config.language, template: template.name, data: labelData.jsonText,
            requestedBy: user, reason: "pallet label of \(document)", reference: "SSCC \(sscc)", dpi: config.dpi)])
        return (sscc, jobs[0])
    }
}
