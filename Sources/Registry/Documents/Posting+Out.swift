import Foundation
import GS1
import SQLKit
import Store

/// What an outgoing line took: a lot or serial (or stock without a number), how much, and its
/// value (negative, as on the movement).
struct Taken {
    let lot: LotRecord?
    let amount: Int
    let value: Int
}

extension Posting {
    /// What this document does with the goods it takes, for a shortfall's message.
    var takingVerb: String {
        switch kind {
        case .production: "consume"
        case .transfer: "transfer"
        case .writeOff: "write off"
        case .split: "split"
        default: "issue"
        }
    }

    /// Takes a line's goods out of a warehouse: the named lots/serials (checked), or those the
    /// class's issue method proposes. Returns what was taken, for transfers to put in elsewhere.
    @discardableResult
    mutating func takeOut(_ line: StockLine, index: Int, warehouseID: Int, warehouse: String,
                          rules: OutRules) async throws -> [Taken] {
        do {
            return try await takeOutLine(line, index: index, warehouseID: warehouseID, warehouse: warehouse, rules: rules)
        } catch let error as RegistryError {
            throw error.onLine(index)
        }
    }

    private mutating func takeOutLine(_ line: StockLine, index: Int, warehouseID: Int, warehouse: String,
                                      rules: OutRules) async throws -> [Taken] {
        let context = try await product(line.product)
        if line.unitCost != nil {
            throw RegistryError(.invalidInput,
                "line for \(line.product): a unit cost is given on receipts only; goods going out take the cost of the lots and serials they are taken from")
        }
        let quantity = try quantity(of: line, context)
        var taken: [Taken] = []

        if context.tracking == .none {
            try context.refuseNumbers(on: line)
            let value = try await out(index, context, warehouseID, warehouse, nil, quantity, nil, rules)
            return [Taken(lot: nil, amount: quantity, value: value)]
        }

        if !line.picks.isEmpty {
            try await refuseUnknown(line.picks.map(\.number), context, rules: rules)
            for pick in line.picks {
                let amount = try pickQuantity(pick, line, context)
                let (lot, override) = try await namedLot(pick.number, index, context, warehouseID: warehouseID, warehouse: warehouse,
                                                         amount: amount, rules: rules)
                // An expiry given for what goes out must be the lot's: the wrong lot in hand, or a
                // typo, and in either case not something to post in silence (found by a QA run).
                if let given = pick.expiry ?? line.expiry, let known = lot.expiry, given != known {
                    throw RegistryError(.conflict,
                        "\(context.kindName) \(pick.number) of \(context.product.article) expires on \(known) in the registry, but this document says \(given)")
                }
                if context.tracking == .serial, context.lotSerialClass?.serialQuantity != .multiple {
                    if let first = serialsTaken[lot.id] {
                        throw RegistryError(.invalidInput, first == index
                            ? "serial \(pick.number) of \(context.product.article) is named twice on line \(index + 1): name each serial once"
                            : "serial \(pick.number) of \(context.product.article) is named on lines \(first + 1) and \(index + 1): name each serial once")
                    }
                    serialsTaken[lot.id] = index
                }
                let value = try await out(index, context, warehouseID, warehouse, lot, amount, override, rules)
                taken.append(Taken(lot: lot, amount: amount, value: value))
            }
            return taken
        }

        let lotSerialClass = context.lotSerialClass!
        if lotSerialClass.assignment == .use {
            return try await assignOnUse(line, index, context, quantity: quantity, warehouseID: warehouseID, warehouse: warehouse, rules: rules)
        }
        guard rules.allocates else {
            throw RegistryError(.invalidInput, "line for \(line.product): name the \(context.kindName)s to take")
        }
        guard lotSerialClass.issueMethod != .manual else {
            throw RegistryError(.invalidInput,
                "product \(line.product): class \(lotSerialClass.code) issues manually, so name the \(context.kindName)s to take")
        }
        let earliest = earliestExpiry(rules)
        let candidates = try await candidates(index, context, warehouseID: warehouseID, method: lotSerialClass.issueMethod,
                                              quantity: quantity, earliestExpiry: earliest)
        let available = candidates.reduce(0) { $0 + $1.quantity }
        guard available >= quantity else {
            try await flushOuts()
            let why = try await withheld(context, warehouseID: warehouseID, rules: rules)
            throw RegistryError(.conflict,
                "product \(line.product): \(warehouse) has \(Quantity(storage: available)) \(context.product.unit) available to \(takingVerb), not the \(Quantity(storage: quantity)) asked for\(why)")
        }
        var remaining = quantity
        for candidate in candidates where remaining > 0 {
            let amount = min(remaining, candidate.quantity)
            let value = try await out(index, context, warehouseID, warehouse, candidate.lot, amount, nil, rules)
            taken.append(Taken(lot: candidate.lot, amount: amount, value: value))
            remaining -= amount
        }
        return taken
    }

    /// Why the rest of a product's stock could not be taken, by reason, as a proposal gives the
    /// account (`"; 3 l expired (L1); …"`), or "" when nothing was held back.
    private func withheld(_ context: ProductContext, warehouseID: Int, rules: OutRules,
                          except skipped: Proposal.Reason? = nil) async throws -> String {
        let withheld = try await Allocation.withheld(db, productID: context.id, warehouseID: warehouseID, date: date,
                                                     earliestExpiry: earliestExpiry(rules), excluding: [], backdated: backdated != nil)
            .filter { $0.reason != skipped }
        let shelfLife = rules.minimumShelfLife.map { "expire within the \($0.days) days \($0.who) requires" }
        return withheld.isEmpty ? "" : "; " + withheld.map { $0.phrase(unit: context.product.unit, shelfLife: shelfLife) }.joined(separator: "; ")
    }

    /// The earliest expiry that may go: with the shelf life required; any, without usability
    /// checks (a transfer, a write-off).
    private func earliestExpiry(_ rules: OutRules) -> CalendarDate {
        !rules.checksUsability ? CalendarDate(year: 1, month: 1, day: 1)!
            : rules.minimumShelfLife.map { date.adding(days: $0.days) } ?? date
    }

    /// Reads the first page of candidates of every line that the registry will allocate (no lots
    /// named, a class that issues by its method) in one statement, before the lines are posted.
    mutating func prefetchCandidates(_ lines: [StockLine], warehouseID: Int, rules: OutRules) async throws {
        guard rules.allocates, backdated == nil else { return }
        var requests: [(key: Int, productID: Int, warehouseID: Int, method: LotSerialClass.IssueMethod, earliestExpiry: CalendarDate)] = []
        for (index, line) in lines.enumerated() where line.picks.isEmpty && line.unitCost == nil {
            guard let context = knownProduct(line.product), let lotSerialClass = context.lotSerialClass,
                  lotSerialClass.tracking != .none, lotSerialClass.assignment != .use, lotSerialClass.issueMethod != .manual else { continue }
            requests.append((index, context.id, warehouseID, lotSerialClass.issueMethod, earliestExpiry(rules)))
        }
        guard requests.count > 1 else { return }
        setPrefetchedPages(try await Allocation.firstPages(db, requests))
    }

    /// A line's candidates until `quantity` is covered: its prefetched page, less what this
    /// document took from those lots since, when that covers it; otherwise read now.
    private mutating func candidates(_ index: Int, _ context: ProductContext, warehouseID: Int, method: LotSerialClass.IssueMethod,
                                     quantity: Int, earliestExpiry: CalendarDate) async throws -> [Allocation.Candidate] {
        if let page = takePrefetchedPage(index) {
            var found: [Allocation.Candidate] = []
            var covered = 0
            for candidate in page where covered < quantity {
                let left = candidate.quantity + stockChange(product: context.id, warehouse: warehouseID, lot: candidate.lot.id)
                guard left > 0 else { continue }
                found.append(Allocation.Candidate(lot: candidate.lot, quantity: left, received: candidate.received))
                covered += left
            }
            if covered >= quantity {
                allocatedLots.formUnion(found.map(\.lot.id))
                return found
            }
        }
        try await flushOuts()
        let found = try await Allocation.candidates(db, productID: context.id, warehouseID: warehouseID, method: method,
                                                    quantity: quantity, earliestExpiry: earliestExpiry, backdated: backdated)
        allocatedLots.formUnion(found.map(\.lot.id))
        return found
    }

    /// One outgoing movement, and the lot's status once its last unit is gone (settled when the
    /// document's pending writes are). Returns its value.
    @discardableResult
    private mutating func out(_ index: Int, _ context: ProductContext, _ warehouseID: Int, _ warehouse: String,
                              _ lot: LotRecord?, _ amount: Int, _ override: String?, _ rules: OutRules) async throws -> Int {
        let value = try await move(line: index, context, warehouseID: warehouseID, warehouse: warehouse, lot: lot, quantity: -amount,
                                   override: override, deferred: true)
        if let lot, let status = rules.statusWhenGone { setStatusWhenGone(lot.id, status) }
        return value
    }

    /// Refuses a line that names numbers never received, naming every one of them (not only the
    /// first), unless unknown serials are allowed for the product.
    private func refuseUnknown(_ numbers: [String], _ context: ProductContext, rules: OutRules) async throws {
        if context.tracking == .serial, rules.allowsUnknownSerials, context.product.allowsUnknownSerials { return }
        var known = Set<String>()
        for chunk in numbers.chunks(of: 500) {
            for row in try await db.raw("""
                SELECT number FROM lot_serials WHERE product_id = \(bind: context.id) AND number IN (\(binds: chunk))
                """).all() {
                known.insert(try row.string("number"))
            }
        }
        var unknown: [String] = []
        for number in numbers where !known.contains(number) && !unknown.contains(number) { unknown.append(number) }
        guard unknown.count > 1 else { return }
        throw RegistryError(.notFound,
            "\(context.kindName)s \(unknown.joined(separator: ", ")) of product \(context.product.article) were never received\(context.tracking == .serial ? " (the product does not allow unknown serials)" : "")")
    }

    /// A lot or serial the user named: it must exist (or be allowed as an unknown serial) and,
    /// for issues, be usable; overrides are returned to be recorded on the movement.
    private mutating func namedLot(_ number: String, _ index: Int, _ context: ProductContext, warehouseID: Int, warehouse: String,
                                   amount: Int, rules: OutRules) async throws -> (LotRecord, String?) {
        guard let lot = try await lockLot(context.id, number, recall: rules.checksUsability) else {
            if context.tracking == .serial, rules.allowsUnknownSerials, context.product.allowsUnknownSerials {
                return (try await unknownSerial(number, index, context, warehouseID: warehouseID, warehouse: warehouse, amount: amount), "unknown serial, flagged")
            }
            throw RegistryError(.notFound,
                "\(context.kindName) \(number) of product \(context.product.article) was never received\(context.tracking != .serial ? "" : !context.product.allowsUnknownSerials ? " (the product does not allow unknown serials)" : rules.statusWhenGone == .consumed ? " (a production consumes no unknown serials)" : "")"
                    + (try await numberElsewhere(number, context)))
        }
        var overrides: [String] = []
        if rules.checksUsability {
            switch lot.status {
            case .blocked:
                if let recall = lot.recall, recall.state == Recall.State.held.rawValue {
                    throw RegistryError(.recalled,
                        "\(context.kindName) \(number) of \(context.product.article) is blocked by recall \(recall.id) (\(recall.state)): it cannot be \(rules.goneVerb)")
                }
                // Blocked by hand (`status --set blocked`), or by a recall closed since, whose
                // block stays until released: the block's own reason is said, not an open recall
                // that never held it (found by QA runs).
                let reason = try await db.raw("""
                    SELECT reason FROM lot_serial_events WHERE lot_serial_id = \(bind: lot.id) AND to_status = 'blocked' ORDER BY id DESC LIMIT 1
                    """).first()?.optionalString("reason").flatMap { $0.isEmpty ? nil : " (\($0))" } ?? ""
                let open = lot.recall.map { "; it is also under recall \($0.id) (\($0.state))" } ?? ""
                throw RegistryError(lot.recall == nil ? .conflict : .recalled,
                    "\(context.kindName) \(number) of \(context.product.article) is blocked\(reason): it cannot be \(rules.goneVerb) until it is released (status --set available)\(open)")
            case .voided:
                throw RegistryError(.numberRetired, "\(context.kindName) \(number) of \(context.product.article) was voided: it is never used")
            case .quarantined:
                guard rules.allowQuarantined else {
                    // A production has no such override: it was named, and `produce` refused the
                    // option it named (found by a QA run).
                    throw RegistryError(.conflict, rules.statusWhenGone == .consumed
                        ? "\(context.kindName) \(number) of \(context.product.article) is quarantined: release it before it is consumed (status --set available), or use another \(context.kindName)"
                        : "\(context.kindName) \(number) of \(context.product.article) is quarantined: release it first, or override explicitly (--allow-quarantined; allowQuarantined in a supervisor's request)")
                }
                overrides.append("quarantined")
            default: break
            }
            if let recall = lot.recall, lot.status != .blocked {
                guard rules.allowRecalled else {
                    throw RegistryError(.recalled,
                        "\(context.kindName) \(number) of \(context.product.article) is under recall \(recall.id) (\(recall.state)): it must not move until the recall is closed, unless a supervisor overrides it (--allow-recalled; allowRecalled in a request)")
                }
                overrides.append("under recall \(recall.id) (\(recall.state))")
            }
            if let expired = try expiryOverride(lot.expiry, "\(context.kindName) \(number) of \(context.product.article)", rules) {
                overrides.append(expired)
            }
        }
        return (lot, overrides.isEmpty ? nil : overrides.joined(separator: ", "))
    }

    /// The override an issue of goods expiring on `expiry` needs (`expired …`), or nil; refused
    /// when expired without `allowExpired`, or with less shelf life left than the customer requires.
    private func expiryOverride(_ expiry: CalendarDate?, _ what: String, _ rules: OutRules) throws -> String? {
        guard let expiry else { return nil }
        if expiry < date {
            // A production has no such override: its advice named one that did not exist there
            // (found by a QA run).
            if rules.statusWhenGone == .consumed {
                throw RegistryError(.conflict,
                    "\(what) expired on \(expiry): a production does not consume expired goods; use other stock, or write it off")
            }
            guard rules.allowExpired else {
                throw RegistryError(.conflict,
                    "\(what) expired on \(expiry): issuing it needs an explicit override (--allow-expired; allowExpired in a supervisor's request)")
            }
            return "expired \(expiry)"
        }
        if let shelfLife = rules.minimumShelfLife, expiry.daysSinceEpoch - date.daysSinceEpoch < shelfLife.days {
            throw RegistryError(.conflict,
                "\(what) expires on \(expiry), \(expiry.daysSinceEpoch - date.daysSinceEpoch) days after \(date); \(shelfLife.who) requires at least \(shelfLife.days) days")
        }
        return nil
    }

    /// The overrides of the movements that give a number its unit of unnumbered stock: history
    /// shows them as `assigned`, not as part of the document's own movement.
    static let unknownSerialAssignment = "unknown serial, flagged for investigation"
    static let assignmentOnUse = "assigned on use"
    static let numbersAssignedOnUse = "numbers assigned on use"
    /// The start of the override of the unnumbered side of an unknown serial's unit.
    static let assignedToUnknownSerial = "assigned to unknown serial "

    /// Whether `movement` (an alias of `movements`) is goods moving, not one of the pair of
    /// movements inside an issue, production or other document that only gives a number its unit
    /// of unnumbered stock (numbers assigned on use, an unknown serial). What went to or came
    /// from a partner is counted over these only: counted with the pair, a lot numbered as it was
    /// issued was delivered +25 − 25 = 0, and its customer was missing from its recall.
    static func goodsMoving(_ movement: String) -> SQLQueryString {
        """
        COALESCE(\(unsafeRaw: movement).override, '') NOT IN (\(bind: assignmentOnUse), \(bind: numbersAssignedOnUse), \(bind: unknownSerialAssignment)) \
        AND COALESCE(\(unsafeRaw: movement).override, '') NOT LIKE \(bind: assignedToUnknownSerial + "%")
        """
    }

    /// A serial named in a transaction without ever being received, for a product that allows it:
    /// created, flagged for investigation, and given a unit of the product's stock without number.
    private mutating func unknownSerial(_ number: String, _ index: Int, _ context: ProductContext, warehouseID: Int, warehouse: String,
                                        amount: Int) async throws -> LotRecord {
        try Registry.validateNumber(number, product: context.product.article)
        try await Registry.refuseRetired(db, productID: context.id, article: context.product.article, number: number)
        // A number its class keeps unique across products, held by another product, is no
        // unknown serial of this one: the label or the product is wrong.
        if context.lotSerialClass?.uniqueness == .global, let owner = try await db.raw("""
            SELECT p.article FROM lot_serials ls JOIN products p ON p.id = ls.product_id WHERE ls.global_number = \(bind: number)
            """).first()?.string("article") {
            throw RegistryError(.conflict,
                "serial \(number) belongs to product \(owner), not \(context.product.article) (its class keeps numbers unique across products): check the label, or the product")
        }
        // Its unit comes from the stock without numbers: when there is too little, said as that,
        // not as "PHONE without a number: W1 holds 0 pcs, not the 1 asked for" (found by a QA run).
        try await flushOuts()
        let unnumbered = try await Registry.unnumberedStock(db, product: context.id, warehouse: warehouseID)
        guard unnumbered >= amount else {
            throw RegistryError(.conflict,
                "serial \(number) of \(context.product.article) was never received: an unknown serial takes a unit of the product's stock without a number, and \(warehouse) has \(Quantity(storage: max(0, unnumbered))) \(context.product.unit) of it left\(context.lotSerialClass?.assignment == .receipt ? " (its class numbers goods as they are received)" : ""); receive it, or name a serial in stock"
                    + (try await numberElsewhere(number, context)))
        }
        let id = try await db.raw("""
            INSERT INTO lot_serials (product_id, kind, number, global_number, status, flagged, origin, created_at, sort_key)
            VALUES (\(bind: context.id), 'serial', \(bind: number),
                    \(bind: context.lotSerialClass?.uniqueness == .global ? number : nil), 'available', 1, 'unknown', \(bind: created),
                    \(bind: NaturalOrder.key(number)))
            RETURNING id
            """).first()!.int("id")
        let lot = LotRecord(id: id, number: number, status: .available, expiry: nil)
        let value = try await move(line: index, context, warehouseID: warehouseID, warehouse: warehouse, lot: nil, quantity: -amount,
                                   override: Posting.assignedToUnknownSerial + number)
        try await move(line: index, context, warehouseID: warehouseID, warehouse: warehouse, lot: lot, quantity: amount,
                       override: Posting.unknownSerialAssignment, cost: .value(-value))
        return lot
    }

    /// Classes that number goods when they are used: stock numbered already (by `assign`, or
    /// returned) goes first, in the class's issue order, as a proposal lists it; the rest is
    /// taken from stock without a number and numbered now (serials one per unit, lots one per line).
    private mutating func assignOnUse(_ line: StockLine, _ index: Int, _ context: ProductContext, quantity: Int,
                                      warehouseID: Int, warehouse: String, rules: OutRules) async throws -> [Taken] {
        guard context.lotSerialClass?.format != nil else {
            throw RegistryError(.invalidInput,
                "product \(line.product): class \(context.lotSerialClass!.code) assigns numbers on use but has no number format; name the \(context.kindName)s")
        }
        var taken: [Taken] = []
        var quantity = quantity
        if rules.allocates, let method = context.lotSerialClass?.issueMethod, method != .manual {
            let numbered = try await candidates(index, context, warehouseID: warehouseID, method: method, quantity: quantity,
                                                earliestExpiry: earliestExpiry(rules))
            let available = numbered.reduce(0) { $0 + $1.quantity }
            if available < quantity {
                try await flushOuts()
                let unnumbered = try await Registry.unnumberedStock(db, product: context.id, warehouse: warehouseID)
                if available + unnumbered < quantity {
                    let unit = context.product.unit
                    // Unnumbered stock is counted in the message itself.
                    let why = try await withheld(context, warehouseID: warehouseID, rules: rules, except: .unnumbered)
                    throw RegistryError(.conflict,
                        "product \(line.product): \(warehouse) has \(Quantity(storage: available)) \(unit) numbered and \(Quantity(storage: max(0, unnumbered))) \(unit) without a number available to \(takingVerb), not the \(Quantity(storage: quantity)) asked for\(why)")
                }
            }
            for candidate in numbered where quantity > 0 {
                let amount = min(quantity, candidate.quantity)
                let value = try await out(index, context, warehouseID, warehouse, candidate.lot, amount, nil, rules)
                taken.append(Taken(lot: candidate.lot, amount: amount, value: value))
                quantity -= amount
            }
            if quantity == 0 { return taken }
        }
        let count = context.isUniqueSerial ? quantity / Quantity.scale : 1
        // The numbers made now take the line's expiry: held to the same rules as a named lot's
        // (an issue numbered on use shipped expired goods without an override; found by a QA run).
        let expired = rules.checksUsability
            ? try expiryOverride(line.expiry, "line for \(line.product): what it numbers now", rules) : nil
        let unnumbered = try await move(line: index, context, warehouseID: warehouseID, warehouse: warehouse, lot: nil, quantity: -quantity,
                                        override: Posting.numbersAssignedOnUse)
        var share = ValueShare(value: -unnumbered, quantity: quantity)
        // Whether the goods may go expired is this document's rules' (`expired`), not a receipt's.
        var lots: [LotRecord] = []
        if let lot = try await dayLot(line, context, quantity: quantity, rules: InRules(acceptExpired: true, numbersStock: true)) {
            lots = [lot]
        } else {
            let generated = try await registry.generate(db, product: line.product, count: count, date: date, expiry: line.expiry,
                                                        production: line.production, reference: try await takeNumber(), created: created)
            for number in generated.numbers { lots.append(try await lockLot(context.id, number)!) }
        }
        let each = quantity / count
        for lot in lots {
            try await move(line: index, context, warehouseID: warehouseID, warehouse: warehouse, lot: lot, quantity: each,
                           override: Posting.assignmentOnUse, cost: .value(share.take(each)))
            let value = try await out(index, context, warehouseID, warehouse, lot, each, expired, rules)
            try await markReceived(lot.id)
            taken.append(Taken(lot: lot, amount: each, value: value))
        }
        return taken
    }
}
