public import Foundation
public import GS1
import SQLKit
import Store

/// The stock statement of a period: every movement, grouped per product, warehouse and
/// lot/serial, each group between its opening balance (the end of the day before `from`) and its
/// closing balance (the end of `through`). Dates are the documents' dates.
public struct MovementReport: Codable, Hashable, Sendable {
    public struct Row: Codable, Hashable, Sendable {
        public var date: CalendarDate
        public var document: String
        public var kind: DocumentKind
        /// The supplier or customer.
        public var partner: String?
        /// Signed: positive into the warehouse, negative out of it.
        public var quantity: Decimal
        /// What it moved, at cost (signed like the quantity).
        public var value: Decimal
        public var override: String?
        /// When it was posted (UTC).
        public var posted: String
    }

    public struct Group: Codable, Hashable, Sendable {
        public var product: String
        public var warehouse: String
        /// `nil`: stock without a number.
        public var number: String?
        public var unit: String
        public var opening: Decimal
        /// The rows that match the filters, in date and posting order.
        public var rows: [Row]
        /// Opening plus every movement of the period (also those a kind or partner filter hides).
        public var closing: Decimal
    }

    public var from: CalendarDate
    public var through: CalendarDate
    public var groups: [Group]

    /// RFC 4180, one row per movement with its group's opening and closing balance; a group that
    /// did not move is one row with its balance and no movement.
    public var csv: String {
        var out = "product,warehouse,number,unit,opening,date,document,kind,partner,quantity,value,override,closing\r\n"
        for group in groups {
            if group.rows.isEmpty {
                out += [group.product, group.warehouse, group.number ?? "", group.unit, "\(group.opening)", "", "", "", "", "", "", "", "\(group.closing)"]
                    .map(CSVText.field).joined(separator: ",") + "\r\n"
            }
            for row in group.rows {
                out += [group.product, group.warehouse, group.number ?? "", group.unit, "\(group.opening)", row.date.description,
                        row.document, row.kind.rawValue, row.partner ?? "", "\(row.quantity)", "\(row.value)", row.override ?? "", "\(group.closing)"]
                    .map(CSVText.field).joined(separator: ",") + "\r\n"
            }
        }
        return out
    }
}

/// Stock at the end of a day, rebuilt from the ledger by the documents' dates.
public struct BalanceReport: Codable, Hashable, Sendable {
    public struct Line: Codable, Hashable, Sendable {
        public var product: String
        public var warehouse: String
        public var number: String?
        public var quantity: Decimal
        public var unit: String
    }

    public var at: CalendarDate
    public var lines: [Line]

    public var csv: String {
        "product,warehouse,number,quantity,unit\r\n" + lines.map {
            [$0.product, $0.warehouse, $0.number ?? "", "\($0.quantity)", $0.unit].map(CSVText.field).joined(separator: ",") + "\r\n"
        }.joined()
    }
}

extension Registry {
    /// The stock statement from `from` through `through` (document dates, both days included),
    /// of one product, lot/serial, warehouse, partner or document kind when given.
    public func movementReport(from: CalendarDate, through: CalendarDate, product: String? = nil, number: String? = nil,
                               warehouse: String? = nil, partner: String? = nil, kind: DocumentKind? = nil) async throws -> MovementReport {
        guard from <= through else { throw RegistryError(.invalidInput, "the period runs from \(from) through \(through): the start is after the end") }
        let number = number?.trimmingSpaces
        return try await store.snapshot { db in
            try await Self.checkFilters(db, product: product, warehouse: warehouse, partner: partner)
            if let number {
                let ofProduct: SQLQueryString = product.map { " AND product_id IN (SELECT id FROM products WHERE article = \(bind: $0))" } ?? ""
                if try await db.raw("SELECT 1 AS x FROM lot_serials WHERE number = \(bind: number)\(ofProduct) LIMIT 1").first() == nil {
                    throw RegistryError(.notFound, "no lot or serial \(number)\(product.map { " of \($0)" } ?? "") exists")
                }
            }
            // What identifies a group: product, warehouse, lot (0 for stock without a number).
            var scope: SQLQueryString = "1 = 1"
            if let product { scope += " AND p.article = \(bind: product)" }
            if let warehouse { scope += " AND w.code = \(bind: warehouse)" }
            if let number { scope += " AND ls.number = \(bind: number)" }
            var shown = scope
            if let partner { shown += " AND pa.code = \(bind: partner)" }
            if let kind { shown += " AND d.kind = \(bind: kind.rawValue)" }
            let rows = try await db.raw("""
                SELECT m.product_id, m.warehouse_id, m.lot_serial_id, p.article, p.unit, w.code AS warehouse, ls.number,
                       d.doc_date, d.number AS document, d.kind, pa.code AS partner, m.quantity, m.value, m.override, m.created_at
                FROM movements m JOIN documents d ON d.id = m.document_id JOIN products p ON p.id = m.product_id
                JOIN warehouses w ON w.id = m.warehouse_id LEFT JOIN lot_serials ls ON ls.id = m.lot_serial_id
                LEFT JOIN partners pa ON pa.id = d.partner_id
                WHERE d.doc_date >= \(bind: from.description) AND d.doc_date <= \(bind: through.description) AND \(shown)
                ORDER BY p.article, w.code, ls.sort_key, m.lot_serial_id, d.doc_date, m.id
                """).all()
            // Opening and closing balances of the groups in scope: the stock at the end of the day
            // before (from the nearest kept balance, as a balance on a day is read) and the
            // period's movements, in one statement. A group that held stock without moving is
            // part of the statement too (opening = closing, no rows), unless a partner or kind
            // filter asks for the movements of that partner or kind only.
            let balances = try await db.raw("""
                SELECT x.product_id, x.warehouse_id, x.lot_serial_id, MIN(p.article) AS article, MIN(p.unit) AS unit,
                       MIN(w.code) AS warehouse, MIN(ls.number) AS number,
                       CAST(SUM(x.opening) AS BIGINT) AS opening, CAST(SUM(x.quantity) AS BIGINT) AS closing
                FROM (SELECT product_id, warehouse_id, lot_serial_id, quantity AS opening, quantity
                      FROM \(Self.stock(atEndOf: from.adding(days: -1))) o
                      UNION ALL
                      SELECT m.product_id, m.warehouse_id, m.lot_serial_id, 0, m.quantity FROM movements m JOIN documents d ON d.id = m.document_id
                      WHERE d.doc_date >= \(bind: from.description) AND d.doc_date <= \(bind: through.description)) x
                JOIN products p ON p.id = x.product_id JOIN warehouses w ON w.id = x.warehouse_id LEFT JOIN lot_serials ls ON ls.id = x.lot_serial_id
                WHERE \(scope)
                GROUP BY x.product_id, x.warehouse_id, x.lot_serial_id
                ORDER BY MIN(p.article), MIN(w.code), MIN(ls.sort_key), x.lot_serial_id
                """).all()
            struct Key: Hashable { let product: Int, warehouse: Int, lot: Int }
            func key(_ row: any SQLRow) throws -> Key {
                Key(product: try row.int("product_id"), warehouse: try row.int("warehouse_id"), lot: try row.int("lot_serial_id"))
            }
            func group(_ row: any SQLRow, opening: Int, closing: Int) throws -> MovementReport.Group {
                MovementReport.Group(product: try row.string("article"), warehouse: try row.string("warehouse"),
                                     number: try row.optionalString("number"), unit: try row.string("unit"),
                                     opening: Quantity(storage: opening).decimal, rows: [], closing: Quantity(storage: closing).decimal)
            }
            var balance: [Key: (Int, Int)] = [:]
            var groups: [MovementReport.Group] = []
            var index: [Key: Int] = [:]
            // Unfiltered, every group in scope with stock or a movement, in the statement's
            // order; filtered, the groups with such movements, as the movements come.
            if partner == nil && kind == nil {
                let moved = Set(try rows.map(key))
                for row in balances {
                    let (k, opening, closing) = (try key(row), try row.int("opening"), try row.int("closing"))
                    guard opening != 0 || closing != 0 || moved.contains(k) else { continue }
                    index[k] = groups.count
                    groups.append(try group(row, opening: opening, closing: closing))
                }
            } else {
                for row in balances { balance[try key(row)] = (try row.int("opening"), try row.int("closing")) }
            }
            for row in rows {
                let k = try key(row)
                if index[k] == nil {
                    let (opening, closing) = balance[k] ?? (0, 0)
                    index[k] = groups.count
                    groups.append(try group(row, opening: opening, closing: closing))
                }
                guard let date = try row.date("doc_date") else { continue }
                groups[index[k]!].rows.append(MovementReport.Row(
                    date: date, document: try row.string("document"), kind: try row.enumeration("kind", as: DocumentKind.self),
                    partner: try row.optionalString("partner"), quantity: Quantity(storage: try row.int("quantity")).decimal,
                    value: Money(storage: try row.int("value")).decimal, override: try row.optionalString("override"),
                    posted: try row.string("created_at")))
            }
            return MovementReport(from: from, through: through, groups: groups)
        }
    }

    /// What was in stock at the end of `date`, per product, warehouse and lot/serial: the closing
    /// balance of the last period closed on or before it, plus every movement of documents dated
    /// after that and up to `date` (the whole ledger when no period is closed).
    public func balance(at date: CalendarDate, product: String? = nil, warehouse: String? = nil) async throws -> BalanceReport {
        let lines = try await stockRows(atEndOf: date, product: product, warehouse: warehouse) { row -> BalanceReport.Line? in
            guard row.quantity != 0 else { return nil }
            return BalanceReport.Line(product: row.product, warehouse: row.warehouse, number: row.number,
                                      quantity: Quantity(storage: row.quantity).decimal, unit: row.unit)
        }
        return BalanceReport(at: date, lines: lines)
    }
}

/// The value of stock at the end of a day per product, warehouse and lot/serial, at cost: the sum
/// of the values its movements carried (specific identification: goods leave at the cost of the
/// lot or serial they are), rebuilt from the ledger like ``BalanceReport``.
public struct ValuationReport: Codable, Hashable, Sendable {
    public struct Line: Codable, Hashable, Sendable {
        public var product: String
        public var warehouse: String
        public var number: String?
        public var quantity: Decimal
        public var unit: String
        public var value: Decimal
        /// The value per unit (rounded to six decimals); `nil` for a line without quantity.
        public var unitCost: Decimal?
        /// It holds goods received without a unit cost (or made from such goods), counted at 0:
        /// its value is not the whole of it. For stock without a number, the product's.
        public var costMissing: Bool
    }

    public var at: CalendarDate
    public var lines: [Line]
    public var total: Decimal

    /// How many lines hold goods without a known cost.
    public var linesWithoutCost: Int { lines.count { $0.costMissing } }

    public var csv: String {
        "product,warehouse,number,quantity,unit,unit_cost,value,cost_missing\r\n" + lines.map {
            [$0.product, $0.warehouse, $0.number ?? "", "\($0.quantity)", $0.unit, $0.unitCost.map { "\($0)" } ?? "", "\($0.value)",
             $0.costMissing ? "yes" : ""]
                .map(CSVText.field).joined(separator: ",") + "\r\n"
        }.joined()
    }
}

extension Registry {
    /// What stock was worth at the end of `date`, per product, warehouse and lot/serial: kept
    /// balance and movements as ``balance(at:product:warehouse:)`` reads them, summing their values.
    public func valuation(at date: CalendarDate, product: String? = nil, warehouse: String? = nil) async throws -> ValuationReport {
        var lines = try await stockRows(atEndOf: date, product: product, warehouse: warehouse) { row in
            ValuationReport.Line(product: row.product, warehouse: row.warehouse, number: row.number,
                                 quantity: Quantity(storage: row.quantity).decimal, unit: row.unit, value: Money(storage: row.value).decimal,
                                 unitCost: row.quantity == 0 ? nil : Money(storage: Money.unitCost(of: row.value, over: row.quantity)).decimal,
                                 costMissing: false)
        }
        // Which lots (and products' stock without a number) hold goods taken in without a cost
        // on that day: such a movement after the last time the lot was emptied, in date order (a
        // lot emptied and received again at a cost was still marked; found by a QA run). Only the
        // lots with such movements are read, through their own index. Each document is one step:
        // a transfer's way out emptied a lot for a moment, and the lot lost its mark in its new
        // warehouse (found by a QA run).
        let missing = try await store.read { db in
            var filter = SQLQueryString("")
            if let product { filter = " AND m.product_id = (SELECT id FROM products WHERE article = \(bind: product))" }
            let query: SQLQueryString = """
                WITH flagged AS (SELECT DISTINCT product_id, lot_serial_id FROM movements WHERE cost_missing = 1),
                ledger AS (
                    SELECT m.product_id, m.lot_serial_id, MAX(m.cost_missing) AS cost_missing,
                           ROW_NUMBER() OVER (PARTITION BY m.product_id, m.lot_serial_id ORDER BY d.doc_date, d.id) AS ord,
                           SUM(SUM(m.quantity)) OVER (PARTITION BY m.product_id, m.lot_serial_id ORDER BY d.doc_date, d.id ROWS UNBOUNDED PRECEDING) AS balance
                    FROM movements m JOIN documents d ON d.id = m.document_id
                    JOIN flagged f ON f.product_id = m.product_id AND f.lot_serial_id = m.lot_serial_id
                    WHERE d.doc_date <= \(bind: date.description)\(filter)
                    GROUP BY m.product_id, m.lot_serial_id, d.doc_date, d.id
                ), marked AS (
                    SELECT product_id, lot_serial_id, cost_missing, ord,
                           MAX(CASE WHEN balance = 0 THEN ord END) OVER (PARTITION BY product_id, lot_serial_id) AS emptied
                    FROM ledger
                )
                SELECT DISTINCT p.article, ls.number FROM marked k JOIN products p ON p.id = k.product_id
                LEFT JOIN lot_serials ls ON ls.id = k.lot_serial_id
                WHERE k.cost_missing = 1 AND k.ord > COALESCE(k.emptied, 0)
                """
            return try await db.raw(query).all().map { "\(try $0.string("article"))\u{0}\(try $0.optionalString("number") ?? "")" }
        }
        if !missing.isEmpty {
            let keys = Set(missing)
            for index in lines.indices where keys.contains("\(lines[index].product)\u{0}\(lines[index].number ?? "")") {
                lines[index].costMissing = true
            }
        }
        return ValuationReport(at: date, lines: lines, total: lines.reduce(Decimal(0)) { $0 + $1.value })
    }
}

/// One product, warehouse and lot/serial of stock on a day, with its value.
struct StockRow {
    var product: String
    var unit: String
    var warehouse: String
    var number: String?
    var quantity: Int
    var value: Int
}

/// Product, warehouse and lot/serial (0: stock without a number), in that order.
private struct StockKey: Hashable, Comparable {
    let product: Int, warehouse: Int, lot: Int
    static func < (a: StockKey, b: StockKey) -> Bool {
        (a.product, a.warehouse, a.lot) < (b.product, b.warehouse, b.lot)
    }
}

/// Movements summed per key as a statement's row handler hands them over.
///
/// Sums wrap rather than trap: the rows come in no order, so a sum on its way may pass 64 bits
/// (a trillion in, then out again, ten times), while the row's stock and value, what the sum
/// ends at, are bounded by ``Posting/maximumStockQuantity`` and ``Posting/maximumStockValue``.
/// Wrapping addition is exact whenever the end does fit.
private final class MovementSums: @unchecked Sendable {
    var sums: [StockKey: (quantity: Int, value: Int)] = [:]

    func add(_ key: StockKey, quantity: Int, value: Int) {
        func add(to sum: inout (quantity: Int, value: Int)) { sum = (sum.quantity &+ quantity, sum.value &+ value) }
        add(to: &sums[key, default: (0, 0)])  // one look-up: the subscript is modified in place
    }
}

/// What a statement's row handler fills as rows stream in (rows are handed over one at a time,
/// and read only after the statement has finished).
private final class RowSink<Element>: @unchecked Sendable {
    var elements: [Element] = []
    var failure: (any Error)?

    func add(_ make: () throws -> Element) {
        guard failure == nil else { return }
        do { elements.append(try make()) } catch { failure = error }
    }

    func result() throws -> [Element] {
        if let failure { throw failure }
        return elements
    }
}

extension Registry {
    /// Stock and its value at the end of `date` per product, warehouse and lot/serial (rows with
    /// neither left out), in product, warehouse and natural number order (stock without a number
    /// last).
    ///
    /// Read as ``stock(atEndOf:)`` defines it, but not grouped by the database, which would sort
    /// every row first (for a kept balance of 300,000 rows and half a month of movements, a second
    /// of SQLite's time): the kept balance comes in key order from its primary key, the movements
    /// after it are summed here and sorted by key, and the two are merged. Names come once per
    /// product, warehouse and lot, in their order, so that the final order sorts integers.
    ///
    /// Each row is handed to `line` as it is made (and dropped when it returns `nil`), so that only
    /// the report's own lines are held at the end.
    /// A report's filters name things that exist: a typo is refused by name, not answered with
    /// an empty report that reads as "nothing there".
    static func checkFilters(_ db: any SQLDatabase, product: String?, warehouse: String?, partner: String?) async throws {
        if let warehouse { _ = try await Posting.warehouse(db, warehouse) }
        if let product, try await fetchProduct(db, article: product) == nil {
            throw RegistryError(.notFound, "product \(product) does not exist")
        }
        if let partner, try await db.raw("SELECT id FROM partners WHERE code = \(bind: partner)").first() == nil {
            throw RegistryError(.notFound, "partner \(partner) does not exist")
        }
    }

    func stockRows<Line: Sendable>(atEndOf date: CalendarDate, product: String?, warehouse: String?,
                                   _ line: @escaping @Sendable (StockRow) -> Line?) async throws -> [Line] {
        try await store.snapshot { db in
            try await Self.checkFilters(db, product: product, warehouse: warehouse, partner: nil)
            // The filters, on the columns of `table` (the kept balance, or the movements: documents
            // have a warehouse too).
            func scope(_ table: String) -> SQLQueryString {
                var scope: SQLQueryString = "1 = 1"
                if let product { scope += " AND \(unsafeRaw: table).product_id IN (SELECT id FROM products WHERE article = \(bind: product))" }
                if let warehouse { scope += " AND \(unsafeRaw: table).warehouse_id IN (SELECT id FROM warehouses WHERE code = \(bind: warehouse))" }
                return scope
            }
            let start = try await db.raw(Self.keptBalanceDay(atEndOf: date)).first()?.string("last_day") ?? "0000-00-00"

            // The movements after the kept balance, summed per key as they come, then in key order.
            let moved = MovementSums()
            try await db.integerRows(SQLQueryString("""
                SELECT m.product_id, m.warehouse_id, m.lot_serial_id, m.quantity, m.value FROM movements m JOIN documents d ON d.id = m.document_id
                WHERE d.doc_date > \(bind: start) AND d.doc_date <= \(bind: date.description) AND \(scope("m"))
                """), columns: 5) { row in
                moved.add(StockKey(product: row[0], warehouse: row[1], lot: row[2]), quantity: row[3], value: row[4])
            }
            var movedSums = moved.sums.map { (key: $0.key, quantity: $0.value.quantity, value: $0.value.value) }
            moved.sums = [:]
            movedSums.sort { $0.key < $1.key }

            // The kept balance in key order, merged with them.
            let kept = RowSink<(StockKey, Int, Int)>()
            try await db.integerRows(SQLQueryString("""
                SELECT b.product_id, b.warehouse_id, b.lot_serial_id, b.quantity, b.value FROM period_balances b
                WHERE b.last_day = \(bind: start) AND \(scope("b")) ORDER BY b.product_id, b.warehouse_id, b.lot_serial_id
                """), columns: 5) { row in
                kept.elements.append((StockKey(product: row[0], warehouse: row[1], lot: row[2]), row[3], row[4]))
            }
            var merged: [(key: StockKey, quantity: Int, value: Int)] = []
            var next = 0
            func takeMoved(before key: StockKey?) {
                while next < movedSums.count, key.map({ movedSums[next].key < $0 }) ?? true {
                    merged.append(movedSums[next])
                    next += 1
                }
            }
            for (key, quantity, value) in try kept.result() {
                takeMoved(before: key)
                if next < movedSums.count, movedSums[next].key == key {
                    merged.append((key, quantity &+ movedSums[next].quantity, value &+ movedSums[next].value))
                    next += 1
                } else {
                    merged.append((key, quantity, value))
                }
            }
            takeMoved(before: nil)
            (kept.elements, movedSums) = ([], [])
            merged.removeAll { $0.quantity == 0 && $0.value == 0 }
            guard !merged.isEmpty else { return [] }

            // Names, each table in its own order: that order is what the rows sort by.
            var products: [Int: (rank: Int, article: String, unit: String)] = [:]
            for (rank, row) in try await db.raw("SELECT id, article, unit FROM products ORDER BY article").all().enumerated() {
                products[try row.int("id")] = (rank, try row.string("article"), try row.string("unit"))
            }
            var warehouses: [Int: (rank: Int, code: String)] = [:]
            for (rank, row) in try await db.raw("SELECT id, code FROM warehouses ORDER BY code").all().enumerated() {
                warehouses[try row.int("id")] = (rank, try row.string("code"))
            }
            let lotIDs = Set(merged.lazy.map(\.key.lot)).subtracting([0])
            let lotRows = RowSink<(Int, String)>()
            // Many lots: every lot of the products held (one pass); few: by id.
            let lotQueries: [SQLQueryString]
            if lotIDs.count > 2_000 {
                lotQueries = Array(Set(merged.lazy.map(\.key.product))).sorted().chunks(of: 500).map {
                    "SELECT id, number FROM lot_serials WHERE product_id IN (\(binds: $0)) ORDER BY sort_key, id"
                }
            } else {
                lotQueries = lotIDs.isEmpty ? [] : ["SELECT id, number FROM lot_serials WHERE id IN (\(binds: Array(lotIDs).sorted())) ORDER BY sort_key, id"]
            }
            var lots: [Int: (rank: Int, number: String)] = [:]
            for query in lotQueries {
                try await db.raw(query).run { row in
                    lotRows.add { (try row.integer("id", at: 0), try row.text("number", at: 1) ?? "") }
                }
                // Each query is sorted apart: a lot's rank only orders it among the lots of its own
                // product, which are all in one query.
                for (rank, (id, number)) in try lotRows.result().enumerated() { lots[id] = (rank, number) }
                lotRows.elements.removeAll(keepingCapacity: true)
            }
            var order = merged.indices.map { index -> (rank: (Int, Int, Int), index: Int) in
                let key = merged[index].key
                return ((products[key.product]?.rank ?? Int.max, warehouses[key.warehouse]?.rank ?? Int.max,
                         key.lot == 0 ? Int.max : lots[key.lot]?.rank ?? Int.max - 1), index)
            }
            order.sort { a, b in a.rank != b.rank ? a.rank < b.rank : merged[a.index].key.lot < merged[b.index].key.lot }
            return order.compactMap { item in
                let row = merged[item.index]
                let product = products[row.key.product]
                return line(StockRow(product: product?.article ?? "", unit: product?.unit ?? "", warehouse: warehouses[row.key.warehouse]?.code ?? "",
                                     number: row.key.lot == 0 ? nil : lots[row.key.lot]?.number, quantity: row.quantity, value: row.value))
            }
        }
    }
}

extension Registry {
    /// The last day of the newest closed period on or before `date` (`last_day`), whose kept
    /// balance stock on `date` starts from; `0000-00-00` when none is closed.
    static func keptBalanceDay(atEndOf date: CalendarDate) -> SQLQueryString {
        "SELECT COALESCE(MAX(last_day), '0000-00-00') AS last_day FROM closed_periods WHERE last_day <= \(bind: date.description)"
    }

    /// Stock at the end of `date` as rows to sum per product, warehouse and lot (`product_id`,
    /// `warehouse_id`, `lot_serial_id`, `quantity`, `value`): the balance kept when the last
    /// period on or before `date` was closed, and every movement dated after it up to `date`.
    static func stock(atEndOf date: CalendarDate) -> SQLQueryString {
        let start: SQLQueryString = "(\(keptBalanceDay(atEndOf: date)))"
        return """
            (SELECT product_id, warehouse_id, lot_serial_id, quantity, value FROM period_balances WHERE last_day = \(start)
             UNION ALL
             SELECT m.product_id, m.warehouse_id, m.lot_serial_id, m.quantity, m.value FROM movements m JOIN documents d ON d.id = m.document_id
             WHERE d.doc_date > \(start) AND d.doc_date <= \(bind: date.description))
            """
    }
}

/// A month closed for postings, with the stock it closed at (``Registry/closePeriod(_:user:)``).
public struct ClosedPeriod: Codable, Hashable, Sendable {
    /// `YYYY-MM`.
    public var period: String
    public var lastDay: CalendarDate
    public var closedBy: String
    public var closedAt: String
    /// Stock rows of its closing balance.
    public var balances: Int
}

extension Registry {
    /// Closes a month (`YYYY-MM`) and every day before it for postings, keeping its closing
    /// balance per product, warehouse and lot/serial. Refused before the month has ended, or when it
    /// is closed already. A posting dated on or before a closed day is then refused, so a kept
    /// balance is never wrong; ``balance(at:product:warehouse:)`` starts from the nearest one.
    public func closePeriod(_ period: String, user: String) async throws -> ClosedPeriod {
        let lastDay = try Self.lastDay(ofPeriod: period)
        guard lastDay < today else {
            throw RegistryError(.invalidInput, "period \(period) ends on \(lastDay): it can be closed from the day after")
        }
        let closedAt = now
        return try await store.write { db in
            if store.kind == .postgres {
                // Postings in flight finish first, and none starts until the period is closed.
                try await db.raw("LOCK TABLE documents IN SHARE MODE").run()
                // One close or reopening at a time: two closes of one month both found it open,
                // and the second failed on the key with a 500; reopenings were recorded twice
                // (found by a QA run).
                try await db.raw("LOCK TABLE closed_periods IN SHARE ROW EXCLUSIVE MODE").run()
            }
            if let closed = try await db.raw("SELECT MAX(last_day) AS last FROM closed_periods").first()?.optionalString("last"),
               closed >= lastDay.description {
                throw RegistryError(.conflict, "period \(period) is closed already: postings are closed through \(closed)")
            }
            // From the previous kept balance on, as a balance on a day is read.
            try await db.raw("""
                INSERT INTO period_balances (last_day, product_id, warehouse_id, lot_serial_id, quantity, value)
                SELECT \(bind: lastDay.description), x.product_id, x.warehouse_id, x.lot_serial_id, CAST(SUM(x.quantity) AS BIGINT),
                       CAST(SUM(x.value) AS BIGINT)
                FROM \(Self.stock(atEndOf: lastDay)) x
                GROUP BY x.product_id, x.warehouse_id, x.lot_serial_id
                HAVING SUM(x.quantity) <> 0 OR SUM(x.value) <> 0
                """).run()
            try await db.raw("""
                INSERT INTO closed_periods (period, last_day, closed_by, closed_at)
                VALUES (\(bind: period), \(bind: lastDay.description), \(bind: user), \(bind: closedAt))
                """).run()
            let count = try await db.raw("SELECT COUNT(*) AS n FROM period_balances WHERE last_day = \(bind: lastDay.description)").first()!.int("n")
            return ClosedPeriod(period: period, lastDay: lastDay, closedBy: user, closedAt: closedAt, balances: count)
        }
    }

    /// Reopens the newest closed month (`YYYY-MM`) for postings, to correct it: its kept closing
    /// balance is dropped, and the reopening is kept with who closed it, who reopens it and why.
    /// Only the newest: a later month's kept balance starts from this one's, so months are
    /// reopened newest first. The answer counts the month's documents already exported to
    /// accounting, whose corrections need exporting again.
    public func reopenPeriod(_ period: String, reason: String, user: String) async throws -> ReopenedPeriod {
        let lastDay = try Self.lastDay(ofPeriod: period)
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reason.isEmpty else {
            throw RegistryError(.invalidInput, "give the reason to reopen period \(period): it is kept with the reopening")
        }
        guard reason.count <= 500 else { throw RegistryError(.invalidInput, "the reason is longer than 500 characters") }
        let reopenedAt = now
        return try await store.write { db in
            if store.kind == .postgres {
                // One close or reopening at a time (``closePeriod(_:user:)``).
                try await db.raw("LOCK TABLE closed_periods IN SHARE ROW EXCLUSIVE MODE").run()
            }
            let newest = try await db.raw("SELECT * FROM closed_periods ORDER BY last_day DESC").first()
            guard let newest else { throw RegistryError(.conflict, "period \(period) is not closed: no period is") }
            let closedPeriod = try newest.string("period")
            guard closedPeriod == period else {
                let isClosed = try await db.raw("SELECT 1 AS x FROM closed_periods WHERE period = \(bind: period)").first() != nil
                let through = try newest.string("last_day")
                throw RegistryError(.conflict, isClosed
                    ? "period \(period) is not the newest closed one: reopen \(closedPeriod) first (its kept balance starts from \(period)'s)"
                    : lastDay.description <= through
                        ? "period \(period) was not closed on its own: it is closed with \(closedPeriod), which closed every day through \(through); reopen \(closedPeriod) to post into it"
                        : "period \(period) is not closed (postings are closed through \(through), period \(closedPeriod))")
            }
            let closedBy = try newest.string("closed_by"), closedAt = try newest.string("closed_at")
            try await db.raw("DELETE FROM period_balances WHERE last_day = \(bind: lastDay.description)").run()
            try await db.raw("DELETE FROM closed_periods WHERE period = \(bind: period)").run()
            try await db.raw("""
                INSERT INTO period_reopenings (period, last_day, closed_by, closed_at, reopened_by, reopened_at, reason)
                VALUES (\(bind: period), \(bind: lastDay.description), \(bind: closedBy), \(bind: closedAt), \(bind: user),
                        \(bind: reopenedAt), \(bind: reason))
                """).run()
            let first = CalendarDate(year: lastDay.year, month: lastDay.month, day: 1) ?? lastDay
            let exported = try await db.raw("""
                SELECT COUNT(DISTINCT d.id) AS n FROM documents d JOIN accounting_exports e ON e.document_id = d.id
                WHERE d.doc_date >= \(bind: first.description) AND d.doc_date <= \(bind: lastDay.description)
                """).first()?.int("n") ?? 0
            let open = try await db.raw("SELECT MAX(last_day) AS last FROM closed_periods").first()?.optionalString("last")
            return ReopenedPeriod(period: period, lastDay: lastDay, closedBy: closedBy, closedAt: closedAt, reopenedBy: user,
                                  reopenedAt: reopenedAt, reason: reason, exportedDocuments: exported,
                                  closedThrough: open.flatMap { CalendarDate(iso: $0) })
        }
    }

    /// Every reopening of a closed month, newest first.
    public func periodReopenings() async throws -> [ReopenedPeriod] {
        try await store.read { db in
            try await db.raw("SELECT * FROM period_reopenings ORDER BY id DESC").all().map { row in
                ReopenedPeriod(period: try row.string("period"), lastDay: try row.date("last_day") ?? CalendarDate(daysSinceEpoch: 0),
                               closedBy: try row.string("closed_by"), closedAt: try row.string("closed_at"),
                               reopenedBy: try row.string("reopened_by"), reopenedAt: try row.string("reopened_at"),
                               reason: try row.string("reason"), exportedDocuments: nil, closedThrough: nil)
            }
        }
    }

    /// The last day of the month `period` (`YYYY-MM`); refused when it is not written so.
    public static func lastDay(ofPeriod period: String) throws(RegistryError) -> CalendarDate {
        let parts = period.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 4, parts[1].count == 2, let year = Int(parts[0]), let month = Int(parts[1]),
              let first = CalendarDate(year: year, month: month, day: 1) else {
            throw RegistryError(.invalidInput, "period \(period): write it as YYYY-MM")
        }
        return CalendarDate(year: year, month: month, day: CalendarDate.daysInMonth(year: year, month: month)) ?? first
    }

    /// The closed periods, newest first.
    public func closedPeriods() async throws -> [ClosedPeriod] {
        try await store.read { db in
            try await db.raw("""
                SELECT c.*, (SELECT COUNT(*) FROM period_balances b WHERE b.last_day = c.last_day) AS n
                FROM closed_periods c ORDER BY c.last_day DESC
                """).all().map { row in
                ClosedPeriod(period: try row.string("period"), lastDay: try row.date("last_day") ?? CalendarDate(daysSinceEpoch: 0),
                             closedBy: try row.string("closed_by"), closedAt: try row.string("closed_at"), balances: try row.int("n"))
            }
        }
    }
}

/// A closed month reopened for postings (``Registry/reopenPeriod(_:reason:user:)``), with the
/// closing it undid.
public struct ReopenedPeriod: Codable, Hashable, Sendable {
    /// `YYYY-MM`.
    public var period: String
    public var lastDay: CalendarDate
    public var closedBy: String
    public var closedAt: String
    public var reopenedBy: String
    public var reopenedAt: String
    public var reason: String
    /// On reopening: the month's documents already exported to accounting.
    public var exportedDocuments: Int?
    /// On reopening: the last day still closed for postings, if any.
    public var closedThrough: CalendarDate?
}
