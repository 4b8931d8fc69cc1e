public import Foundation
public import GS1
public import SQLKit
import Store

extension Registry {
    /// Posts a receipt: goods from a supplier into a warehouse, with the lots/serials given or
    /// generated per each product's class. Whole or not at all; the document takes its number
    /// only when it posts.
    public func receive(_ receipt: Receipt) async throws -> PostedDocument {
        try await postRetrying { db in try await receive(db, receipt) }
    }

    /// Posts a receipt inside the caller's transaction (`store.write`), so that a station can post
    /// it together with what it records of the scan that completed it.
    public func receive(_ db: any SQLDatabase, _ receipt: Receipt) async throws -> PostedDocument {
        try Self.requireLines(receipt.lines, "receipt")
        let (warehouseID, supplier) = try await Posting.warehouse(db, receipt.warehouse, partner: receipt.supplier, as: .supplier)
        let supplierID = supplier?.0
        var posting = try await Posting.begin(self, db, kind: .receipt, header: receipt.header, partnerID: supplierID, warehouseID: warehouseID,
                                              products: receipt.lines.map(\.product), lines: receipt.lines)
        try await posting.prefetchNewNumbers(receipt.lines)
        for (index, line) in receipt.lines.enumerated() {
            try await posting.putIn(line, index: index, warehouseID: warehouseID, warehouse: receipt.warehouse,
                                    rules: InRules(acceptExpired: receipt.acceptExpired, takesUnitCost: true))
        }
        let posted = try await posting.finish()
        // A number received again (a unit bought back, a write-off corrected) that a held recall
        // covers arrives blocked, as a return does.
        try await Self.followRecalls(db, documentID: posting.documentID, user: receipt.header.user, at: posting.created)
        return posted
    }

    /// Posts an issue (a sale) to a customer. Lines without named lots/serials take those the
    /// class's issue method proposes; named ones must be usable, or explicitly overridden.
    public func issue(_ issue: Issue) async throws -> PostedDocument {
        try await postRetrying { db in try await self.issue(db, issue) }
    }

    /// Posts an issue inside the caller's transaction (`store.write`), so that a picking station
    /// can post it together with what it records of the scan that completed it.
    public func issue(_ db: any SQLDatabase, _ issue: Issue) async throws -> PostedDocument {
        try Self.requireLines(issue.lines, "issue")
        let (warehouseID, partner) = try await Posting.warehouse(db, issue.warehouse, partner: issue.customer, as: .customer)
        var customerID: Int?
        var shelfLife: (days: Int, who: String)?
        if let days = issue.minimumShelfLifeDays { shelfLife = (days, "this order") }
        if let code = issue.customer, let (id, customer) = partner {
            customerID = id
            if shelfLife == nil, let days = customer.minimumShelfLifeDays { shelfLife = (days, "customer \(code)") }
        }
        var posting = try await Posting.begin(self, db, kind: .issue, header: issue.header, partnerID: customerID, warehouseID: warehouseID,
                                              products: issue.lines.map(\.product), lines: issue.lines)
        let rules = OutRules(statusWhenGone: .shipped, allowExpired: issue.allowExpired, allowQuarantined: issue.allowQuarantined,
                             allowRecalled: issue.allowRecalled, minimumShelfLife: shelfLife)
        try await posting.prefetchCandidates(issue.lines, warehouseID: warehouseID, rules: rules)
        // What an issue takes is only recorded (nothing it posts later needs the value at once).
        posting.defersOutgoingStock = true
        for (index, line) in issue.lines.enumerated() {
            try await posting.takeOut(line, index: index, warehouseID: warehouseID, warehouse: issue.warehouse, rules: rules)
        }
        return try await posting.finish()
    }

    /// Posts a transfer between two warehouses; lots and serials keep their identity.
    public func transfer(_ transfer: Transfer) async throws -> PostedDocument {
        try Self.requireLines(transfer.lines, "transfer")
        guard transfer.from != transfer.to else {
            throw RegistryError(.invalidInput, "transfer from \(transfer.from) to \(transfer.to): the two warehouses must differ")
        }
        return try await postRetrying { db in
            let fromID = try await Posting.warehouse(db, transfer.from)
            let toID = try await Posting.warehouse(db, transfer.to)
            var posting = try await Posting.begin(self, db, kind: .transfer, header: transfer.header, warehouseID: fromID, toWarehouseID: toID,
                                                  products: transfer.lines.map(\.product), lines: transfer.lines)
            for (index, line) in transfer.lines.enumerated() {
                let taken = try await posting.takeOut(line, index: index, warehouseID: fromID, warehouse: transfer.from,
                                                      rules: OutRules(statusWhenGone: nil, checksUsability: false))
                let context = try await posting.product(line.product)
                // The goods arrive at the cost they left at.
                for part in taken {
                    try await posting.move(line: index, context, warehouseID: toID, warehouse: transfer.to, lot: part.lot, quantity: part.amount,
                                           cost: .value(-part.value))
                }
            }
            return try await posting.finish()
        }
    }

    /// Posts a production: consumes the inputs, produces the outputs, and links each output lot or
    /// serial to the inputs it consumed (genealogy, for tracing both ways).
    public func produce(_ production: Production) async throws -> PostedDocument {
        try Self.requireLines(production.inputs, "production's input list")
        return try await postRetrying { db in try await self.produce(db, production) }
    }

    /// ``produce(_:)`` inside an open transaction (a production line posts each verified unit
    /// with its scan). Inputs may be none here: a line whose components are not tracked still
    /// posts what it made.
    public func produce(_ db: any SQLDatabase, _ production: Production) async throws -> PostedDocument {
        try Self.requireLines(production.outputs, "production's output list")
        for (offset, output) in production.outputs.enumerated() {
            for (position, input) in (output.inputs ?? []).enumerated() where !production.inputs.indices.contains(input) {
                let there = production.inputs.isEmpty ? "there are no inputs"
                    : production.inputs.count == 1 ? "there is 1 input (inputs[0])" : "there are \(production.inputs.count) inputs (inputs[0] to inputs[\(production.inputs.count - 1)])"
                throw RegistryError(.invalidInput, "outputs[\(offset)].inputs[\(position)]: \(input) is not an input: \(there)")
            }
        }
        try production.refuseUnlinkedLines()
        let warehouseID = try await Posting.warehouse(db, production.warehouse)
        var posting = try await Posting.begin(self, db, kind: .production, header: production.header, warehouseID: warehouseID,
                                              products: (production.inputs + production.outputs).map(\.product), lines: production.inputs + production.outputs)
        for (index, line) in production.inputs.enumerated() {
            try await posting.takeOut(line, index: index, warehouseID: warehouseID, warehouse: production.warehouse,
                                      rules: OutRules(statusWhenGone: .consumed, allowRecalled: production.allowRecalled,
                                                     allowsUnknownSerials: false))
        }
        let firstOutput = production.inputs.count
        let values = try await outputValues(production, &posting)
        for (offset, line) in production.outputs.enumerated() {
            try await posting.putIn(line, index: firstOutput + offset, warehouseID: warehouseID, warehouse: production.warehouse,
                                    rules: InRules(makesNewUnits: true),
                                    value: values[offset])
        }
        // Which input lines each output line consumed, tracked or not ("made from" lists each with
        // its quantity), and the lots and serials on both sides (genealogy): each in one statement
        // per thousand rows, not one per pair.
        struct Pair: Hashable { let output: Int, input: Int }
        var lineLinks: [Pair] = []
        var lotLinks = Set<Pair>()
        for offset in production.outputs.indices {
            let inputLines = production.inputLines(of: offset)
            lineLinks += Set(inputLines).sorted().map { Pair(output: firstOutput + offset, input: $0) }
            let inputs = Set(inputLines.flatMap { posting.lotsByLine[$0] ?? [] })
            for output in Set(posting.lotsByLine[firstOutput + offset] ?? []) {
                lotLinks.formUnion(inputs.map { Pair(output: output, input: $0) })
            }
        }
        try await Self.refuseCycles(db, Array(lotLinks).map { ($0.output, $0.input) })
        for (table, columns, pairs) in [("production_links", ["output_line", "input_line"], lineLinks),
                                        ("genealogy", ["output_id", "input_id"], Array(lotLinks))] {
            for chunk in pairs.chunks(of: 1000) {
                var insert = db.insert(into: table).columns(["document_id"] + columns)
                for pair in chunk { insert = insert.values(SQLBind(posting.documentID), SQLBind(pair.output), SQLBind(pair.input)) }
                try await insert.run()
            }
        }
        let posted = try await posting.finish()
        try await Self.followRecalls(db, documentID: posting.documentID, user: production.header.user, at: posting.created)
        return posted
    }

    /// A lot or serial cannot be made from itself, nor from anything made from it: the genealogy
    /// would run in a circle, and a trace would say a lot went into its own ingredients (found by
    /// a QA run). Reworked goods come out under a number of their own.
    static func refuseCycles(_ db: any SQLDatabase, _ links: [(output: Int, input: Int)]) async throws {
        guard !links.isEmpty else { return }
        let outputs = Set(links.map(\.output)), inputs = Set(links.map(\.input))
        var circular = outputs.intersection(inputs).first
        if circular == nil {
            // Each input's ancestors, through earlier productions: none may be an output now.
            circular = try await db.raw("""
                WITH RECURSIVE up(id) AS (
                    SELECT id FROM lot_serials WHERE id IN (\(binds: inputs.sorted()))
                    UNION SELECT g.input_id FROM genealogy g JOIN up ON g.output_id = up.id)
                SELECT id FROM up WHERE id IN (\(binds: outputs.sorted())) LIMIT 1
                """).first()?.int("id")
        }
        guard let circular else { return }
        let row = try await db.raw("""
            SELECT l.kind, l.number, p.article FROM lot_serials l JOIN products p ON p.id = l.product_id WHERE l.id = \(bind: circular)
            """).first()
        let what = try row.map { "\(try $0.string("kind")) \(try $0.string("number")) of \(try $0.string("article"))" } ?? "a lot"
        throw RegistryError(.invalidInput, inputs.contains(circular) && outputs.contains(circular)
            ? "\(what) is both an input and an output of this production: a lot cannot be made from itself; give what comes out a number of its own"
            : "\(what) would be made from goods that were made from it: give what comes out a number of its own")
    }

    /// What each output line of a production is worth: each input line's value shared by the
    /// output lines that consumed it, and the added cost shared by all, in proportion to their
    /// quantities; so that the outputs together cost exactly their inputs plus the added cost.
    private func outputValues(_ production: Production, _ posting: inout Posting) async throws -> [Int] {
        let added = try production.addedCost.map { try Money($0, what: "added cost") }?.storage ?? 0
        guard added >= 0 else { throw RegistryError(.invalidInput, "the production's added cost \(production.addedCost!) is below zero") }
        var quantities: [Int] = []
        for (offset, line) in production.outputs.enumerated() {
            do {
                quantities.append(try posting.quantity(of: line, try await posting.product(line.product)))
            } catch let error as RegistryError {
                throw error.onLine(production.inputs.count + offset)
            }
        }
        var values = Array(repeating: 0, count: production.outputs.count)
        func spread(_ value: Int, over lines: [Int]) {
            var share = ValueShare(value: value, quantity: lines.reduce(0) { $0 + quantities[$1] })
            for line in lines { values[line] += share.take(quantities[line]) }
        }
        for input in production.inputs.indices {
            let consumers = production.outputs.indices.filter { production.inputLines(of: $0).contains(input) }
            spread(-(posting.valueByLine[input] ?? 0), over: consumers.isEmpty ? Array(production.outputs.indices) : consumers)
        }
        spread(added, over: Array(production.outputs.indices))
        return values
    }

    /// The most numbers one assignment makes.
    public static let mostAssigned = 100_000

    /// Numbers stock received without numbers (beyond the class's auto-generate batch size, or
    /// for a class that numbers on use), in place and in one transaction: `count` numbers made by
    /// the class's format, or the `numbers` given. Serials take one unit each; a lot takes
    /// `quantity` (default: all of the warehouse's stock without a number). Posted as an
    /// `assignment` document, so the ledger shows the stock leaving "without a number" and coming
    /// back under its numbers.
    public func assign(product article: String, warehouse: String, count: Int? = nil, numbers: [String] = [],
                       quantity: Decimal? = nil, expiry: CalendarDate? = nil, production: CalendarDate? = nil,
                       header: DocumentHeader = .init()) async throws -> PostedDocument {
        guard (count == nil) != numbers.isEmpty else {
            throw RegistryError(.invalidInput, "assigning numbers to \(article): give either a count or the numbers")
        }
        if let count, !(1...Self.mostAssigned).contains(count) {
            throw RegistryError(.invalidInput, "assigning numbers to \(article): count \(count) must be from 1 to \(Self.mostAssigned)")
        }
        let line = StockLine(product: article, quantity: quantity, picks: numbers.map { StockLine.Pick(number: $0, expiry: expiry, production: production) },
                             expiry: expiry, production: production)
        return try await postRetrying { db in
            let warehouseID = try await Posting.warehouse(db, warehouse)
            var posting = try await Posting.begin(self, db, kind: .assignment, header: header, warehouseID: warehouseID)
            try await posting.assignNumbers(line, count: count, warehouseID: warehouseID, warehouse: warehouse)
            return try await posting.finish()
        }
    }

    /// Posts a customer return: known lots/serials come back into a warehouse, available again.
    public func returnFromCustomer(_ customerReturn: CustomerReturn) async throws -> PostedDocument {
        try Self.requireLines(customerReturn.lines, "return")
        return try await postRetrying { db in
            let (warehouseID, customer) = try await Posting.warehouse(db, customerReturn.warehouse, partner: customerReturn.customer, as: .customer)
            let customerID = customer?.0
            var posting = try await Posting.begin(self, db, kind: .return, header: customerReturn.header, partnerID: customerID,
                                                  warehouseID: warehouseID, products: customerReturn.lines.map(\.product), lines: customerReturn.lines)
            for (index, line) in customerReturn.lines.enumerated() {
                try await posting.putIn(line, index: index, warehouseID: warehouseID, warehouse: customerReturn.warehouse,
                                        rules: InRules(isReturn: true))
            }
            let posted = try await posting.finish()
            try await Self.followRecalls(db, documentID: posting.documentID, user: customerReturn.header.user, at: posting.created)
            return posted
        }
    }

    /// Posts a write-off with its reason. Lots and serials must be named: the registry does not
    /// guess which goods were damaged.
    public func writeOff(_ writeOff: WriteOff) async throws -> PostedDocument {
        try Self.requireLines(writeOff.lines, "write-off")
        return try await postRetrying { db in
            let warehouseID = try await Posting.warehouse(db, writeOff.warehouse)
            var posting = try await Posting.begin(self, db, kind: .writeOff, header: writeOff.header, warehouseID: warehouseID,
                                                  reason: writeOff.reason.rawValue, products: writeOff.lines.map(\.product), lines: writeOff.lines)
            for (index, line) in writeOff.lines.enumerated() {
                try await posting.takeOut(line, index: index, warehouseID: warehouseID, warehouse: writeOff.warehouse,
                                          rules: OutRules(statusWhenGone: .writtenOff, checksUsability: false, allocates: false))
            }
            return try await posting.finish()
        }
    }

    /// Splits part of a lot into a new lot (part of a pallet relabelled), which keeps the link to
    /// its parent and inherits its dates and attributes. The new number is given, or generated.
    public func split(product article: String, lot number: String, warehouse: String, quantity: Decimal,
                      newNumber: String? = nil, header: DocumentHeader = .init()) async throws -> (PostedDocument, String) {
        let number = number.trimmingSpaces
        let newNumber = newNumber?.trimmingSpaces
        return try await postRetrying { db in
            let warehouseID = try await Posting.warehouse(db, warehouse)
            var posting = try await Posting.begin(self, db, kind: .split, header: header, warehouseID: warehouseID)
            let context = try await posting.product(article)
            guard context.tracking == .lot else {
                throw RegistryError(.invalidInput, "product \(article) is not tracked by lot: only lots can be split")
            }
            guard let parent = try await posting.lockLot(context.id, number) else {
                throw RegistryError(.notFound, "lot \(number) of product \(article) does not exist")
            }
            let amount = try Quantity(quantity).storage
            try context.product.checkDecimals(amount)
            let held = try await db.raw("""
                SELECT quantity FROM stock WHERE product_id = \(bind: context.id) AND warehouse_id = \(bind: warehouseID) AND lot_serial_id = \(bind: parent.id)
                """).first()?.int("quantity") ?? 0
            guard held > 0 else {
                throw RegistryError(.conflict, "split of lot \(number): \(warehouse) holds none of it; split it where it is")
            }
            guard amount > 0, amount < held else {
                throw RegistryError(.invalidInput,
                    "split of lot \(number): the quantity must be more than 0 and less than the \(Quantity(storage: held)) \(context.product.unit) it holds in \(warehouse), not \(quantity)")
            }
            let childNumber: String
            if let newNumber {
                try Self.validateNumber(newNumber, product: article)
                try await Self.refuseRetired(db, productID: context.id, article: article, number: newNumber)
                do {
                    try await Self.guarded(db) {
                        try await db.raw("""
                            INSERT INTO lot_serials (product_id, kind, number, global_number, expiry, production, status, flagged, origin, created_at, sort_key)
                            SELECT product_id, kind, \(bind: newNumber), CASE WHEN global_number IS NULL THEN NULL ELSE \(bind: newNumber) END,
                                   expiry, production, status, 0, 'entered', \(bind: posting.created), \(bind: NaturalOrder.key(newNumber))
                            FROM lot_serials WHERE id = \(bind: parent.id)
                            """).run()
                    }
                } catch where DatabaseErrors.uniqueViolation(error) != nil {
                    throw try await Self.numberExists(db, article: article, number: newNumber, global: context.lotSerialClass?.uniqueness == .global)
                }
                childNumber = newNumber
            } else {
                childNumber = try await generate(db, product: article, count: 1, date: posting.date, expiry: parent.expiry,
                                                 production: nil, reference: try await posting.takeNumber(), created: posting.created).numbers[0]
            }
            let child = try await posting.lockLot(context.id, childNumber)!
            try await db.raw("""
                UPDATE lot_serials SET parent_id = \(bind: parent.id),
                    received_at = (SELECT received_at FROM lot_serials WHERE id = \(bind: parent.id)),
                    received_on = (SELECT received_on FROM lot_serials WHERE id = \(bind: parent.id)),
                    expiry = (SELECT expiry FROM lot_serials WHERE id = \(bind: parent.id)),
                    production = (SELECT production FROM lot_serials WHERE id = \(bind: parent.id)),
                    status = (SELECT status FROM lot_serials WHERE id = \(bind: parent.id))
                WHERE id = \(bind: child.id)
                """).run()
            try await db.raw("""
                INSERT INTO lot_serial_attributes (lot_serial_id, name, kind, value)
                SELECT \(bind: child.id), name, kind, value FROM lot_serial_attributes WHERE lot_serial_id = \(bind: parent.id)
                ON CONFLICT (lot_serial_id, name) DO NOTHING
                """).run()
            let value = try await posting.move(line: 0, context, warehouseID: warehouseID, warehouse: warehouse, lot: parent, quantity: -amount,
                                               override: "split into \(childNumber)")
            try await posting.move(line: 0, context, warehouseID: warehouseID, warehouse: warehouse, lot: child, quantity: amount,
                                   override: "split from \(number)", cost: .value(-value))
            let posted = try await posting.finish()
            try await Self.followRecalls(db, documentID: posting.documentID, user: header.user, at: posting.created)
            return (posted, childNumber)
        }
    }

    /// Puts a lot or serial in quarantine, blocks it (recall) or releases it; each change is a
    /// recorded event with who and why.
    ///
    /// `expecting` is given the lot or serial as it is, read in the change's own transaction
    /// (its row locked), and throws to refuse the change (an HTTP `If-Match`, as a compare-and-set).
    public func changeStatus(product article: String, number: String, to status: LotSerial.Status, user: String,
                             reason: String, expecting: (@Sendable (LotSerial) throws -> Void)? = nil) async throws -> LotSerial {
        try await changeStatusSaying(product: article, number: number, to: status, user: user, reason: reason, expecting: expecting).lot
    }

    /// ``changeStatus(product:number:to:user:reason:expecting:)``, and the status it had when
    /// it was changed, read in the same transaction: read before, in another, two people changing
    /// it at once were told "nothing changed" of a change they made (found by a QA run).
    public func changeStatusSaying(product article: String, number: String, to status: LotSerial.Status, user: String,
                                   reason: String, expecting: (@Sendable (LotSerial) throws -> Void)? = nil)
        async throws -> (lot: LotSerial, was: LotSerial.Status) {
        let number = number.trimmingSpaces
        // Who changed it is the audit trail's other half: an empty name was kept (a QA run).
        guard !user.trimmingSpaces.isEmpty else {
            throw RegistryError(.invalidInput, "changing the status of \(number): say who changes it (the user is empty)")
        }
        guard [.available, .quarantined, .blocked].contains(status) else {
            throw RegistryError(.invalidInput, "status \(status.rawValue) comes from documents; set available, quarantined or blocked")
        }
        guard !reason.trimmingSpaces.isEmpty else {
            throw RegistryError(.invalidInput, "changing the status of \(number): give a reason")
        }
        return try await postRetrying { db in
            guard let (productID, _) = try await Self.fetchProduct(db, article: article) else {
                throw RegistryError(.notFound, "product \(article) does not exist")
            }
            guard let row = try await db.raw("""
                UPDATE lot_serials SET status = status WHERE product_id = \(bind: productID) AND number = \(bind: number) RETURNING id, status
                """).first() else {
                throw RegistryError(.notFound, "product \(article) has no lot or serial \(number)")
            }
            // Its time once the row is ours: taken before, two changes at once were stamped in the
            // other order than they were made, and history showed an impossible chain (a QA run).
            let created = self.now
            let id = try row.int("id")
            if let expecting, let current = try await Self.fetchLotSerial(db, id: id) { try expecting(current) }
            let old = try row.enumeration("status", as: LotSerial.Status.self)
            guard [.available, .quarantined, .blocked].contains(old) else {
                throw RegistryError(.conflict, "\(number) of \(article) is \(old.rawValue), no longer in stock: its status cannot change")
            }
            guard old != status else { return (try await Self.fetchLotSerial(db, id: id)!, old) }
            try await Self.setStatus(db, lot: id, from: old, to: status, user: user, reason: reason, at: created)
            return (try await Self.fetchLotSerial(db, id: id)!, old)
        }
    }

    /// Sets a lot's or serial's status and records the change as an event with who and why, in
    /// the caller's transaction.
    static func setStatus(_ db: any SQLDatabase, lot id: Int, from old: LotSerial.Status, to status: LotSerial.Status,
                          user: String, reason: String, at created: String) async throws {
        try await db.raw("UPDATE lot_serials SET status = \(bind: status.rawValue) WHERE id = \(bind: id)").run()
        try await db.raw("""
            INSERT INTO lot_serial_events (lot_serial_id, from_status, to_status, user_name, reason, created_at)
            VALUES (\(bind: id), \(bind: old.rawValue), \(bind: status.rawValue), \(bind: user), \(bind: reason), \(bind: created))
            """).run()
    }

    static func requireLines(_ lines: [StockLine], _ what: String) throws(RegistryError) {
        guard !lines.isEmpty else { throw RegistryError(.invalidInput, "the \(what) has no lines") }
    }
}

extension Production {
    /// The input lines output line `output` consumed: those it names, or else every input.
    func inputLines(of output: Int) -> [Int] { outputs[output].inputs ?? Array(inputs.indices) }

    /// Every output is made of some input and every input goes into some output, when the lines
    /// name their inputs: an output naming none (`inputs: []`), or an input left out of every
    /// output's list, was consumed and costed into the outputs but linked to none of them, so a
    /// trace or recall of that input missed what it went into (found by a QA run's recall drill).
    func refuseUnlinkedLines() throws(RegistryError) {
        for (offset, output) in outputs.enumerated() {
            // An input named twice by one output says nothing more, and may be a typo for another.
            if let list = output.inputs, let twice = list.first(where: { index in list.filter { $0 == index }.count > 1 }) {
                throw RegistryError(.invalidInput,
                    "outputs[\(offset)] (\(output.product)) names inputs[\(twice)] twice: name each input once").onLine(inputs.count + offset)
            }
        }
        guard !inputs.isEmpty else { return }
        for (offset, output) in outputs.enumerated() where output.inputs?.isEmpty == true {
            throw RegistryError(.invalidInput,
                "outputs[\(offset)] (\(output.product)) names no input (inputs: []): name the inputs it was made from, counted from 0, or leave inputs out to link it to every input").onLine(inputs.count + offset)
        }
        let named = Set(outputs.indices.flatMap(inputLines(of:)))
        for (index, input) in inputs.enumerated() where !named.contains(index) {
            throw RegistryError(.invalidInput,
                "inputs[\(index)] (\(input.product)) goes into no output: add \(index) to the inputs of the outputs made from it, or leave inputs out to link every output to every input; a trace or recall of it would otherwise miss what it went into").onLine(index)
        }
    }
}

extension Registry {
    /// A posting in a transaction of its own, run again when PostgreSQL ended it to break a
    /// deadlock, or when a lot it chose itself was taken by another posting first
    /// (``RegistryError/allocationRaced``): what it read is stale, and run again it proposes
    /// anew. Each such refusal means another posting took the lot and committed, so the runs
    /// make progress; a posting among many taking the same first lots may lose several times in
    /// a row (eight runs were not enough for one of six writers in a CI run), so it is given up
    /// only after ``mostPostingRuns``, with the last refusal, which then says what is short.
    func postRetrying<T: Sendable>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        var attempt = 0
        while true {
            do {
                return try await store.writeRetryingDeadlocks(body)
            } catch let error as RegistryError where error.allocationRaced && attempt < Self.mostPostingRuns {
                attempt += 1
                try await Task.sleep(for: .milliseconds(Int.random(in: 1...10) << min(attempt - 1, 3)))
            }
        }
    }

    /// How often a posting whose chosen lot another posting took first is run again.
    static let mostPostingRuns = 50
}
