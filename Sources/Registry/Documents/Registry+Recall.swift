public import Foundation
public import GS1
import SQLKit
import Store

/// A recall: seed lots or serials and everything made from them, at any depth (production
/// genealogy and splits, forward). Opened, held (every affected lot still in stock blocked, in
/// one transaction), and closed; each step with who, when and why, in the affected lots' history.
public struct Recall: Codable, Hashable, Sendable {
    public enum State: String, Codable, Sendable {
        case open, held, closed
    }

    public struct Lot: Codable, Hashable, Sendable {
        public var product: String
        public var number: String
        public var kind: LotSerial.Kind
        /// Its status now (a held recall's lots in stock are blocked).
        public var status: LotSerial.Status
        /// Named when the recall was opened (else reached from one of those).
        public var seed: Bool
        /// Production levels from the nearest seed.
        public var depth: Int
    }

    public var id: Int
    public var reason: String
    public var state: State
    public var openedBy: String
    public var openedAt: String
    public var heldBy: String?
    public var heldAt: String?
    public var closedBy: String?
    public var closedAt: String?
    public var note: String
    public var lots: [Lot]
}

/// A hold: the recall after it, and the lots and serials it blocked now.
public struct RecallHold: Codable, Hashable, Sendable {
    public var recall: Recall
    public var blocked: [Recall.Lot]
}

/// What a recall reaches: its affected stock per warehouse, and the customers who hold some.
public struct RecallReport: Codable, Hashable, Sendable {
    /// One delivery of an affected lot or serial to a customer.
    public struct Exposure: Codable, Hashable, Sendable {
        /// Nil for an issue that named no customer: the goods left, to whom is not recorded, and
        /// the recall still has to find them (they were left out of the list before; found by a
        /// QA run).
        public var customer: String?
        public var customerName: String
        public var contact: String?
        public var email: String?
        public var phone: String?
        public var document: String
        public var date: CalendarDate?
        public var product: String
        public var number: String
        public var quantity: Decimal
        /// The unit its quantity is counted in.
        public var unit: String
    }

    public var recall: Recall
    /// Affected lots and serials still in stock, per warehouse.
    public var stock: [StockBalance]
    /// Every delivery of an affected lot or serial to a customer, per document (a customer's
    /// return shows as a negative quantity).
    public var exposure: [Exposure]

    /// What a customer still holds of an affected lot or serial: delivered less returned.
    public struct Holding: Codable, Hashable, Sendable {
        /// Nil: issued without a customer.
        public var customer: String?
        public var customerName: String
        public var contact: String?
        public var email: String?
        public var phone: String?
        public var product: String
        public var number: String
        public var quantity: Decimal
        public var unit: String
    }

    /// Who still holds what, per customer and lot or serial, from the exposure list: the ones to
    /// call. A customer who sent everything back is not on it.
    public var holdings: [Holding] {
        var order: [String] = []
        var held: [String: Holding] = [:]
        for row in exposure {
            let key = "\(row.customer ?? "")\u{0}\(row.product)\u{0}\(row.number)"
            if held[key] == nil {
                order.append(key)
                held[key] = Holding(customer: row.customer, customerName: row.customerName, contact: row.contact, email: row.email,
                                    phone: row.phone, product: row.product, number: row.number, quantity: 0, unit: row.unit)
            }
            held[key]!.quantity += row.quantity
        }
        return order.compactMap { held[$0] }.filter { $0.quantity > 0 }
    }

    enum CodingKeys: String, CodingKey { case recall, stock, exposure, holdings }

    public init(recall: Recall, stock: [StockBalance], exposure: [Exposure]) {
        self.recall = recall
        self.stock = stock
        self.exposure = exposure
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(recall: try container.decode(Recall.self, forKey: .recall), stock: try container.decode([StockBalance].self, forKey: .stock),
                  exposure: try container.decode([Exposure].self, forKey: .exposure))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(recall, forKey: .recall)
        try container.encode(stock, forKey: .stock)
        try container.encode(exposure, forKey: .exposure)
        try container.encode(holdings, forKey: .holdings)
    }
}

extension Registry {
    /// Opens a recall of `numbers` of `product` (they must exist): its affected set is fixed now,
    /// the seeds and everything made from them, forward, at any depth.
    public func openRecall(product article: String, numbers: [String], reason: String, user: String) async throws -> Recall {
        let reason = reason.trimmingSpaces
        guard !reason.isEmpty else { throw RegistryError(.invalidInput, "a recall needs its reason") }
        guard !numbers.isEmpty else { throw RegistryError(.invalidInput, "name the lots or serials to recall") }
        var seeds: [Int] = []
        var missing: [String] = []
        for number in numbers {
            if let lot = try await lotSerial(product: article, number: number) { seeds.append(lot.id) } else { missing.append(number) }
        }
        if !missing.isEmpty {
            _ = try await product(article)
            throw RegistryError(.notFound, "product \(article) has no lot or serial \(missing.joined(separator: ", "))")
        }
        let created = now
        let id = try await store.write { db in
            let walk = try await Self.walk(db, from: seeds, direction: .forward, depth: 1000)
            guard let row = try await db.raw("""
                INSERT INTO recalls (reason, state, opened_by, opened_at, note)
                VALUES (\(bind: reason), 'open', \(bind: user), \(bind: created), '') RETURNING id
                """).first() else { throw RegistryError(.conflict, "the database did not return the recall's id") }
            let id = try row.int("id")
            let seedSet = Set(seeds)
            for (lot, depth) in walk.levels.sorted(by: { ($0.value, $0.key) < ($1.value, $1.key) }) {
                try await db.raw("""
                    INSERT INTO recall_lots (recall_id, lot_serial_id, seed, depth)
                    VALUES (\(bind: id), \(bind: lot), \(bind: seedSet.contains(lot) ? 1 : 0), \(bind: depth))
                    """).run()
            }
            return id
        }
        return try await recall(id)
    }

    /// Blocks every affected lot or serial still in stock (available or quarantined), in one
    /// transaction, each status event naming the recall. Holding again blocks what came back into
    /// stock since; a closed recall holds nothing. Returns the recall and the lots it blocked now.
    public func holdRecall(_ id: Int, user: String) async throws -> RecallHold {
        let created = now
        let blocked = try await store.write { db -> [Recall.Lot] in
            // Locked (PostgreSQL) until the transaction ends: a hold and a close sent at once both
            // read "open", and a recall closed first was then held (found by a QA run).
            guard let row = try await db.raw("SELECT state, reason FROM recalls WHERE id = \(bind: id)\(unsafeRaw: RowLock.update.clause(db))").first() else {
                throw RegistryError(.notFound, "there is no recall \(id)")
            }
            guard try row.string("state") != Recall.State.closed.rawValue else {
                throw RegistryError(.conflict, "recall \(id) is closed: open a new recall to block more")
            }
            let reason = "recall \(id): \(try row.string("reason"))"
            let lots = try await db.raw("""
                SELECT ls.id, ls.status, ls.number, ls.kind, p.article, r.seed, r.depth
                FROM recall_lots r JOIN lot_serials ls ON ls.id = r.lot_serial_id JOIN products p ON p.id = ls.product_id
                WHERE r.recall_id = \(bind: id) AND ls.status IN ('available', 'quarantined')
                AND EXISTS (SELECT 1 FROM stock s WHERE s.lot_serial_id = ls.id AND s.quantity > 0)
                ORDER BY r.depth, p.article, ls.number
                """).all()
            for lot in lots {
                try await Self.setStatus(db, lot: try lot.int("id"), from: try lot.enumeration("status", as: LotSerial.Status.self),
                                         to: .blocked, user: user, reason: reason, at: created)
            }
            try await db.raw("""
                UPDATE recalls SET state = 'held', held_by = COALESCE(held_by, \(bind: user)), held_at = COALESCE(held_at, \(bind: created))
                WHERE id = \(bind: id)
                """).run()
            return try lots.map { lot in
                Recall.Lot(product: try lot.string("article"), number: try lot.string("number"),
                           kind: try lot.enumeration("kind", as: LotSerial.Kind.self), status: .blocked, seed: try lot.bool("seed"),
                           depth: try lot.int("depth"))
            }
        }
        return RecallHold(recall: try await recall(id), blocked: blocked)
    }

    /// Keeps the recalls that are not closed whole after document `documentID`: what it made
    /// from an affected lot (a production's outputs, a split's new lot) joins the recall, as a
    /// trace would reach it now, so that its customers are on the exposure list; and what it
    /// brought into stock of a held recall (a customer's return, a lot made from a blocked one)
    /// is blocked at once, naming the recall, instead of being sold again.
    static func followRecalls(_ db: any SQLDatabase, documentID: Int, user: String, at created: String) async throws {
        // Most of the time no recall is open: one look, and nothing more to do.
        guard try await db.raw("SELECT 1 AS x FROM recalls WHERE state <> 'closed' LIMIT 1").first() != nil else { return }
        // SQLite: a SELECT feeding an upsert needs its WHERE to parse (`WHERE true`).
        try await db.raw("""
            INSERT INTO recall_lots (recall_id, lot_serial_id, seed, depth)
            SELECT r.recall_id, x.child, 0, MIN(r.depth + x.step)
            FROM (
                SELECT g.output_id AS child, g.input_id AS parent, 1 AS step FROM genealogy g WHERE g.document_id = \(bind: documentID)
                UNION ALL
                SELECT ls.id, ls.parent_id, 1 FROM lot_serials ls
                WHERE ls.parent_id IS NOT NULL
                  AND ls.id IN (SELECT lot_serial_id FROM movements WHERE document_id = \(bind: documentID) AND quantity > 0)
            ) x
            JOIN recall_lots r ON r.lot_serial_id = x.parent
            JOIN recalls rc ON rc.id = r.recall_id AND rc.state <> 'closed'
            WHERE true
            GROUP BY r.recall_id, x.child
            ON CONFLICT (recall_id, lot_serial_id) DO NOTHING
            """).run()
        let held = try await db.raw("""
            SELECT DISTINCT ls.id, ls.status, rc.id AS recall, rc.reason FROM movements m
            JOIN lot_serials ls ON ls.id = m.lot_serial_id
            JOIN recall_lots r ON r.lot_serial_id = ls.id JOIN recalls rc ON rc.id = r.recall_id AND rc.state = 'held'
            WHERE m.document_id = \(bind: documentID) AND m.quantity > 0 AND ls.status IN ('available', 'quarantined')
            ORDER BY ls.id
            """).all()
        var blocked = Set<Int>()
        for row in held where blocked.insert(try row.int("id")).inserted {
            try await setStatus(db, lot: try row.int("id"), from: try row.enumeration("status", as: LotSerial.Status.self), to: .blocked,
                                user: user, reason: "recall \(try row.int("recall")): \(try row.string("reason"))", at: created)
        }
    }

    /// Ends a recall with a note (what was done). Its blocked lots stay blocked until released.
    public func closeRecall(_ id: Int, note: String, user: String) async throws -> Recall {
        let note = note.trimmingSpaces
        guard !note.isEmpty else { throw RegistryError(.invalidInput, "closing recall \(id): give a note of what was done") }
        let created = now
        try await store.write { db in
            guard let row = try await db.raw("SELECT state FROM recalls WHERE id = \(bind: id)\(unsafeRaw: RowLock.update.clause(db))").first() else {
                throw RegistryError(.notFound, "there is no recall \(id)")
            }
            guard try row.string("state") != Recall.State.closed.rawValue else { throw RegistryError(.conflict, "recall \(id) is closed already") }
            try await db.raw("""
                UPDATE recalls SET state = 'closed', closed_by = \(bind: user), closed_at = \(bind: created), note = \(bind: note)
                WHERE id = \(bind: id)
                """).run()
        }
        return try await recall(id)
    }

    /// One recall with its affected lots.
    public func recall(_ id: Int) async throws -> Recall {
        try await store.read { db in try await Self.fetchRecall(db, id) }
    }

    /// Every recall, newest first.
    public func recalls() async throws -> [Recall] {
        try await store.read { db in
            var all: [Recall] = []
            for row in try await db.raw("SELECT * FROM recalls ORDER BY id DESC").all() { all.append(try await Self.decodeRecall(db, row)) }
            return all
        }
    }

    /// The recall, its affected stock per warehouse, and its customer exposure list.
    public func recallReport(_ id: Int) async throws -> RecallReport {
        try await store.read { db in
            let recall = try await Self.fetchRecall(db, id)
            let stock = try await db.raw("""
                SELECT p.article, w.code AS warehouse, ls.number, s.quantity, p.unit, ls.status, ls.expiry
                FROM recall_lots r JOIN stock s ON s.lot_serial_id = r.lot_serial_id JOIN lot_serials ls ON ls.id = r.lot_serial_id
                JOIN products p ON p.id = s.product_id JOIN warehouses w ON w.id = s.warehouse_id
                WHERE r.recall_id = \(bind: id) AND s.quantity > 0 ORDER BY w.code, p.article, ls.number
                """).all().map { row in
                StockBalance(product: try row.string("article"), warehouse: try row.string("warehouse"), number: try row.string("number"),
                             quantity: Quantity(storage: try row.int("quantity")).decimal, unit: try row.string("unit"),
                             status: try row.enumeration("status", as: LotSerial.Status.self), expiry: try row.date("expiry"))
            }
            // Each issue to a customer, and each return from one (negative), per document.
            let exposure = try await db.raw("""
                SELECT pa.code, pa.name, pa.contact, pa.email, pa.phone, d.number AS document, d.doc_date, p.article, p.unit, ls.number,
                       CAST(SUM(-m.quantity) AS BIGINT) AS quantity
                FROM recall_lots r JOIN movements m ON m.lot_serial_id = r.lot_serial_id JOIN documents d ON d.id = m.document_id
                LEFT JOIN partners pa ON pa.id = d.partner_id JOIN lot_serials ls ON ls.id = r.lot_serial_id JOIN products p ON p.id = ls.product_id
                WHERE r.recall_id = \(bind: id) AND d.kind IN ('issue', 'return') AND \(Posting.goodsMoving("m"))
                GROUP BY pa.code, pa.name, pa.contact, pa.email, pa.phone, d.number, d.doc_date, p.article, p.unit, ls.number
                ORDER BY pa.code, MIN(m.id)
                """).all().map { row in
                RecallReport.Exposure(customer: try row.optionalString("code"), customerName: try row.optionalString("name") ?? "",
                                      contact: try row.optionalString("contact"), email: try row.optionalString("email"),
                                      phone: try row.optionalString("phone"), document: try row.string("document"),
                                      date: try row.date("doc_date"), product: try row.string("article"), number: try row.string("number"),
                                      quantity: Quantity(storage: try row.int("quantity")).decimal, unit: try row.string("unit"))
            }
            return RecallReport(recall: recall, stock: stock, exposure: exposure)
        }
    }

    static func fetchRecall(_ db: any SQLDatabase, _ id: Int) async throws -> Recall {
        guard let row = try await db.raw("SELECT * FROM recalls WHERE id = \(bind: id)").first() else {
            throw RegistryError(.notFound, "there is no recall \(id)")
        }
        return try await decodeRecall(db, row)
    }

    static func decodeRecall(_ db: any SQLDatabase, _ row: any SQLRow) async throws -> Recall {
        let id = try row.int("id")
        let lots = try await db.raw("""
            SELECT p.article, ls.number, ls.kind, ls.status, r.seed, r.depth FROM recall_lots r
            JOIN lot_serials ls ON ls.id = r.lot_serial_id JOIN products p ON p.id = ls.product_id
            WHERE r.recall_id = \(bind: id) ORDER BY r.depth, p.article, ls.number
            """).all().map { lot in
            Recall.Lot(product: try lot.string("article"), number: try lot.string("number"),
                       kind: try lot.enumeration("kind", as: LotSerial.Kind.self),
                       status: try lot.enumeration("status", as: LotSerial.Status.self), seed: try lot.bool("seed"),
                       depth: try lot.int("depth"))
        }
        return Recall(id: id, reason: try row.string("reason"), state: try row.enumeration("state", as: Recall.State.self),
                      openedBy: try row.string("opened_by"), openedAt: try row.string("opened_at"),
                      heldBy: try row.optionalString("held_by"), heldAt: try row.optionalString("held_at"),
                      closedBy: try row.optionalString("closed_by"), closedAt: try row.optionalString("closed_at"),
                      note: try row.string("note"), lots: lots)
    }
}

extension RecallReport {
    /// What stands for the customer of an issue that named none, where people read it.
    public static let noCustomer = "(no customer recorded on the issue)"

    /// The customer exposure list as a spreadsheet reads it (RFC 4180, CRLF).
    public var exposureCSV: String {
        var out = "customer,name,contact,phone,email,document,date,product,number,quantity,unit\r\n"
        for row in exposure {
            out += [row.customer ?? "", row.customer == nil ? RecallReport.noCustomer : row.customerName, row.contact ?? "", row.phone ?? "", row.email ?? "", row.document,
                    row.date?.description ?? "", row.product, row.number, "\(row.quantity)", row.unit].map(CSVText.field).joined(separator: ",") + "\r\n"
        }
        return out
    }
}

/// A recall not closed that affects a lot or serial, as a lot's page names it.
public struct RecallMark: Codable, Hashable, Sendable {
    public var id: Int
    public var state: Recall.State
    public var reason: String

    public init(id: Int, state: Recall.State, reason: String) {
        self.id = id
        self.state = state
        self.reason = reason
    }
}

extension Registry {
    /// The recalls not closed that affect a lot or serial: stock of it is held back from
    /// allocation until they close, whatever its status says.
    public func activeRecalls(product article: String, number: String) async throws -> [RecallMark] {
        try await store.read { db in
            guard let lot = try await db.raw("""
                SELECT ls.id FROM lot_serials ls JOIN products p ON p.id = ls.product_id
                WHERE p.article = \(bind: article) AND ls.number = \(bind: number)
                """).first() else { return [] }
            return try await db.raw("""
                SELECT rc.id, rc.state, rc.reason FROM \(Allocation.activeRecalls(of: String(try lot.int("id")))) ORDER BY rc.id
                """).all().map { row in
                RecallMark(id: try row.int("id"), state: try row.enumeration("state", as: Recall.State.self), reason: try row.string("reason"))
            }
        }
    }
}
