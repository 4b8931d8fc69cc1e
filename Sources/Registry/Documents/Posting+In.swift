import Foundation
import GS1
import Problems
import SQLKit
import Store

extension Posting {
    /// Puts a line's goods into a warehouse: the named lots/serials (created when new), or numbers
    /// generated per the class (up to its batch size; the rest stays without a number).
    ///
    /// The line is worth `value` (a production's share of its inputs), or its unit cost times its
    /// quantity (a receipt), spread over its movements by quantity; otherwise each movement comes
    /// in at the cost its stock row has (a return).
    mutating func putIn(_ line: StockLine, index: Int, warehouseID: Int, warehouse: String, rules: InRules,
                        value: Int? = nil) async throws {
        do {
            try await putInLine(line, index: index, warehouseID: warehouseID, warehouse: warehouse, rules: rules, value: value)
        } catch let error as RegistryError {
            throw error.onLine(index)
        }
    }

    private mutating func putInLine(_ line: StockLine, index: Int, warehouseID: Int, warehouse: String, rules: InRules,
                                    value: Int?) async throws {
        let context = try await product(line.product)
        let quantity = try quantity(of: line, context)
        var share: ValueShare?
        if let unitCost = line.unitCost {
            guard rules.takesUnitCost else {
                throw RegistryError(.invalidInput,
                    "line for \(line.product): a unit cost is given on receipts only; \(rules.isReturn ? "a return comes back at the cost its lots left at" : "a production's outputs cost their inputs plus its added cost")")
            }
            let cost = try Money(unitCost, what: "unit cost of \(line.product)")
            guard cost.storage >= 0 else { throw RegistryError(.invalidInput, "line for \(line.product): unit cost \(unitCost) is below zero") }
            // A line's value stays far inside what values (millionths, 64 bits) can sum to.
            guard Int128(quantity) * Int128(cost.storage) <= Int128(Posting.maximumLineValue) * Int128(Quantity.scale) else {
                throw RegistryError(.invalidInput,
                    "line for \(line.product): \(Quantity(storage: quantity)) at \(unitCost) is worth more than \(Money(storage: Posting.maximumLineValue)), the most one line may be worth: check the quantity and the unit cost")
            }
            share = ValueShare(value: Money.value(of: quantity, at: cost.storage), quantity: quantity)
        }
        if let value { share = ValueShare(value: value, quantity: quantity) }
        func cost(_ amount: Int) -> MovementCost {
            guard share != nil else { return .current }
            return .value(share!.take(amount))
        }
        if context.tracking == .none {
            try context.refuseNumbers(on: line)
            if rules.isReturn {
                // Without numbers too, only what went to this customer can come back from them.
                let value = try await checkReturnable(nil, quantity, context)
                try await move(line: index, context, warehouseID: warehouseID, warehouse: warehouse, lot: nil, quantity: quantity,
                               cost: share == nil ? .value(value) : cost(quantity))
                return
            }
            try await move(line: index, context, warehouseID: warehouseID, warehouse: warehouse, lot: nil, quantity: quantity, cost: cost(quantity))
            return
        }
        let lotSerialClass = context.lotSerialClass!
        if !line.picks.isEmpty {
            if context.isUniqueSerial {
                for pick in line.picks {
                    let serial = pick.number.trimmingSpaces
                    let key = "\(context.id) \(serial)"
                    if let first = serialsReceived[key] {
                        throw RegistryError(.invalidInput, first == index
                            ? "serial \(serial) of \(context.product.article) is named twice on line \(index + 1): name each serial once"
                            : "serial \(serial) of \(context.product.article) is named on lines \(first + 1) and \(index + 1): name each serial once")
                    }
                    serialsReceived[key] = index
                }
            }
            for pick in line.picks {
                let amount = try pickQuantity(pick, line, context)
                let lot = try await receivedLot(pick, line, context, rules: rules)
                if rules.isReturn {
                    // Back at the cost it left at (what the customer's issues took it out at), not
                    // at what the lot's stock costs now.
                    let value = try await checkReturnable(lot, amount, context)
                    try await putLot(index, context, warehouseID, warehouse, lot, amount, rules, share == nil ? .value(value) : cost(amount))
                    continue
                }
                try await putLot(index, context, warehouseID, warehouse, lot, amount, rules, cost(amount))
            }
            return
        }
        if rules.isReturn {
            throw RegistryError(.invalidInput, "line for \(line.product): name the \(context.kindName)s coming back")
        }
        guard lotSerialClass.assignment == .receipt else {
            // Numbered when used: the goods wait without a number, and stock without a number
            // keeps no dates. Taken and dropped, an expiry was lost without a word, and the
            // issue that numbered the goods shipped them with none (found by a QA run).
            if let dated = line.expiry.map({ "an expiry (\($0))" }) ?? line.production.map({ "a production date (\($0))" }) {
                throw RegistryError(.invalidInput,
                    "line for \(line.product): class \(lotSerialClass.code) numbers its \(context.kindName)s when they are used, and goods received without a number keep no date, so \(dated) here would be lost; give it when they are numbered (assign --expiry, or the issue's --expiry), or name the \(context.kindName) received")
            }
            try await move(line: index, context, warehouseID: warehouseID, warehouse: warehouse, lot: nil, quantity: quantity, cost: cost(quantity))
            return
        }
        guard lotSerialClass.format != nil else {
            throw RegistryError(.invalidInput,
                "product \(line.product): class \(lotSerialClass.code) has no number format, so name the \(context.kindName)s received")
        }
        if let lot = try await dayLot(line, context, quantity: quantity, rules: rules) {
            try await putLot(index, context, warehouseID, warehouse, lot, quantity, rules, cost(quantity))
            return
        }
        try checkExpiry(line.expiry, of: "line for \(line.product)", context, rules)
        let units = context.isUniqueSerial ? quantity / Quantity.scale : 1
        let count = min(units, lotSerialClass.autoGenerateBatchSize)
        let generated = try await registry.generate(db, product: line.product, count: count, date: date, expiry: line.expiry,
                                                    production: line.production, reference: try await takeNumber(), created: created)
        let each = context.isUniqueSerial ? Quantity.scale : quantity
        for number in generated.numbers {
            let lot = try await lockLot(context.id, number)!
            try await putLot(index, context, warehouseID, warehouse, lot, each, rules, cost(each))
        }
        let assigned = each * generated.numbers.count
        if assigned < quantity {
            try await move(line: index, context, warehouseID: warehouseID, warehouse: warehouse, lot: nil, quantity: quantity - assigned,
                           override: "beyond the auto-generate batch size \(lotSerialClass.autoGenerateBatchSize): without a number",
                           cost: cost(quantity - assigned))
        }
    }

    /// The lot a lot format without a counter makes on the posting's date (one lot per date), when
    /// it exists already: goods numbered that day again join it (their expiry must agree) rather
    /// than be refused because the number exists. A second delivery of the day was refused so
    /// (found by a QA run), and so were a second issue of the day of a class that numbers on use,
    /// and a second `assign` (found by another): such a product could leave stock once a day.
    mutating func dayLot(_ line: StockLine, _ context: ProductContext, quantity: Int, rules: InRules) async throws -> LotRecord? {
        guard !context.isUniqueSerial, let format = try context.lotSerialClass?.numberFormat(), !format.hasCounter else { return nil }
        let number = try format.format(counter: nil, date: date)
        guard try await lockLot(context.id, number) != nil else { return nil }
        let pick = StockLine.Pick(number: number, quantity: Quantity(storage: quantity).decimal, expiry: line.expiry, production: line.production)
        return try await receivedLot(pick, line, context, rules: rules)
    }

    /// Numbers stock that was received without numbers, in place: takes it from the warehouse's
    /// unnumbered stock and puts it back under the numbers named in `line.picks`, or under `count`
    /// numbers made per the class (serials one unit each; a lot takes the line's quantity).
    mutating func assignNumbers(_ line: StockLine, count: Int?, warehouseID: Int, warehouse: String) async throws {
        let context = try await product(line.product)
        guard context.tracking != .none, let lotSerialClass = context.lotSerialClass else {
            throw RegistryError(.invalidInput, "product \(line.product) is not tracked by lot or serial: it has no numbers to assign")
        }
        let unnumbered = try await Registry.unnumberedStock(db, product: context.id, warehouse: warehouseID)
        let what = "\(line.product) in \(warehouse)"
        if context.isUniqueSerial {
            let units = count ?? line.picks.count
            guard line.quantity == nil || line.quantity == Decimal(units) else {
                throw RegistryError(.invalidInput, "\(what): each serial numbers one unit, so give no quantity (or \(units))")
            }
        } else if (count ?? line.picks.count) != 1 {
            throw RegistryError(.invalidInput, "\(what): a lot takes the stock it numbers as one, so assign one lot at a time")
        }
        let total = context.isUniqueSerial ? (count ?? line.picks.count) * Quantity.scale
            : try line.quantity.map { value in
                let storage = try Quantity(value).storage
                try context.product.checkDecimals(storage)
                return storage
            } ?? unnumbered
        guard total > 0, total <= unnumbered else {
            throw RegistryError(.conflict, unnumbered == 0
                ? "\(what) has no stock without a number: there is nothing to assign numbers to"
                : "\(what) has \(Quantity(storage: unnumbered)) \(context.product.unit) without a number, not the \(Quantity(storage: total)) to number")
        }
        // The numbered goods keep the value they had without a number.
        let taken = try await move(line: 0, context, warehouseID: warehouseID, warehouse: warehouse, lot: nil, quantity: -total,
                                   override: "numbers assigned")
        var share = ValueShare(value: -taken, quantity: total)
        if let count {
            guard lotSerialClass.format != nil else {
                throw RegistryError(.invalidInput, "product \(line.product): class \(lotSerialClass.code) has no number format, so name the \(context.kindName)s")
            }
            if let lot = try await dayLot(line, context, quantity: total, rules: InRules(numbersStock: true)) {
                try await putLot(0, context, warehouseID, warehouse, lot, total, InRules(), .value(share.take(total)))
                return
            }
            let generated = try await registry.generate(db, product: line.product, count: count, date: date, expiry: line.expiry,
                                                        production: line.production, reference: try await takeNumber(), created: created)
            for number in generated.numbers {
                let lot = try await lockLot(context.id, number)!
                try await putLot(0, context, warehouseID, warehouse, lot, total / count, InRules(), .value(share.take(total / count)))
            }
        } else {
            for pick in line.picks {
                var pick = pick
                pick.quantity = Quantity(storage: total / line.picks.count).decimal
                let lot = try await receivedLot(pick, line, context, rules: InRules(numbersStock: true))
                try await putLot(0, context, warehouseID, warehouse, lot, total / line.picks.count, InRules(),
                                 .value(share.take(total / line.picks.count)))
            }
        }
    }

    private mutating func putLot(_ index: Int, _ context: ProductContext, _ warehouseID: Int, _ warehouse: String,
                                 _ lot: LotRecord, _ amount: Int, _ rules: InRules, _ cost: MovementCost) async throws {
        var override: String?
        if let expiry = lot.expiry, expiry < date {
            override = "received expired (\(expiry)): quarantined"
        }
        try await move(line: index, context, warehouseID: warehouseID, warehouse: warehouse, lot: lot, quantity: amount, override: override,
                       cost: cost)
        // A serial created by this posting is in stock here only (a serial named twice in one
        // document is refused before).
        if context.isUniqueSerial, !createdLots.contains(lot.id) {
            let total = try await totalStock(lot.id)
            if total > Quantity.scale {
                let place = try await db.raw("""
                    SELECT w.code FROM stock s JOIN warehouses w ON w.id = s.warehouse_id
                    WHERE s.lot_serial_id = \(bind: lot.id) AND s.quantity > 0 AND NOT (s.warehouse_id = \(bind: warehouseID) AND s.quantity = \(bind: amount))
                    LIMIT 1
                    """).first()?.string("code") ?? warehouse
                throw RegistryError(.conflict, "serial \(lot.number) of \(context.product.article) is already in stock in \(place)")
            }
            if backdated != nil { try await checkHeldOnceSince(lot, context, now: total) }
        }
        try await markReceived(lot.id)
        if override != nil {
            try await setStatus(lot.id, .quarantined)
        } else if [.shipped, .consumed, .writtenOff].contains(lot.status) {
            try await backInStock(lot)
        }
    }

    /// A serial coming in dated back is in stock at most once on that day and every day since, as
    /// it is now (`now`: all warehouses' stock, this posting's included): received dated before
    /// the issue that took it out, it was in stock twice on the days between (found by a QA run:
    /// the balance of such a day listed 2 pcs of one serial, or it in two warehouses).
    private func checkHeldOnceSince(_ lot: LotRecord, _ context: ProductContext, now: Int) async throws {
        let later = try await db.raw("""
            SELECT d.doc_date, CAST(SUM(m.quantity) AS BIGINT) AS quantity
            FROM movements m JOIN documents d ON d.id = m.document_id
            WHERE m.lot_serial_id = \(bind: lot.id) AND d.doc_date > \(bind: date.description)
            GROUP BY d.doc_date ORDER BY d.doc_date
            """).all()
        // Stock at the end of this document's day, then of each later day a document moved it.
        var held = now - (try later.reduce(0) { $0 + (try $1.int("quantity")) })
        for row in later where held <= Quantity.scale {
            held += try row.int("quantity")
        }
        guard held > Quantity.scale else { return }
        let next = try await db.raw("""
            SELECT d.number, d.doc_date FROM movements m JOIN documents d ON d.id = m.document_id
            WHERE m.lot_serial_id = \(bind: lot.id) AND d.doc_date > \(bind: date.description) AND m.quantity < 0
            ORDER BY d.doc_date, m.id LIMIT 1
            """).first()
        let left = try next.map { " until \(try $0.string("number")) dated \(try $0.string("doc_date")) took it out" } ?? ""
        throw RegistryError(.conflict, "serial \(lot.number) of \(context.product.article) was in stock on \(date)\(left): "
            + "dated \(date), this \(kind.rawValue) would hold it twice; date it on or after the day it left stock")
    }

    /// A lot or serial that had left stock (shipped, consumed, written off) and comes back: it is
    /// available again, unless a quality hold set by hand (quarantined or blocked, the last status
    /// given with `status`) was on it when it left; that hold goes on, recorded with the document
    /// that brought it back. It was lost before, and the lot proposed again (found by a QA run).
    private mutating func backInStock(_ lot: LotRecord) async throws {
        let last = try await db.raw("""
            SELECT to_status, reason FROM lot_serial_events WHERE lot_serial_id = \(bind: lot.id) ORDER BY id DESC LIMIT 1
            """).first()
        guard let last, let hold = LotSerial.Status(rawValue: try last.string("to_status")), [.quarantined, .blocked].contains(hold) else {
            try await setStatus(lot.id, .available)
            return
        }
        let user = try await db.raw("SELECT user_name FROM documents WHERE id = \(bind: documentID)").first()?.string("user_name") ?? ""
        try await Registry.setStatus(db, lot: lot.id, from: lot.status, to: hold, user: user,
                                     reason: "back in stock with \(number), still \(hold.rawValue) as it was when it left: \(try last.string("reason"))",
                                     at: created)
        if number == placeholder { statusesGiven.append(lot.id) }
    }

    /// A return brings back only what went to its customer: what the customer's issues dated on
    /// or before it took of the lot or serial, less what came back from them before (this
    /// document's earlier lines too). A lot never sold to them, a serial consumed in production, or more than was sold
    /// would otherwise put stock into the registry that never existed.
    /// Returns the value `amount` comes back at: its share of what the customer still holds, at
    /// what their issues took out less what came back from them before (all of it, for the last).
    /// An untracked product (`lot` nil) is checked the same way over its movements without a number.
    private mutating func checkReturnable(_ lot: LotRecord?, _ amount: Int, _ context: ProductContext) async throws -> Int {
        try await flush()
        let which: SQLQueryString = lot.map { "m.lot_serial_id = \(bind: $0.id)" } ?? "m.product_id = \(bind: context.id) AND m.lot_serial_id = 0"
        let row = try await db.raw("""
            SELECT CAST(COALESCE(SUM(CASE WHEN d.kind = 'issue' AND d.doc_date <= \(bind: date.description) THEN -m.quantity ELSE 0 END), 0) AS BIGINT) AS shipped,
                   CAST(COALESCE(SUM(CASE WHEN d.kind = 'issue' THEN -m.quantity ELSE 0 END), 0) AS BIGINT) AS shipped_ever,
                   CAST(COALESCE(SUM(CASE WHEN d.kind = 'issue' AND d.doc_date <= \(bind: date.description) THEN -m.value ELSE 0 END), 0) AS BIGINT) AS shipped_value,
                   CAST(COALESCE(SUM(CASE WHEN d.kind = 'return' THEN m.quantity ELSE 0 END), 0) AS BIGINT) AS returned,
                   CAST(COALESCE(SUM(CASE WHEN d.kind = 'return' THEN m.value ELSE 0 END), 0) AS BIGINT) AS returned_value,
                   (SELECT p.code FROM documents r JOIN partners p ON p.id = r.partner_id WHERE r.id = \(bind: documentID)) AS customer
            FROM movements m JOIN documents d ON d.id = m.document_id
            WHERE \(which) AND d.kind IN ('issue', 'return') AND \(Posting.goodsMoving("m"))
              AND d.partner_id = (SELECT partner_id FROM documents WHERE id = \(bind: documentID))
            """).first()
        let shipped = try row?.decode(column: "shipped", as: Int.self) ?? 0
        let shippedEver = try row?.decode(column: "shipped_ever", as: Int.self) ?? 0
        let returned = try row?.decode(column: "returned", as: Int.self) ?? 0
        let customer = try row?.decode(column: "customer", as: String?.self) ?? "the customer"
        let what = lot.map { "\(context.kindName) \($0.number) of \(context.product.article)" } ?? context.product.article
        guard shipped > 0 else {
            // Dated before the issue it reverses, it would count goods twice on the days between.
            throw RegistryError(.conflict, shippedEver > 0
                ? "\(what) was issued to \(customer) after \(date): a return dated \(date) cannot bring it back; date it no earlier than the issue"
                : "\(what) was never issued to \(customer): only goods issued to a customer can come back from them")
        }
        let shippedValue = try row?.decode(column: "shipped_value", as: Int.self) ?? 0
        let left = shipped - returned
        guard amount <= left else {
            let unit = context.product.unit
            throw RegistryError(.conflict, left <= 0
                ? "\(what) already came back from \(customer): all \(Quantity(storage: shipped)) \(unit) issued to them were returned"
                : "\(what): \(customer) was issued \(Quantity(storage: shipped)) \(unit) and returned \(Quantity(storage: returned)) \(unit), so at most \(Quantity(storage: left)) \(unit) can come back, not \(Quantity(storage: amount))")
        }
        // What the customer still holds left at what was issued less what came back: shared
        // over all that was ever issued, a return after an earlier one came back at the average
        // of both issues and value was lost even when everything came back (found by a QA run).
        let returnedValue = try row?.decode(column: "returned_value", as: Int.self) ?? 0
        return Money.share(shippedValue - returnedValue, part: amount, whole: left)
    }

    private func checkExpiry(_ expiry: CalendarDate?, of what: String, _ context: ProductContext, _ rules: InRules) throws {
        if context.lotSerialClass?.tracksExpiry == true, expiry == nil {
            throw RegistryError(.invalidInput,
                "\(what): class \(context.lotSerialClass!.code) tracks expiry dates, so an expiry date is required")
        }
        if let expiry, expiry < date, !rules.acceptExpired, !rules.isReturn {
            // No override makes goods expired as they are made: a production's refusal pointed to
            // --accept-expired, which production does not take.
            throw RegistryError(.conflict, rules.makesNewUnits
                ? "\(what): the expiry \(expiry) is before the production date \(date): goods are not made already expired; check the expiry"
                : "\(what): the goods expired on \(expiry), before \(date); receiving expired goods needs an explicit override, a supervisor's over HTTP (--accept-expired; acceptExpired in a request), and they start quarantined")
        }
    }

    /// Reads which numbers a receipt's lines name are new (no lot or serial, none voided), in a
    /// statement per thousand, and takes each product's shared numbering lock once: a line of a
    /// new number then costs an insert of the lot and of its stock. It cost three more statements
    /// and a savepoint (on PostgreSQL a round trip each: a 10,000-line opening stock took 50 s
    /// and held the receipts' series all along; found by a QA run). Classes unique across products
    /// are left to the line-by-line checks (a number reserved for another product).
    mutating func prefetchNewNumbers(_ lines: [StockLine]) async throws {
        var keys: [NumberKey] = []
        var locked: Set<Int> = []
        for line in lines where !line.picks.isEmpty {
            guard let context = try? await product(line.product), context.tracking != .none,
                  context.lotSerialClass?.uniqueness != .global else { continue }
            for pick in line.picks where (try? Registry.validateNumber(pick.number, product: line.product)) != nil {
                keys.append(NumberKey(product: context.id, number: pick.number))
            }
            locked.insert(context.id)
        }
        guard keys.count > 1 else { return }
        // Before reading: a number voided meanwhile waits for this posting, or this for it.
        for product in locked.sorted() { try await Registry.lockNumbers(db, productID: product, exclusive: false) }
        let postgres = db.dialect.name == "postgresql"
        for chunk in Array(Set(keys)).chunks(of: 1000) {
            var pairs = "["
            for key in chunk {
                if pairs.utf8.count > 1 { pairs += "," }
                pairs += "[\(key.product),"
                JSONText.append(key.number, to: &pairs)
                pairs += "]"
            }
            pairs += "]"
            let rows: SQLQueryString = postgres
                ? "SELECT (j.value->>0)::bigint AS product_id, j.value->>1 AS number FROM json_array_elements(\(bind: pairs)::json) AS j(value)"
                : "SELECT CAST(json_extract(j.value, '$[0]') AS INTEGER) AS product_id, json_extract(j.value, '$[1]') AS number FROM json_each(\(bind: pairs)) AS j"
            for row in try await db.raw("""
                SELECT k.product_id, k.number FROM (\(rows)) AS k
                WHERE NOT EXISTS (SELECT 1 FROM lot_serials ls WHERE ls.product_id = k.product_id AND ls.number = k.number)
                  AND NOT EXISTS (SELECT 1 FROM retired_numbers r WHERE r.product_id = k.product_id AND r.number = k.number)
                """).all() {
                newNumbers.insert(NumberKey(product: try row.int("product_id"), number: try row.string("number")))
            }
        }
    }

    /// The lot or serial a received pick names: the existing one (for a return it must have left
    /// stock before) or a new one, created with its dates and attributes.
    private mutating func receivedLot(_ pick: StockLine.Pick, _ line: StockLine, _ context: ProductContext, rules: InRules) async throws -> LotRecord {
        try Registry.validateNumber(pick.number, product: context.product.article)
        // Known new when the posting began (and not used since): nothing to lock or look up.
        let knownNew = newNumbers.remove(NumberKey(product: context.id, number: pick.number)) != nil
        if !knownNew, let existing = try await lockLot(context.id, pick.number) {
            if existing.status == .voided {
                // Says when and why it was voided.
                try await Registry.refuseRetired(db, productID: context.id, article: context.product.article, number: pick.number)
                throw RegistryError(.numberRetired, "\(context.kindName) \(pick.number) of product \(context.product.article) was voided and can never be used again")
            }
            // A serial numbered ahead (a run's, `generate`'s) has never moved: the production makes
            // that unit now. One that has moved is a unit that existed already.
            if context.isUniqueSerial, rules.makesNewUnits || rules.numbersStock,
               try await db.raw("SELECT 1 AS x FROM movements WHERE lot_serial_id = \(bind: existing.id) LIMIT 1").first() != nil {
                throw RegistryError(.duplicate, rules.numbersStock
                    ? "serial \(pick.number) of \(context.product.article) is a unit the registry knows already (\(existing.status.rawValue)): numbering stock gives a unit without a number a serial no unit has had; a unit that comes back is received (tracemark return, or receive)"
                    : "serial \(pick.number) of \(context.product.article) exists already (\(existing.status.rawValue)): a production makes new units, each with a serial of its own")
            }
            if context.isUniqueSerial, existing.status == .consumed, !rules.isReturn {
                let by = try await db.raw("""
                    SELECT d.number FROM movements m JOIN documents d ON d.id = m.document_id
                    WHERE m.lot_serial_id = \(bind: existing.id) AND m.quantity < 0 ORDER BY m.id DESC LIMIT 1
                    """).first()?.string("number")
                throw RegistryError(.conflict,
                    "serial \(pick.number) of \(context.product.article) was consumed\(by.map { " by \(name(ofDocument: $0))" } ?? "") and is part of what was made there: it cannot be received again")
            }
            let given = pick.expiry ?? line.expiry
            if let given, let known = existing.expiry, given != known {
                throw RegistryError(.conflict,
                    "\(context.kindName) \(pick.number) of \(context.product.article) expires on \(known) (as the registry, or an earlier line of this document, has it), but this line says \(given)")
            }
            if !rules.isReturn {
                try checkExpiry(existing.expiry ?? given, of: "\(context.kindName) \(pick.number) of \(context.product.article)", context, rules)
            }
            var existing = existing
            if existing.expiry == nil, let given {
                // Received before without one (its class did not track expiry then): the date this
                // document gives is the lot's from now on, for expiry reports and first-expiry issues.
                try await db.raw("UPDATE lot_serials SET expiry = \(bind: given.description) WHERE id = \(bind: existing.id) AND expiry IS NULL").run()
                existing.expiry = given
            }
            if !pick.attributes.isEmpty {
                try await Registry.upsertAttributes(db, lotSerialID: existing.id, pick.attributes, user: user, reason: "given on \(number)", at: created)
                if number == placeholder { attributesGiven.append(existing.id) }
            }
            return existing
        }
        if rules.isReturn {
            throw RegistryError(.notFound,
                "\(context.kindName) \(pick.number) of \(context.product.article) was never shipped from here: a return needs a known number"
                    + (try await numberElsewhere(pick.number, context)))
        }
        let expiry = pick.expiry ?? line.expiry
        try checkExpiry(expiry, of: "\(context.kindName) \(pick.number) of \(context.product.article)", context, rules)
        // A production date after the document's, or after the expiry, is a typo of one of them
        // (a QA run received goods made next year, expiring before they were made).
        if let production = pick.production ?? line.production {
            let what = "\(context.kindName) \(pick.number) of \(context.product.article)"
            if production > date {
                throw RegistryError(.invalidInput, "\(what): the production date \(production) is after this document's date \(date): check it")
            }
            if let expiry, production > expiry {
                throw RegistryError(.invalidInput, "\(what): the production date \(production) is after its expiry \(expiry): check both")
            }
        }
        if !knownNew {
            try await Registry.refuseRetired(db, productID: context.id, article: context.product.article, number: pick.number)
        }
        let global = context.lotSerialClass?.uniqueness == .global
        // Received now: FIFO's date with it (one statement less than marking it after).
        let insert: SQLQueryString = """
            INSERT INTO lot_serials (product_id, kind, number, global_number, expiry, production, status, flagged, origin, created_at, sort_key,
                                     received_at, received_on)
            VALUES (\(bind: context.id), \(bind: context.tracking.rawValue), \(bind: pick.number), \(bind: global ? pick.number : nil),
                    \(bind: expiry?.description), \(bind: (pick.production ?? line.production)?.description), 'available', 0, 'entered',
                    \(bind: created), \(bind: NaturalOrder.key(pick.number)), \(bind: created), \(bind: date.description))
            ON CONFLICT (product_id, number) DO NOTHING
            RETURNING id
            """
        let inserted: Int?
        if global {
            // Another product's number of a globally unique class breaks another index, which
            // ON CONFLICT does not name: caught in a savepoint and said.
            do {
                inserted = try await Registry.guarded(db) { try await db.raw(insert).first()?.int("id") }
            } catch where DatabaseErrors.uniqueViolation(error) != nil {
                throw try await Registry.numberExists(db, article: context.product.article, number: pick.number, global: global)
            }
        } else {
            inserted = try await db.raw(insert).first()?.int("id")
        }
        guard let inserted else {
            // Another document created it at the same moment: take it as existing.
            return try await receivedLot(pick, line, context, rules: rules)
        }
        createdLots.insert(inserted)
        try await Registry.upsertAttributes(db, lotSerialID: inserted, pick.attributes, user: user, reason: "given on \(number)", at: created)
        if !pick.attributes.isEmpty, number == placeholder { attributesGiven.append(inserted) }
        return LotRecord(id: inserted, number: pick.number, status: .available, expiry: expiry)
    }
}
