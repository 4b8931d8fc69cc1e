import Foundation
public import GS1
import SQLKit
import Store

extension Registry {
    /// A posted document by its number (`RCT-000001`): header and every movement.
    public func document(_ number: String) async throws -> DocumentRecord {
        let number = number.trimmingSpaces
        return try await store.read { db in
            guard let row = try await db.raw("""
                SELECT d.id, d.kind, d.number, d.doc_date, d.reason, d.user_name, d.note, d.posted_at,
                       pa.code AS partner, pa.name AS partner_name, w.code AS warehouse, tw.code AS to_warehouse
                FROM documents d LEFT JOIN partners pa ON pa.id = d.partner_id
                LEFT JOIN warehouses w ON w.id = d.warehouse_id LEFT JOIN warehouses tw ON tw.id = d.to_warehouse_id
                WHERE d.number = \(bind: number)
                """).first() else {
                throw RegistryError(.notFound, "there is no document \(number)")
            }
            let lines = try await db.raw("""
                SELECT m.line_no, p.article, p.unit, w.code AS warehouse, ls.number, m.quantity, m.value, m.override
                FROM movements m JOIN products p ON p.id = m.product_id JOIN warehouses w ON w.id = m.warehouse_id
                LEFT JOIN lot_serials ls ON ls.id = m.lot_serial_id
                WHERE m.document_id = \(bind: try row.int("id")) ORDER BY m.id
                """).all().map { line in
                DocumentRecord.Line(line: try line.int("line_no") + 1, product: try line.string("article"), unit: try line.string("unit"),
                                    warehouse: try line.string("warehouse"), number: try line.optionalString("number"),
                                    quantity: Quantity(storage: try line.int("quantity")).decimal,
                                    value: Money(storage: try line.int("value")).decimal, override: try line.optionalString("override"))
            }
            guard let date = try row.date("doc_date") else { throw RegistryError(.database, "document \(number) has no date") }
            return DocumentRecord(kind: try row.enumeration("kind", as: DocumentKind.self), number: try row.string("number"), date: date,
                                  partner: try row.optionalString("partner"), partnerName: try row.optionalString("partner_name"),
                                  warehouse: try row.optionalString("warehouse"), toWarehouse: try row.optionalString("to_warehouse"),
                                  reason: try row.string("reason"), user: try row.string("user_name"), note: try row.string("note"),
                                  postedAt: try row.string("posted_at"), movements: lines)
        }
    }
}

/// One posted document as a journal lists it: its header and how many lines it has.
public struct DocumentSummary: Codable, Hashable, Sendable {
    public var kind: DocumentKind
    public var number: String
    public var date: CalendarDate
    public var partner: String?
    public var warehouse: String?
    public var toWarehouse: String?
    public var reason: String
    public var user: String
    public var postedAt: String
    /// Its lines as posted (a line of 3000 serials is one; a transfer's line moves stock twice).
    public var lines: Int
    /// Where the next (older) page starts: give it as `before` to read on.
    public var cursor: Int64
}

/// Which posted documents a journal lists: each filter narrows it; none lists them all.
public struct DocumentQuery: Sendable {
    public var kind: DocumentKind?
    /// Document dates, both days included.
    public var from: CalendarDate?
    public var through: CalendarDate?
    public var partner: String?
    /// Documents that moved stock in it (a transfer's either side).
    public var warehouse: String?
    /// Documents with a line of this product, or of this lot or serial.
    public var product: String?
    public var number: String?
    /// The newest first, at most `limit`, older than the document whose cursor is `before`.
    public var limit: Int
    public var before: Int64?

    public init(kind: DocumentKind? = nil, from: CalendarDate? = nil, through: CalendarDate? = nil, partner: String? = nil,
                warehouse: String? = nil, product: String? = nil, number: String? = nil, limit: Int = 50, before: Int64? = nil) {
        self.kind = kind
        self.from = from
        self.through = through
        self.partner = partner
        self.warehouse = warehouse
        self.product = product
        self.number = number
        self.limit = limit
        self.before = before
    }
}

extension Registry {
    /// The journal of posted documents, newest first: what was received, issued, moved, made and
    /// written off, by whom and when. Only the movement report listed documents (inside its
    /// statement of stock), and neither the command line nor the HTTP API could list them.
    public func documents(_ query: DocumentQuery) async throws -> [DocumentSummary] {
        guard (1...1000).contains(query.limit) else { throw RegistryError(.invalidInput, "a page lists 1 to 1000 documents, not \(query.limit)") }
        if let from = query.from, let through = query.through, from > through {
            throw RegistryError(.invalidInput, "the period runs from \(from) through \(through): the start is after the end")
        }
        let number = query.number?.trimmingSpaces
        return try await store.snapshot { db in
            try await Self.checkFilters(db, product: query.product, warehouse: query.warehouse, partner: query.partner)
            var scope: SQLQueryString = "1 = 1"
            if let kind = query.kind { scope += " AND d.kind = \(bind: kind.rawValue)" }
            if let from = query.from { scope += " AND d.doc_date >= \(bind: from.description)" }
            if let through = query.through { scope += " AND d.doc_date <= \(bind: through.description)" }
            if let partner = query.partner { scope += " AND pa.code = \(bind: partner)" }
            if let warehouse = query.warehouse {
                scope += " AND EXISTS (SELECT 1 FROM movements m JOIN warehouses mw ON mw.id = m.warehouse_id WHERE m.document_id = d.id AND mw.code = \(bind: warehouse))"
            }
            if let product = query.product {
                scope += " AND EXISTS (SELECT 1 FROM movements m JOIN products p ON p.id = m.product_id WHERE m.document_id = d.id AND p.article = \(bind: product))"
            }
            if let number {
                scope += " AND EXISTS (SELECT 1 FROM movements m JOIN lot_serials ls ON ls.id = m.lot_serial_id WHERE m.document_id = d.id AND ls.number = \(bind: number))"
            }
            if let before = query.before { scope += " AND d.id < \(bind: before)" }
            return try await db.raw("""
                SELECT d.id, d.kind, d.number, d.doc_date, d.reason, d.user_name, d.posted_at,
                       pa.code AS partner, w.code AS warehouse, tw.code AS to_warehouse,
                       (SELECT COUNT(DISTINCT m.line_no) FROM movements m WHERE m.document_id = d.id) AS lines
                FROM documents d LEFT JOIN partners pa ON pa.id = d.partner_id
                LEFT JOIN warehouses w ON w.id = d.warehouse_id LEFT JOIN warehouses tw ON tw.id = d.to_warehouse_id
                WHERE \(scope)
                ORDER BY d.id DESC LIMIT \(bind: query.limit)
                """).all().map { row in
                let number = try row.string("number")
                guard let date = try row.date("doc_date") else { throw RegistryError(.database, "document \(number) has no date") }
                return DocumentSummary(kind: try row.enumeration("kind", as: DocumentKind.self), number: number, date: date,
                                       partner: try row.optionalString("partner"), warehouse: try row.optionalString("warehouse"),
                                       toWarehouse: try row.optionalString("to_warehouse"), reason: try row.string("reason"),
                                       user: try row.string("user_name"), postedAt: try row.string("posted_at"),
                                       lines: try row.int("lines"), cursor: Int64(try row.int("id")))
            }
        }
    }
}
