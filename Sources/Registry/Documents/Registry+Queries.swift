public import Foundation
public import GS1
import SQLKit
import Store

/// Stock of one product in one warehouse, per lot or serial (or without a number).
public struct StockBalance: Codable, Hashable, Sendable {
    public var product: String
    public var warehouse: String
    public var number: String?
    public var quantity: Decimal
    public var unit: String
    public var status: LotSerial.Status?
    public var expiry: CalendarDate?
    /// A recall not closed that affects the lot (the first, when several do): such stock is held
    /// back from allocation even while its status is still available.
    public var recall: Int? = nil
}

/// What to look for in `find`: every given criterion must hold.
public struct LotSerialQuery: Codable, Hashable, Sendable {
    /// Part of the number, case-insensitive.
    public var text: String?
    public var product: String?
    public var status: LotSerial.Status?
    /// An attribute with this name (and, if given, this stored value).
    public var attribute: String?
    public var attributeValue: String?
    public var expiresFrom: CalendarDate?
    public var expiresThrough: CalendarDate?
    public var limit: Int
    public var offset: Int
    /// Keyset paging: only lots and serials registered before this id (the list runs newest
    /// first), `offset` unused. Pages that follow one another this way neither skip nor repeat
    /// rows when lots are registered or change between them.
    public var beforeID: Int?

    public init(text: String? = nil, product: String? = nil, status: LotSerial.Status? = nil, attribute: String? = nil,
                attributeValue: String? = nil, expiresFrom: CalendarDate? = nil, expiresThrough: CalendarDate? = nil,
                limit: Int = 50, offset: Int = 0) {
        self.text = text
        self.product = product
        self.status = status
        self.attribute = attribute
        self.attributeValue = attributeValue
        self.expiresFrom = expiresFrom
        self.expiresThrough = expiresThrough
        self.limit = limit
        self.offset = offset
    }
}

/// A page of lots and serials found, with the number of all that match.
public struct LotSerialPage: Codable, Hashable, Sendable {
    public var total: Int
    public var items: [LotSerial]
}

/// Everything that happened to one lot or serial, oldest first.
public struct LotSerialHistory: Codable, Hashable, Sendable {
    public struct Entry: Codable, Hashable, Sendable {
        public var at: String
        public var date: CalendarDate?
        /// The document kind (`receipt`, `issue`…); `assigned` for the movement that gave a number its
        /// unit of stock received without numbers (an unknown serial, numbers assigned on use);
        /// `status` for a status change; `recall` for a recall step; `attribute` for an attribute
        /// set (`name = value`) or changed (`name: before → after`).
        public var what: String
        public var document: String?
        public var warehouse: String?
        public var partner: String?
        public var quantity: Decimal?
        public var override: String?
        public var user: String
        public var note: String
    }
    /// One line of a production on the other side: what this lot or serial was made from (its
    /// inputs) or went into (its outputs), tracked or not.
    public struct Link: Codable, Hashable, Sendable {
        public var product: String
        /// The lot or serial; `nil` for a product not tracked by lot or serial.
        public var number: String?
        public var document: String
        /// How much of it the production consumed (made from) or made (used in).
        public var quantity: Decimal
        public var unit: String
    }

    public var lotSerial: LotSerial
    public var entries: [Entry]
    /// Every input line of the productions that made it, with its quantity, tracked or not.
    public var madeFrom: [Link]
    /// Every output line of the productions that consumed it, with its quantity, tracked or not.
    public var usedIn: [Link]
    /// The lot it was split from.
    public var splitFrom: String?
    /// Stock now, per warehouse.
    public var stock: [StockBalance]
}

/// Where a page of ``Registry/stock(product:warehouse:after:limit:)`` ended: the last row's
/// product, warehouse and lot or serial (its id; 0 for stock without one).
public struct StockCursor: Codable, Hashable, Sendable {
    public var product: String
    public var warehouse: String
    public var lotSerialID: Int

    public init(product: String, warehouse: String, lotSerialID: Int) {
        self.product = product
        self.warehouse = warehouse
        self.lotSerialID = lotSerialID
    }
}

/// One page of stock, and where the next one starts (`nil` after the last).
public struct StockPage: Sendable {
    public var items: [StockBalance]
    public var next: StockCursor?
}

extension Registry {
    /// Stock per product, warehouse and lot/serial; optionally of one product or warehouse.
    public func stock(product: String? = nil, warehouse: String? = nil) async throws -> [StockBalance] {
        try await stock(product: product, warehouse: warehouse, after: nil, limit: nil).items
    }

    /// A page of stock in the order of ``stock(product:warehouse:)``, starting after `after`:
    /// pages by the last row's key, so that stock posted between two pages neither repeats a row
    /// nor skips one, as an offset would.
    public func stock(product: String?, warehouse: String?, after: StockCursor?, limit: Int?) async throws -> StockPage {
        try await store.read { db in
            var filter: SQLQueryString = "s.quantity <> 0"
            if let product { filter += " AND p.article = \(bind: product)" }
            if let warehouse { filter += " AND w.code = \(bind: warehouse)" }
            if let after {
                // The order's key of the row the last page ended with (it may have no stock now).
                let sortKey = after.lotSerialID == 0 ? nil
                    : try await db.raw("SELECT sort_key FROM lot_serials WHERE id = \(bind: after.lotSerialID)").first()?.optionalString("sort_key")
                filter += """
                     AND (p.article, w.code, CASE WHEN ls.sort_key IS NULL THEN 1 ELSE 0 END, COALESCE(ls.sort_key, ''), s.lot_serial_id)
                        > (\(bind: after.product), \(bind: after.warehouse), \(bind: sortKey == nil ? 1 : 0), \(bind: sortKey ?? ""), \(bind: after.lotSerialID))
                    """
            }
            let rows = try await db.raw("""
                SELECT p.article, p.unit, w.code AS warehouse, s.quantity, s.lot_serial_id, ls.number, ls.status, ls.expiry,
                    \(Allocation.firstActiveRecall("ls.id")) AS recall
                FROM stock s JOIN products p ON p.id = s.product_id JOIN warehouses w ON w.id = s.warehouse_id
                LEFT JOIN lot_serials ls ON ls.id = s.lot_serial_id
                WHERE \(filter)
                ORDER BY p.article, w.code, CASE WHEN ls.sort_key IS NULL THEN 1 ELSE 0 END, COALESCE(ls.sort_key, ''), s.lot_serial_id
                \(unsafeRaw: limit.map { "LIMIT \($0 + 1)" } ?? "")
                """).all()
            // Nothing found for a product or warehouse that does not exist is a typo, said: it read
            // as none in stock (an ERP's stock sync with a mistyped article; found by a QA run).
            if rows.isEmpty, after == nil { try await Self.checkFilters(db, product: product, warehouse: warehouse, partner: nil) }
            var items: [StockBalance] = []
            var next: StockCursor?
            for (index, row) in rows.enumerated() {
                if let limit, index == limit { break }
                items.append(StockBalance(
                    product: try row.string("article"), warehouse: try row.string("warehouse"),
                    number: try row.optionalString("number"), quantity: Quantity(storage: try row.int("quantity")).decimal,
                    unit: try row.string("unit"),
                    status: try row.optionalString("status").flatMap(LotSerial.Status.init(rawValue:)),
                    expiry: try row.date("expiry"), recall: try row.optionalInt("recall")))
                if let limit, index == limit - 1, rows.count > limit {
                    next = StockCursor(product: try row.string("article"), warehouse: try row.string("warehouse"),
                                       lotSerialID: try row.int("lot_serial_id"))
                }
            }
            return StockPage(items: items, next: next)
        }
    }

    /// Finds lots and serials by part of the number, product, status, attribute or expiry range,
    /// a page at a time (newest first).
    public func find(_ query: LotSerialQuery) async throws -> LotSerialPage {
        try await store.read { db in
            var filter: SQLQueryString = "1 = 1"
            // Spaces around the text are no part of a number, as on every other path (` 000002 `
            // found nothing; a QA run).
            if let text = query.text?.trimmingSpaces, !text.isEmpty {
                let escaped = text.lowercased().replacingOccurrences(of: "\\", with: "\\\\")
                    .replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
                filter += " AND LOWER(ls.number) LIKE \(bind: "%\(escaped)%") ESCAPE '\\'"
            }
            if let product = query.product { filter += " AND p.article = \(bind: product)" }
            if let status = query.status { filter += " AND ls.status = \(bind: status.rawValue)" }
            if let from = query.expiresFrom { filter += " AND ls.expiry >= \(bind: from.description)" }
            if let through = query.expiresThrough { filter += " AND ls.expiry <= \(bind: through.description)" }
            if let attribute = query.attribute {
                var match: SQLQueryString = "a.lot_serial_id = ls.id AND a.name = \(bind: attribute)"
                if let value = query.attributeValue {
                    // A number as it is stored (92.5), however it is written (92.50, 092.5).
                    if let number = Decimal(string: value, locale: Locale(identifier: "en_US_POSIX")), number.description != value,
                       value.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "." || $0 == "-") }) {
                        match += " AND (a.value = \(bind: value) OR (a.kind = 'number' AND a.value = \(bind: number.description)))"
                    } else {
                        match += " AND a.value = \(bind: value)"
                    }
                }
                filter += " AND EXISTS (SELECT 1 FROM lot_serial_attributes a WHERE \(match))"
            }
            let total = try await db.raw("""
                SELECT COUNT(*) AS total FROM lot_serials ls JOIN products p ON p.id = ls.product_id WHERE \(filter)
                """).first()!.int("total")
            if total == 0 { try await Self.checkFilters(db, product: query.product, warehouse: nil, partner: nil) }
            var page = filter
            if let before = query.beforeID { page += " AND ls.id < \(bind: before)" }
            let rows = try await db.raw("""
                SELECT ls.*, p.article FROM lot_serials ls JOIN products p ON p.id = ls.product_id WHERE \(page)
                ORDER BY ls.id DESC LIMIT \(bind: max(1, min(query.limit, 1000))) OFFSET \(bind: query.beforeID == nil ? max(0, query.offset) : 0)
                """).all()
            return LotSerialPage(total: total, items: try await Self.completeLotSerials(db, rows))
        }
    }

    /// The full history of one lot or serial: every movement with its document, warehouse and
    /// partner, every status change with who and why, what it was made from and went into.
    public func history(product article: String, number: String) async throws -> LotSerialHistory {
        let number = number.trimmingSpaces
        guard let lotSerial = try await lotSerial(product: article, number: number) else {
            _ = try await product(article)
            throw RegistryError(.notFound, "product \(article) has no lot or serial \(number)")
        }
        return try await store.read { db in
            let id = lotSerial.id
            var entries: [LotSerialHistory.Entry] = try await db.raw("""
                SELECT m.created_at, m.quantity, m.override, d.kind, d.number, d.doc_date, d.user_name, d.note, w.code AS warehouse, pa.code AS partner
                FROM movements m JOIN documents d ON d.id = m.document_id JOIN warehouses w ON w.id = m.warehouse_id
                LEFT JOIN partners pa ON pa.id = d.partner_id
                WHERE m.lot_serial_id = \(bind: id) ORDER BY m.id
                """).all().map { row in
                // The movement that gave the number its unit of unnumbered stock is an assignment,
                // not a second movement of the document's kind.
                let override = try row.optionalString("override")
                let assigned = [Posting.unknownSerialAssignment, Posting.assignmentOnUse].contains(override)
                return LotSerialHistory.Entry(at: try row.string("created_at"), date: try row.date("doc_date"),
                                       what: assigned ? "assigned" : try row.string("kind"),
                                       document: try row.string("number"), warehouse: try row.string("warehouse"),
                                       partner: try row.optionalString("partner"),
                                       quantity: Quantity(storage: try row.int("quantity")).decimal,
                                       override: override, user: try row.string("user_name"),
                                       note: try row.string("note"))
            }
            // Each attribute set or changed: the value before and after, who and why.
            for change in try await db.raw("""
                SELECT name, old_value, new_value, user_name, reason, created_at FROM lot_serial_attribute_events
                WHERE lot_serial_id = \(bind: id) ORDER BY id
                """).all() {
                let name = try change.string("name"), new = try change.string("new_value")
                entries.append(LotSerialHistory.Entry(
                    at: try change.string("created_at"), date: nil, what: "attribute", document: nil, warehouse: nil, partner: nil,
                    quantity: nil, override: try change.optionalString("old_value").map { "\(name): \($0) → \(new)" } ?? "\(name) = \(new)",
                    user: try change.string("user_name"), note: try change.string("reason")))
            }
            let events = try await db.raw("SELECT * FROM lot_serial_events WHERE lot_serial_id = \(bind: id) ORDER BY id").all()
            for event in events {
                entries.append(LotSerialHistory.Entry(
                    at: try event.string("created_at"), date: nil, what: "status", document: nil, warehouse: nil, partner: nil,
                    quantity: nil, override: "\(try event.string("from_status")) → \(try event.string("to_status"))",
                    user: try event.string("user_name"), note: try event.string("reason")))
            }
            // The recalls that reach it: opened, held and closed, with who and why. A lot made
            // after a recall opened (from one of its lots) joined it when it was made, its first
            // movement: its history shows that, not an opening before the lot existed.
            let madeAt = entries.lazy.map(\.at).min() ?? lotSerial.createdAt
            for recall in try await db.raw("""
                SELECT rc.*, r.seed FROM recall_lots r JOIN recalls rc ON rc.id = r.recall_id WHERE r.lot_serial_id = \(bind: id) ORDER BY rc.id
                """).all() {
                let name = "recall \(try recall.int("id"))"
                func step(_ at: String, _ what: String, _ user: String?, _ note: String) {
                    entries.append(LotSerialHistory.Entry(at: at, date: nil, what: "recall", document: name, warehouse: nil, partner: nil,
                                                          quantity: nil, override: what, user: user ?? "", note: note))
                }
                let opened = try recall.string("opened_at")
                if opened < madeAt, try !recall.bool("seed") {
                    step(madeAt, "joined", try recall.string("opened_by"),
                         "made from a lot under \(name) (opened \(opened.prefix(10)): \(try recall.string("reason")))")
                } else {
                    step(opened, "opened", try recall.string("opened_by"), try recall.string("reason"))
                }
                if let at = try recall.optionalString("held_at") {
                    step(max(at, madeAt), "held", try recall.optionalString("held_by"), "affected stock blocked")
                }
                if let at = try recall.optionalString("closed_at") {
                    step(at, "closed", try recall.optionalString("closed_by"), try recall.string("note"))
                }
            }
            entries.sort { $0.at < $1.at }
            // Productions link output lines to the input lines they consumed; movements that only
            // gave a number its unit of unnumbered stock (numbers assigned on use, an unknown
            // serial) are not counted.
            let own = Posting.goodsMoving
            func links(madeFrom: Bool) async throws -> [LotSerialHistory.Link] {
                let (mine, theirs, mySign, theirSign) = madeFrom
                    ? ("output_line", "input_line", ">", "<") : ("input_line", "output_line", "<", ">")
                return try await db.raw("""
                    SELECT d.number AS document, p.article, p.unit, ls.number, CAST(SUM(o.quantity) AS BIGINT) AS quantity
                    FROM movements m JOIN documents d ON d.id = m.document_id AND d.kind = 'production'
                    JOIN production_links l ON l.document_id = m.document_id AND l.\(unsafeRaw: mine) = m.line_no
                    JOIN movements o ON o.document_id = m.document_id AND o.line_no = l.\(unsafeRaw: theirs)
                        AND o.quantity \(unsafeRaw: theirSign) 0 AND \(own("o"))
                    JOIN products p ON p.id = o.product_id LEFT JOIN lot_serials ls ON ls.id = o.lot_serial_id
                    WHERE m.lot_serial_id = \(bind: id) AND m.quantity \(unsafeRaw: mySign) 0
                        AND \(own("m"))
                    GROUP BY d.id, d.number, o.line_no, p.article, p.unit, ls.id, ls.number
                    ORDER BY d.id, o.line_no, ls.id
                    """).all().map {
                    LotSerialHistory.Link(product: try $0.string("article"), number: try $0.optionalString("number"),
                                          document: try $0.string("document"),
                                          quantity: Quantity(storage: abs(try $0.int("quantity"))).decimal, unit: try $0.string("unit"))
                }
            }
            let parent = try await db.raw("""
                SELECT parent.number FROM lot_serials child JOIN lot_serials parent ON parent.id = child.parent_id WHERE child.id = \(bind: id)
                """).first()?.string("number")
            let stock = try await db.raw("""
                SELECT w.code, s.quantity, p.unit FROM stock s JOIN warehouses w ON w.id = s.warehouse_id JOIN products p ON p.id = s.product_id
                WHERE s.lot_serial_id = \(bind: id) AND s.quantity <> 0 ORDER BY w.code
                """).all().map { row in
                StockBalance(product: article, warehouse: try row.string("code"), number: number,
                             quantity: Quantity(storage: try row.int("quantity")).decimal, unit: try row.string("unit"),
                             status: lotSerial.status, expiry: lotSerial.expiry)
            }
            return LotSerialHistory(lotSerial: lotSerial, entries: entries, madeFrom: try await links(madeFrom: true),
                                    usedIn: try await links(madeFrom: false), splitFrom: parent, stock: stock)
        }
    }
}
