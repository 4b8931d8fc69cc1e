public import Foundation
public import GS1
import SQLKit
import Store

/// The documents of a period as accounting sees them: each with its lines (product, net quantity,
/// value, the lots and serials it moved) and the value it moved per warehouse. Read once, for the
/// Fortnox and SIE exports.
public struct AccountingDocument: Hashable, Sendable {
    public struct Line: Hashable, Sendable {
        /// A lot or serial a line moved, and how much of it.
        public struct Number: Hashable, Sendable {
            public var number: String
            public var quantity: Decimal

            public init(number: String, quantity: Decimal) {
                self.number = number
                self.quantity = quantity
            }
        }

        public var product: String
        public var unit: String
        public var tracking: LotSerialClass.Tracking
        /// Net: positive into stock, negative out of it.
        public var quantity: Decimal
        public var value: Decimal
        /// The lots or serials the line moved, in number order.
        public var numbers: [Number]

        public init(product: String, unit: String, tracking: LotSerialClass.Tracking, quantity: Decimal, value: Decimal, numbers: [Number]) {
            self.product = product
            self.unit = unit
            self.tracking = tracking
            self.quantity = quantity
            self.value = value
            self.numbers = numbers
        }
    }

    public var number: String
    public var kind: DocumentKind
    public var date: CalendarDate
    public var partner: String?
    public var partnerName: String?
    public var lines: [Line]
    /// The value the document moved per warehouse (signed; a transfer moves value between two).
    public var valueByWarehouse: [String: Decimal]
    /// Whether it took in goods without a known unit cost (received without one, or a return of
    /// such goods; marked `*` in the valuation): their value is short by it in what the exports
    /// book, and the exports say so.
    public var costMissing = false
}

extension Registry {
    /// Every document dated from `from` through `through`, in date and posting order, with its
    /// lines as accounting reads them (``AccountingDocument``). Movements that only give stock its
    /// number (numbered on use, an unknown serial) cancel out within their line.
    public func accountingDocuments(from: CalendarDate, through: CalendarDate, kinds: Set<DocumentKind>? = nil) async throws -> [AccountingDocument] {
        guard from <= through else { throw RegistryError(.invalidInput, "the period runs from \(from) through \(through): the start is after the end") }
        var only: SQLQueryString = ""
        if let kinds { only = " AND d.kind IN (\(binds: kinds.map(\.rawValue).sorted()))" }
        return try await store.snapshot { db in
            // In document and line order: a document's lines, and a line's movements, come together.
            let rows = try await db.raw("""
                SELECT d.id AS document_id, d.number AS document, d.kind, d.doc_date, pa.code AS partner, pa.name AS partner_name,
                       m.line_no, p.article, p.unit, c.tracking, w.code AS warehouse, ls.number, ls.sort_key, m.quantity, m.value, m.cost_missing
                FROM documents d JOIN movements m ON m.document_id = d.id JOIN products p ON p.id = m.product_id
                JOIN warehouses w ON w.id = m.warehouse_id LEFT JOIN lot_serial_classes c ON c.code = p.class_code
                LEFT JOIN lot_serials ls ON ls.id = m.lot_serial_id LEFT JOIN partners pa ON pa.id = d.partner_id
                WHERE d.doc_date >= \(bind: from.description) AND d.doc_date <= \(bind: through.description)\(only)
                ORDER BY d.doc_date, d.id, m.line_no, m.id
                """).all()
            // A line as its movements add up. Per number, what came in and what went out: a line
            // going out lists what went out (a number given on use comes in and goes out again), a
            // line coming in what came in.
            struct Pending {
                let index: Int, product: String, unit: String, tracking: LotSerialClass.Tracking
                var quantity = 0, value = 0
                var numbers: [String: (key: String, into: Int, out: Int)] = [:]

                var line: AccountingDocument.Line {
                    let numbers = numbers.map { (number: $0.key, key: $0.value.key, quantity: quantity < 0 ? $0.value.out : $0.value.into) }
                        .filter { $0.quantity != 0 }.sorted { $0.key < $1.key }
                        .map { AccountingDocument.Line.Number(number: $0.number, quantity: Quantity(storage: $0.quantity).decimal) }
                    return AccountingDocument.Line(product: product, unit: unit, tracking: tracking, quantity: Quantity(storage: quantity).decimal,
                                                   value: Money(storage: value).decimal, numbers: numbers)
                }
            }
            var documents: [AccountingDocument] = []
            var lastID = -1
            var pending: [Pending] = []
            func flush() {
                if !documents.isEmpty { documents[documents.count - 1].lines = pending.map(\.line) }
                pending = []
            }
            for row in rows {
                let id = try row.int("document_id")
                if id != lastID {
                    flush()
                    lastID = id
                    guard let date = try row.date("doc_date") else { continue }
                    documents.append(AccountingDocument(number: try row.string("document"), kind: try row.enumeration("kind", as: DocumentKind.self),
                                                        date: date, partner: try row.optionalString("partner"),
                                                        partnerName: try row.optionalString("partner_name"), lines: [], valueByWarehouse: [:]))
                }
                let line = try row.int("line_no"), quantity = try row.int("quantity"), value = try row.int("value")
                if try row.int("cost_missing") == 1 { documents[documents.count - 1].costMissing = true }
                documents[documents.count - 1].valueByWarehouse[try row.string("warehouse"), default: 0] += Money(storage: value).decimal
                if pending.last?.index != line {
                    pending.append(Pending(index: line, product: try row.string("article"), unit: try row.string("unit"),
                                           tracking: try row.optionalString("tracking").flatMap(LotSerialClass.Tracking.init(rawValue:)) ?? .none))
                }
                pending[pending.count - 1].quantity += quantity
                pending[pending.count - 1].value += value
                if let number = try row.optionalString("number") {
                    let key = try row.optionalString("sort_key") ?? number
                    if quantity > 0 {
                        pending[pending.count - 1].numbers[number, default: (key, 0, 0)].into += quantity
                    } else {
                        pending[pending.count - 1].numbers[number, default: (key, 0, 0)].out -= quantity
                    }
                }
            }
            flush()
            return documents
        }
    }

    /// Records that `documents` (number and digest of what was written for each) were exported to
    /// `target`, and says for each whether it had been, and with the same content.
    public func recordExports(target: String, _ documents: [(number: String, digest: String)], user: String) async throws -> [ExportRecord] {
        let at = now
        return try await store.write { db in
            var records: [ExportRecord] = []
            for (number, digest) in documents {
                guard let id = try await db.raw("SELECT id FROM documents WHERE number = \(bind: number)").first()?.int("id") else {
                    throw RegistryError(.notFound, "there is no document \(number)")
                }
                if let earlier = try await db.raw("""
                    SELECT digest, exported_at FROM accounting_exports WHERE target = \(bind: target) AND document_id = \(bind: id)
                    """).first() {
                    records.append(ExportRecord(document: number, firstExportedAt: try earlier.string("exported_at"),
                                                sameAsBefore: try earlier.string("digest") == digest))
                } else {
                    try await db.raw("""
                        INSERT INTO accounting_exports (target, document_id, digest, exported_by, exported_at)
                        VALUES (\(bind: target), \(bind: id), \(bind: digest), \(bind: user), \(bind: at))
                        """).run()
                    records.append(ExportRecord(document: number, firstExportedAt: nil, sameAsBefore: false))
                }
            }
            return records
        }
    }
}

/// What the registry knew of one document's export (``Registry/recordExports(target:_:user:)``).
public struct ExportRecord: Codable, Hashable, Sendable {
    public var document: String
    /// When it was first exported to the same target; `nil` when this is the first time.
    public var firstExportedAt: String?
    /// Whether what was written now is byte for byte what was written then.
    public var sameAsBefore: Bool
}

extension Registry {
    /// The SHA-256 of what an export wrote, in hex: what ``recordExports(target:_:user:)`` compares.
    public static func digest(_ content: Data) -> String { sha256(content) }
}
