public import Foundation
public import GS1
import Problems
import SQLKit
import Store

/// A lot or serial the registry proposes to take, in the class's issue order.
public struct ProposedPick: Codable, Hashable, Sendable {
    public var number: String
    public var quantity: Decimal
    public var expiry: CalendarDate?
    /// Days of shelf life left on the document date.
    public var daysLeft: Int?
    /// The receipt's document date (what FIFO and LIFO order by).
    public var received: String?
}

/// What an issue would take, and when that is less than asked, by how much and why.
public struct Proposal: Codable, Hashable, Sendable {
    /// Why stock of the product was not proposed.
    public enum Reason: String, Codable, Hashable, Sendable {
        case expired, quarantined, blocked
        /// Affected by a recall that is not closed: open (under investigation), or held and its
        /// lot released from the block by hand.
        case recalled
        /// Expires within the shelf life the customer or the order requires.
        case shortShelfLife = "short-shelf-life"
        /// Named in `exclude` (already picked on another document).
        case excluded
        /// Stock without a number yet (numbered when it is issued).
        case unnumbered
        /// Usable, but in another warehouse.
        case otherWarehouse = "other-warehouse"
        /// In stock now, but not on the date of a document dated back, or not on every day since
        /// (received after it, or taken after it).
        case notHeldThen = "not-held-then"
    }

    /// Stock held back for one reason (in one warehouse, for `otherWarehouse`).
    public struct Withheld: Codable, Hashable, Sendable {
        public var reason: Reason
        public var warehouse: String
        public var quantity: Decimal
        /// The first lots or serials it is made of (at most 10).
        public var numbers: [String]
    }

    public var product: String
    public var warehouse: String
    public var unit: String
    public var asked: Decimal
    /// What to take, first to last.
    public var picks: [ProposedPick]
    /// For a class that numbers goods on use: how much of the rest the issue takes from stock
    /// without a number, numbering it then (0 otherwise).
    public var numberedOnIssue: Decimal = 0
    /// How much the picks fall short of `asked`; 0 when they cover it.
    public var shortfall: Decimal
    /// When short: the stock that was not proposed, by reason (empty otherwise).
    public var withheld: [Withheld]

    /// `short by 5 l: 3 l expired (L1, L2), 2 l quarantined (L3); 7 l usable in EAST`, or `nil`.
    public var shortfallDescription: String? {
        guard shortfall > 0 else { return nil }
        let reasons = withheld.map { $0.phrase(unit: unit) }
        return "short by \(shortfall) \(unit)" + (reasons.isEmpty ? ": there is no more stock of \(product)" : ": " + reasons.joined(separator: "; "))
    }
}

extension Proposal.Withheld {
    func phrase(unit: String, shelfLife: String? = nil) -> String {
        let what = switch reason {
        case .expired: "expired"
        case .quarantined: "quarantined"
        case .blocked: "blocked"
        case .recalled: "under recall"
        case .shortShelfLife: shelfLife ?? "expire too soon for the shelf life required"
        case .excluded: "excluded (picked on another document)"
        case .unnumbered: "without a number yet"
        case .otherWarehouse: "usable in \(warehouse)"
        case .notHeldThen: "not held on that date and every day since"
        }
        let list = numbers.isEmpty ? "" : " (\(numbers.joined(separator: ", "))\(numbers.count == 10 ? ", …" : ""))"
        return "\(quantity) \(unit) \(what)\(list)"
    }
}

/// Chooses stock by the class's issue method: FIFO (oldest receipt first), LIFO, sequential
/// (natural number order), expiration (first-expiring first, then earlier receipt, then number).
/// Only available stock is chosen: not quarantined or blocked, not expired, not affected by a
/// recall that is not closed, and with at least the required shelf life (a lot with exactly that many days left
/// qualifies).
enum Allocation {
    struct Candidate {
        let lot: LotRecord
        let quantity: Int
        let received: String?
    }

    static func order(_ method: LotSerialClass.IssueMethod) -> SQLQueryString {
        switch method {
        case .fifo, .manual: "ls.received_on, ls.received_at, ls.id"
        case .lifo: "ls.received_on DESC, ls.received_at DESC, ls.id DESC"
        case .sequential: "ls.sort_key, ls.id"
        case .expiration: "COALESCE(ls.expiry, '9999-12-31'), ls.received_on, ls.received_at, ls.sort_key, ls.id"
        }
    }

    /// Why the rest of a product's stock could not be taken: each lot or serial held back in
    /// `warehouseID`, and the usable stock of the other warehouses. Read only when a line is short.
    static func withheld(_ db: any SQLDatabase, productID: Int, warehouseID: Int, date: CalendarDate,
                         earliestExpiry: CalendarDate, excluding: Set<String>, backdated: Bool = false) async throws -> [Proposal.Withheld] {
        var found: [Proposal.Withheld] = []
        func add(_ reason: Proposal.Reason, _ warehouse: String, _ quantity: Int, _ number: String?) {
            if let index = found.firstIndex(where: { $0.reason == reason && $0.warehouse == warehouse }) {
                found[index].quantity += Quantity(storage: quantity).decimal
                if let number, found[index].numbers.count < 10 { found[index].numbers.append(number) }
            } else {
                found.append(.init(reason: reason, warehouse: warehouse, quantity: Quantity(storage: quantity).decimal, numbers: number.map { [$0] } ?? []))
            }
        }
        let rows = try await db.raw("""
            SELECT s.warehouse_id, w.code AS warehouse, ls.id AS lot_id, ls.number, ls.status, ls.expiry, s.quantity,
                   CASE WHEN \(Allocation.activeRecall("ls.id")) THEN 1 ELSE 0 END AS recalled
            FROM stock s JOIN warehouses w ON w.id = s.warehouse_id LEFT JOIN lot_serials ls ON ls.id = s.lot_serial_id
            WHERE s.product_id = \(bind: productID) AND s.quantity > 0
            ORDER BY w.code, COALESCE(ls.expiry, '9999-12-31'), ls.sort_key
            """).all()
        var here: [(id: Int, number: String, quantity: Int, warehouse: String, reason: Proposal.Reason?)] = []
        var elsewhere: [Int: [(id: Int, number: String, quantity: Int, warehouse: String)]] = [:]
        for row in rows {
            let warehouse = try row.string("warehouse")
            let quantity = try row.int("quantity")
            let number = try row.optionalString("number")
            guard let number else {
                if try row.int("warehouse_id") == warehouseID { add(.unnumbered, warehouse, quantity, nil) }
                continue
            }
            let status = try row.enumeration("status", as: LotSerial.Status.self)
            let expiry = try row.date("expiry")
            // The most final reason first, as they are listed: an expired lot in quarantine was
            // said to be quarantined only, as if releasing it would make it usable (a QA run).
            let reason: Proposal.Reason? = if status == .blocked {
                .blocked
            } else if try row.bool("recalled") {
                .recalled
            } else if let expiry, expiry < date {
                .expired
            } else if status == .quarantined {
                .quarantined
            } else if let expiry, expiry < earliestExpiry {
                .shortShelfLife
            } else if excluding.contains(number) {
                .excluded
            } else {
                nil
            }
            if try row.int("warehouse_id") == warehouseID {
                here.append((try row.int("lot_id"), number, quantity, warehouse, reason))
            } else if reason == nil || reason == .excluded, status == .available {
                elsewhere[try row.int("warehouse_id"), default: []].append((try row.int("lot_id"), number, quantity, warehouse))
            }
        }
        // Another warehouse's stock is usable there on that date only as far as it held it then
        // and every day since, as here: said as today's, a picker sent there was refused
        // (found by a QA run).
        for (other, lots) in elsewhere.sorted(by: { $0.key < $1.key }) {
            let least = backdated ? try await leastHeld(db, lots.map { ($0.id, $0.quantity) }, warehouseID: other, from: date) : [:]
            for lot in lots {
                let held = min(lot.quantity, max(0, least[lot.id, default: lot.quantity]))
                if held > 0 { add(.otherWarehouse, lot.warehouse, held, lot.number) }
            }
        }
        // Dated before today, what the warehouse did not hold that day and every day since was
        // not there to take, whatever befell it later: a lot received and quarantined after the
        // date is "not held then", not "quarantined" (releasing it would not help; found by a
        // QA run). What it did hold keeps its own reason.
        let least = backdated && !here.isEmpty
            ? try await leastHeld(db, here.map { ($0.id, $0.quantity) }, warehouseID: warehouseID, from: date) : [:]
        for lot in here {
            let held = min(lot.quantity, max(0, least[lot.id, default: lot.quantity]))
            if held < lot.quantity { add(.notHeldThen, lot.warehouse, lot.quantity - held, lot.number) }
            if let reason = lot.reason, held > 0 { add(reason, lot.warehouse, held, lot.number) }
        }
        // Reasons here first, most final first; other warehouses last.
        let order: [Proposal.Reason] = [.blocked, .recalled, .expired, .quarantined, .shortShelfLife, .excluded, .notHeldThen, .unnumbered, .otherWarehouse]
        return found.sorted { (order.firstIndex(of: $0.reason)!, $0.warehouse) < (order.firstIndex(of: $1.reason)!, $1.warehouse) }
    }

    /// Candidates in issue order until `quantity` is covered (or stock runs out).
    /// `backdated`: the date of a document dated before today, which may take of each lot only
    /// what the warehouse held of it that day and kept on every later day (``heldSince(_:_:warehouseID:)``).
    static func candidates(_ db: any SQLDatabase, productID: Int, warehouseID: Int, method: LotSerialClass.IssueMethod,
                           quantity: Int, earliestExpiry: CalendarDate, excluding: [String] = [],
                           backdated: CalendarDate? = nil) async throws -> [Candidate] {
        var found: [Candidate] = []
        var covered = 0
        var offset = 0
        // A few lots usually cover a line: the first page is small, the next ones grow.
        var page = firstPage
        while covered < quantity {
            let rows = try await db.raw(self.page(productID: productID, warehouseID: warehouseID, method: method,
                                                  earliestExpiry: earliestExpiry, excluding: excluding, limit: page, offset: offset)).all()
            var candidates = try rows.map(Candidate.init)
            if let backdated { candidates = try await heldSince(db, candidates, warehouseID: warehouseID, from: backdated) }
            for candidate in candidates where covered < quantity {
                found.append(candidate)
                covered += candidate.quantity
            }
            if rows.count < page { break }
            offset += page
            page = min(page * 4, 512)
        }
        return found
    }

    /// `date` when a document dated then must take lots as they were held that day: it is before
    /// today, and something was posted dated after it (one probe of the date index). Otherwise nil,
    /// and lots are taken as they are now: nothing changed since.
    static func backdated(_ db: any SQLDatabase, _ date: CalendarDate, today: CalendarDate) async throws -> CalendarDate? {
        guard date < today else { return nil }
        return try await db.raw("SELECT 1 AS x FROM documents WHERE doc_date > \(bind: date.description) LIMIT 1").first() != nil ? date : nil
    }

    /// `candidates` as a document dated `date` may take them: of each lot, the least the
    /// warehouse holds of it from that day on (its stock that day, less any later day's dip), so
    /// that taking it leaves no day after with less than nothing. Lots that came in after the
    /// date are dropped: proposed, the issue was refused for them while an earlier lot could have
    /// covered it (found by a QA run).
    static func heldSince(_ db: any SQLDatabase, _ candidates: [Candidate], warehouseID: Int,
                          from date: CalendarDate) async throws -> [Candidate] {
        guard !candidates.isEmpty else { return candidates }
        let least = try await leastHeld(db, candidates.map { ($0.lot.id, $0.quantity) }, warehouseID: warehouseID, from: date)
        return candidates.compactMap { candidate in
            guard let held = least[candidate.lot.id] else { return candidate }
            guard held > 0 else { return nil }
            return Candidate(lot: candidate.lot, quantity: held, received: candidate.received)
        }
    }

    /// Of lots holding `quantity` now in `warehouseID`, the least each held on `date` or any day
    /// after, for those that moved after it (stock that day, then each later day's).
    static func leastHeld(_ db: any SQLDatabase, _ lots: [(id: Int, quantity: Int)], warehouseID: Int,
                          from date: CalendarDate) async throws -> [Int: Int] {
        var later: [Int: [Int]] = [:]
        for chunk in lots.chunks(of: 500) {
            for row in try await db.raw("""
                SELECT m.lot_serial_id, d.doc_date, CAST(SUM(m.quantity) AS BIGINT) AS quantity
                FROM movements m JOIN documents d ON d.id = m.document_id
                WHERE m.warehouse_id = \(bind: warehouseID) AND m.lot_serial_id IN (\(binds: chunk.map(\.id)))
                  AND d.doc_date > \(bind: date.description)
                GROUP BY m.lot_serial_id, d.doc_date
                ORDER BY m.lot_serial_id, d.doc_date
                """).all() {
                later[try row.int("lot_serial_id"), default: []].append(try row.int("quantity"))
            }
        }
        var least: [Int: Int] = [:]
        for lot in lots {
            guard let changes = later[lot.id] else { continue }
            var held = lot.quantity - changes.reduce(0, +)
            var lowest = held
            for change in changes {
                held += change
                lowest = min(lowest, held)
            }
            least[lot.id] = lowest
        }
        return least
    }

    /// How many candidates the first page of a line holds.
    static let firstPage = 8

    /// The first page of candidates of several lines in one statement (on PostgreSQL, one round
    /// trip for a document instead of one per line), by the caller's key.
    static func firstPages(_ db: any SQLDatabase,
                           _ lines: [(key: Int, productID: Int, warehouseID: Int, method: LotSerialClass.IssueMethod, earliestExpiry: CalendarDate)])
        async throws -> [Int: [Candidate]] {
        guard !lines.isEmpty else { return [:] }
        var pages: [Int: [Candidate]] = [:]
        for line in lines { pages[line.key] = [] }
        if db.dialect.name == "postgresql" {
            for row in try await db.raw(lateralPages(lines)).all() {
                pages[try row.int("line_key"), default: []].append(try Candidate(row))
            }
            return pages
        }
        var query: SQLQueryString = ""
        for (position, line) in lines.enumerated() {
            if position > 0 { query += " UNION ALL " }
            // Columns named, not `*`: a statement that selects `*` is not kept prepared on PostgreSQL.
            let alias = "p\(position)"
            query += "SELECT \(literal: line.key) AS line_key, \(unsafeRaw: alias).id, \(unsafeRaw: alias).number, \(unsafeRaw: alias).status, "
            query += "\(unsafeRaw: alias).expiry, \(unsafeRaw: alias).received_on, \(unsafeRaw: alias).quantity FROM ("
            query += page(productID: line.productID, warehouseID: line.warehouseID, method: line.method,
                          earliestExpiry: line.earliestExpiry, excluding: [], limit: firstPage, offset: 0)
            query += ") AS \(unsafeRaw: alias)"
        }
        for row in try await db.raw(query).all() {
            pages[try row.int("line_key"), default: []].append(try Candidate(row))
        }
        return pages
    }

    /// The first pages on PostgreSQL: the lines as one JSON parameter, each joined laterally to
    /// its page, one block per issue method. A union of one page per line cost more to plan
    /// (about 0.35 ms a page, every time: custom plans) than to run; this text is the same for
    /// any document with the same methods, and its page is planned once for all its lines.
    private static func lateralPages(
        _ lines: [(key: Int, productID: Int, warehouseID: Int, method: LotSerialClass.IssueMethod, earliestExpiry: CalendarDate)]
    ) -> SQLQueryString {
        var query: SQLQueryString = ""
        let methods = LotSerialClass.IssueMethod.allCases.filter { method in lines.contains { $0.method == method } }
        for (position, method) in methods.enumerated() {
            var json = "["
            for line in lines where line.method == method {
                if json.utf8.count > 1 { json += "," }
                json += "{\"k\":\(line.key),\"p\":\(line.productID),\"w\":\(line.warehouseID),\"e\":"
                JSONText.append(line.earliestExpiry.description, to: &json)
                json += "}"
            }
            json += "]"
            if position > 0 { query += " UNION ALL " }
            query += """
                SELECT r.k AS line_key, c.id, c.number, c.status, c.expiry, c.received_on, c.quantity
                FROM json_to_recordset(\(bind: json)::json) AS r(k bigint, p bigint, w bigint, e text)
                CROSS JOIN LATERAL (\(page(product: "r.p", warehouse: "r.w", method: method, earliestExpiry: "r.e",
                                            excluding: [], limit: firstPage, offset: 0))) AS c
                """
        }
        return query
    }

    /// The first (lowest id) recall not closed that affects the lot whose id is the SQL `lot`,
    /// as a scalar subquery: what stock and the expiry report show beside a lot.
    static func firstActiveRecall(_ lot: String) -> SQLQueryString {
        "(SELECT MIN(rc.id) FROM \(activeRecalls(of: lot)))"
    }

    /// Whether the lot or serial whose id is the SQL `lot` is affected by a recall that is not
    /// closed: open, or held (its lots in stock are blocked, but a status set back to available by
    /// hand does not clear a lot of its recall; closing the recall does).
    static func activeRecall(_ lot: String) -> SQLQueryString {
        "EXISTS (SELECT 1 FROM \(activeRecalls(of: lot)))"
    }

    /// The recalls not closed that affect the lot or serial whose id is the SQL `lot`, as `rc`:
    /// the FROM and WHERE of a subquery, one definition for every reader of it.
    static func activeRecalls(of lot: String) -> SQLQueryString {
        "recall_lots rl JOIN recalls rc ON rc.id = rl.recall_id WHERE rl.lot_serial_id = \(unsafeRaw: lot) AND rc.state <> 'closed'"
    }

    /// One page of a product's available lots with stock in a warehouse, in issue order.
    private static func page(productID: Int, warehouseID: Int, method: LotSerialClass.IssueMethod, earliestExpiry: CalendarDate,
                             excluding: [String], limit: Int, offset: Int) -> SQLQueryString {
        page(product: "\(bind: productID)", warehouse: "\(bind: warehouseID)", method: method,
             earliestExpiry: "\(bind: earliestExpiry.description)", excluding: excluding, limit: limit, offset: offset)
    }

    /// The same with the product, warehouse and earliest expiry as SQL: values bound, or the
    /// columns of the row a lateral join runs it for.
    fileprivate static func page(product: SQLQueryString, warehouse: SQLQueryString, method: LotSerialClass.IssueMethod,
                             earliestExpiry: SQLQueryString, excluding: [String], limit: Int, offset: Int) -> SQLQueryString {
        // The stock is read per lot by a subquery rather than joined: joined, PostgreSQL
        // misjudges how many lots have stock and sorts every lot of the product (13 ms for
        // 10,000 lots) instead of walking the issue order's index until the page is full (2 ms).
        let stock: SQLQueryString = """
            (SELECT s.quantity FROM stock s
             WHERE s.product_id = ls.product_id AND s.warehouse_id = \(warehouse) AND s.lot_serial_id = ls.id)
            """
        let exclusion: SQLQueryString = excluding.isEmpty ? "" : " AND ls.number NOT IN (\(binds: excluding))"
        return """
            SELECT ls.id, ls.number, ls.status, ls.expiry, ls.received_on, \(stock) AS quantity
            FROM lot_serials ls
            WHERE ls.product_id = \(product) AND ls.status = 'available'
              AND COALESCE(ls.expiry, '9999-12-31') >= \(earliestExpiry) AND \(stock) > 0\(exclusion)
              AND NOT \(activeRecall("ls.id"))
            ORDER BY \(order(method)) LIMIT \(literal: limit) OFFSET \(literal: offset)
            """
    }
}

extension Allocation.Candidate {
    init(_ row: any SQLRow) throws {
        self.init(lot: try Posting.decodeLot(row), quantity: try row.int("quantity"), received: try row.optionalString("received_on"))
    }
}

extension Registry {
    /// The lots or serials an issue of `quantity` would take from `warehouse`, in the class's
    /// issue order, with the shelf life the customer (or this order) requires, leaving out the
    /// numbers in `excluding` (picked on another document). When they fall short, the proposal
    /// says by how much and why, split by reason.
    public func proposal(product article: String, warehouse: String, quantity: Decimal, date: CalendarDate? = nil,
                         customer: String? = nil, minimumShelfLifeDays: Int? = nil, excluding: [String] = []) async throws -> Proposal {
        let date = date ?? today
        let excluding = excluding.map(\.trimmingSpaces)
        guard excluding.count <= 1000 else { throw RegistryError(.invalidInput, "exclude at most 1000 numbers, not \(excluding.count)") }
        // The bounds the issue's line has: a proposal of -5 answered a shortfall of -5 (found by
        // a QA run).
        guard quantity > 0 else { throw RegistryError(.invalidInput, "quantity \(quantity) must be more than zero") }
        guard quantity <= Quantity(storage: Posting.maximumLineQuantity).decimal else {
            throw RegistryError(.invalidInput,
                "quantity \(quantity) is more than \(Quantity(storage: Posting.maximumLineQuantity)), the most one line may take: check it")
        }
        return try await store.read { db in
            // Product, its class's issue method and the warehouse in one round trip (a proposal
            // is asked for while an operator waits; on PostgreSQL each statement is a round trip).
            // On PostgreSQL the same statement reads the first page of lots, laterally, in the
            // issue order the product had last time: a changed order costs one more statement
            // (the page is read again), never a wrong proposal. With a customer whose shelf life
            // sets the earliest expiry the page waits for it.
            let postgres = db.dialect.name == "postgresql"
            let hint = self.resolveHints.issueMethod(for: .article(article)) ?? .expiration
            let joinsPage = postgres && (minimumShelfLifeDays != nil || customer == nil)
            let product: SQLQueryString = """
                SELECT p.id AS product_id, p.unit, p.decimals, c.tracking, c.issue_method, c.assignment,
                       (SELECT w.id FROM warehouses w WHERE w.code = \(bind: warehouse)) AS warehouse_id
                FROM products p LEFT JOIN lot_serial_classes c ON c.code = p.class_code
                WHERE p.article = \(bind: article)
                """
            let rows = try await db.raw(!joinsPage ? product : """
                SELECT f.product_id, f.unit, f.decimals, f.tracking, f.issue_method, f.assignment, f.warehouse_id,
                       pg.id, pg.number, pg.status, pg.expiry, pg.received_on, pg.quantity
                FROM (\(product)) AS f
                LEFT JOIN LATERAL (\(Allocation.page(
                    product: "f.product_id", warehouse: "f.warehouse_id", method: hint,
                    earliestExpiry: "\(bind: date.adding(days: minimumShelfLifeDays ?? 0).description)",
                    excluding: excluding, limit: Allocation.firstPage, offset: 0))) AS pg ON true
                """).all()
            guard let row = rows.first else {
                throw RegistryError(.notFound, "product \(article) does not exist")
            }
            let productID = try row.int("product_id")
            guard let tracking = try row.optionalString("tracking").flatMap(LotSerialClass.Tracking.init(rawValue:)),
                  tracking != .none,
                  let issueMethod = try row.optionalString("issue_method").flatMap(LotSerialClass.IssueMethod.init(rawValue:)) else {
                throw RegistryError(.invalidInput, "product \(article) is not tracked by lot or serial: there is nothing to propose")
            }
            guard let warehouseID = try row.optionalInt("warehouse_id") else {
                throw RegistryError(.notFound, "warehouse \(warehouse) does not exist")
            }
            // The issue refuses to choose for a manual class; a proposal that chose (in receipt
            // order) was one the issue then refused.
            guard issueMethod != .manual else {
                throw RegistryError(.invalidInput,
                    "product \(article): its class issues manually, so there is no order to propose: name the \(tracking == .serial ? "serials" : "lots") to take (tracemark stock --product \(article) --warehouse \(warehouse) lists them)")
            }
            var shelfLife = minimumShelfLifeDays ?? 0
            if minimumShelfLifeDays == nil, let customer {
                shelfLife = try await Posting.partner(db, customer, as: .customer).1.minimumShelfLifeDays ?? 0
            }
            self.resolveHints.remember(issueMethod, for: .article(article))
            let wanted = try Quantity(quantity).storage
            // A quantity the issue would refuse (more decimals than the product is counted in)
            // is refused here too: the proposal offered 1.234 of a product counted to 0.01, and
            // the issue posted from it was refused (found by a QA run).
            try Product(article: article, unit: try row.string("unit"), decimals: try row.optionalInt("decimals")).checkDecimals(wanted)
            let earliest = date.adding(days: shelfLife)
            var candidates: [Allocation.Candidate] = []
            var covered = 0
            // Dated before today: what each lot held from that day on (the page read with the
            // product is today's stock).
            let backdated = try await Allocation.backdated(db, date, today: self.today)
            if joinsPage, issueMethod == hint, backdated == nil {
                for row in rows where try row.optionalInt("id") != nil && covered < wanted {
                    let candidate = try Allocation.Candidate(row)
                    candidates.append(candidate)
                    covered += candidate.quantity
                }
            }
            // The page read with the product does not settle it (another order, or a full page
            // that does not cover the quantity): read in issue order from the start.
            if !(joinsPage && issueMethod == hint && backdated == nil && (covered >= wanted || rows.count < Allocation.firstPage)) {
                candidates = try await Allocation.candidates(db, productID: productID, warehouseID: warehouseID,
                                                             method: issueMethod, quantity: wanted,
                                                             earliestExpiry: earliest, excluding: excluding, backdated: backdated)
            }
            var remaining = wanted
            let picks = candidates.map { candidate in
                let take = min(remaining, candidate.quantity)
                remaining -= take
                return ProposedPick(number: candidate.lot.number, quantity: Quantity(storage: take).decimal,
                                    expiry: candidate.lot.expiry,
                                    daysLeft: candidate.lot.expiry.map { $0.daysSinceEpoch - date.daysSinceEpoch },
                                    received: candidate.received)
            }
            // A class that numbers on use takes the rest from stock without a number, as the issue does.
            let numbersOnUse = try row.optionalString("assignment") == LotSerialClass.Assignment.use.rawValue
            var numberedOnIssue = 0
            if numbersOnUse, remaining > 0 {
                let unnumbered = try await Registry.unnumberedStock(db, product: productID, warehouse: warehouseID)
                numberedOnIssue = min(remaining, max(0, unnumbered))
                remaining -= numberedOnIssue
            }
            let withheld = remaining > 0
                ? try await Allocation.withheld(db, productID: productID, warehouseID: warehouseID, date: date,
                                                earliestExpiry: earliest, excluding: Set(excluding), backdated: backdated != nil)
                    .filter { !(numbersOnUse && $0.reason == .unnumbered && $0.warehouse == warehouse) }
                : []
            return Proposal(product: article, warehouse: warehouse, unit: try row.string("unit"), asked: quantity, picks: picks,
                            numberedOnIssue: Quantity(storage: numberedOnIssue).decimal,
                            shortfall: Quantity(storage: remaining).decimal, withheld: withheld)
        }
    }
}

extension Registry {
    /// A product's stock without a number in a warehouse (received before it was numbered, or
    /// kept unnumbered by a class that numbers on use), in millionths.
    static func unnumberedStock(_ db: any SQLDatabase, product: Int, warehouse: Int) async throws -> Int {
        try await db.raw("""
            SELECT quantity FROM stock WHERE product_id = \(bind: product) AND warehouse_id = \(bind: warehouse) AND lot_serial_id = 0
            """).first()?.int("quantity") ?? 0
    }
}
