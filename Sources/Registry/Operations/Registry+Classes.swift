import GS1
import SQLKit
import Store

extension Registry {
    /// Creates a lot/serial class.
    ///
    /// - Throws: ``RegistryError`` when the class is invalid, exists already, or its numbers could
    ///   collide with another class's or product's (both are named).
    public func addClass(_ lotSerialClass: LotSerialClass) async throws -> LotSerialClass {
        try lotSerialClass.validate()
        return try await store.write { db in
            if try await Self.fetchClass(db, code: lotSerialClass.code) != nil {
                throw RegistryError(.duplicate, "class \(lotSerialClass.code) exists already: change it instead (tracemark class update)")
            }
            var saved = lotSerialClass
            do {
                try await prepareCounter(db, for: &saved)
                try await Self.insertClass(db, saved)
            } catch where DatabaseErrors.uniqueViolation(error) != nil {
                // Added by another request between the look and the insert (PostgreSQL): said as
                // such, not as the database's key error with a 500 (found by a QA run).
                throw RegistryError(.duplicate, "class \(lotSerialClass.code) exists already (added by another request at the same moment)")
            }
            try await checkNumberingCollisions(db)
            return saved
        }
    }

    /// Changes a lot/serial class.
    ///
    /// Changing the tracking method (or unique/multiple serials) is refused while any product of
    /// the class has stock, and the message lists that stock. Changing the uniqueness scope is
    /// refused when the existing numbers would clash under it.
    public func updateClass(_ lotSerialClass: LotSerialClass) async throws -> LotSerialClass {
        try lotSerialClass.validate()
        return try await store.write { db in
            // Locked first: postings of the class wait, and the stock and collision checks below
            // see every posting that committed before.
            guard let old = try await Self.fetchClass(db, code: lotSerialClass.code, lock: .update) else {
                throw RegistryError(.notFound, "class \(lotSerialClass.code) does not exist")
            }
            var saved = lotSerialClass
            if old.tracking != saved.tracking || old.serialQuantity != saved.serialQuantity {
                let what = old.tracking != saved.tracking
                    ? "tracking from \(old.tracking.rawValue) to \(saved.tracking.rawValue)"
                    : "serials from \(old.serialQuantity.rawValue) to \(saved.serialQuantity.rawValue)"
                try await Self.refuseIfStock(db, classCode: old.code,
                    doing: "class \(old.code): cannot change \(what)")
            }
            try await prepareCounter(db, for: &saved)
            if let format = try saved.numberFormat(), let capacity = format.counterCapacity {
                let reached = try await db.raw("""
                    SELECT s.code, s.next_value FROM number_series s
                    WHERE s.code = \(bind: saved.counterSeries ?? "")
                       OR s.code IN (SELECT counter_series FROM products WHERE class_code = \(bind: saved.code))
                    ORDER BY s.next_value DESC LIMIT 1
                    """).first()
                if let reached, try reached.int("next_value") - 1 > capacity {
                    throw RegistryError(.conflict,
                        "class \(saved.code): format \"\(format)\" writes counters up to \(capacity), but series \(try reached.string("code")) has reached \(try reached.int("next_value") - 1); the next number could not be made. Keep the counter at least as wide as it is")
                }
            }
            try await db.raw("""
                UPDATE lot_serial_classes SET description = \(bind: saved.description), tracking = \(bind: saved.tracking.rawValue),
                    serial_quantity = \(bind: saved.serialQuantity.rawValue), tracks_expiry = \(bind: saved.tracksExpiry ? 1 : 0),
                    assignment = \(bind: saved.assignment.rawValue), issue_method = \(bind: saved.issueMethod.rawValue),
                    batch_size = \(bind: saved.autoGenerateBatchSize), format = \(bind: saved.format),
                    counter_scope = \(bind: saved.counterScope.rawValue), counter_series = \(bind: saved.counterSeries),
                    uniqueness = \(bind: saved.uniqueness.rawValue)
                WHERE code = \(bind: saved.code)
                """).run()
            if old.uniqueness != saved.uniqueness {
                try await applyUniqueness(db, classCode: saved.code, global: saved.uniqueness == .global)
            }
            try await checkNumberingCollisions(db)
            return saved
        }
    }

    /// Deletes a class that no product uses.
    public func deleteClass(_ code: String) async throws {
        try await store.write { db in
            guard try await Self.fetchClass(db, code: code) != nil else {
                throw RegistryError(.notFound, "class \(code) does not exist")
            }
            let users = try await db.raw("SELECT article FROM products WHERE class_code = \(bind: code) ORDER BY article LIMIT 6").all()
                .map { try $0.string("article") }
            if !users.isEmpty {
                throw RegistryError(.conflict, "class \(code) is used by products \(Self.list(users, limit: 5)); move them to another class first")
            }
            try await db.raw("DELETE FROM lot_serial_classes WHERE code = \(bind: code)").run()
        }
    }

    public func lotSerialClass(_ code: String) async throws -> LotSerialClass {
        try await store.read { db in
            guard let found = try await Self.fetchClass(db, code: code) else {
                throw RegistryError(.notFound, "class \(code) does not exist")
            }
            return found
        }
    }

    public func classes() async throws -> [LotSerialClass] {
        try await store.read { db in
            try await db.raw("SELECT * FROM lot_serial_classes ORDER BY code").all().map { try Self.decodeClass($0) }
        }
    }

    // MARK: - Internals

    /// Gives a shared counter its series (created when missing) and checks the format.
    private func prepareCounter(_ db: any SQLDatabase, for lotSerialClass: inout LotSerialClass) async throws {
        guard let format = try lotSerialClass.numberFormat(), format.hasCounter else {
            lotSerialClass.counterSeries = nil
            return
        }
        guard lotSerialClass.counterScope == .shared else {
            lotSerialClass.counterSeries = nil
            return
        }
        let code = lotSerialClass.counterSeries ?? "CLASS-\(lotSerialClass.code)"
        lotSerialClass.counterSeries = code
        // A document series numbers documents without a gap: a class counting in it took
        // RCT-000001…3 for its serials, and the first receipt was RCT-000004 (found by a QA run).
        let existing = try await Self.fetchSeries(db, code: code)
        if let existing, existing.builtIn, existing.purpose == .document {
            throw RegistryError(.conflict,
                "series \(code) numbers the \(code.lowercased()) documents, without a gap: a class cannot count its numbers in it; name a series of its own (or leave --series out: the class gets CLASS-\(lotSerialClass.code))")
        }
        if existing == nil {
            try Identifier.validate(code, what: "series code")
            try await Self.insertSeries(db, NumberSeries(
                code: code, description: "Counter of class \(lotSerialClass.code)",
                format: "{counter}", start: 1, purpose: .counter))
        }
    }

    private func applyUniqueness(_ db: any SQLDatabase, classCode: String, global: Bool) async throws {
        do {
            try await db.raw("""
                UPDATE lot_serials SET global_number = \(unsafeRaw: global ? "number" : "NULL")
                WHERE product_id IN (SELECT id FROM products WHERE class_code = \(bind: classCode))
                """).run()
        } catch where DatabaseErrors.uniqueViolation(error) != nil {
            throw RegistryError(.conflict,
                "class \(classCode): cannot make numbers globally unique: some of its numbers exist on other products too (find them with `tracemark lot list`)")
        }
    }

    static func refuseIfStock(_ db: any SQLDatabase, classCode: String? = nil, productID: Int? = nil, doing: String) async throws {
        let filter: SQLQueryString = classCode.map { "p.class_code = \(bind: $0)" } ?? "p.id = \(bind: productID ?? -1)"
        let rows = try await db.raw("""
            SELECT p.article, p.unit, w.code AS warehouse, s.quantity, ls.number
            FROM stock s JOIN products p ON p.id = s.product_id JOIN warehouses w ON w.id = s.warehouse_id
            LEFT JOIN lot_serials ls ON ls.id = s.lot_serial_id
            WHERE \(filter) AND s.quantity <> 0
            ORDER BY p.article, w.code LIMIT 6
            """).all()
        guard !rows.isEmpty else { return }
        let lines = try rows.map { row in
            let quantity = Quantity(storage: try row.int("quantity"))
            let number = try row.optionalString("number").map { " (\($0))" } ?? ""
            return "\(quantity) \(try row.string("unit")) of \(try row.string("article"))\(number) in \(try row.string("warehouse"))"
        }
        throw RegistryError(.conflict, "\(doing) while there is stock: \(list(lines, limit: 5)); issue or write it off first")
    }

    static func list(_ items: [String], limit: Int) -> String {
        items.count > limit ? items.prefix(limit).joined(separator: ", ") + " and more" : items.joined(separator: ", ")
    }

    static func insertClass(_ db: any SQLDatabase, _ c: LotSerialClass) async throws {
        try await db.raw("""
            INSERT INTO lot_serial_classes (code, description, tracking, serial_quantity, tracks_expiry, assignment,
                issue_method, batch_size, format, counter_scope, counter_series, uniqueness)
            VALUES (\(bind: c.code), \(bind: c.description), \(bind: c.tracking.rawValue), \(bind: c.serialQuantity.rawValue),
                \(bind: c.tracksExpiry ? 1 : 0), \(bind: c.assignment.rawValue), \(bind: c.issueMethod.rawValue),
                \(bind: c.autoGenerateBatchSize), \(bind: c.format), \(bind: c.counterScope.rawValue),
                \(bind: c.counterSeries), \(bind: c.uniqueness.rawValue))
            """).run()
    }

    static func fetchClass(_ db: any SQLDatabase, code: String, lock: RowLock = .none) async throws -> LotSerialClass? {
        try await db.raw("SELECT * FROM lot_serial_classes WHERE code = \(bind: code)\(unsafeRaw: lock.clause(db))").first().map { try decodeClass($0) }
    }

    /// Serialises voiding a product's numbers with everything that creates them (generation,
    /// receipts, registration, blocks), on PostgreSQL: creators hold the lock shared, voiding holds
    /// it alone, so a number is either voided before a creator checks it or created before the
    /// voiding checks it — never both. Held until the transaction ends. (SQLite: one writer at a
    /// time already.)
    static func lockNumbers(_ db: any SQLDatabase, productID: Int, exclusive: Bool) async throws {
        guard db.dialect.name == "postgresql" else { return }
        let function = exclusive ? "pg_advisory_xact_lock" : "pg_advisory_xact_lock_shared"
        // Keyed by the schema and the product id: the registries of two schemas in one database
        // (tenants, the test suite's) must not wait for each other's products. (Keyed by product
        // id alone, a test's void waited on other schemas' postings of their product 1 past the
        // lock timeout.)
        try await db.raw("SELECT \(unsafeRaw: function)(hashtext('numbers:' || current_schema()), CAST(\(bind: productID) AS INTEGER)) AS locked").run()
    }

    /// A class from `row`, its columns named with `prefix` (as when read beside a product's).
    static func decodeClass(_ row: any SQLRow, prefix: String = "") throws -> LotSerialClass {
        LotSerialClass(
            code: try row.string(prefix + "code"),
            description: try row.string(prefix + "description"),
            tracking: try row.enumeration(prefix + "tracking", as: LotSerialClass.Tracking.self),
            serialQuantity: try row.enumeration(prefix + "serial_quantity", as: LotSerialClass.SerialQuantity.self),
            tracksExpiry: try row.bool(prefix + "tracks_expiry"),
            assignment: try row.enumeration(prefix + "assignment", as: LotSerialClass.Assignment.self),
            issueMethod: try row.enumeration(prefix + "issue_method", as: LotSerialClass.IssueMethod.self),
            autoGenerateBatchSize: try row.int(prefix + "batch_size"),
            format: try row.optionalString(prefix + "format"),
            counterScope: try row.enumeration(prefix + "counter_scope", as: LotSerialClass.CounterScope.self),
            counterSeries: try row.optionalString(prefix + "counter_series"),
            uniqueness: try row.enumeration(prefix + "uniqueness", as: LotSerialClass.Uniqueness.self)
        )
    }
}
