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
        var out = "product,warehouse,number,unit,opening,date,document,kind,partner,quantity,override,closing\r\n"
        for group in groups {
            for row in group.rows {
                out += [group.product, group.warehouse, group.number ?? "", group.unit, "\(group.opening)", row.date.description,
                        row.document, row.kind.rawValue, row.partner ?? "", "\(row.quantity)", row.override ?? "", "\(group.closing)"]
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
                       d.doc_date, d.number AS document, d.kind, pa.code AS partner, m.quantity, m.override, m.created_at
                FROM movements m JOIN documents d ON d.id = m.document_id JOIN products p ON p.id = m.product_id
                JOIN warehouses w ON w.id = m.warehouse_id LEFT JOIN lot_serials ls ON ls.id = m.lot_serial_id
                LEFT JOIN partners pa ON pa.id = d.partner_id
                WHERE d.doc_date >= \(bind: from.description) AND d.doc_date <= \(bind: through.description) AND \(shown)
                ORDER BY p.article, w.code, ls.sort_key, m.lot_serial_id, d.doc_date, m.id
                """).all()
            // Opening and closing balances of the groups in scope, in one pass over their ledger.
            let balances = try await db.raw("""
                SELECT m.product_id, m.warehouse_id, m.lot_serial_id,
                       CAST(SUM(CASE WHEN d.doc_date < \(bind: from.description) THEN m.quantity ELSE 0 END) AS BIGINT) AS opening,
                       CAST(SUM(CASE WHEN d.doc_date <= \(bind: through.description) THEN m.quantity ELSE 0 END) AS BIGINT) AS closing
                FROM movements m JOIN documents d ON d.id = m.document_id JOIN products p ON p.id = m.product_id
                JOIN warehouses w ON w.id = m.warehouse_id LEFT JOIN lot_serials ls ON ls.id = m.lot_serial_id
                WHERE d.doc_date <= \(bind: through.description) AND \(scope)
                GROUP BY m.product_id, m.warehouse_id, m.lot_serial_id
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
                    override: try row.optionalString("override"), posted: try row.string("created_at")))
            }
            return MovementReport(from: from, through: through, groups: groups)
        }
    }

    /// What was in stock at the end of `date`, per product, warehouse and lot/serial, rebuilt from
    /// every movement of documents dated that day or before.
    public func balance(at date: CalendarDate, product: String? = nil, warehouse: String? = nil) async throws -> BalanceReport {
        try await store.read { db in
            var scope: SQLQueryString = "d.doc_date <= \(bind: date.description)"
            if let product { scope += " AND p.article = \(bind: product)" }
            if let warehouse { scope += " AND w.code = \(bind: warehouse)" }
            let lines = try await db.raw("""
                SELECT p.article, p.unit, w.code AS warehouse, ls.number, CAST(SUM(m.quantity) AS BIGINT) AS quantity
                FROM movements m JOIN documents d ON d.id = m.document_id JOIN products p ON p.id = m.product_id
                JOIN warehouses w ON w.id = m.warehouse_id LEFT JOIN lot_serials ls ON ls.id = m.lot_serial_id
                WHERE \(scope)
                GROUP BY p.article, p.unit, w.code, m.lot_serial_id, ls.number, ls.sort_key
                HAVING SUM(m.quantity) <> 0
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
