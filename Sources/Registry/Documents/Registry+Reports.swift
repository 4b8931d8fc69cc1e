public import Foundation
public import GS1
import SQLKit
import Store

/// What expires soon, and what has expired: in stock per warehouse, and (asked for) what
/// customers received of it. The rule is the rest of Tracemark's: a lot is usable through its
/// expiry date, so it is expired from the day after. "Today" is the registry's clock at the call.
public struct ExpiryReport: Codable, Hashable, Sendable {
    public struct Line: Codable, Hashable, Sendable {
        public var product: String
        public var warehouse: String
        public var number: String
        public var kind: LotSerial.Kind
        public var quantity: Decimal
        public var unit: String
        public var status: LotSerial.Status
        public var expiry: CalendarDate
        /// Negative once expired (-1: expired yesterday).
        public var daysLeft: Int
        public var expired: Bool
        /// A recall not closed that affects the lot (the first, when several do).
        public var recall: Int? = nil
    }

    /// A delivery to a customer of a lot that expires within the window (a return is negative).
    public struct Sold: Codable, Hashable, Sendable {
        /// Nil for an issue that named no customer.
        public var customer: String?
        public var customerName: String
        public var document: String
        public var date: CalendarDate?
        public var product: String
        public var number: String
        public var quantity: Decimal
        public var expiry: CalendarDate
        public var daysLeft: Int
        public var expired: Bool
    }

    public var today: CalendarDate
    public var within: Int
    /// In stock, first to expire first.
    public var stock: [Line]
    /// With `includeSold`: deliveries of lots expiring within the window, or expired within as
    /// many days before today; nil when not asked for.
    public var sold: [Sold]?
}

extension Registry {
    /// The expiry report on the registry's today: stock that expires within `days` (and stock that
    /// has expired), optionally of one warehouse or product, and with `includeSold`, what customers
    /// received of lots in the same window.
    public func expiryReport(within days: Int, warehouse: String? = nil, product: String? = nil,
                             includeSold: Bool = false) async throws -> ExpiryReport {
        guard (0...36_500).contains(days) else { throw RegistryError(.invalidInput, "--within must be from 0 to 36500 days, not \(days)") }
        let today = today
        let last = today.adding(days: days)
        return try await store.read { db in
            try await Self.checkFilters(db, product: product, warehouse: warehouse, partner: nil)
            // The warehouse and product asked for, in both queries.
            var scope: SQLQueryString = "ls.expiry <= \(bind: last.description)"
            if let warehouse { scope += " AND w.code = \(bind: warehouse)" }
            if let product { scope += " AND p.article = \(bind: product)" }
            let filter: SQLQueryString = "ls.expiry IS NOT NULL AND " + scope
            let stock = try await db.raw("""
                SELECT p.article, w.code AS warehouse, ls.number, ls.kind, s.quantity, p.unit, ls.status, ls.expiry,
                    \(Allocation.firstActiveRecall("ls.id")) AS recall
                FROM stock s JOIN lot_serials ls ON ls.id = s.lot_serial_id JOIN products p ON p.id = s.product_id
                JOIN warehouses w ON w.id = s.warehouse_id
                WHERE s.quantity > 0 AND \(filter)
                ORDER BY ls.expiry, p.article, ls.number, w.code
                """).all().map { row -> ExpiryReport.Line in
                let expiry = try row.date("expiry")!
                let left = expiry.daysSinceEpoch - today.daysSinceEpoch
                return ExpiryReport.Line(product: try row.string("article"), warehouse: try row.string("warehouse"),
                                         number: try row.string("number"), kind: try row.enumeration("kind", as: LotSerial.Kind.self),
                                         quantity: Quantity(storage: try row.int("quantity")).decimal, unit: try row.string("unit"),
                                         status: try row.enumeration("status", as: LotSerial.Status.self), expiry: expiry,
                                         daysLeft: left, expired: left < 0, recall: try row.optionalInt("recall"))
            }
            var sold: [ExpiryReport.Sold]?
            if includeSold {
                let first = today.adding(days: -days)
                let soldFilter: SQLQueryString = filter + " AND ls.expiry >= \(bind: first.description)"
                sold = try await db.raw("""
                    SELECT pa.code, pa.name, d.number AS document, d.doc_date, p.article, ls.number, ls.expiry, CAST(SUM(-m.quantity) AS BIGINT) AS quantity
                    FROM movements m JOIN documents d ON d.id = m.document_id LEFT JOIN partners pa ON pa.id = d.partner_id
                    JOIN lot_serials ls ON ls.id = m.lot_serial_id JOIN products p ON p.id = ls.product_id
                    JOIN warehouses w ON w.id = m.warehouse_id
                    WHERE d.kind IN ('issue', 'return') AND \(Posting.goodsMoving("m")) AND \(soldFilter)
                    GROUP BY pa.code, pa.name, d.number, d.doc_date, p.article, ls.number, ls.expiry
                    ORDER BY ls.expiry, pa.code, d.number
                    """).all().map { row -> ExpiryReport.Sold in
                    let expiry = try row.date("expiry")!
                    let left = expiry.daysSinceEpoch - today.daysSinceEpoch
                    return ExpiryReport.Sold(customer: try row.optionalString("code"), customerName: try row.optionalString("name") ?? "",
                                             document: try row.string("document"), date: try row.date("doc_date"),
                                             product: try row.string("article"), number: try row.string("number"),
                                             quantity: Quantity(storage: try row.int("quantity")).decimal, expiry: expiry,
                                             daysLeft: left, expired: left < 0)
                }
            }
            return ExpiryReport(today: today, within: days, stock: stock, sold: sold)
        }
    }
}

extension ExpiryReport {
    /// The stock lines (and the deliveries, when asked for) as a spreadsheet reads them.
    public var csv: String {
        var out = "section,product,number,warehouse_or_customer,document,quantity,unit,status,expiry,days_left,recall\r\n"
        for line in stock {
            out += ["stock", line.product, line.number, line.warehouse, "", "\(line.quantity)", line.unit, line.status.rawValue,
                    line.expiry.description, String(line.daysLeft), line.recall.map(String.init) ?? ""].map(CSVText.field).joined(separator: ",") + "\r\n"
        }
        for line in sold ?? [] {
            out += ["sold", line.product, line.number, line.customer ?? RecallReport.noCustomer, line.document, "\(line.quantity)", "", "",
                    line.expiry.description, String(line.daysLeft), ""].map(CSVText.field).joined(separator: ",") + "\r\n"
        }
        return out
    }
}
