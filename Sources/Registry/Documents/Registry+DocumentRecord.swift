import Foundation
import GS1
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
