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

    /// RFC 4180, one row per movement with its group's opening and closing balance.
    public var csv: String {
        var out = "product,warehouse,number,unit,opening,date,document,kind,partner,quantity,value,override,closing\r\n"
        for group in groups {
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
            // period's movements, in one statement.
            let balances = try await db.raw("""
                SELECT x.product_id, x.warehouse_id, x.lot_serial_id,
                       CAST(SUM(x.opening) AS BIGINT) AS opening, CAST(SUM(x.quantity) AS BIGINT) AS closing
                FROM (SELECT product_id, warehouse_id, lot_serial_id, quantity AS opening, quantity
                      FROM \(Self.stock(atEndOf: from.adding(days: -1))) o
                      UNION ALL
                      SELECT m.product_id, m.warehouse_id, m.lot_serial_id, 0, m.quantity FROM movements m JOIN documents d ON d.id = m.document_id
                      WHERE d.doc_date >= \(bind: from.description) AND d.doc_date <= \(bind: through.description)) x
                JOIN products p ON p.id = x.product_id JOIN warehouses w ON w.id = x.warehouse_id LEFT JOIN lot_serials ls ON ls.id = x.lot_serial_id
                WHERE \(scope)
                GROUP BY x.product_id, x.warehouse_id, x.lot_serial_id
                """).all()
            struct Key: Hashable { let product: Int, warehouse: Int, lot: Int }
            func key(_ row: any SQLRow) throws -> Key {
                Key(product: try row.int("product_id"), warehouse: try row.int("warehouse_id"), lot: try row.int("lot_serial_id"))
            }
            var balance: [Key: (Int, Int)] = [:]
            for row in balances { balance[try key(row)] = (try row.int("opening"), try row.int("closing")) }
            var groups: [MovementReport.Group] = []
            var last: Key?
            for row in rows {
                let k = try key(row)
                if k != last {
                    let (opening, closing) = balance[k] ?? (0, 0)
                    groups.append(MovementReport.Group(product: try row.string("article"), warehouse: try row.string("warehouse"),
                                                       number: try row.optionalString("number"), unit: try row.string("unit"),
                                                       opening: Quantity(storage: opening).decimal, rows: [],
                                                       closing: Quantity(storage: closing).decimal))
                    last = k
                }
                guard let date = try row.date("doc_date") else { continue }
                groups[groups.count - 1].rows.append(MovementReport.Row(
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
    /// after that and up to `date` (the whole ledger when no period is closed). One statement.
    public func balance(at date: CalendarDate, product: String? = nil, warehouse: String? = nil) async throws -> BalanceReport {
        try await store.read { db in
            var scope: SQLQueryString = "1 = 1"
            if let product { scope += " AND p.article = \(bind: product)" }
            if let warehouse { scope += " AND w.code = \(bind: warehouse)" }
            let lines = try await db.raw("""
                SELECT p.article, p.unit, w.code AS warehouse, ls.number, CAST(SUM(x.quantity) AS BIGINT) AS quantity
                FROM \(Self.stock(atEndOf: date)) x
                JOIN products p ON p.id = x.product_id JOIN warehouses w ON w.id = x.warehouse_id
                LEFT JOIN lot_serials ls ON ls.id = x.lot_serial_id
                WHERE \(scope)
                GROUP BY p.article, p.unit, w.code, x.lot_serial_id, ls.number, ls.sort_key
                HAVING SUM(x.quantity) <> 0
                ORDER BY p.article, w.code, CASE WHEN ls.sort_key IS NULL THEN 1 ELSE 0 END, ls.sort_key
                """).all().map { row in
                BalanceReport.Line(product: try row.string("article"), warehouse: try row.string("warehouse"),
                                   number: try row.optionalString("number"), quantity: Quantity(storage: try row.int("quantity")).decimal,
                                   unit: try row.string("unit"))
            }
            return BalanceReport(at: date, lines: lines)
        }
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
    }

    public var at: CalendarDate
    public var lines: [Line]
    public var total: Decimal

    public var csv: String {
        "product,warehouse,number,quantity,unit,unit_cost,value\r\n" + lines.map {
            [$0.product, $0.warehouse, $0.number ?? "", "\($0.quantity)", $0.unit, $0.unitCost.map { "\($0)" } ?? "", "\($0.value)"]
                .map(CSVText.field).joined(separator: ",") + "\r\n"
        }.joined()
    }
}

extension Registry {
    /// What stock was worth at the end of `date`, per product, warehouse and lot/serial: kept
    /// balance and movements as ``balance(at:product:warehouse:)`` reads them, summing their values.
    public func valuation(at date: CalendarDate, product: String? = nil, warehouse: String? = nil) async throws -> ValuationReport {
        try await store.read { db in
            var scope: SQLQueryString = "1 = 1"
            if let product { scope += " AND p.article = \(bind: product)" }
            if let warehouse { scope += " AND w.code = \(bind: warehouse)" }
            var total = 0
            let lines = try await db.raw("""
                SELECT p.article, p.unit, w.code AS warehouse, ls.number, CAST(SUM(x.quantity) AS BIGINT) AS quantity,
                       CAST(SUM(x.value) AS BIGINT) AS value
                FROM \(Self.stock(atEndOf: date)) x
                JOIN products p ON p.id = x.product_id JOIN warehouses w ON w.id = x.warehouse_id
                LEFT JOIN lot_serials ls ON ls.id = x.lot_serial_id
                WHERE \(scope)
                GROUP BY p.article, p.unit, w.code, x.lot_serial_id, ls.number, ls.sort_key
                HAVING SUM(x.quantity) <> 0 OR SUM(x.value) <> 0
                ORDER BY p.article, w.code, CASE WHEN ls.sort_key IS NULL THEN 1 ELSE 0 END, ls.sort_key
                """).all().map { row in
                let quantity = try row.int("quantity"), value = try row.int("value")
                total += value
                return ValuationReport.Line(product: try row.string("article"), warehouse: try row.string("warehouse"),
                                            number: try row.optionalString("number"), quantity: Quantity(storage: quantity).decimal,
                                            unit: try row.string("unit"), value: Money(storage: value).decimal,
                                            unitCost: quantity == 0 ? nil : Money(storage: Money.unitCost(of: value, over: quantity)).decimal)
            }
            return ValuationReport(at: date, lines: lines, total: Money(storage: total).decimal)
        }
    }
}

extension Registry {
    /// Stock at the end of `date` as rows to sum per product, warehouse and lot (`product_id`,
    /// `warehouse_id`, `lot_serial_id`, `quantity`, `value`): the balance kept when the last
    /// period on or before `date` was closed, and every movement dated after it up to `date`.
    static func stock(atEndOf date: CalendarDate) -> SQLQueryString {
        let start: SQLQueryString = "(SELECT COALESCE(MAX(last_day), '0000-00-00') FROM closed_periods WHERE last_day <= \(bind: date.description))"
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
        let parts = period.split(separator: "-")
        guard parts.count == 2, parts[0].count == 4, parts[1].count == 2, let year = Int(parts[0]), let month = Int(parts[1]),
              let first = CalendarDate(year: year, month: month, day: 1) else {
            throw RegistryError(.invalidInput, "period \(period): write it as YYYY-MM")
        }
        let lastDay = CalendarDate(year: year, month: month, day: CalendarDate.daysInMonth(year: year, month: month)) ?? first
        guard lastDay < today else {
            throw RegistryError(.invalidInput, "period \(period) ends on \(lastDay): it can be closed from the day after")
        }
        let closedAt = now
        return try await store.write { db in
            if store.kind == .postgres {
                // Postings in flight finish first, and none starts until the period is closed.
                try await db.raw("LOCK TABLE documents IN SHARE MODE").run()
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
