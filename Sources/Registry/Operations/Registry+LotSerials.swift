import Foundation
public import GS1
public import SQLKit
import Store

/// What is given when a lot or serial number is entered (typed, scanned, from a supplier).
public struct NewLotSerial: Sendable {
    public var product: String
    public var number: String
    public var expiry: CalendarDate?
    public var production: CalendarDate?
    public var attributes: [Attribute]
    /// Who registers it: recorded with the attributes it is registered with.
    public var user: String

    public init(product: String, number: String, expiry: CalendarDate? = nil, production: CalendarDate? = nil,
                attributes: [Attribute] = [], user: String = "") {
        self.product = product
        self.number = number.trimmingSpaces
        self.expiry = expiry
        self.production = production
        self.attributes = attributes
        self.user = user
    }
}

extension Registry {
    /// Registers a lot or serial number that was entered rather than generated.
    ///
    /// Refused when the product is not tracked, the number exists (on this product, or anywhere
    /// for a globally unique class), was voided or deleted before, or the class tracks expiry and
    /// no expiry date is given.
    public func register(_ new: NewLotSerial) async throws -> LotSerial {
        try Self.validateNumber(new.number, product: new.product)
        let created = now
        return try await store.write { db in
            let (productID, _, lotSerialClass) = try await Self.trackedProduct(db, article: new.product)
            if lotSerialClass.tracksExpiry, new.expiry == nil {
                throw RegistryError(.invalidInput,
                    "\(lotSerialClass.tracking.rawValue) \(new.number) of product \(new.product): class \(lotSerialClass.code) tracks expiry dates, so an expiry date is required")
            }
            try await Self.refuseRetired(db, productID: productID, article: new.product, number: new.number)
            let global = lotSerialClass.uniqueness == .global
            let id: Int
            do {
                id = try await Self.guarded(db) { try await db.raw("""
                    INSERT INTO lot_serials (product_id, kind, number, global_number, expiry, production, status, flagged, origin, created_at, sort_key)
                    VALUES (\(bind: productID), \(bind: lotSerialClass.tracking.rawValue), \(bind: new.number),
                            \(bind: global ? new.number : nil), \(bind: new.expiry?.description), \(bind: new.production?.description),
                            'available', 0, 'entered', \(bind: created), \(bind: NaturalOrder.key(new.number)))
                    RETURNING id
                    """).first()!.int("id") }
            } catch where DatabaseErrors.uniqueViolation(error) != nil {
                throw try await Self.numberExists(db, article: new.product, number: new.number, global: global)
            }
            try await Self.upsertAttributes(db, lotSerialID: id, new.attributes, user: new.user, reason: "registered", at: created)
            return try await Self.fetchLotSerial(db, id: id)!
        }
    }

    /// The lot or serial `number` of product `article`, with its attributes and attachments, or `nil`.
    public func lotSerial(product article: String, number: String) async throws -> LotSerial? {
        let number = number.trimmingSpaces
        return try await store.read { db in
            // One statement for the usual record without attributes or files: a look-up is on
            // every scan's path, and each statement costs a round trip to SQLite's thread.
            guard let row = try await db.raw("""
                SELECT ls.*, p.article,
                    EXISTS (SELECT 1 FROM lot_serial_attributes a WHERE a.lot_serial_id = ls.id)
                    OR EXISTS (SELECT 1 FROM lot_serial_attachments f WHERE f.lot_serial_id = ls.id) AS has_extras
                FROM lot_serials ls JOIN products p ON p.id = ls.product_id
                WHERE p.article = \(bind: article) AND ls.number = \(bind: number)
                """).first() else { return nil }
            guard try row.decode(column: "has_extras", as: Bool.self) else {
                return try Self.decodeLotSerial(row, attributes: [], attachments: [])
            }
            return try await Self.completeLotSerial(db, row)
        }
    }

    /// The lots and serials of a product, in number order, a page at a time.
    public func lotSerials(product article: String, limit: Int = 100, offset: Int = 0) async throws -> [LotSerial] {
        try await store.read { db in
            guard try await Self.fetchProduct(db, article: article) != nil else {
                throw RegistryError(.notFound, "product \(article) does not exist")
            }
            let rows = try await db.raw("""
                SELECT ls.*, p.article FROM lot_serials ls JOIN products p ON p.id = ls.product_id
                WHERE p.article = \(bind: article) ORDER BY ls.id LIMIT \(bind: limit) OFFSET \(bind: offset)
                """).all()
            return try await Self.completeLotSerials(db, rows)
        }
    }

    /// Sets (adds or replaces) attributes of a lot or serial, as `user` (required: each change is
    /// kept with who made it, why and the value before; the lot's history shows it).
    public func setAttributes(product: String, number: String, _ attributes: [Attribute], user: String, reason: String = "") async throws -> LotSerial {
        let number = number.trimmingSpaces
        let user = user.trimmingSpaces
        guard !user.isEmpty else { throw RegistryError(.invalidInput, "say who sets the attributes: a change of a lot's data is kept with who made it") }
        for (text, what) in [(user, "the user"), (reason, "the reason")] {
            if let character = Identifier.lineBreakOrControl(in: text) {
                throw RegistryError(.invalidInput, "\(what) holds U+\(String(character.value, radix: 16, uppercase: true)), a line break or control character: give it on one line")
            }
        }
        var named = Set<String>()
        for attribute in attributes {
            try Identifier.validate(attribute.name, what: "attribute name")
            // Two values for one name in one request: which was meant is not ours to guess.
            guard named.insert(attribute.name).inserted else {
                throw RegistryError(.invalidInput, "attribute \(attribute.name) is given twice: give each attribute once")
            }
        }
        return try await store.write { db in
            let id = try await Self.lotSerialID(db, product: product, number: number)
            try await Self.upsertAttributes(db, lotSerialID: id, attributes, user: user, reason: reason, at: now)
            return try await Self.fetchLotSerial(db, id: id)!
        }
    }

    /// Voids a number for good: a damaged pre-printed label, a wrongly registered number.
    ///
    /// A number that has or had stock is refused (write it off instead). Otherwise it stays in the
    /// registry as `voided`, with who, when and why as a status event (a number never registered,
    /// such as one of a reserved block, is recorded so), and its series ledger counts it as voided.
    /// It is never issued again.
    ///
    /// - Returns: what the number was before, so that a caller can tell an operator who voided a
    ///   number the registry never saw (a typo is voided for good too).
    @discardableResult
    public func retire(product article: String, number: String, reason: String, user: String = "") async throws -> VoidedNumber {
        try await store.write { db in try await self.retire(db, product: article, number: number, reason: reason, user: user) }
    }

    /// ``retire(product:number:reason:user:)`` inside an open transaction (a production line voids
    /// the number of a label that did not read, with the scan that found it).
    @discardableResult
    public func retire(_ db: any SQLDatabase, product article: String, number: String, reason: String, user: String = "") async throws -> VoidedNumber {
        let number = number.trimmingSpaces
        try Self.validateNumber(number, product: article)
        guard !reason.trimmingSpaces.isEmpty else {
            throw RegistryError(.invalidInput, "voiding \(number) of \(article): give a reason")
        }
        let retired = now
        guard let (productID, _) = try await Self.fetchProduct(db, article: article) else {
            throw RegistryError(.notFound, "product \(article) does not exist")
        }
        // Alone: no generation or receipt of this product's numbers is between its check and its insert.
        try await Self.lockNumbers(db, productID: productID, exclusive: true)
        try await Self.refuseRetired(db, productID: productID, article: article, number: number)
        let id: Int
        let old: LotSerial.Status
        var voided = VoidedNumber(number: number, was: .neverRegistered)
        if let row = try await db.raw("""
            SELECT id, status, series, counter FROM lot_serials WHERE product_id = \(bind: productID) AND number = \(bind: number)
            """).first() {
            id = try row.int("id")
            old = try row.enumeration("status", as: LotSerial.Status.self)
            voided.was = .registered(old)
            if try await db.raw("SELECT 1 AS held FROM stock WHERE lot_serial_id = \(bind: id) LIMIT 1").first() != nil {
                throw RegistryError(.conflict, "\(number) of \(article) has stock history: write it off instead of voiding it")
            }
            // The series issued it; its ledger now says it was voided, so that the audit counts it so.
            if let series = try row.optionalString("series"), let counter = try row.optionalInt("counter") {
                try await appendLedger(db, series: series, first: counter, last: counter, kind: .retired,
                                       reason: reason, reference: "\(article) \(number)")
            }
        } else {
            let (inserted, block) = try await Self.insertNeverRegisteredVoid(db, productID: productID, article: article, number: number,
                                                                             reason: reason, at: retired)
            id = inserted
            old = .available
            if let block { voided.was = .reserved(block: block) }
        }
        try await Self.setStatus(db, lot: id, from: old, to: .voided, user: user, reason: reason, at: retired)
        try await db.raw("""
            INSERT INTO retired_numbers (product_id, number, reason, retired_at)
            VALUES (\(bind: productID), \(bind: number), \(bind: reason), \(bind: retired))
            """).run()
        return voided
    }

    /// Records a number the registry never had (a number of a reserved block, a typed one) as
    /// voided, so that it reads as such wherever it is looked up; a number of a reserved block
    /// also takes its series and counter, and its series' ledger counts it voided, not reserved.
    /// Returns its id and the block it was reserved in.
    static func insertNeverRegisteredVoid(_ db: any SQLDatabase, productID: Int, article: String, number: String, reason: String,
                                          at time: String) async throws -> (id: Int, block: Int?) {
        let numbering = try await db.raw("""
            SELECT c.tracking, c.format FROM products p JOIN lot_serial_classes c ON c.code = p.class_code WHERE p.id = \(bind: productID)
            """).first()
        let id = try await insertVoided(db, productID: productID, tracking: try numbering?.optionalString("tracking"), number: number, at: time)
        guard let format = try numbering?.optionalString("format").flatMap({ try? NumberFormat($0) }),
              let block = try await db.raw("""
                SELECT b.id AS block_id, b.series, b.first_value, b.last_value, b.created_at
                FROM number_block_numbers n JOIN number_blocks b ON b.id = n.block_id
                WHERE b.product_id = \(bind: productID) AND n.number = \(bind: number)
                """).first(),
              let date = CalendarDate(iso: String(try block.string("created_at").prefix(10))) else { return (id, nil) }
        let series = try block.string("series")
        let range = try block.int("first_value")...max(try block.int("first_value"), try block.int("last_value"))
        guard let counter = range.first(where: { (try? format.format(counter: $0, date: date)) == number }) else { return (id, nil) }
        try await db.raw("UPDATE lot_serials SET series = \(bind: series), counter = \(bind: counter) WHERE id = \(bind: id)").run()
        try await appendLedger(db, series: series, first: counter, last: counter, kind: .retired, reason: reason, reference: "\(article) \(number)",
                               at: time)
        return (id, try block.int("block_id"))
    }

    /// Records a number the registry never had as voided, so that it reads as such wherever it is
    /// looked up; returns its id.
    static func insertVoided(_ db: any SQLDatabase, productID: Int, tracking: String?, number: String, at time: String) async throws -> Int {
        try await db.raw("""
            INSERT INTO lot_serials (product_id, kind, number, global_number, status, flagged, origin, created_at, sort_key)
            VALUES (\(bind: productID), \(bind: tracking == "lot" ? "lot" : "serial"), \(bind: number), NULL, 'voided', 0, 'entered',
                    \(bind: time), \(bind: NaturalOrder.key(number)))
            RETURNING id
            """).first()!.int("id")
    }

    // MARK: - Internals

    static func validateNumber(_ number: String, product: String) throws(RegistryError) {
        try Identifier.validate(number, what: "number for product \(product)")
    }

    /// The product with its class; refused when it is not tracked by lot or serial.
    static func trackedProduct(_ db: any SQLDatabase, article: String) async throws -> (Int, Product, LotSerialClass) {
        guard let (id, product) = try await fetchProduct(db, article: article) else {
            throw RegistryError(.notFound, "product \(article) does not exist")
        }
        guard let code = product.lotSerialClass, let lotSerialClass = try await fetchClass(db, code: code, lock: .share),
              lotSerialClass.tracking != .none else {
            throw RegistryError(.invalidInput, "product \(article) is not tracked by lot or serial (its class is \(product.lotSerialClass ?? "none"))")
        }
        return (id, product, lotSerialClass)
    }

    /// Refuses a number voided for the product, and, for a globally unique class, one reserved in
    /// a block of another product of such a class (its pre-printed label would then name two
    /// units, and could not be registered when it is used). One statement: every registration
    /// path (receipts, entry, generation of one number, renumbering) passes here.
    static func refuseRetired(_ db: any SQLDatabase, productID: Int, article: String, number: String) async throws {
        try await lockNumbers(db, productID: productID, exclusive: false)
        let retired: SQLQueryString = """
            SELECT 'retired' AS why, reason, retired_at, 0 AS block_id, '' AS article
            FROM retired_numbers WHERE product_id = \(bind: productID) AND number = \(bind: number)
            UNION ALL
            SELECT 'reserved' AS why, b.purpose, b.created_at, b.id, p.article
            """
        let mineGlobal: SQLQueryString = """
             AND EXISTS (SELECT 1 FROM products me JOIN lot_serial_classes mc ON mc.code = me.class_code
                         WHERE me.id = \(bind: productID) AND mc.uniqueness = 'global')
            """
        let query = retired + reservedForAnotherGlobalProduct(productID: productID, number: "= \(bind: number)") + mineGlobal
        guard let row = try await db.raw(query).first() else { return }
        if try row.string("why") == "reserved" {
            throw RegistryError(.duplicate,
                "\(number) is reserved for product \(try row.string("article")) in block \(try row.int("block_id")) (\([try row.string("reason"), String(try row.string("retired_at").prefix(10))].filter { !$0.isEmpty }.joined(separator: ", "))), and numbers of this class must be unique across products: its pre-printed label names that product's unit")
        }
        throw RegistryError(.numberRetired,
            "\(number) of product \(article) was voided on \(try row.string("retired_at").prefix(10)) (\(try row.string("reason"))) and can never be used again")
    }

    /// The rows of numbers reserved in a block of another product than `productID` of a globally
    /// unique class, for a `SELECT` of `n.`, `b.` and `p.` columns: `number` is the condition on
    /// `n.number` (`= ?`, `IN (…)`). Registration refuses them and generation skips them.
    static func reservedForAnotherGlobalProduct(productID: Int, number: SQLQueryString) -> SQLQueryString {
        let from: SQLQueryString = " FROM number_block_numbers n JOIN number_blocks b ON b.id = n.block_id"
            + " JOIN products p ON p.id = b.product_id JOIN lot_serial_classes c ON c.code = p.class_code WHERE n.number "
        let rest: SQLQueryString = " AND b.product_id <> \(bind: productID) AND c.uniqueness = 'global'"
        return from + number + rest
    }

    static func numberExists(_ db: any SQLDatabase, article: String, number: String, global: Bool) async throws -> RegistryError {
        let owner = try await db.raw("""
            SELECT p.article, ls.kind, ls.created_at FROM lot_serials ls JOIN products p ON p.id = ls.product_id
            WHERE ls.number = \(bind: number) AND (p.article = \(bind: article) OR ls.global_number IS NOT NULL)
            ORDER BY CASE WHEN p.article = \(bind: article) THEN 0 ELSE 1 END LIMIT 1
            """).first()
        guard let owner else { return RegistryError(.duplicate, "\(number) of product \(article) exists already") }
        let other = try owner.string("article")
        let kind = try owner.string("kind")
        if other == article {
            return RegistryError(.duplicate, "\(kind) \(number) of product \(article) exists already (registered \(try owner.string("created_at").prefix(10)))")
        }
        return RegistryError(.duplicate, "\(kind) \(number) exists already on product \(other), and numbers of this class must be unique across products\(global ? "" : " of globally unique classes")")
    }

    static func lotSerialID(_ db: any SQLDatabase, product: String, number: String) async throws -> Int {
        guard let row = try await db.raw("""
            SELECT ls.id FROM lot_serials ls JOIN products p ON p.id = ls.product_id
            WHERE p.article = \(bind: product) AND ls.number = \(bind: number)
            """).first() else {
            if try await fetchProduct(db, article: product) == nil {
                throw RegistryError(.notFound, "product \(product) does not exist")
            }
            throw RegistryError(.notFound, "product \(product) has no lot or serial \(number)")
        }
        return try row.int("id")
    }

    /// Sets attributes of a lot or serial, keeping each change (a value new, or other than it
    /// was) with the value before, who, why and when (`lot_serial_attribute_events`): the
    /// lot's history shows them. A value set again as it is changes nothing and records nothing.
    static func upsertAttributes(_ db: any SQLDatabase, lotSerialID: Int, _ attributes: [Attribute], user: String, reason: String,
                                 at: String) async throws {
        guard !attributes.isEmpty else { return }
        var current: [String: (kind: String, value: String)] = [:]
        for row in try await db.raw("""
            SELECT name, kind, value FROM lot_serial_attributes WHERE lot_serial_id = \(bind: lotSerialID)
            """).all() {
            current[try row.string("name")] = (try row.string("kind"), try row.string("value"))
        }
        for attribute in attributes {
            let before = current[attribute.name]
            if before?.kind == attribute.value.kind, before?.value == attribute.value.stored { continue }
            try await db.raw("""
                INSERT INTO lot_serial_attributes (lot_serial_id, name, kind, value)
                VALUES (\(bind: lotSerialID), \(bind: attribute.name), \(bind: attribute.value.kind), \(bind: attribute.value.stored))
                ON CONFLICT (lot_serial_id, name) DO UPDATE SET kind = excluded.kind, value = excluded.value
                """).run()
            try await db.raw("""
                INSERT INTO lot_serial_attribute_events (lot_serial_id, name, kind, old_value, new_value, user_name, reason, created_at)
                VALUES (\(bind: lotSerialID), \(bind: attribute.name), \(bind: attribute.value.kind), \(bind: before?.value),
                        \(bind: attribute.value.stored), \(bind: user), \(bind: reason), \(bind: at))
                """).run()
        }
    }

    static func fetchLotSerial(_ db: any SQLDatabase, id: Int) async throws -> LotSerial? {
        guard let row = try await db.raw("""
            SELECT ls.*, p.article FROM lot_serials ls JOIN products p ON p.id = ls.product_id WHERE ls.id = \(bind: id)
            """).first() else { return nil }
        return try await completeLotSerial(db, row)
    }

    /// Decodes a lot_serials row (joined with the product's article) and reads its attributes
    /// and attachments in one more query.
    static func completeLotSerial(_ db: any SQLDatabase, _ row: any SQLRow) async throws -> LotSerial {
        let id = try row.int("id")
        let extras = try await db.raw("""
            SELECT 'a' AS what, name, kind, value, 0 AS id, 0 AS size, '' AS created_at FROM lot_serial_attributes WHERE lot_serial_id = \(bind: id)
            UNION ALL
            SELECT 'f' AS what, file_name AS name, media_type AS kind, sha256 AS value, id, size, created_at FROM lot_serial_attachments WHERE lot_serial_id = \(bind: id)
            """).all()
        var attributes: [Attribute] = []
        var attachments: [Attachment] = []
        for extra in extras {
            if try extra.string("what") == "a" {
                attributes.append(try Self.storedAttribute(name: try extra.string("name"), kind: try extra.string("kind"),
                                                           value: try extra.string("value"), of: "lot/serial \(id)"))
            } else {
                attachments.append(Attachment(id: try extra.int("id"), fileName: try extra.string("name"),
                                              mediaType: try extra.string("kind"), size: try extra.int("size"),
                                              sha256: try extra.string("value"), createdAt: try extra.string("created_at")))
            }
        }
        attributes.sort { $0.name < $1.name }
        attachments.sort { $0.id < $1.id }
        return try decodeLotSerial(row, attributes: attributes, attachments: attachments)
    }

    /// Decodes a page of lot_serials rows with their attributes and attachments, read for the
    /// whole page in a statement per 500: lists answered every lot with none, and a script took
    /// a failed test result and its certificate for missing (found by a QA run).
    static func completeLotSerials(_ db: any SQLDatabase, _ rows: [any SQLRow]) async throws -> [LotSerial] {
        let ids = try rows.map { try $0.int("id") }
        var attributes: [Int: [Attribute]] = [:]
        var attachments: [Int: [Attachment]] = [:]
        for chunk in ids.chunks(of: 500) where !chunk.isEmpty {
            for extra in try await db.raw("""
                SELECT 'a' AS what, lot_serial_id, name, kind, value, 0 AS id, 0 AS size, '' AS created_at
                FROM lot_serial_attributes WHERE lot_serial_id IN (\(binds: chunk))
                UNION ALL
                SELECT 'f' AS what, lot_serial_id, file_name AS name, media_type AS kind, sha256 AS value, id, size, created_at
                FROM lot_serial_attachments WHERE lot_serial_id IN (\(binds: chunk))
                """).all() {
                let owner = try extra.int("lot_serial_id")
                if try extra.string("what") == "a" {
                    attributes[owner, default: []].append(try Self.storedAttribute(name: try extra.string("name"), kind: try extra.string("kind"),
                                                                                   value: try extra.string("value"), of: "lot/serial \(owner)"))
                } else {
                    attachments[owner, default: []].append(Attachment(id: try extra.int("id"), fileName: try extra.string("name"),
                                                                      mediaType: try extra.string("kind"), size: try extra.int("size"),
                                                                      sha256: try extra.string("value"), createdAt: try extra.string("created_at")))
                }
            }
        }
        return try zip(rows, ids).map { row, id in
            try decodeLotSerial(row, attributes: (attributes[id] ?? []).sorted { $0.name < $1.name },
                                attachments: (attachments[id] ?? []).sorted { $0.id < $1.id })
        }
    }

    /// An attribute as stored (its kind and its value as text); `owner` names the lot/serial in the error.
    static func storedAttribute(name: String, kind: String, value: String, of owner: String) throws(RegistryError) -> Attribute {
        guard let value = Attribute.Value(kind: kind, stored: value) else {
            throw RegistryError(.database, "attribute \(name) of \(owner) holds an unreadable value")
        }
        return Attribute(name: name, value: value)
    }

    static func decodeLotSerial(_ row: any SQLRow, attributes: [Attribute], attachments: [Attachment]) throws -> LotSerial {
        LotSerial(
            id: try row.int("id"),
            product: try row.string("article"),
            kind: try row.enumeration("kind", as: LotSerial.Kind.self),
            number: try row.string("number"),
            expiry: try row.date("expiry"),
            production: try row.date("production"),
            status: try row.enumeration("status", as: LotSerial.Status.self),
            flaggedForInvestigation: try row.bool("flagged"),
            origin: try row.enumeration("origin", as: LotSerial.Origin.self),
            series: try row.optionalString("series"),
            counter: try row.optionalInt("counter"),
            createdAt: try row.string("created_at"),
            attributes: attributes,
            attachments: attachments
        )
    }

    static func decodeAttachment(_ row: any SQLRow) throws -> Attachment {
        Attachment(id: try row.int("id"), fileName: try row.string("file_name"), mediaType: try row.string("media_type"),
                   size: try row.int("size"), sha256: try row.string("sha256"), createdAt: try row.string("created_at"))
    }
}
