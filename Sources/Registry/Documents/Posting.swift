import Foundation
import GS1
import Problems
import SQLKit
import Store

/// What the registry knows of a product while posting a line.
struct ProductContext {
    let id: Int
    let product: Product
    let lotSerialClass: LotSerialClass?

    var tracking: LotSerialClass.Tracking { lotSerialClass?.tracking ?? .none }
    var isUniqueSerial: Bool { tracking == .serial && lotSerialClass?.serialQuantity == .unique }
    var kindName: String { tracking == .serial ? "serial" : "lot" }

    /// Whether the stock row of lot `lot` (0: no number) carries a weighted average whose
    /// rounding its last unit out must take with it: a lot's, or stock without a number. A
    /// serial's row holds one unit at its own cost, which leaves no rounding behind.
    func averagesCost(lot: Int) -> Bool { tracking == .lot || lot == 0 }

    /// Refuses what a line of goods without numbers cannot carry: lots or serials, and the dates
    /// that belong to one (given, they were dropped in silence; found by a QA run).
    func refuseNumbers(on line: StockLine) throws(RegistryError) {
        guard tracking == .none else { return }
        if !line.picks.isEmpty {
            throw RegistryError(.invalidInput, "product \(line.product) is not tracked: name no lots or serials for it")
        }
        if line.expiry != nil || line.production != nil {
            throw RegistryError(.invalidInput,
                "product \(line.product) is not tracked: it has no lots to carry \(line.expiry != nil ? "an expiry" : "a production date"); leave it out, or track the product by lot")
        }
    }
}

/// A product's number, as a key.
struct NumberKey: Hashable {
    let product: Int
    let number: String
}

/// A lot or serial as the posting engine needs it.
struct LotRecord {
    let id: Int
    let number: String
    var status: LotSerial.Status
    var expiry: CalendarDate?
    /// The first recall not closed that affects it (a held one first), and that recall's state, when asked for
    /// (``Posting/lockLot(_:_:recall:)``).
    var recall: (id: Int, state: String)? = nil
}

/// The rules an outgoing line is held to.
struct OutRules {
    /// Status a lot or serial takes when its last unit leaves (shipped, consumed, written off);
    /// `nil` for transfers.
    var statusWhenGone: LotSerial.Status?
    /// What the goods undergo, in refusals: "consumed" by a production, "issued" otherwise.
    var goneVerb: String { statusWhenGone == .consumed ? "consumed" : "issued" }
    /// Whether status, expiry and shelf life are checked (not for transfers and write-offs).
    var checksUsability = true
    var allowExpired = false
    var allowQuarantined = false
    /// Whether a lot affected by an open recall (under investigation, not yet held) may go.
    var allowRecalled = false
    /// Lots must expire on or after this date (the document date plus the shelf life required).
    var minimumShelfLife: (days: Int, who: String)?
    /// Whether serials never received may be named (created and flagged), per product.
    var allowsUnknownSerials = true
    /// Whether the registry may choose the lots (by the class's issue method) when none are named.
    var allocates = true
}

/// What an incoming movement is worth.
enum MovementCost {
    /// The unit cost the stock row already has (also once emptied), or for a new row the lot's
    /// cost in another warehouse, or none: goods received without a cost, goods coming back.
    case current
    /// Exactly this value (millionths of the currency): a receipt line's cost, what a transfer,
    /// split or numbering took out on the other side, a production's share of its inputs.
    case value(Int)
}

/// The rules an incoming line is held to.
struct InRules {
    var acceptExpired = false
    /// A customer return: the numbers must exist and have left stock before.
    var isReturn = false
    /// A receipt: lines may give their unit cost.
    var takesUnitCost = false
    /// A production's outputs: a serial made is a new unit, never one the registry knows.
    var makesNewUnits = false
    /// An assignment: the serial numbers a unit of stock that had none, never a unit the
    /// registry knows elsewhere (shipped, written off): that made a second unit of one serial,
    /// and the customer's could not come back (found by a QA run).
    var numbersStock = false
}

/// One document being posted inside one transaction: its number, its lines' movements and the
/// stock they change. Nothing is visible to others until the transaction commits.
struct Posting {
    let registry: Registry
    let db: any SQLDatabase
    let kind: DocumentKind
    let documentID: Int
    /// The document's number once it is taken (``takeNumber()``); until then a placeholder no
    /// document has. A document takes its number from its series as late as it can, when the
    /// posting finishes: the series is locked from then until the transaction commits (numbers
    /// are gapless), and taken first it held every other document of the kind for the whole
    /// posting; on PostgreSQL a receipt of 10,000 lines made every other receipt give up after
    /// the lock timeout (found by a QA run importing opening stock). A posting that generates
    /// numbers takes it before, as the generated numbers' reference in their series' ledger.
    private(set) var number: String
    /// The placeholder `number` holds until the number is taken.
    let placeholder: String
    /// Lots and serials given attributes before the number was taken: their attribute events
    /// say "given on" the placeholder until ``takeNumber()`` names the document.
    var attributesGiven: [Int] = []
    /// Lots and serials whose status events name the placeholder likewise ("back in stock with").
    var statusesGiven: [Int] = []
    let date: CalendarDate
    let created: String
    /// Who posts it (the header's user): recorded with what the posting changes beside the ledger.
    let user: String
    private(set) var movements: [PostedDocument.Movement] = []
    private var products: [String: ProductContext] = [:]
    /// Serials this document takes out so far, by lot id: the line that named each.
    var serialsTaken: [Int: Int] = [:]
    /// The line each serial received so far was named on, by product id and serial: a serial
    /// named on two lines is refused as such, not as one already in stock.
    var serialsReceived: [String: Int] = [:]
    /// Numbers a receipt names that, when the posting began, no lot or serial had and none voided
    /// (``prefetchNewNumbers(_:)``), by product id and number: their first use inserts them
    /// without asking again.
    var newNumbers: Set<NumberKey> = []
    /// Lots and serials this posting created: they were received now, and hold no other stock.
    var createdLots: Set<Int> = []
    /// Lots and serials the registry chose for lines that named none (an issue's proposal): one
    /// that another transaction emptied meanwhile is no reason to refuse the document, which is
    /// run again and proposes anew (``RegistryError/allocationRaced``).
    var allocatedLots: Set<Int> = []
    /// Lots and serials each line touched, by line index (for genealogy).
    private(set) var lotsByLine: [Int: [Int]] = [:]
    /// The net value each line moved, by line index (a production's outputs cost their inputs).
    private(set) var valueByLine: [Int: Int] = [:]
    /// Movements not yet written: nothing reads a document's own movements while it posts, so
    /// they are written together, in order, by ``flush()`` (one statement instead of one per
    /// movement; on PostgreSQL each statement is a round trip).
    private var pendingMovements: [PendingMovement] = []
    /// Lots and serials that take a status once none of them is left in stock (shipped, consumed,
    /// written off), in the order they were taken from; settled by ``flush()`` in one statement
    /// per status, under the same condition each was checked under one by one before.
    private var pendingStatus: [(status: LotSerial.Status, lotID: Int)] = []
    /// The document's date when something was posted dated after it: lots are then taken as
    /// they were held on it and every day since (``Allocation/heldSince(_:_:warehouseID:from:)``).
    var backdated: CalendarDate?

    /// The first page of candidates of the lines the registry allocates, read for all of them
    /// at once (``prefetchCandidates(_:warehouseID:rules:)``), by line index.
    private var prefetchedPages: [Int: [Allocation.Candidate]] = [:]
    /// How this document changed each stock row so far: what a prefetched page read before the
    /// document's earlier lines took from it is corrected by this.
    private var stockChanges: [StockRow: Int] = [:]
    /// Whether outgoing movements that nothing in the posting needs the value of at once (the
    /// lines of an issue) take their stock in ``flushOuts()``, one statement for all of them,
    /// instead of one statement each. Until then their values, and those `takeOut` returns, are 0.
    var defersOutgoingStock = false
    /// Outgoing movements whose stock is not taken yet, in the order they were posted.
    private var pendingOuts: [PendingOut] = []

    /// An outgoing movement waiting for ``flushOuts()``: what it takes, and where its value goes.
    private struct PendingOut {
        let row: StockRow
        let amount: Int
        let line: Int
        /// Its place in `pendingMovements` and in `movements`.
        let pending: Int
        let posted: Int
        let context: ProductContext
        let warehouse: String
        let lot: LotRecord?
    }

    struct StockRow: Hashable {
        let product: Int
        let warehouse: Int
        let lot: Int
    }

    struct PendingMovement {
        let line: Int
        let productID: Int
        let warehouseID: Int
        let lotID: Int
        let quantity: Int
        var value: Int
        let override: String?
        /// Goods received without a unit cost, where none was known (valued at 0).
        var costMissing = false
    }

    static func begin(_ registry: Registry, _ db: any SQLDatabase, kind: DocumentKind, header: DocumentHeader,
                      partnerID: Int? = nil, warehouseID: Int? = nil, toWarehouseID: Int? = nil, reason: String = "",
                      products articles: [String] = [], lines: [StockLine] = []) async throws -> Posting {
        let created = registry.now
        let today = registry.today
        let date = header.date ?? today
        // Goods move on the day they are posted, or earlier (a receipt entered late). A date after
        // tomorrow (a day's grace for clocks in other time zones) is a typo such as 2062 for
        // 2026, and would put stock on the books before it exists.
        if date.daysSinceEpoch > today.daysSinceEpoch + 1 {
            throw RegistryError(.invalidInput,
                "\("aeiou".contains(kind.rawValue.first!) ? "an" : "a") \(kind.rawValue) dated \(date) is dated after today (\(today)): a document is dated the day the goods moved, not later")
        }
        // Numbered when the posting finishes (``takeNumber()``); the placeholder is unique
        // and never committed.
        let placeholder = "(\(kind.rawValue) being posted \(UUID().uuidString))"
        // Not into a closed period: checked by the insert itself, so it costs no round trip.
        guard let row = try await db.raw("""
            INSERT INTO documents (kind, number, series, doc_date, partner_id, warehouse_id, to_warehouse_id, reason, user_name, note, posted_at)
            SELECT \(bind: kind.rawValue), \(bind: placeholder), \(bind: kind.series), \(bind: date.description), \(bind: partnerID),
                   \(bind: warehouseID), \(bind: toWarehouseID), \(bind: reason), \(bind: header.user), \(bind: header.note), \(bind: created)
            WHERE NOT EXISTS (SELECT 1 FROM closed_periods WHERE last_day >= \(bind: date.description))
            RETURNING id
            """).first() else {
            let closed = try await db.raw("SELECT * FROM closed_periods ORDER BY last_day DESC").first()
            let period = try closed?.string("period") ?? "?"
            throw RegistryError(.conflict,
                "a \(kind.rawValue) dated \(date) falls in a closed period (closed through \(try closed?.string("last_day") ?? "?"), period \(period), by \(try closed?.string("closed_by") ?? "?")): date it after that, so that no closed balance changes, or, if it belongs in that month, have the period reopened first (period reopen \(period) --reason …)")
        }
        let id = try row.int("id")
        var posting = Posting(registry: registry, db: db, kind: kind, documentID: id, number: placeholder, placeholder: placeholder,
                              date: date, created: created, user: header.user)
        posting.backdated = try await Allocation.backdated(db, date, today: today)
        try await posting.prefetch(articles)
        try await posting.lockNamedLots(lines)
        return posting
    }

    /// On PostgreSQL, locks the lots and serials `lines` name, all at once in id order, before
    /// any line takes its own: taken line by line, two documents naming the same lots in other
    /// orders (an issue MILK then FLOUR, a production FLOUR then MILK) each waited for the other
    /// until PostgreSQL ended one (found by a QA run of several stations). In one order, the
    /// second waits for the first and both post. SQLite has one writer at a time.
    private func lockNamedLots(_ lines: [StockLine]) async throws {
        guard db.dialect.name == "postgresql" else { return }
        var pairs = "["
        var seen = Set<String>()
        for line in lines {
            for pick in line.picks {
                let number = pick.number.trimmingSpaces
                guard seen.insert("\(line.product)\u{0}\(number)").inserted else { continue }
                if pairs.utf8.count > 1 { pairs += "," }
                pairs += "["
                JSONText.append(line.product, to: &pairs)
                pairs += ","
                JSONText.append(number, to: &pairs)
                pairs += "]"
            }
        }
        pairs += "]"
        guard seen.count > 1 else { return }
        _ = try await db.raw("""
            SELECT ls.id FROM lot_serials ls JOIN products p ON p.id = ls.product_id
            JOIN json_array_elements(\(bind: pairs)::json) AS j(value) ON p.article = j.value->>0 AND ls.number = j.value->>1
            ORDER BY ls.id FOR NO KEY UPDATE OF ls
            """).all()
    }

    /// Reads the products of a document's lines with their classes, in one statement rather than
    /// two per product; on PostgreSQL the classes are shared until the posting commits, as one by
    /// one (a class change waits for the posting). The articles go as one JSON parameter, so the
    /// statement's text is the same for every document. A product not found here is looked up (and
    /// refused) when its line is posted.
    private mutating func prefetch(_ articles: [String]) async throws {
        let wanted = Array(Set(articles.filter { products[$0] == nil })).sorted()
        guard wanted.count > 1 else { return }
        let classColumns = Self.classColumns.map { "c.\($0) AS c_\($0)" }.joined(separator: ", ")
        // On PostgreSQL the classes are shared until the posting commits (SQLite has one writer).
        let classes: SQLQueryString = db.dialect.name == "postgresql" ? """
            LEFT JOIN LATERAL (
                SELECT \(unsafeRaw: Self.classColumns.joined(separator: ", ")) FROM lot_serial_classes WHERE code = p.class_code\(unsafeRaw: RowLock.share.clause(db))
            ) c ON true
            """ : "LEFT JOIN lot_serial_classes c ON c.code = p.class_code"
        let query: SQLQueryString = """
            SELECT p.id, \(unsafeRaw: Self.productColumns.map { "p.\($0)" }.joined(separator: ", ")), \(unsafeRaw: classColumns)
            FROM products p \(classes)
            WHERE p.article IN (\(SQLJSONList(wanted)))
            """
        for row in try await db.raw(query).all() {
            let product = try Registry.decodeProduct(row)
            let lotSerialClass = try row.optionalString("c_code") == nil ? nil : try Registry.decodeClass(row, prefix: "c_")
            products[product.article] = ProductContext(id: try row.int("id"), product: product, lotSerialClass: lotSerialClass)
        }
    }

    /// The columns ``Registry/decodeProduct(_:)`` and ``Registry/decodeClass(_:prefix:)`` read,
    /// named (no `*`) so that PostgreSQL keeps the statement prepared.
    private static let productColumns = ["article", "gtin", "description", "unit", "class_code", "counter_start", "counter_end",
                                         "allows_unknown_serials", "decimals"]
    private static let classColumns = ["code", "description", "tracking", "serial_quantity", "tracks_expiry", "assignment",
                                       "issue_method", "batch_size", "format", "counter_scope", "counter_series", "uniqueness"]

    /// Takes the document's number from its series (once), names the document with it, and
    /// puts it where the placeholder stood; see ``number``.
    @discardableResult
    mutating func takeNumber() async throws -> String {
        guard number == placeholder else { return number }
        let taken = try await registry.takeNumbers(db, series: kind.series, count: 1, reason: kind.rawValue, reference: "document")
        number = taken.numbers[0]
        try await db.raw("UPDATE documents SET number = \(bind: number) WHERE id = \(bind: documentID)").run()
        for (table, lots) in [("lot_serial_attribute_events", attributesGiven), ("lot_serial_events", statusesGiven)] {
            for chunk in Array(Set(lots)).sorted().chunks(of: 1000) {
                try await db.raw("""
                    UPDATE \(ident: table) SET reason = replace(reason, \(bind: placeholder), \(bind: number))
                    WHERE lot_serial_id IN (\(binds: chunk)) AND created_at = \(bind: created)
                    """).run()
            }
        }
        (attributesGiven, statusesGiven) = ([], [])
        return number
    }

    /// What a refusal calls a document read back from the ledger: this one, before it has its
    /// number, is "this receipt" (its placeholder means nothing to anyone).
    func name(ofDocument documentNumber: String) -> String {
        documentNumber == placeholder ? "this \(kind.rawValue)" : documentNumber
    }

    /// Writes what is pending, numbers the document and returns it. The transaction commits after.
    mutating func finish() async throws -> PostedDocument {
        try await flush()
        if movements.contains(where: { $0.quantity < 0 }) { try await checkHistory() }
        // What is made of stock without a known cost has none either: its outputs are marked
        // (all of them: a production's inputs are shared among its outputs by quantity), and so
        // is a lot split off such a lot, or stock numbered from it (a split lost the mark; found
        // by a QA run).
        if [.production, .split, .assignment].contains(kind) {
            try await db.raw("""
                UPDATE movements SET cost_missing = 1
                WHERE document_id = \(bind: documentID) AND quantity > 0
                  AND EXISTS (SELECT 1 FROM movements i JOIN movements f ON f.product_id = i.product_id AND f.lot_serial_id = i.lot_serial_id
                              WHERE i.document_id = \(bind: documentID) AND i.quantity < 0 AND f.cost_missing = 1)
                """).run()
        }
        if kind == .return { try await markReturnsWithoutCost() }
        // Last: from here to the commit the series is locked (see `number`).
        try await takeNumber()
        return PostedDocument(kind: kind, number: number, date: date, movements: movements)
    }

    /// `; product PHONE-A has serial X: check the product`, when products other than the line's
    /// have the number it names and the line's has not: a unit named under the wrong product
    /// was said never to have been received or shipped, with no word of where it is (found by
    /// a QA run at a returns desk). Empty otherwise.
    func numberElsewhere(_ number: String, _ context: ProductContext) async throws -> String {
        let others = try await db.raw("""
            SELECT p.article, ls.kind FROM lot_serials ls JOIN products p ON p.id = ls.product_id
            WHERE ls.number = \(bind: number.trimmingSpaces) AND ls.product_id <> \(bind: context.id) ORDER BY p.article LIMIT 4
            """).all().map { "product \(try $0.string("article")) has \(try $0.string("kind")) \(number.trimmingSpaces)" }
        guard !others.isEmpty else { return "" }
        return "; \(others.prefix(3).joined(separator: ", "))\(others.count > 3 ? " and more" : ""): check the product"
    }

    /// Goods that left carrying the mark of a receipt without a cost come back carrying it: the
    /// issue emptied the lot, and the return's own movement, unmarked, hid the goods' missing
    /// cost from the valuation (found by a QA run at a returns desk). The mark is the one the
    /// lot had when it last went to this customer: a cost-less movement after the lot was last
    /// empty before that issue (goods received at a cost since do not lift it; a QA run). With
    /// no issue to them found, the one it had before it was last emptied (when it is empty
    /// now), or has now.
    private func markReturnsWithoutCost() async throws {
        let returned = try await db.raw("""
            SELECT DISTINCT m.product_id, m.lot_serial_id FROM movements m
            WHERE m.document_id = \(bind: documentID) AND m.quantity > 0
              AND EXISTS (SELECT 1 FROM movements f WHERE f.product_id = m.product_id AND f.lot_serial_id = m.lot_serial_id AND f.cost_missing = 1)
            """).all()
        for row in returned {
            let (product, lot) = (try row.int("product_id"), try row.int("lot_serial_id"))
            // The lot's documents before this one, each as one step: a transfer's two sides
            // leave it as it was.
            let steps = try await db.raw("""
                SELECT MAX(m.cost_missing) AS marked, CAST(SUM(m.quantity) AS BIGINT) AS quantity,
                       CASE WHEN d.kind IN ('issue', 'return') AND d.doc_date <= \(bind: date.description)
                             AND d.partner_id = (SELECT partner_id FROM documents WHERE id = \(bind: documentID)) THEN 1 ELSE 0 END AS customer
                FROM movements m JOIN documents d ON d.id = m.document_id
                WHERE m.product_id = \(bind: product) AND m.lot_serial_id = \(bind: lot) AND m.document_id <> \(bind: documentID)
                GROUP BY d.doc_date, d.id, d.kind, d.partner_id ORDER BY d.doc_date, d.id
                """).all().map { (marked: try $0.int("marked") == 1, quantity: try $0.int("quantity"), customer: try $0.int("customer") == 1) }
            var balances: [Int] = []
            var balance = 0
            for step in steps {
                balance += step.quantity
                balances.append(balance)
            }
            // Marked at a step: a cost-less movement since the lot was last empty before it.
            func marked(before step: Int) -> Bool {
                let emptiedBefore = balances.indices.last { $0 < step && balances[$0] == 0 }
                return steps.indices.contains { $0 > (emptiedBefore ?? -1) && $0 < step && steps[$0].marked }
            }
            // What this customer still holds of it, shipment by shipment (their earlier returns
            // taking back the oldest first), each marked as the lot was when it went: any of it
            // marked, the return is (a return of 10 of which 5 went out without a cost was judged
            // by the last issue alone; a QA run): told rather than not.
            var outstanding: [(quantity: Int, marked: Bool)] = []
            for index in steps.indices where steps[index].customer {
                if steps[index].quantity < 0 {
                    outstanding.append((-steps[index].quantity, marked(before: index)))
                } else {
                    var back = steps[index].quantity
                    while back > 0, !outstanding.isEmpty {
                        let taken = min(back, outstanding[0].quantity)
                        back -= taken
                        outstanding[0].quantity -= taken
                        if outstanding[0].quantity == 0 { outstanding.removeFirst() }
                    }
                }
            }
            // Never shipped to them (a return names what they hold): as the lot stands, before it
            // was last emptied when it is empty now, since it was last empty when it holds some.
            let shipped = steps.contains(where: \.customer)
            let marked = shipped ? outstanding.contains(where: \.marked)
                                 : marked(before: steps.count) || (balance == 0 && marked(before: steps.count - 1))
            if marked {
                try await db.raw("""
                    UPDATE movements SET cost_missing = 1
                    WHERE document_id = \(bind: documentID) AND product_id = \(bind: product) AND lot_serial_id = \(bind: lot) AND quantity > 0
                    """).run()
            }
        }
    }

    /// A document dated before others (a back-dated issue) takes its goods out on its date, so
    /// the stock it takes must have been there then and at every date since: an issue dated
    /// before the receipt of its lot would leave the balance on the days between below zero, and
    /// the balance, movements and period reports would show it. Only documents with a later date
    /// exist to make this possible; otherwise the current stock, checked already, is the last word.
    private func checkHistory() async throws {
        guard let row = try await db.raw("""
            WITH touched AS (
                SELECT DISTINCT product_id, warehouse_id, lot_serial_id FROM movements
                WHERE document_id = \(bind: documentID) AND quantity < 0
                  AND EXISTS (SELECT 1 FROM documents WHERE doc_date > \(bind: date.description))
            ), daily AS (
                SELECT m.product_id, m.warehouse_id, m.lot_serial_id, d.doc_date, SUM(m.quantity) AS quantity
                FROM touched t
                JOIN movements m ON m.lot_serial_id = t.lot_serial_id AND m.product_id = t.product_id AND m.warehouse_id = t.warehouse_id
                JOIN documents d ON d.id = m.document_id
                GROUP BY m.product_id, m.warehouse_id, m.lot_serial_id, d.doc_date
            ), running AS (
                SELECT product_id, warehouse_id, lot_serial_id, doc_date,
                       SUM(quantity) OVER (PARTITION BY product_id, warehouse_id, lot_serial_id ORDER BY doc_date) AS balance
                FROM daily
            )
            SELECT r.doc_date, CAST(r.balance AS BIGINT) AS balance, r.product_id, r.warehouse_id, r.lot_serial_id,
                   p.article, p.unit, w.code AS warehouse, ls.number, ls.kind
            FROM running r JOIN products p ON p.id = r.product_id JOIN warehouses w ON w.id = r.warehouse_id
            LEFT JOIN lot_serials ls ON ls.id = r.lot_serial_id
            WHERE r.balance < 0 AND r.doc_date >= \(bind: date.description)
            ORDER BY r.doc_date LIMIT 1
            """).first() else { return }
        throw try await historyConflict(row)
    }

    /// Why a back-dated document cannot stand, said so that it can be mended: the day the
    /// warehouse would hold less than nothing and why (the goods came in later, or a later
    /// document takes them that day), and the first date from which it holds enough. It said
    /// "the goods came in after that date" also when a later issue was the cause, and its advice
    /// was refused again (found by a QA run).
    private func historyConflict(_ row: any SQLRow) async throws -> RegistryError {
        let what = try row.optionalString("number").map { "\(try row.optionalString("kind") ?? "lot") \($0) of \(try row.string("article"))" }
            ?? "product \(try row.string("article"))"
        let unit = try row.string("unit")
        let warehouse = try row.string("warehouse")
        let negativeOn = try row.string("doc_date")
        let (product, warehouseID, lot) = (try row.int("product_id"), try row.int("warehouse_id"), try row.int("lot_serial_id"))
        // The day's balances from the document's date on, this document included.
        let days = try await db.raw("""
            SELECT d.doc_date, CAST(SUM(m.quantity) AS BIGINT) AS change,
                   CAST(SUM(CASE WHEN d.id = \(bind: documentID) THEN m.quantity ELSE 0 END) AS BIGINT) AS ours
            FROM movements m JOIN documents d ON d.id = m.document_id
            WHERE m.product_id = \(bind: product) AND m.warehouse_id = \(bind: warehouseID) AND m.lot_serial_id = \(bind: lot)
            GROUP BY d.doc_date ORDER BY d.doc_date
            """).all().map { (date: try $0.string("doc_date"), change: try $0.int("change"), ours: try $0.int("ours")) }
        var balance = 0
        var balances: [(date: String, balance: Int)] = []
        for day in days {
            balance += day.change
            balances.append((day.date, balance))
        }
        let ours = days.reduce(0) { $0 + $1.ours }
        // Dated on or after the last day that goes below zero, the document leaves every day
        // before it as it was (no lower) and every day after as it is now: the first day of
        // movements after that last one is the earliest it may take.
        let lastNegative = balances.last { $0.balance < 0 }?.date ?? negativeOn
        let enough = balances.first { $0.date > lastNegative }?.date
        let held = try balances.first { $0.date == negativeOn }?.balance ?? (try row.int("balance"))
        let takers = try await db.raw("""
            SELECT d.number, CAST(-SUM(m.quantity) AS BIGINT) AS taken
            FROM movements m JOIN documents d ON d.id = m.document_id
            WHERE m.product_id = \(bind: product) AND m.warehouse_id = \(bind: warehouseID) AND m.lot_serial_id = \(bind: lot)
              AND d.doc_date = \(bind: negativeOn) AND d.id <> \(bind: documentID) AND m.quantity < 0
            GROUP BY d.number ORDER BY d.number LIMIT 4
            """).all().map { "\(try $0.string("number")) takes \(Quantity(storage: try $0.int("taken"))) \(unit)" }
        let taking = takers.isEmpty ? "" : "\(takers.prefix(3).joined(separator: ", "))\(takers.count > 3 ? " and more" : "") that day"
        let cause = negativeOn == date.description
            ? "it held only \(Quantity(storage: held - ours)) \(unit) of it that day\(taking.isEmpty ? "" : " (\(taking))")"
            : taking.isEmpty ? "what it takes is taken later" : taking
        let advice = enough.map { "date it \($0) or later, when \(warehouse) holds enough, or take less" } ?? "take less"
        return RegistryError(.conflict,
            "\(what): \("aeiou".contains(kind.rawValue.first!) ? "an" : "a") \(kind.rawValue) dated \(date) would leave \(warehouse) holding \(Quantity(storage: held)) \(unit) on \(negativeOn): \(cause); \(advice)")
    }

    /// Writes the pending movements, in one statement per thousand, and settles the pending
    /// statuses of lots left without stock. On PostgreSQL the last movements go in the first status
    /// statement as a writing common table expression (one round trip less): the two touch
    /// different tables, and the status reads only stock, which is written already.
    mutating func flush() async throws {
        try await flushOuts()
        let postgres = db.dialect.name == "postgresql"
        var inserts: [SQLQueryString] = []
        for chunk in pendingMovements.chunks(of: 1000) {
            var rows = "["
            for movement in chunk {
                if rows.utf8.count > 1 { rows += "," }
                rows += "[\(movement.line),\(movement.productID),\(movement.warehouseID),\(movement.lotID),\(movement.quantity),\(movement.value),"
                if let override = movement.override { JSONText.append(override, to: &rows) } else { rows += "null" }
                rows += movement.costMissing ? ",1]" : ",0]"
            }
            rows += "]"
            inserts.append(postgres ? """
                INSERT INTO movements (document_id, line_no, product_id, warehouse_id, lot_serial_id, quantity, value, override, cost_missing, created_at)
                SELECT \(bind: documentID), (m.row->>0)::bigint, (m.row->>1)::bigint, (m.row->>2)::bigint, (m.row->>3)::bigint,
                       (m.row->>4)::bigint, (m.row->>5)::bigint, m.row->>6, (m.row->>7)::bigint, \(bind: created)
                FROM json_array_elements(\(bind: rows)::json) WITH ORDINALITY AS m(row, position) ORDER BY m.position
                """ : """
                INSERT INTO movements (document_id, line_no, product_id, warehouse_id, lot_serial_id, quantity, value, override, cost_missing, created_at)
                SELECT \(bind: documentID), json_extract(m.value, '$[0]'), json_extract(m.value, '$[1]'), json_extract(m.value, '$[2]'),
                       json_extract(m.value, '$[3]'), json_extract(m.value, '$[4]'), json_extract(m.value, '$[5]'), json_extract(m.value, '$[6]'),
                       json_extract(m.value, '$[7]'), \(bind: created)
                FROM json_each(\(bind: rows)) AS m
                """)
        }
        pendingMovements.removeAll()
        var seen = Set<Int>()
        let statuses = pendingStatus.filter { seen.insert($0.lotID).inserted }
        pendingStatus.removeAll()
        var settles: [SQLQueryString] = []
        for status in LotSerial.Status.allCases {
            let ids = statuses.filter { $0.status == status }.map(\.lotID)
            for chunk in ids.chunks(of: 500) {
                settles.append("""
                    UPDATE lot_serials SET status = \(bind: status.rawValue)
                    WHERE id IN (\(binds: chunk))
                      AND (SELECT COALESCE(SUM(s.quantity), 0) FROM stock s WHERE s.lot_serial_id = lot_serials.id) = 0
                    """)
            }
        }
        if postgres, !settles.isEmpty, let last = inserts.popLast() {
            settles[0] = "WITH written AS (\(last)) \(settles[0])"
        }
        for statement in inserts + settles {
            try await db.raw(statement).run()
        }
    }

    /// Takes the stock of the deferred outgoing movements in one statement per thousand stock
    /// rows, each row by what all of them take from it, only where it holds that much; then gives
    /// each movement its value at the row's unit cost. A row that holds less refuses the whole
    /// document with the same account as one by one: how much is there, or where the lot is.
    /// Rows are taken in key order, so that two documents lock the rows they share in one order.
    mutating func flushOuts() async throws {
        guard !pendingOuts.isEmpty else { return }
        let outs = pendingOuts
        pendingOuts.removeAll()
        var totals: [StockRow: Int] = [:]
        var firstOut: [StockRow: Int] = [:]
        for (index, out) in outs.enumerated() {
            totals[out.row, default: 0] += out.amount
            if firstOut[out.row] == nil { firstOut[out.row] = index }
        }
        let rows = totals.keys.sorted { ($0.product, $0.warehouse, $0.lot) < ($1.product, $1.warehouse, $1.lot) }
        let postgres = db.dialect.name == "postgresql"
        var unitCosts: [StockRow: Int] = [:]
        var quantitiesAfter: [StockRow: Int] = [:]
        var emptied: [StockRow] = []
        let averagedRows = Set(outs.filter { $0.context.averagesCost(lot: $0.row.lot) }.map(\.row))
        for chunk in rows.chunks(of: 1000) {
            var json = "["
            for row in chunk {
                if json.utf8.count > 1 { json += "," }
                json += "[\(row.product),\(row.warehouse),\(row.lot),\(totals[row]!)]"
            }
            json += "]"
            let taken: SQLQueryString = postgres
                ? "SELECT (t.r->>0)::bigint AS p, (t.r->>1)::bigint AS w, (t.r->>2)::bigint AS l, (t.r->>3)::bigint AS q FROM json_array_elements(\(bind: json)::json) AS t(r)"
                : "SELECT json_extract(t.value, '$[0]') AS p, json_extract(t.value, '$[1]') AS w, json_extract(t.value, '$[2]') AS l, json_extract(t.value, '$[3]') AS q FROM json_each(\(bind: json)) AS t"
            for updated in try await db.raw("""
                UPDATE stock SET quantity = stock.quantity - t.q FROM (\(taken)) AS t
                WHERE stock.product_id = t.p AND stock.warehouse_id = t.w AND stock.lot_serial_id = t.l AND stock.quantity >= t.q
                RETURNING stock.product_id, stock.warehouse_id, stock.lot_serial_id, stock.unit_cost, stock.quantity
                """).all() {
                let row = StockRow(product: try updated.int("product_id"), warehouse: try updated.int("warehouse_id"),
                                   lot: try updated.int("lot_serial_id"))
                unitCosts[row] = try updated.int("unit_cost")
                quantitiesAfter[row] = try updated.int("quantity")
                if averagedRows.contains(row), try updated.int("quantity") == 0 { emptied.append(row) }
            }
        }
        if let short = rows.filter({ unitCosts[$0] == nil }).min(by: { firstOut[$0]! < firstOut[$1]! }) {
            let out = outs[firstOut[short]!]
            throw try await shortage(out.context, warehouseID: short.warehouse, warehouse: out.warehouse, lot: out.lot, quantity: totals[short]!)
        }
        // A lot, or stock without numbers, left empty here: what is left of its value goes out
        // with it, to the millionth, the last of its movements taking the rest after the others
        // took theirs at its unit cost. Each at the unit cost alone left the rounding of the
        // average behind (0.000002 of stock worth nothing, carried into the lot's next receipt;
        // a valuation line of no quantity and -0.000001; found by QA runs).
        // Dated back, an averaged row that is not emptied gives its goods at its cost on that date.
        var held = try await heldOnDate(Array(averagedRows), excluding: Set(outs.map(\.pending)))
        try await refuseLaterCostChange(Array(averagedRows), held: held)
        var remaining = try await remainingValues(emptied)
        var lastOut: [StockRow: Int] = [:]
        for (index, out) in outs.enumerated() where remaining[out.row] != nil { lastOut[out.row] = index }
        for (index, out) in outs.enumerated() {
            var value = Money.value(of: -out.amount, at: unitCosts[out.row]!)
            if let left = remaining[out.row] {
                if lastOut[out.row] == index { value = -left } else { remaining[out.row] = left + value }
            } else if let then = held[out.row] {
                value = Self.valueOnDate(out.amount, then)
                held[out.row] = (then.quantity - out.amount, then.value + value)
            }
            pendingMovements[out.pending].value = value
            movements[out.posted].value = Money(storage: value).decimal
            valueByLine[out.line, default: 0] += value
        }
        try await resetUnitCosts(held.keys.filter { remaining[$0] == nil }, quantities: quantitiesAfter)
    }

    /// What each averaged stock row held on a back-dated document's date, in quantity and value:
    /// its movements dated then or before, this document's written and pending ones too (but the
    /// pending ones at `excluding`, the outgoing movements being valued). Empty unless the
    /// document is dated back.
    ///
    /// A document dated back takes its goods out at their cost on its date, not at the cost
    /// today's average has since a later receipt: it took a later receipt's cost, and a lot of no
    /// quantity was worth less than nothing on the days between (found by a QA run).
    private func heldOnDate(_ rows: [StockRow], excluding: Set<Int> = []) async throws -> [StockRow: (quantity: Int, value: Int)] {
        guard backdated != nil, !rows.isEmpty else { return [:] }
        var held: [StockRow: (quantity: Int, value: Int)] = [:]
        for row in rows {
            let sums = try await db.raw("""
                SELECT CAST(COALESCE(SUM(m.quantity), 0) AS BIGINT) AS q, CAST(COALESCE(SUM(m.value), 0) AS BIGINT) AS v
                FROM movements m JOIN documents d ON d.id = m.document_id
                WHERE m.product_id = \(bind: row.product) AND m.warehouse_id = \(bind: row.warehouse) AND m.lot_serial_id = \(bind: row.lot)
                  AND d.doc_date <= \(bind: date.description)
                """).first()
            var then = (quantity: try sums?.int("q") ?? 0, value: try sums?.int("v") ?? 0)
            for (index, movement) in pendingMovements.enumerated() where !excluding.contains(index)
                && StockRow(product: movement.productID, warehouse: movement.warehouseID, lot: movement.lotID) == row {
                then.quantity += movement.quantity
                then.value += movement.value
            }
            held[row] = then
        }
        return held
    }

    /// Refuses a document dated back that takes goods out of an averaged row whose average a
    /// later document changed (goods brought in at another cost) before later documents took
    /// goods out at it: taken out at the cost of its date, it would change what those later
    /// documents took out at, booked already, and taken out at today's it left the row's value
    /// on the days between wrong (worth less than nothing, or nothing with goods in it; found by
    /// QA runs). Dated on or after the last of those documents, it changes nothing booked.
    ///
    /// With `incoming`, the goods the document brings into the one row (its quantity and value):
    /// refused when the row has goods taken out after the date and the goods coming in, what it
    /// held then and what came in after until the last of those do not all cost the same: the
    /// average they were taken out at would change (a receipt entered late at another cost left
    /// the issues after it at a cost the ledger no longer bore; found by a QA run).
    ///
    /// `held`: what each row held on the date (``heldOnDate(_:excluding:)``), read once by the
    /// caller, which values the movement with it too.
    private func refuseLaterCostChange(_ rows: [StockRow], held: [StockRow: (quantity: Int, value: Int)],
                                       incoming: (quantity: Int, value: Int)? = nil) async throws {
        guard backdated != nil, !rows.isEmpty else { return }
        /// Whether two amounts cost the same a unit (exactly: v₁ / q₁ = v₂ / q₂).
        func sameCost(_ a: (quantity: Int, value: Int), _ b: (quantity: Int, value: Int)) -> Bool {
            Int128(a.value) * Int128(b.quantity) == Int128(b.value) * Int128(a.quantity)
        }
        for row in rows {
            let then = held[row] ?? (0, 0)
            guard then.quantity > 0 || incoming != nil else { continue }
            let later = try await db.raw("""
                SELECT d.number, d.doc_date, CAST(SUM(m.quantity) AS BIGINT) AS q, CAST(SUM(m.value) AS BIGINT) AS v
                FROM movements m JOIN documents d ON d.id = m.document_id
                WHERE m.product_id = \(bind: row.product) AND m.warehouse_id = \(bind: row.warehouse) AND m.lot_serial_id = \(bind: row.lot)
                  AND d.doc_date > \(bind: date.description) AND m.document_id <> \(bind: documentID)
                GROUP BY d.id, d.number, d.doc_date ORDER BY d.doc_date, d.id
                """).all()
            var changedBy: String?
            var lastOut: (number: String, date: String)?
            if let incoming {
                // Going in: every cost averaged before a later way out must be the new goods'.
                var since: [(cost: (quantity: Int, value: Int), number: String, date: String)] = []
                var differs: String?
                if then.quantity > 0, !sameCost(incoming, then) {
                    differs = "the \(Money(storage: Money.unitCost(of: then.value, over: then.quantity))) a {unit} of the \(Quantity(storage: then.quantity)) {unit} it held then"
                }
                for step in later {
                    let (quantity, value) = (try step.int("q"), try step.int("v"))
                    let (number, day) = (try step.string("number"), try step.string("doc_date"))
                    if quantity > 0 {
                        since.append(((quantity, value), number, day))
                    } else if quantity < 0 {
                        if differs == nil, let other = since.first(where: { !sameCost(incoming, $0.cost) }) {
                            differs = "\(other.number) of \(other.date)"
                        }
                        lastOut = (number, day)
                    }
                }
                guard let differs, lastOut != nil else { continue }
                changedBy = "it comes in at another cost than \(differs)"
            } else {
                guard then.quantity > 0 else { continue }
                var broughtIn: (number: String, date: String)?
                for step in later {
                    let (quantity, value) = (try step.int("q"), try step.int("v"))
                    let document = (try step.string("number"), try step.string("doc_date"))
                    // In at another unit cost than the row's on the date (exactly: v / q ≠ V / Q).
                    if quantity > 0, !sameCost((quantity, value), then) {
                        broughtIn = broughtIn ?? document
                    } else if quantity < 0, broughtIn != nil {
                        lastOut = document
                    }
                }
                guard let broughtIn else { continue }
                changedBy = "\(broughtIn.number) of \(broughtIn.date) brought some in at another cost"
            }
            guard let changedBy, let lastOut else { continue }
            let names = try await db.raw("""
                SELECT p.article, p.unit, w.code AS warehouse, ls.number FROM products p JOIN warehouses w ON w.id = \(bind: row.warehouse)
                LEFT JOIN lot_serials ls ON ls.id = \(bind: row.lot) WHERE p.id = \(bind: row.product)
                """).first()
            let article = try names?.string("article") ?? "?"
            let what = try names?.optionalString("number").map { "lot \($0) of \(article)" } ?? article
            let cause = changedBy.replacingOccurrences(of: "{unit}", with: try names?.string("unit") ?? "")
            throw RegistryError(.conflict,
                "\(what) in \(try names?.string("warehouse") ?? "?"): \("aeiou".contains(kind.rawValue.first!) ? "an" : "a") \(kind.rawValue) dated \(date) would change the cost at which documents after it took it out, booked already (\(cause), and \(lastOut.number) of \(lastOut.date) took some out since): date it \(lastOut.date) or later")
        }
    }

    /// The value `amount` taken out of what a row held on a date goes out at (signed, negative):
    /// its share of the value then, all of it for all of the quantity.
    static func valueOnDate(_ amount: Int, _ then: (quantity: Int, value: Int)) -> Int {
        guard then.quantity > 0 else { return 0 }
        return amount >= then.quantity ? -then.value : -Money.share(then.value, part: amount, whole: then.quantity)
    }

    /// After goods went out of averaged rows at another cost than their average (dated back),
    /// each row's unit cost becomes what it holds now over its quantity, so that the next
    /// movement goes out at the cost of what is left.
    private func resetUnitCosts(_ rows: [StockRow], quantities: [StockRow: Int]) async throws {
        guard !rows.isEmpty else { return }
        let values = try await remainingValues(rows)
        for row in rows {
            guard let quantity = quantities[row], quantity > 0 else { continue }
            try await db.raw("""
                UPDATE stock SET unit_cost = \(bind: Money.unitCost(of: values[row] ?? 0, over: quantity))
                WHERE product_id = \(bind: row.product) AND warehouse_id = \(bind: row.warehouse) AND lot_serial_id = \(bind: row.lot)
                """).run()
        }
    }

    /// What each stock row is worth before this document's next movements: its movements'
    /// values in the ledger and those this document has made and not yet written. Asked only
    /// when a row is emptied: a lot's movements are found by the lot's index, stock without a
    /// number by its row's (`movements_stock_row`).
    private func remainingValues(_ rows: [StockRow]) async throws -> [StockRow: Int] {
        guard !rows.isEmpty else { return [:] }
        let wanted = Set(rows)
        var values: [StockRow: Int] = [:]
        for row in rows where row.lot == 0 {
            values[row] = try await db.raw("""
                SELECT CAST(COALESCE(SUM(value), 0) AS BIGINT) AS v FROM movements
                WHERE product_id = \(bind: row.product) AND warehouse_id = \(bind: row.warehouse) AND lot_serial_id = 0
                """).first()?.int("v") ?? 0
        }
        for chunk in rows.filter({ $0.lot != 0 }).chunks(of: 500) {
            var query = SQLQueryString("SELECT product_id, warehouse_id, lot_serial_id, CAST(COALESCE(SUM(value), 0) AS BIGINT) AS v FROM movements WHERE lot_serial_id IN (")
            for (index, row) in Set(chunk.map(\.lot)).sorted().enumerated() {
                if index > 0 { query.appendInterpolation(unsafeRaw: ", ") }
                query.appendInterpolation(bind: row)
            }
            query.appendInterpolation(unsafeRaw: ") GROUP BY product_id, warehouse_id, lot_serial_id")
            for sum in try await db.raw(query).all() {
                let row = StockRow(product: try sum.int("product_id"), warehouse: try sum.int("warehouse_id"), lot: try sum.int("lot_serial_id"))
                if wanted.contains(row) { values[row] = try sum.int("v") }
            }
        }
        for movement in pendingMovements {
            let row = StockRow(product: movement.productID, warehouse: movement.warehouseID, lot: movement.lotID)
            if wanted.contains(row) { values[row, default: 0] += movement.value }
        }
        return values
    }

    /// Settles `lotID`'s status when the document has taken its last unit: at ``flush()``.
    mutating func setStatusWhenGone(_ lotID: Int, _ status: LotSerial.Status) {
        pendingStatus.append((status, lotID))
    }

    // MARK: - Look-ups

    mutating func product(_ article: String) async throws -> ProductContext {
        if let known = products[article] { return known }
        guard let (id, product) = try await Registry.fetchProduct(db, article: article) else {
            throw RegistryError(.notFound, "product \(article) does not exist")
        }
        // Shared until the posting commits: a class change waits for it (and it for the change).
        let lotSerialClass = try await product.lotSerialClass.asyncMap { try await Registry.fetchClass(db, code: $0, lock: .share) } ?? nil
        let context = ProductContext(id: id, product: product, lotSerialClass: lotSerialClass)
        products[article] = context
        return context
    }

    /// A product read already (by ``prefetch(_:)`` or an earlier line), without a statement.
    func knownProduct(_ article: String) -> ProductContext? { products[article] }

    mutating func setPrefetchedPages(_ pages: [Int: [Allocation.Candidate]]) { prefetchedPages = pages }

    mutating func takePrefetchedPage(_ index: Int) -> [Allocation.Candidate]? { prefetchedPages.removeValue(forKey: index) }

    func stockChange(product: Int, warehouse: Int, lot: Int) -> Int {
        stockChanges[StockRow(product: product, warehouse: warehouse, lot: lot)] ?? 0
    }

    static func warehouse(_ db: any SQLDatabase, _ code: String) async throws -> Int {
        guard let row = try await db.raw("SELECT id FROM warehouses WHERE code = \(bind: code)").first() else {
            throw RegistryError(.notFound, "warehouse \(code) does not exist")
        }
        return try row.int("id")
    }

    static func partner(_ db: any SQLDatabase, _ code: String, as role: Partner.Role) async throws -> (Int, Partner) {
        guard let row = try await db.raw("SELECT * FROM partners WHERE code = \(bind: code)").first() else {
            throw RegistryError(.notFound, "partner \(code) does not exist")
        }
        return try partner(row, code, as: role)
    }

    /// A document's warehouse and its partner (when it names one) in one statement, checked as
    /// ``warehouse(_:_:)`` and ``partner(_:_:as:)`` check them, in that order.
    static func warehouse(_ db: any SQLDatabase, _ code: String, partner partnerCode: String?,
                          as role: Partner.Role) async throws -> (Int, (Int, Partner)?) {
        guard let partnerCode else { return (try await warehouse(db, code), nil) }
        let row = try await db.raw("""
            SELECT (SELECT w.id FROM warehouses w WHERE w.code = \(bind: code)) AS warehouse_id,
                   p.id, p.code, p.name, p.role, p.min_shelf_life_days
            FROM (SELECT 1 AS one) AS one LEFT JOIN partners p ON p.code = \(bind: partnerCode)
            """).first()
        guard let row, let warehouseID = try row.optionalInt("warehouse_id") else {
            throw RegistryError(.notFound, "warehouse \(code) does not exist")
        }
        guard try row.optionalInt("id") != nil else {
            throw RegistryError(.notFound, "partner \(partnerCode) does not exist")
        }
        return (warehouseID, try partner(row, partnerCode, as: role))
    }

    private static func partner(_ row: any SQLRow, _ code: String, as role: Partner.Role) throws -> (Int, Partner) {
        let partner = Partner(code: try row.string("code"), name: try row.string("name"),
                              role: try row.enumeration("role", as: Partner.Role.self),
                              minimumShelfLifeDays: try row.optionalInt("min_shelf_life_days"))
        guard partner.role == role || partner.role == .both else {
            throw RegistryError(.invalidInput, "partner \(code) is a \(partner.role.rawValue), not a \(role.rawValue)")
        }
        return (try row.int("id"), partner)
    }

    /// Reads a lot or serial and locks its row until commit, so that two documents moving the
    /// same serial at once are serialised.
    /// With `recall`, it also says which recall not closed (the first) affects the lot, if any.
    func lockLot(_ productID: Int, _ number: String, recall: Bool = false) async throws -> LotRecord? {
        guard let row = try await db.raw("""
            UPDATE lot_serials SET status = status WHERE product_id = \(bind: productID) AND number = \(bind: number)
            RETURNING id, number, status, expiry\(recall ? Self.recallColumns : "")
            """).first() else { return nil }
        var lot = try Self.decodeLot(row)
        if recall, let id = try row.optionalInt("recall_id") { lot.recall = (id, try row.string("recall_state")) }
        return lot
    }

    /// The first recall not closed of the locked lot, a held one first (it is the one that blocks
    /// it): its id and its state, each by a scalar subquery (RETURNING takes no join).
    private static var recallColumns: SQLQueryString {
        let first: SQLQueryString = "FROM \(Allocation.activeRecalls(of: "lot_serials.id")) ORDER BY CASE WHEN rc.state = 'held' THEN 0 ELSE 1 END, rc.id LIMIT 1"
        return ", (SELECT rc.id \(first)) AS recall_id, (SELECT rc.state \(first)) AS recall_state"
    }

    static func decodeLot(_ row: any SQLRow) throws -> LotRecord {
        LotRecord(id: try row.int("id"), number: try row.string("number"),
                  status: try row.enumeration("status", as: LotSerial.Status.self), expiry: try row.date("expiry"))
    }

    // MARK: - Quantities

    /// The quantity of a line in storage units: the line's, or the sum of its picks.
    func quantity(of line: StockLine, _ context: ProductContext) throws -> Int {
        if line.picks.isEmpty {
            guard let quantity = line.quantity else {
                throw RegistryError(.invalidInput, "line for \(line.product): give a quantity or the lots/serials")
            }
            return try Self.positive(quantity, line.product, context)
        }
        let total = try line.picks.reduce(0) { total, pick in
            let (sum, overflow) = total.addingReportingOverflow(try pickQuantity(pick, line, context))
            guard !overflow, sum <= Self.maximumStockQuantity else {
                throw RegistryError(.invalidInput,
                    "line for \(line.product): its \(context.kindName)s add up to more than \(Quantity(storage: Self.maximumStockQuantity)), the most one stock row may hold: check the quantities")
            }
            return sum
        }
        // A line that gives both must agree with itself: which of the two was meant is not ours to guess.
        if let stated = line.quantity, let storage = try? Quantity(stated).storage, storage != total {
            throw RegistryError(.invalidInput,
                "line for \(line.product): quantity \(stated) but its \(context.kindName)s add up to \(Quantity(storage: total)); give one or make them agree")
        }
        return total
    }

    func pickQuantity(_ pick: StockLine.Pick, _ line: StockLine, _ context: ProductContext) throws -> Int {
        if context.isUniqueSerial {
            if let quantity = pick.quantity, quantity != 1 {
                throw RegistryError(.invalidInput, "serial \(pick.number) of \(line.product): a unique serial is one unit, not \(quantity)")
            }
            return Quantity.scale
        }
        // Named by its number, so that a refusal points at its own row of a file, not its line's first.
        let subject = "\(context.kindName) \(pick.number) of \(line.product)"
        if let quantity = pick.quantity { return try Self.positive(quantity, line.product, context, subject: subject) }
        if line.picks.count == 1, let quantity = line.quantity { return try Self.positive(quantity, line.product, context, subject: subject) }
        if context.tracking == .serial { return Quantity.scale }
        throw RegistryError(.invalidInput, "\(context.kindName) \(pick.number) of \(line.product): give its quantity")
    }

    /// The largest value of one line: a trillion (in millionths of the currency).
    static let maximumLineValue = 1_000_000_000_000 * Quantity.scale

    /// The largest quantity of one line or pick: a billion units.
    static let maximumLineQuantity = 1_000_000_000 * Quantity.scale

    /// The most one stock row (a product, lot or serial in a warehouse) may hold: a trillion
    /// units. Far beyond any real stock, and it keeps every row, and the sum of a few, an exact
    /// 64-bit integer (SQLite turns an integer that overflows into an inexact real number).
    static let maximumStockQuantity = 1_000_000_000_000 * Quantity.scale

    /// The most one stock row may be worth: a trillion, as one line. It keeps every movement's
    /// value and every sum a report makes of a row's movements an exact 64-bit integer: ten
    /// receipts of a trillion each into one lot were taken, and the balance and valuation
    /// reports then stopped on an arithmetic overflow (found by a QA run).
    static let maximumStockValue = maximumLineValue

    /// The condition an incoming movement of `quantity` worth `value` (nil: at the row's unit
    /// cost) puts on the stock row it adds to: it may hold and be worth no more than the most.
    /// The value is reckoned in floating point, as the unit cost's average is: near the bound it
    /// is approximate, and the bound is far beyond any real stock.
    static func roomFor(_ quantity: Int, value: Int?) -> SQLQueryString {
        let worth: SQLQueryString = value.map { "CAST(stock.quantity AS DOUBLE PRECISION) * stock.unit_cost / \(unsafeRaw: String(Quantity.scale)) + \(bind: $0)" }
            ?? "(CAST(stock.quantity AS DOUBLE PRECISION) + \(bind: quantity)) * stock.unit_cost / \(unsafeRaw: String(Quantity.scale))"
        return "stock.quantity <= \(bind: maximumStockQuantity - quantity) AND \(worth) <= \(bind: maximumStockValue)"
    }

    static func positive(_ value: Decimal, _ article: String, _ context: ProductContext, subject: String? = nil) throws -> Int {
        let subject = subject ?? "line for \(article)"
        let quantity: Quantity
        do { quantity = try Quantity(value) } catch { throw RegistryError(error.code, "\(subject): \(error.message)") }
        guard quantity.storage > 0 else {
            throw RegistryError(.invalidInput, "\(subject): quantity \(value) must be more than zero")
        }
        // As over HTTP: far beyond any real line, and stock rows summed from such lines stay
        // exact integers (a row past 64 bits would turn into an inexact number in SQLite).
        guard quantity.storage <= maximumLineQuantity else {
            throw RegistryError(.invalidInput,
                "\(subject): quantity \(value) is more than \(Quantity(storage: maximumLineQuantity)), the most one line may take: check it")
        }
        if context.tracking == .serial, quantity.storage % Quantity.scale != 0 {
            throw RegistryError(.invalidInput, "\(subject): serials are counted in whole units, not \(value)")
        }
        do { try context.product.checkDecimals(quantity.storage) } catch {
            throw subject.hasPrefix("line for") ? error : RegistryError(error.code, "\(subject): \(error.message)")
        }
        return quantity.storage
    }

    // MARK: - Movements

    /// Writes one movement to the ledger and changes stock by it. Stock never goes negative: an
    /// outgoing movement that would take more than there is refuses the whole document, saying
    /// how much there is.
    ///
    /// Each movement carries its value: an outgoing one takes the unit cost of the stock row it
    /// leaves (the lot's or serial's own cost); an incoming one brings `cost`, and the row's unit
    /// cost becomes the average of what it held and what came in. Returns the movement's value
    /// (millionths of the currency, signed like the quantity).
    @discardableResult
    mutating func move(line: Int, _ context: ProductContext, warehouseID: Int, warehouse: String,
                       lot: LotRecord?, quantity: Int, override: String? = nil, cost: MovementCost = .current,
                       deferred: Bool = false) async throws -> Int {
        let lotID = lot?.id ?? 0
        let row = StockRow(product: context.id, warehouse: warehouseID, lot: lotID)
        let value: Int
        // A row dated back, valued at its cost on the date: its unit cost is set anew, to what it
        // holds, once the movement is pending (its quantity after the movement).
        var pendingValueFix: Int?
        let deferred = deferred && defersOutgoingStock && quantity < 0
        if !deferred {
            // Anything else sees the stock as the movements before it left it.
            try await flushOuts()
        }
        // Dated back, what an averaged row held on the date (nil otherwise, or deferred: valued
        // by flushOuts()).
        let then = !deferred && context.averagesCost(lot: lotID) ? try await heldOnDate([row])[row] : nil
        if deferred {
            pendingOuts.append(PendingOut(
                row: row, amount: -quantity, line: line,
                pending: pendingMovements.count, posted: movements.count, context: context, warehouse: warehouse, lot: lot))
            value = 0  // given by flushOuts()
        } else if quantity < 0 {
            let updated = try await db.raw("""
                UPDATE stock SET quantity = quantity + \(bind: quantity)
                WHERE product_id = \(bind: context.id) AND warehouse_id = \(bind: warehouseID) AND lot_serial_id = \(bind: lotID)
                  AND quantity >= \(bind: -quantity)
                RETURNING unit_cost, quantity
                """).first()
            guard let updated else {
                throw try await shortage(context, warehouseID: warehouseID, warehouse: warehouse, lot: lot, quantity: -quantity)
            }
            if let then { try await refuseLaterCostChange([row], held: [row: then]) }
            if context.averagesCost(lot: lotID), try updated.int("quantity") == 0 {
                // The lot's (or the unnumbered stock's) last unit here takes what is left of its
                // value, to the millionth.
                value = -(try await remainingValues([row])[row] ?? 0)
            } else if let then {
                // Dated back: at its cost on that date (``heldOnDate(_:excluding:)``).
                value = Self.valueOnDate(-quantity, then)
                pendingValueFix = try updated.int("quantity")
            } else {
                value = Money.value(of: quantity, at: try updated.int("unit_cost"))
            }
        } else {
            switch cost {
            case .value(let given):
                // The row's unit cost becomes the average of what it held and what comes in (in
                // floating point: the product of two millionths may not fit 64 bits).
                let stocked = try await db.raw("""
                    INSERT INTO stock (product_id, warehouse_id, lot_serial_id, quantity, unit_cost)
                    VALUES (\(bind: context.id), \(bind: warehouseID), \(bind: lotID), \(bind: quantity),
                            \(bind: Money.unitCost(of: given, over: quantity)))
                    ON CONFLICT (product_id, warehouse_id, lot_serial_id) DO UPDATE SET
                        quantity = stock.quantity + excluded.quantity,
                        unit_cost = CASE WHEN stock.quantity <= 0 THEN excluded.unit_cost
                            ELSE CAST(ROUND((CAST(stock.quantity AS DOUBLE PRECISION) * stock.unit_cost
                                             + CAST(excluded.quantity AS DOUBLE PRECISION) * excluded.unit_cost)
                                            / (stock.quantity + excluded.quantity)) AS BIGINT) END
                        WHERE \(Self.roomFor(quantity, value: given))
                    RETURNING unit_cost
                    """).first()
                guard stocked != nil else {
                    throw try await overfull(context, warehouseID: warehouseID, warehouse: warehouse, lot: lot, quantity: quantity, value: given)
                }
                value = given
            case .current:
                // No cost given: the row keeps its own (also once emptied); a new row takes the
                // lot's cost where it is, or was, held elsewhere.
                let stocked = try await db.raw("""
                    INSERT INTO stock (product_id, warehouse_id, lot_serial_id, quantity, unit_cost)
                    VALUES (\(bind: context.id), \(bind: warehouseID), \(bind: lotID), \(bind: quantity),
                            COALESCE((SELECT o.unit_cost FROM stock o WHERE o.product_id = \(bind: context.id) AND o.lot_serial_id = \(bind: lotID)
                                      ORDER BY o.quantity DESC LIMIT 1), 0))
                    ON CONFLICT (product_id, warehouse_id, lot_serial_id) DO UPDATE SET quantity = stock.quantity + excluded.quantity
                        WHERE \(Self.roomFor(quantity, value: nil))
                    RETURNING unit_cost, quantity
                    """).first()
                guard let stocked else {
                    throw try await overfull(context, warehouseID: warehouseID, warehouse: warehouse, lot: lot, quantity: quantity, value: nil)
                }
                if let then, then.quantity > 0 {
                    // Dated back, at the cost the row had on that date, not today's (a line
                    // without a cost was refused as coming in at another cost; a QA run).
                    value = Money.share(then.value, part: quantity, whole: then.quantity)
                    pendingValueFix = try stocked.int("quantity")
                } else {
                    value = Money.value(of: quantity, at: try stocked.int("unit_cost"))
                }
            }
        }
        if quantity > 0, let then { try await refuseLaterCostChange([row], held: [row: then], incoming: (quantity, value)) }
        stockChanges[row, default: 0] += quantity
        // A receipt that gave no cost, of stock whose cost nobody gave yet: valued at 0, marked.
        var costMissing = false
        if kind == .receipt, quantity > 0, value == 0, case .current = cost { costMissing = true }
        pendingMovements.append(PendingMovement(line: line, productID: context.id, warehouseID: warehouseID, lotID: lotID,
                                                quantity: quantity, value: value, override: override, costMissing: costMissing))
        movements.append(.init(line: line, product: context.product.article, warehouse: warehouse, number: lot?.number,
                               quantity: Quantity(storage: quantity).decimal, value: Money(storage: value).decimal, override: override))
        valueByLine[line, default: 0] += value
        if let lot { lotsByLine[line, default: []].append(lot.id) }
        if let pendingValueFix { try await resetUnitCosts([row], quantities: [row: pendingValueFix]) }
        return value
    }

    /// Why an outgoing movement cannot take what it asks for: how much the warehouse holds, or
    /// where the lot or serial is instead.
    private func shortage(_ context: ProductContext, warehouseID: Int, warehouse: String, lot: LotRecord?, quantity: Int) async throws -> RegistryError {
        var error = try await shortageReason(context, warehouseID: warehouseID, warehouse: warehouse, lot: lot, quantity: quantity)
        if let lot, allocatedLots.contains(lot.id) { error.allocationRaced = true }
        return error
    }

    private func shortageReason(_ context: ProductContext, warehouseID: Int, warehouse: String, lot: LotRecord?, quantity: Int) async throws -> RegistryError {
        let row = try await db.raw("""
            SELECT quantity FROM stock WHERE product_id = \(bind: context.id) AND warehouse_id = \(bind: warehouseID) AND lot_serial_id = \(bind: lot?.id ?? 0)
            """).first()
        let held = try row?.int("quantity") ?? 0
        let what = lot.map { "\(context.kindName) \($0.number) of \(context.product.article)" }
            ?? "\(context.product.article)\(context.tracking == .none ? "" : " without a number")"
        if let lot, held == 0 {
            // Say where it is instead of "holds 0".
            let elsewhere = try await db.raw("""
                SELECT w.code FROM stock s JOIN warehouses w ON w.id = s.warehouse_id
                WHERE s.lot_serial_id = \(bind: lot.id) AND s.quantity > 0 ORDER BY w.code
                """).all().map { try $0.string("code") }
            // A row at zero: it was here, and is used up (a line's component lot run out).
            let usedUp = row != nil && context.tracking == .lot
            if elsewhere.isEmpty {
                // The document that took the last of it, by name: a line's own production used a
                // component up, and the message sent the operator looking for an issue or a
                // write-off that never happened (found by a QA run).
                let last = try await db.raw("""
                    SELECT d.kind, d.number FROM movements m JOIN documents d ON d.id = m.document_id
                    WHERE m.lot_serial_id = \(bind: lot.id) AND m.quantity < 0 ORDER BY m.id DESC LIMIT 1
                    """).first()
                let went = try last.map { row in
                    let number = try row.string("number")
                    return number == placeholder ? " (this \(kind.rawValue) took the last of it)" : " (the last of it went with \(try row.string("kind")) \(number))"
                } ?? ""
                return RegistryError(.conflict, usedUp
                    ? "\(what): none is left in \(warehouse) nor anywhere else\(went): take another lot"
                    : "\(what) is not in \(warehouse), nor in any other warehouse\(went.isEmpty ? ": it was issued, moved out or written off" : went) (see its history)")
            }
            return RegistryError(.conflict, usedUp ? "\(what): none is left in \(warehouse) (it was used up or moved out; \(elsewhere.joined(separator: ", ")) still holds some): take another lot, or move stock in"
                : "\(what) is in \(elsewhere.joined(separator: ", ")), not in \(warehouse)")
        }
        return RegistryError(.conflict,
            "\(what): \(warehouse) holds \(Quantity(storage: held)) \(context.product.unit), not the \(Quantity(storage: quantity)) asked for")
    }

    /// Why an incoming movement cannot be taken: the stock row would hold more than the most one may.
    private func overfull(_ context: ProductContext, warehouseID: Int, warehouse: String, lot: LotRecord?, quantity: Int,
                          value: Int?) async throws -> RegistryError {
        let row = try await db.raw("""
            SELECT quantity, unit_cost FROM stock WHERE product_id = \(bind: context.id) AND warehouse_id = \(bind: warehouseID) AND lot_serial_id = \(bind: lot?.id ?? 0)
            """).first()
        let held = try row?.int("quantity") ?? 0
        let what = lot.map { "\(context.kindName) \($0.number) of \(context.product.article)" } ?? context.product.article
        if held <= Self.maximumStockQuantity - quantity {
            let unitCost = try row?.int("unit_cost") ?? 0
            let worth = Money(storage: Money.value(of: held, at: unitCost))
            let coming = value.map { Money(storage: $0) } ?? Money(storage: Money.value(of: quantity, at: unitCost))
            return RegistryError(.invalidInput,
                "\(what): \(warehouse) holds \(Quantity(storage: held)) \(context.product.unit) worth \(worth), and \(coming) more would be worth more than \(Money(storage: Self.maximumStockValue)), the most one stock row may be worth: check the quantities and the unit costs; nothing was posted")
        }
        return RegistryError(.invalidInput,
            "\(what): \(warehouse) holds \(Quantity(storage: held)) \(context.product.unit), and \(Quantity(storage: quantity)) more would be more than \(Quantity(storage: Self.maximumStockQuantity)), the most one stock row may hold: check the quantities; nothing was posted")
    }

    func totalStock(_ lotID: Int) async throws -> Int {
        try await db.raw("SELECT CAST(COALESCE(SUM(quantity), 0) AS BIGINT) AS total FROM stock WHERE lot_serial_id = \(bind: lotID)").first()!.int("total")
    }

    /// Records when a lot or serial first came into stock, unless it had already: FIFO follows the
    /// document's date, the posting time breaking ties between lots of one day.
    func markReceived(_ lotID: Int) async throws {
        if createdLots.contains(lotID) { return }  // inserted with it
        try await db.raw("""
            UPDATE lot_serials SET received_at = \(bind: created), received_on = \(bind: date.description)
            WHERE id = \(bind: lotID) AND received_at IS NULL
            """).run()
    }

    func setStatus(_ lotID: Int, _ status: LotSerial.Status) async throws {
        try await db.raw("UPDATE lot_serials SET status = \(bind: status.rawValue) WHERE id = \(bind: lotID)").run()
    }
}

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let self else { return nil }
        return try await transform(self)
    }
}
