import Foundation
import GS1
import Labels
import Printing
import Registry
import SQLKit
import Store

/// Receiving: each station keeps one open receipt for its supplier. A supplier's GS1 label adds a
/// line to it and queues the internal label; `TM:DONE` posts it.
extension Station {
    /// The station's open task, as its row says.
    struct OpenTask {
        var id: Int64
        /// `receipt`, `issue` or `run`.
        var kind: String
        /// The supplier or customer.
        var partner: String?
        var operatorName: String
        var nextQuantity: Decimal?
        /// The scanner that set ``nextQuantity`` (nil: set before it was recorded, anyone's).
        var nextQuantityScanner: String? = nil
        var lines: Int
        /// A production run: its product, and its lot for a lot-tracked product.
        var product: String? = nil
        var lot: String? = nil

        /// The quantity TM:QTY set for `scan`'s next item: only the scanner that scanned it takes it
        /// (a QA run saw TM:QTY:5 on the dock's scanner received on a tablet's scan as 5).
        func quantity(for scan: StationScan) -> Decimal? {
            guard let nextQuantity else { return nil }
            if let nextQuantityScanner, nextQuantityScanner != Station.partKey(scan) { return nil }
            return nextQuantity
        }
    }

    /// Clears the pending TM:QTY once `scan` took it: another scanner's stays for that scanner.
    static func quantityTaken(_ db: any SQLDatabase, _ task: OpenTask, by scan: StationScan) async throws {
        guard task.quantity(for: scan) != nil else { return }
        try await db.raw("UPDATE station_tasks SET next_quantity = NULL, next_quantity_scanner = NULL WHERE id = \(bind: task.id)").run()
    }

    /// The open task, if any.
    nonisolated func currentTask(_ db: any SQLDatabase) async throws -> OpenTask? {
        guard let row = try await db.raw("""
            SELECT t.id, t.kind, t.partner, t.operator, t.next_quantity, t.next_quantity_scanner, t.product, t.lot,
                   (SELECT COUNT(*) FROM station_task_lines l WHERE l.task_id = t.id AND l.removed_at IS NULL) AS lines
            FROM station_tasks t WHERE t.station = \(bind: configuration.name) AND t.state = 'open'
            ORDER BY t.id DESC LIMIT 1
            """).first() else { return nil }
        return OpenTask(id: try row.decode(column: "id", as: Int64.self), kind: try row.decode(column: "kind", as: String.self),
                        partner: try row.decode(column: "partner", as: String?.self),
                        operatorName: try row.decode(column: "operator", as: String.self),
                        nextQuantity: try row.decode(column: "next_quantity", as: String?.self).flatMap { Decimal(string: $0) },
                        nextQuantityScanner: try row.decode(column: "next_quantity_scanner", as: String?.self),
                        lines: try row.decode(column: "lines", as: Int.self),
                        product: try row.decode(column: "product", as: String?.self), lot: try row.decode(column: "lot", as: String?.self))
    }

    /// The open task, opened now when there is none: a receipt from the station's supplier.
    nonisolated func openTask(_ db: any SQLDatabase, at time: Date, operator operatorName: String) async throws -> OpenTask {
        if let task = try await currentTask(db) { return task }
        return try await newTask(db, kind: "receipt", partner: configuration.supplier, at: time, operator: operatorName)
    }

    /// Opens a task of `kind` for `partner`.
    nonisolated func newTask(_ db: any SQLDatabase, kind: String, partner: String?, at time: Date,
                             operator operatorName: String) async throws -> OpenTask {
        guard let row = try await db.raw("""
            INSERT INTO station_tasks (station, kind, state, warehouse, partner, operator, opened_at)
            VALUES (\(bind: configuration.name), \(bind: kind), 'open', \(bind: configuration.warehouse),
                    \(bind: partner), \(bind: operatorName), \(bind: Timestamp.string(time)))
            RETURNING id
            """).first() else {
            throw RegistryError(.conflict, "the database did not return the new task's id")
        }
        return OpenTask(id: try row.decode(column: "id", as: Int64.self), kind: kind, partner: partner, operatorName: operatorName,
                        nextQuantity: nil, lines: 0)
    }

    /// Logs a refusal on its own: nothing else was done.
    /// A refusal logged in `db`, the transaction that found it, against the scan's task.
    nonisolated func refused(_ db: any SQLDatabase, _ scan: StationScan, _ reasons: [ScanOutcome.Reason], next: String, task: Int64?,
                             operator operatorName: String, resolution: Resolution? = nil) async throws -> ScanOutcome {
        var outcome = ScanOutcome(station: configuration.name, verdict: .block, reasons: reasons, next: next, resolution: resolution)
        outcome.scan = try await log(db, scan, outcome, task: task, operator: operatorName)
        return outcome
    }

    func refuse(_ scan: StationScan, _ reasons: [ScanOutcome.Reason], next: String,
                resolution: Resolution? = nil) async throws -> ScanOutcome {
        var outcome = ScanOutcome(station: configuration.name, verdict: .block, reasons: reasons, next: next, resolution: resolution)
        let signedInNow = signedIn, refused = outcome
        outcome.scan = try await registry.store.write { @Sendable db in try await self.log(db, scan, refused, task: nil, operator: signedInNow) }
        return outcome
    }

    /// A pallet of one trade item labelled as GS1 logistics labels are ((00) the pallet's SSCC,
    /// (02) the GTIN of the goods on it, (37) how many), read as the goods themselves: (01) and a
    /// count (30), the lot and dates as they are; nil for any other scan. Such a label was
    /// refused for having no (01), though it is how pallets of one item arrive.
    nonisolated func palletContent(_ scan: StationScan) -> StationScan? {
        guard let elements = elements(of: scan), let content = elements.first(where: { $0.ai == "02" }),
              !elements.contains(where: { $0.ai == "01" }) else { return nil }
        var goods = [AIElement(ai: "01", value: content.value)]
        goods += elements.filter { !["00", "01", "02", "37"].contains($0.ai) }
        if let count = elements.first(where: { $0.ai == "37" }) { goods.append(AIElement(ai: "30", value: count.value)) }
        var read = scan
        read.received = scan.received ?? (scan.data, scan.symbologyIdentifier)
        read.data = Array(ElementString.bracketed(goods).utf8)
        read.symbologyIdentifier = nil
        return read
    }

    func receive(_ scan: StationScan) async throws -> ScanOutcome {
        let scan = palletContent(scan) ?? scan
        let resolution = try await resolve(scan)
        let again = "scan the next item, or TM:DONE to post the receipt"
        guard let gtin = resolution.scan.gtin else {
            return try await refuse(scan, [.init("not-a-supplier-label",
                "a receiving station takes a supplier's GS1 label with a GTIN (01); this scan has none")],
                next: again, resolution: resolution)
        }
        guard let product = resolution.product else {
            return try await refuse(scan, [.init("unknown-gtin",
                "GTIN \(gtin) is not mapped to a product: map this GTIN to a product (tracemark product add ARTICLE --gtin \(gtin)), then scan again")],
                next: again, resolution: resolution)
        }
        let tracking = try await self.tracking(of: product)
        let number: String?
        switch tracking {
        case .serial, .lot:
            guard let found = tracking == .serial ? resolution.scan.serial : resolution.scan.lot else {
                return try await refuse(scan, [Self.numberMissing(product, tracking)], next: Self.secondBarcodeNext, resolution: resolution)
            }
            number = found
        case .none:
            number = nil
        }
        // Goods of a lot under recall (open or held) stay outside, whatever the lot's stock: quality decides.
        var blocking = resolution.warnings.filter { [.expiryMismatch, .retiredNumber, .blocked, .recalled, .lotMismatch].contains($0.kind) }
            .map(Self.reason)
        if tracking == .serial, resolution.lotSerial != nil, resolution.stock.contains(where: { $0.quantity > 0 }) {
            let places = resolution.stock.filter { $0.quantity > 0 }.map(\.warehouse).joined(separator: ", ")
            blocking.append(.init("serial-in-stock", "serial \(number ?? "") of \(product.article) is already in stock (\(places)): it cannot be received twice"))
        }
        // A label without a date of a lot the registry knows: the lot's own (its label printed
        // the registry's expiry, where it was refused as missing; found by a QA run).
        let expiry = resolution.scan.expiry ?? resolution.scan.bestBefore ?? resolution.lotSerial?.expiry
        // A class that keeps expiry dates needs one: the receipt would never post without it, and
        // the label's template failed first, blaming the template (found by a QA run).
        if expiry == nil, let code = product.lotSerialClass, try await registry.lotSerialClass(code).tracksExpiry {
            blocking.append(.init("expiry-missing",
                "\(product.article) \(number.map { "\(tracking.rawValue) \($0) " } ?? "")has no expiry date: class \(code) keeps one, and this label has no (17) nor does the registry know one; receive it by hand with its expiry (tracemark receive … --expiry)"))
        }
        // Expired goods are received only as quarantined, and only once a supervisor confirms:
        // the line waits for `confirm`, and the receipt does not post before.
        var expired: ScanOutcome.Reason?
        if let expiry, expiry < registry.today {
            expired = .init("expired",
                "\(product.article) \(number.map { "\(tracking.rawValue) \($0) " } ?? "")expired on \(expiry): it is received quarantined once a supervisor confirms; set it aside meanwhile")
        }
        guard blocking.isEmpty else { return try await refuse(scan, blocking, next: again, resolution: resolution) }

        var warnings = resolution.warnings.filter { [.expiresSoon, .scanRuleBroken, .flaggedForInvestigation].contains($0.kind) }
            .map(Self.reason)
        let labelled = Self.labelledQuantity(resolution)
        // A serial is one unit whatever the label's count says: said, as TM:QTY is (a QA run saw
        // (30)3 received as 1 in silence).
        if tracking == .serial, let labelled, labelled != 1 {
            warnings.append(.init("quantity-ignored", "a serial is one unit: the label's count \(labelled) was not used"))
        }
        // The label, rendered before the transaction: check before print reads it back, which
        // must not hold the write lock. The station's scans come one at a time, so the quantity
        // TM:QTY set is still the task's when the transaction runs.
        let asked = try await registry.store.read { @Sendable db in try await self.currentTask(db)?.quantity(for: scan) }
        let lineQuantity = tracking == .serial ? Decimal(1) : (labelled ?? asked ?? 1)
        if let refusal = Self.uncountable(lineQuantity, of: product) {
            return try await refuse(scan, [refusal], next: Self.countAdvice(labelled: labelled != nil && tracking != .serial, verb: "receive"),
                                    resolution: resolution)
        }
        var printer: PrinterConfig?
        if let name = configuration.printer { printer = try await spool.printer(name) }
        let label = try renderLabel(printer, product: product, number: number, tracking: tracking, expiry: expiry,
                                    production: resolution.scan.production, quantity: lineQuantity,
                                    partner: try await supplierRecord())
        let signedInNow = signedIn, warned = warnings + (expired.map { [$0] } ?? []), pending = expired?.code
        let result: ScanOutcome = try await registry.store.write { @Sendable db in
            var warnings = warned
            let task = try await self.openTask(db, at: scan.time, operator: scan.user ?? signedInNow)
            if tracking == .serial, let number, try await db.raw("""
                SELECT 1 FROM station_task_lines WHERE task_id = \(bind: task.id) AND product = \(bind: product.article)
                AND number = \(bind: number) AND removed_at IS NULL
                """).first() != nil {
                return try await self.refused(db, scan, [.init("serial-on-receipt", "serial \(number) of \(product.article) is on this receipt already")],
                                                         next: again, task: task.id, operator: signedInNow, resolution: resolution)
            }
            // A lot new to the registry is on this receipt already with another expiry: the
            // receipt could never post (the lot has one expiry), so this label is refused now.
            if tracking == .lot, let number, let other = try await db.raw("""
                SELECT expiry FROM station_task_lines WHERE task_id = \(bind: task.id) AND product = \(bind: product.article)
                AND number = \(bind: number) AND removed_at IS NULL AND COALESCE(expiry, '') <> \(bind: expiry?.description ?? "")
                LIMIT 1
                """).first() {
                let theirs = try other.decode(column: "expiry", as: String?.self) ?? "none"
                return try await self.refused(db, scan, [.init("expiry-mismatch",
                    "lot \(number) of \(product.article) is on this receipt with expiry \(theirs); this label says \(expiry?.description ?? "none"): check the label")],
                                                         next: again, task: task.id, operator: signedInNow, resolution: resolution)
            }
            let quantity = lineQuantity
            if tracking == .serial, let asked = task.quantity(for: scan), asked != 1 {
                warnings.append(.init("quantity-ignored", "a serial is one unit: TM:QTY:\(asked) was not used"))
            } else if tracking != .serial, let overridden = Self.labelOverrides(task.quantity(for: scan), labelled) {
                warnings.append(overridden)
            }
            var jobs: [Int64] = []
            if let label, let printer = self.configuration.printer {
                jobs = try await self.spool.enqueue(db, [PrintRequest(
                    printer: printer, payload: label.bytes, language: label.language, template: label.template,
                    // Who scanned it: a client's user (an API token, a session) before the
                    // badge the task was opened under (a QA run saw a token's scan's label
                    // "asked by" the badge signed in at the dock).
                    data: label.data, requestedBy: scan.user ?? self.user(task),
                    reason: "received at station \(self.configuration.name)",
                    reference: number.map { LabelJobs.reference(product: product.article, kind: tracking.rawValue, number: $0) } ?? product.article,
                    dpi: label.dpi)])
            }
            var outcome = ScanOutcome(station: self.configuration.name, verdict: warnings.isEmpty ? .ok : .warn, reasons: warnings,
                                      action: "added-to-receipt",
                                      next: pending == nil
                                        ? "scan the next item, or TM:DONE to post the receipt (\(task.lines + 1) line\(task.lines == 0 ? "" : "s"))"
                                        : "a supervisor confirms the expired goods with a reason before TM:DONE",
                                      jobs: jobs, resolution: resolution)
            let logged = try await self.log(db, scan, outcome, task: task.id, operator: signedInNow)
            outcome.scan = logged
            try await db.raw("""
                INSERT INTO station_task_lines (task_id, product, number, serial, quantity, expiry, production, job_id, created_at,
                                                scan_id, pending)
                VALUES (\(bind: task.id), \(bind: product.article), \(bind: number), \(bind: tracking == .serial ? 1 : 0),
                        \(bind: "\(quantity)"), \(bind: expiry?.description), \(bind: resolution.scan.production?.description),
                        \(bind: jobs.first), \(bind: Timestamp.string(scan.time)), \(bind: logged), \(bind: pending))
                """).run()
            try await Self.quantityTaken(db, task, by: scan)
            return outcome
        }
        if !result.jobs.isEmpty, let printer = configuration.printer { spool.notify([printer]) }
        return result
    }

    /// The station's internal label for a received item, if it prints one.
    private func renderLabel(_ config: PrinterConfig?, product: Product, number: String?, tracking: LotSerialClass.Tracking, expiry: CalendarDate?,
                             production: CalendarDate?, quantity: Decimal, partner: Partner?) throws -> (bytes: Data, language: PrinterLanguage, template: String, data: String, dpi: Int)? {
        guard let template = configuration.template, let config else { return nil }
        let base = Self.receivingData(station: configuration.name, product: product, quantity: quantity, partner: partner)
        let data: LabelData
        if let number {
            data = LabelData.from(product: product, number: number, kind: tracking == .serial ? .serial : .lot, expiry: expiry,
                                  production: production, over: base)
        } else {
            data = LabelData.from(product: product, lotSerial: nil, over: base)
        }
        let bytes = try LabelRendering.render(template, data, for: config)
        return (bytes, config.language, template.name, data.jsonText, config.dpi)
    }

    /// What a receiving station's label is filled with besides the product and its lot or serial.
    static func receivingData(station: String, product: Product, quantity: Decimal, partner: Partner?) -> LabelData {
        var base: [String: LabelData] = ["station": .string(station), "quantity": .number(quantity),
                                         "unit": .string(product.unit), "copies": .number(1)]
        if let partner { base["partner"] = .object(["code": .string(partner.code), "name": .string(partner.name)]) }
        return .object(base)
    }

    /// The station's supplier as the registry has it.
    private func supplierRecord() async throws -> Partner? {
        guard let code = configuration.supplier else { return nil }
        return try await registry.partners().first { $0.code == code }
    }

    /// The document this station's last task posted, when it did so in the last ten minutes.
    nonisolated func justPosted(_ db: any SQLDatabase, at time: Date) async throws -> String? {
        try await db.raw("""
            SELECT document FROM station_tasks WHERE station = \(bind: configuration.name) AND state = 'posted'
              AND document IS NOT NULL AND closed_at >= \(bind: Timestamp.string(time.addingTimeInterval(-600)))
            ORDER BY id DESC LIMIT 1
            """).first()?.decode(column: "document", as: String?.self)
    }

    /// `TM:DONE` at a receiving station: posts the open receipt with the scan's log entry.
    func completeReceipt(_ scan: StationScan) async throws -> ScanOutcome {
        let signedInNow = signedIn
        return try await registry.store.writeRetryingDeadlocks { @Sendable db in
            let open = try await self.currentTask(db)
            guard let task = open, task.lines > 0 else {
                // TM:DONE from two scanners at once, or scanned twice: the first posted it.
                let posted = open == nil ? try await self.justPosted(db, at: scan.time) : nil
                var outcome = ScanOutcome(station: self.configuration.name, verdict: .block,
                                          reasons: [posted.map { .init("already-posted", "the receipt was posted already as \($0): nothing more to post") }
                                                    ?? .init("nothing-to-post", "the receipt has no lines: scan the supplier's labels first")],
                                          next: "scan a supplier's label")
                outcome.scan = try await self.log(db, scan, outcome, task: nil, operator: signedInNow)
                return outcome
            }
            let rows = try await db.raw("""
                SELECT product, number, serial, quantity, expiry, production, pending, confirmation FROM station_task_lines
                WHERE task_id = \(bind: task.id) AND removed_at IS NULL ORDER BY id
                """).all()
            let unconfirmed = try rows.filter { try $0.decode(column: "pending", as: String?.self) != nil }
                .map { "\(try $0.decode(column: "product", as: String.self)) \(try $0.decode(column: "number", as: String?.self) ?? "")" }
            guard unconfirmed.isEmpty else {
                return try await self.refused(db, scan, [.init("confirmation-needed", "a supervisor confirms with a reason, or TM:CANCEL abandons the receipt: \(unconfirmed.joined(separator: ", ")) is expired")],
                                                         next: "have the expired goods confirmed", task: task.id, operator: signedInNow)
            }
            let confirmations = try rows.compactMap { try $0.decode(column: "confirmation", as: String?.self) }
            var lines: [StockLine] = []
            for row in rows {
                let product = try row.decode(column: "product", as: String.self)
                let quantity = Decimal(string: try row.decode(column: "quantity", as: String.self)) ?? 1
                let expiry = try row.decode(column: "expiry", as: String?.self).flatMap { CalendarDate(iso: $0) }
                let production = try row.decode(column: "production", as: String?.self).flatMap { CalendarDate(iso: $0) }
                if let number = try row.decode(column: "number", as: String?.self) {
                    let serial = try row.decode(column: "serial", as: Int.self) == 1
                    lines.append(StockLine(product: product, picks: [StockLine.Pick(
                        number: number, quantity: serial ? nil : quantity, expiry: expiry, production: production)]))
                } else {
                    lines.append(StockLine(product: product, quantity: quantity))
                }
            }
            guard let warehouse = self.configuration.warehouse else {
                throw RegistryError(.invalidInput, "station \(self.configuration.name) has no warehouse to receive into")
            }
            // Confirmed expired goods are received, and start quarantined.
            let posted = try await self.registry.receive(db, Receipt(
                warehouse: warehouse, supplier: self.configuration.supplier, lines: lines,
                acceptExpired: !confirmations.isEmpty,
                header: DocumentHeader(user: self.user(task),
                                       note: (["received at station \(self.configuration.name)"] + confirmations).joined(separator: "; "))))
            return try await self.posted(db, task, document: posted.number, scan, action: "receipt-posted",
                                         next: "scan the next supplier's label to start a new receipt", operator: signedInNow)
        }
    }

    /// The station's name as a document's user when no operator signed in.
    nonisolated func user(_ task: OpenTask) -> String {
        task.operatorName.isEmpty ? "station \(configuration.name)" : task.operatorName
    }

    /// Closes `task` as posted as `document`, with the log entry of the scan that posted it.
    nonisolated func posted(_ db: any SQLDatabase, _ task: OpenTask, document: String, _ scan: StationScan, action: String,
                            next: String, operator operatorName: String, jobs: [Int64] = []) async throws -> ScanOutcome {
        try await db.raw("""
            UPDATE station_tasks SET state = 'posted', document = \(bind: document), closed_at = \(bind: Timestamp.string(scan.time))
            WHERE id = \(bind: task.id) AND state = 'open'
            """).run()
        var outcome = ScanOutcome(station: configuration.name, verdict: .ok, action: action, next: next, document: document, jobs: jobs)
        outcome.scan = try await log(db, scan, outcome, task: task.id, operator: operatorName)
        return outcome
    }

    /// A label's own quantity (AI 30) that wins over a different TM:QTY scanned before it, said.
    static func labelOverrides(_ asked: Decimal?, _ labelled: Decimal?) -> ScanOutcome.Reason? {
        guard let asked, let labelled, asked != labelled else { return nil }
        return .init("quantity-ignored", "the label says \(labelled): TM:QTY:\(asked) was not used")
    }

    /// What to do about a quantity that cannot be counted: TM:QTY mends one of its own, but a
    /// label's (30) or (37) wins over it, so rescanning after TM:QTY was refused the same way
    /// (found by a QA run).
    static func countAdvice(labelled: Bool, verb: String) -> String {
        labelled
            ? "the count is the label's own (30)/(37), which TM:QTY does not change: check the label, and \(verb) these goods by hand (tracemark \(verb)) if it is wrong"
            : "scan TM:QTY with a quantity it takes, then the item again"
    }

    /// A quantity the product is not counted in (TM:QTY:1.5 for a product in whole pcs), as the
    /// scan's refusal; `nil` when it takes it.
    static func uncountable(_ quantity: Decimal, of product: Product) -> ScanOutcome.Reason? {
        // A label's count of 0 ((30)0) was added, labelled "QTY 0", and the receipt then never
        // posted (found by a QA run).
        guard quantity > 0 else {
            return .init("quantity-not-counted", "the quantity \(quantity) is not more than zero: nothing would be received")
        }
        do {
            try product.checkDecimals(try Quantity(quantity).storage)
            return nil
        } catch {
            return .init("quantity-not-counted", "\(error)")
        }
    }
}
