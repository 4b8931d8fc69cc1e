import Foundation
import GS1
import SQLKit
import Store
import Synchronization

/// The registry's side of a resolution, read in one statement: the product, the lot or serial
/// with its attributes and files, its stock, its last movements, the lot that should be picked
/// before it, and whether its number was retired.
///
/// One statement because a resolution is on every scan's path and each statement costs a round
/// trip to the database's thread (SQLite) or server (PostgreSQL); the lists come back as JSON
/// arrays built by the database (SQLite's JSON functions, PostgreSQL's `json_agg`).
struct ResolveQuery {
    /// How a product is named by the scan.
    enum ProductKey {
        case gtin(GTIN)
        case article(String)

        var isGTIN: Bool {
            if case .gtin = self { true } else { false }
        }

        /// The value ``where_(_:)`` binds.
        var bound: String {
            switch self {
            case .gtin(let gtin): gtin.gtin14
            case .article(let article): article
            }
        }
    }

    /// What the statement found.
    struct Facts {
        var productID: Int
        var product: Product
        var issueMethod: LotSerialClass.IssueMethod?
        /// How the product's class tracks it (`nil`: no class).
        var tracking: LotSerialClass.Tracking? = nil
        var lotSerial: LotSerial?
        var stock: [StockBalance] = []
        var lastMovement: Resolution.Movement?
        var lastReceipt: Resolution.Movement?
        var lastIssue: Resolution.Movement?
        /// Per warehouse checked: the lot that comes first by the issue method, when it is not this one.
        var earlier: [(warehouse: String, number: String, expiry: CalendarDate?, received: String?)] = []
        /// The product's own lot record named by the scan's AI (10), for a serial unit.
        var lotRecord: LotSerial?
        /// Why the number was retired, if it was.
        var retiredReason: String?
        /// When the product has no such number: the product that has it, if its class keeps
        /// numbers unique across products (the label names the wrong product, or was misread).
        var globalOwner: String?
        /// Why the lot or serial was blocked or quarantined, as its last change of status says.
        var statusReason: String?
        /// The recalls that affect the lot or serial and are not closed, by id.
        var recalls: [(id: Int, state: Recall.State, reason: String)] = []
    }

    let kind: DatabaseKind

    private var array: String { kind == .sqlite ? "json_array" : "json_build_array" }
    private var aggregate: String { kind == .sqlite ? "json_group_array" : "json_agg" }
    private var asText: String { kind == .sqlite ? "" : "::text" }

    /// The product named by `key`, with its stock per warehouse; `nil` when the registry does not know it.
    func product(_ db: any SQLDatabase, _ key: ProductKey) async throws -> Facts? {
        let sql: SQLQueryString = """
            SELECT p.id AS product_id, p.article, p.gtin, p.description, p.unit, p.class_code, p.counter_start, p.counter_end,
                p.allows_unknown_serials, p.decimals, c.issue_method, c.tracking,
                (SELECT \(unsafeRaw: aggregate)(\(unsafeRaw: array)(w.code, t.q)) FROM (
                    SELECT s.warehouse_id, CAST(SUM(s.quantity) AS BIGINT) AS q FROM stock s WHERE s.product_id = p.id GROUP BY s.warehouse_id
                 ) t JOIN warehouses w ON w.id = t.warehouse_id WHERE t.q <> 0)\(unsafeRaw: asText) AS stock_json
            FROM products p LEFT JOIN lot_serial_classes c ON c.code = p.class_code
            WHERE \(where_(key))
            """
        guard let row = try await db.raw(sql).first() else { return nil }
        var facts = try Self.productFacts(row)
        facts.stock = try Self.rows(row, "stock_json").map { cells in
            StockBalance(product: facts.product.article, warehouse: try Self.string(cells, 0), number: nil,
                         quantity: Quantity(storage: try Self.int(cells, 1)).decimal, unit: facts.product.unit, status: nil, expiry: nil)
        }.sorted { $0.warehouse < $1.warehouse }
        return facts
    }

    /// The lot or serial `number` of the product named by `key`, with everything a resolution
    /// reports; `nil` when the registry does not know the product.
    ///
    /// The pick-order check is written for `assumedMethod`, the product's issue method as last seen
    /// (one branch instead of one per method keeps the statement quick to prepare, which is most of
    /// its cost on SQLite); ``Facts/issueMethod`` is the actual one, and when they differ the caller
    /// asks again.
    func lotSerial(_ db: any SQLDatabase, _ key: ProductKey, number: String, lotOfSerial: String?,
                   warehouse: String?, today: CalendarDate, atLeast: Int = 1,
                   assumedMethod: LotSerialClass.IssueMethod?) async throws -> Facts? {
        let shape = Shape(gtin: key.isGTIN, lotOfSerial: lotOfSerial != nil, warehouse: warehouse != nil, method: assumedMethod)
        var binds: [any Encodable & Sendable] = []
        if Self.earlierBinds(assumedMethod) {
            binds.append(atLeast)
            binds.append(today.description)
            if let warehouse { binds.append(warehouse) }
        }
        if let lotOfSerial { binds.append(lotOfSerial) }
        binds += [number, number, number, key.bound]
        let statement = try Self.texts.statement(shape, database: db, binds: binds) {
            lotSerialSQL(key, number: number, lotOfSerial: lotOfSerial, warehouse: warehouse, today: today, atLeast: atLeast,
                         assumedMethod: assumedMethod)
        }
        guard let row = try await db.raw("\(statement)").first() else { return nil }
        var facts = try Self.productFacts(row)
        facts.retiredReason = try row.optionalString("retired_reason")
        guard try row.optionalInt("id") != nil else {
            facts.globalOwner = try row.optionalString("global_owner")
            return facts
        }
        facts.statusReason = try row.optionalString("status_reason")
        let attributes = try Self.rows(row, "attributes_json").map { cells in
            try Registry.storedAttribute(name: try Self.string(cells, 0), kind: try Self.string(cells, 1),
                                         value: try Self.string(cells, 2), of: number)
        }.sorted { $0.name < $1.name }
        let attachments = try Self.rows(row, "attachments_json").map { cells in
            Attachment(id: try Self.int(cells, 0), fileName: try Self.string(cells, 1), mediaType: try Self.string(cells, 2),
                       size: try Self.int(cells, 3), sha256: try Self.string(cells, 4), createdAt: try Self.string(cells, 5))
        }.sorted { $0.id < $1.id }
        let lotSerial = try Registry.decodeLotSerial(row, attributes: attributes, attachments: attachments)
        facts.lotSerial = lotSerial
        facts.stock = try Self.rows(row, "stock_json").map { cells in
            StockBalance(product: facts.product.article, warehouse: try Self.string(cells, 0), number: lotSerial.number,
                         quantity: Quantity(storage: try Self.int(cells, 1)).decimal, unit: facts.product.unit,
                         status: lotSerial.status, expiry: lotSerial.expiry)
        }.sorted { $0.warehouse < $1.warehouse }
        facts.lastMovement = try Self.movement(row, "last_json")
        facts.lastReceipt = try Self.movement(row, "received_json")
        facts.lastIssue = try Self.movement(row, "issued_json")
        facts.earlier = try Self.rows(row, "earlier_json").compactMap { cells in
            guard cells.count > 1, let first = cells[1].list else { return nil }
            return (try Self.string(cells, 0), try Self.string(first, 0), Self.optionalString(first, 1).flatMap(CalendarDate.init(iso:)),
                    Self.optionalString(first, 2))
        }.sorted { $0.warehouse < $1.warehouse }
        facts.recalls = try Self.rows(row, "recalls_json").map { cells in
            (try Self.int(cells, 0), Recall.State(rawValue: try Self.string(cells, 1)) ?? .open, try Self.string(cells, 2))
        }.sorted { $0.id < $1.id }
        if let cells = try Self.object(row, "lot_json")?.list {
            facts.lotRecord = LotSerial(
                id: try Self.int(cells, 0), product: facts.product.article, kind: .lot, number: try Self.string(cells, 1),
                expiry: Self.optionalString(cells, 2).flatMap(CalendarDate.init(iso:)),
                production: Self.optionalString(cells, 3).flatMap(CalendarDate.init(iso:)),
                status: LotSerial.Status(rawValue: try Self.string(cells, 4)) ?? .available,
                flaggedForInvestigation: try Self.int(cells, 5) != 0,
                origin: LotSerial.Origin(rawValue: try Self.string(cells, 6)) ?? .entered,
                series: nil, counter: nil, createdAt: try Self.string(cells, 7), attributes: [], attachments: [])
        }
        return facts
    }

    /// The statement of ``lotSerial(_:_:number:lotOfSerial:warehouse:today:assumedMethod:)``, built
    /// from its pieces (serialised once per ``Shape``; its binds, in order, are listed there).
    private func lotSerialSQL(_ key: ProductKey, number: String, lotOfSerial: String?, warehouse: String?, today: CalendarDate,
                              atLeast: Int, assumedMethod: LotSerialClass.IssueMethod?) -> SQLQueryString {
        let lotRecord: SQLQueryString = if let lotOfSerial {
            """
            (SELECT \(unsafeRaw: array)(l.id, l.number, l.expiry, l.production, l.status, l.flagged, l.origin, l.created_at)
             FROM lot_serials l WHERE l.product_id = p.id AND l.number = \(bind: lotOfSerial) AND l.kind = 'lot')\(unsafeRaw: asText)
            """
        } else {
            "NULL"
        }
        return """
            SELECT p.id AS product_id, p.article, p.gtin, p.description, p.unit, p.class_code, p.counter_start, p.counter_end,
                p.allows_unknown_serials, p.decimals, c.issue_method, c.tracking,
                ls.id, ls.kind, ls.number, ls.expiry, ls.production, ls.status, ls.flagged, ls.origin, ls.series, ls.counter, ls.created_at,
                (SELECT \(unsafeRaw: aggregate)(\(unsafeRaw: array)(w.code, s.quantity)) FROM stock s JOIN warehouses w ON w.id = s.warehouse_id
                 WHERE s.lot_serial_id = ls.id AND s.quantity <> 0)\(unsafeRaw: asText) AS stock_json,
                (SELECT \(unsafeRaw: aggregate)(\(unsafeRaw: array)(a.name, a.kind, a.value)) FROM lot_serial_attributes a
                 WHERE a.lot_serial_id = ls.id)\(unsafeRaw: asText) AS attributes_json,
                (SELECT \(unsafeRaw: aggregate)(\(unsafeRaw: array)(f.id, f.file_name, f.media_type, f.size, f.sha256, f.created_at))
                 FROM lot_serial_attachments f WHERE f.lot_serial_id = ls.id)\(unsafeRaw: asText) AS attachments_json,
                \(movement(""))\(unsafeRaw: asText) AS last_json,
                \(movement("AND d.kind IN ('receipt', 'return') AND m.quantity > 0"))\(unsafeRaw: asText) AS received_json,
                \(movement("AND d.kind = 'issue'"))\(unsafeRaw: asText) AS issued_json,
                \(earlier(warehouse: warehouse, today: today, atLeast: atLeast, method: assumedMethod))\(unsafeRaw: asText) AS earlier_json,
                \(lotRecord) AS lot_json,
                (SELECT \(unsafeRaw: aggregate)(\(unsafeRaw: array)(rc.id, rc.state, rc.reason))
                 FROM \(Allocation.activeRecalls(of: "ls.id")))\(unsafeRaw: asText) AS recalls_json,
                (SELECT r.reason FROM retired_numbers r WHERE r.product_id = p.id AND r.number = \(bind: number)) AS retired_reason,
                CASE WHEN ls.id IS NULL THEN (SELECT op.article FROM lot_serials o JOIN products op ON op.id = o.product_id
                     WHERE o.global_number = \(bind: number) AND o.product_id <> p.id) END AS global_owner,
                CASE WHEN ls.status IN ('blocked', 'quarantined') THEN (SELECT e.reason FROM lot_serial_events e
                     WHERE e.lot_serial_id = ls.id AND e.to_status = ls.status ORDER BY e.id DESC LIMIT 1) END AS status_reason
            FROM products p LEFT JOIN lot_serial_classes c ON c.code = p.class_code
            LEFT JOIN lot_serials ls ON ls.product_id = p.id AND ls.number = \(bind: number)
            WHERE \(where_(key))
            """
    }

    /// Plain codes: the products whose article number is `code` and the lots/serials numbered `code`.
    func candidates(_ db: any SQLDatabase, code: String) async throws -> [Resolution.Candidate] {
        try await db.raw("""
            SELECT p.article, CAST(NULL AS TEXT) AS number FROM products p WHERE p.article = \(bind: code)
            UNION ALL
            SELECT p.article, ls.number FROM lot_serials ls JOIN products p ON p.id = ls.product_id WHERE ls.number = \(bind: code)
            LIMIT 11
            """).all().map { Resolution.Candidate(product: try $0.string("article"), number: try $0.optionalString("number")) }
    }

    // MARK: - Statement texts

    /// What a resolution's statement text depends on: everything else is a bound value.
    struct Shape: Hashable {
        var database = ""
        let gtin: Bool
        let lotOfSerial: Bool
        let warehouse: Bool
        let method: LotSerialClass.IssueMethod?
    }

    /// Whether the pick-order check of `method` binds the quantity, the day (and the station's warehouse):
    /// every method but manual, as ``earlier(warehouse:today:method:)`` writes it.
    private static func earlierBinds(_ method: LotSerialClass.IssueMethod?) -> Bool {
        switch method {
        case .expiration, .fifo, .lifo, .sequential: true
        case .manual, nil: false
        }
    }

    /// The statement texts, serialised once per shape and database: building a resolution's
    /// statement from its pieces and serialising it through SQLKit cost about a twentieth of a
    /// resolution, for the same text every time.
    static let texts = StatementTexts()

    final class StatementTexts: Sendable {
        private let texts = Mutex<[Shape: String]>([:])

        /// The statement of `shape` with `binds`, which must be the values `build()` binds, in
        /// its order: checked when the text is made, and on every use in debug builds.
        func statement(_ shape: Shape, database: any SQLDatabase, binds: [any Encodable & Sendable],
                       build: () -> SQLQueryString) throws -> SerializedStatement {
            var shape = shape
            shape.database = database.dialect.name
            if let text = texts.withLock({ $0[shape] }) {
                #if DEBUG
                _ = try made(shape, database: database, binds: binds, build: build)
                #endif
                return SerializedStatement(sql: text, binds: binds)
            }
            let text = try made(shape, database: database, binds: binds, build: build)
            texts.withLock { $0[shape] = text }
            return SerializedStatement(sql: text, binds: binds)
        }

        private func made(_ shape: Shape, database: any SQLDatabase, binds: [any Encodable & Sendable],
                          build: () -> SQLQueryString) throws -> String {
            var serializer = SQLSerializer(database: database)
            build().serialize(to: &serializer)
            let expected = serializer.binds.map { String(describing: $0) }
            guard expected == binds.map({ String(describing: $0) }) else {
                throw RegistryError(.database, "the resolution's statement for \(shape) binds \(expected), not \(binds)")
            }
            if let text = texts.withLock({ $0[shape] }), text != serializer.sql {
                throw RegistryError(.database, "the resolution's statement for \(shape) changed its text")
            }
            return serializer.sql
        }
    }

    // MARK: - SQL pieces

    private func where_(_ key: ProductKey) -> SQLQueryString {
        switch key {
        case .gtin(let gtin): "p.gtin = \(bind: gtin.gtin14)"
        case .article(let article): "p.article = \(bind: article)"
        }
    }

    /// The newest movement of the lot/serial matching `filter`, as a JSON array.
    private func movement(_ filter: String) -> SQLQueryString {
        """
        (SELECT \(unsafeRaw: array)(d.kind, d.number, d.doc_date, w.code, pa.code, pa.name, m.quantity, m.created_at)
         FROM movements m JOIN documents d ON d.id = m.document_id JOIN warehouses w ON w.id = m.warehouse_id
         LEFT JOIN partners pa ON pa.id = d.partner_id
         WHERE m.lot_serial_id = ls.id \(unsafeRaw: filter) ORDER BY m.id DESC LIMIT 1)
        """
    }

    /// Per warehouse (the station's, else each that holds the lot): the first available lot that
    /// `method` takes before this one and that is usable through `today` (the day of the scan,
    /// or later by a customer's minimum shelf life) and that holds `atLeast` (stored millionths)
    /// there (a serial: itself), walking the issue order's index.
    private func earlier(warehouse: String?, today: CalendarDate, atLeast: Int, method: LotSerialClass.IssueMethod?) -> SQLQueryString {
        let (before, order): (String, String)
        switch method {
        case .expiration:
            // Ties by the earlier receipt, as an issue takes them (a lot of the same expiry
            // received earlier went unmentioned; found by a QA run).
            // The first comparison bounds the walk of the expiry index, as `<` alone did.
            (before, order) = ("COALESCE(b.expiry, '9999-12-31') <= COALESCE(ls.expiry, '9999-12-31') AND (COALESCE(b.expiry, '9999-12-31') < COALESCE(ls.expiry, '9999-12-31') OR (b.received_on, b.received_at) < (ls.received_on, ls.received_at))",
                               "COALESCE(b.expiry, '9999-12-31'), b.received_on, b.received_at, b.sort_key, b.id")
        // The receipt's document date first, the posting time within a day (as an issue takes them).
        case .fifo: (before, order) = ("(b.received_on, b.received_at) < (ls.received_on, ls.received_at)", "b.received_on, b.received_at, b.id")
        case .lifo: (before, order) = ("(b.received_on, b.received_at) > (ls.received_on, ls.received_at)",
                                       "b.received_on DESC, b.received_at DESC, b.id DESC")
        case .sequential: (before, order) = ("b.sort_key < ls.sort_key", "b.sort_key, b.id")
        case .manual, nil: return "NULL"
        }
        let first: SQLQueryString = """
            (SELECT \(unsafeRaw: array)(b.number, b.expiry, b.received_on) FROM lot_serials b
             JOIN stock bs ON bs.product_id = b.product_id AND bs.warehouse_id = w.id AND bs.lot_serial_id = b.id
             WHERE b.product_id = p.id AND b.status = 'available' AND (bs.quantity >= \(bind: atLeast) OR (b.kind = 'serial' AND bs.quantity > 0)) AND b.id <> ls.id
               AND NOT \(Allocation.activeRecall("b.id"))
               AND COALESCE(b.expiry, '9999-12-31') >= \(bind: today.description) AND \(unsafeRaw: before)
             ORDER BY \(unsafeRaw: order) LIMIT 1)
            """
        let source: SQLQueryString = if let warehouse {
            // Only where the scanned one is: a unit elsewhere (a look-up at another warehouse's
            // station) is no wrong pick here (found by a QA run, advised over a unit it could not take).
            """
            warehouses w WHERE w.code = \(bind: warehouse) AND ls.id IS NOT NULL
              AND EXISTS (SELECT 1 FROM stock h WHERE h.product_id = ls.product_id AND h.warehouse_id = w.id AND h.lot_serial_id = ls.id AND h.quantity > 0)
            """
        } else {
            "stock s JOIN warehouses w ON w.id = s.warehouse_id WHERE s.lot_serial_id = ls.id AND s.quantity > 0"
        }
        // SQLite loses the JSON subtype of a subquery's value, so `json()` reads it back as an array.
        let nested: SQLQueryString = kind == .sqlite ? "json(\(first))" : first
        return "(SELECT \(unsafeRaw: aggregate)(\(unsafeRaw: array)(w.code, \(nested))) FROM \(source))"
    }

    // MARK: - Decoding

    private static func productFacts(_ row: any SQLRow) throws -> Facts {
        Facts(productID: try row.int("product_id"), product: try Registry.decodeProduct(row),
              issueMethod: try row.optionalString("issue_method").flatMap(LotSerialClass.IssueMethod.init(rawValue:)),
              tracking: try row.optionalString("tracking").flatMap(LotSerialClass.Tracking.init(rawValue:)))
    }

    private static func object(_ row: any SQLRow, _ column: String) throws -> JSONCell? {
        guard let text = try row.optionalString(column) else { return nil }
        do {
            return try JSONCell(parsing: text)
        } catch {
            throw RegistryError(.database, "the database returned unreadable JSON in \(column): \(text.prefix(80))")
        }
    }

    /// A JSON array of arrays (NULL, as PostgreSQL aggregates nothing, is empty); the inner
    /// arrays' NULL elements (a warehouse with no earlier lot) stay ``JSONCell/null``.
    private static func rows(_ row: any SQLRow, _ column: String) throws -> [[JSONCell]] {
        guard let object = try object(row, column), object != .null else { return [] }
        guard let list = object.list else { throw RegistryError(.database, "\(column) is not a JSON array") }
        return try list.map {
            guard let cells = $0.list else { throw RegistryError(.database, "\(column) holds a row that is not an array") }
            return cells
        }
    }

    private static func movement(_ row: any SQLRow, _ column: String) throws -> Resolution.Movement? {
        guard let cells = try object(row, column)?.list else { return nil }
        return Resolution.Movement(
            what: try string(cells, 0), document: try string(cells, 1),
            date: optionalString(cells, 2).flatMap(CalendarDate.init(iso:)), warehouse: try string(cells, 3),
            partner: optionalString(cells, 4), partnerName: optionalString(cells, 5),
            quantity: Quantity(storage: try int(cells, 6)).decimal, at: try string(cells, 7))
    }

    private static func string(_ cells: [JSONCell], _ index: Int) throws -> String {
        guard let value = optionalString(cells, index) else {
            throw RegistryError(.database, "a resolution's JSON lacks text at position \(index)")
        }
        return value
    }

    private static func optionalString(_ cells: [JSONCell], _ index: Int) -> String? {
        index < cells.count ? cells[index].text : nil
    }

    private static func int(_ cells: [JSONCell], _ index: Int) throws -> Int {
        guard index < cells.count else { throw RegistryError(.database, "a resolution's JSON lacks a number at position \(index)") }
        guard let value = cells[index].integer else {
            throw RegistryError(.database, "a resolution's JSON holds no number at position \(index)")
        }
        return value
    }
}

