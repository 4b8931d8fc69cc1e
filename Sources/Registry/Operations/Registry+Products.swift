public import GS1
import SQLKit
import Store

extension Registry {
    /// Registers a product. Its article number and GTIN must be new.
    public func addProduct(_ product: Product) async throws -> Product {
        var product = product
        if product.decimals == nil, Product.pieceUnits.contains(product.unit.lowercased()) { product.decimals = 0 }
        try product.validate()
        return try await store.write { db in
            if try await Self.fetchProduct(db, article: product.article) != nil {
                throw RegistryError(.duplicate, "product \(product.article) exists already: change it instead (tracemark product update, or PUT /api/v1/products/\(product.article))")
            }
            try await Self.checkProductReferences(db, product)
            do {
                try await Self.guarded(db) { try await db.raw("""
                    INSERT INTO products (article, gtin, description, unit, class_code, counter_start, counter_end, allows_unknown_serials,
                                          decimals)
                    VALUES (\(bind: product.article), \(bind: product.gtin?.gtin14), \(bind: product.description), \(bind: product.unit),
                            \(bind: product.lotSerialClass), \(bind: product.counterStart), \(bind: product.counterEnd),
                            \(bind: product.allowsUnknownSerials ? 1 : 0), \(bind: product.decimals))
                    """).run() }
            } catch where DatabaseErrors.uniqueViolation(error) != nil {
                throw try await Self.productClash(db, product)
            }
            try await checkNumberingCollisions(db)
            return product
        }
    }

    /// Changes a product. Moving it to another class is refused while it has stock; moving its
    /// counter range is refused once its own counter has issued numbers.
    ///
    /// `expecting` is given the product as it is, read in the update's own transaction (its row
    /// locked on PostgreSQL; SQLite lets one writer in at a time), and throws to refuse the
    /// update: an HTTP `If-Match` is a compare-and-set, so two clients with one ETag cannot both write.
    public func updateProduct(_ product: Product, expecting: (@Sendable (Product) throws -> Void)? = nil) async throws -> Product {
        try product.validate()
        return try await store.write { db in
            if db.dialect.name == "postgresql" {
                try await db.raw("SELECT id FROM products WHERE article = \(bind: product.article) FOR UPDATE").run()
            }
            guard let (id, old) = try await Self.fetchProduct(db, article: product.article) else {
                throw RegistryError(.notFound, "product \(product.article) does not exist")
            }
            try expecting?(old)
            try await Self.checkProductReferences(db, product)
            if let decimals = product.decimals, decimals < (old.decimals ?? 6) {
                // Stock it holds must be countable the new way, or it could never leave.
                let step = Product.step(decimals: decimals)
                if let row = try await db.raw("""
                    SELECT s.quantity, w.code AS warehouse, ls.number FROM stock s JOIN warehouses w ON w.id = s.warehouse_id
                    LEFT JOIN lot_serials ls ON ls.id = s.lot_serial_id
                    WHERE s.product_id = \(bind: id) AND s.quantity % \(bind: step) <> 0 LIMIT 1
                    """).first() {
                    let held = Quantity(storage: try row.int("quantity")).decimal
                    throw RegistryError(.conflict,
                        "product \(product.article) holds \(held) \(old.unit) in \(try row.string("warehouse"))\(try row.optionalString("number").map { " (\($0))" } ?? ""): it cannot be counted with \(decimals) decimal\(decimals == 1 ? "" : "s") while such stock is there; write the rest off or leave decimals as they are")
                }
            }
            if old.unit != product.unit,
               let moved = try await db.raw("""
                SELECT d.number, d.doc_date FROM movements m JOIN documents d ON d.id = m.document_id
                WHERE m.product_id = \(bind: id) ORDER BY m.id LIMIT 1
                """).first() {
                // Every quantity recorded (stock, documents, closed months' balances) is a number
                // of this unit: a new unit would read them all as something else.
                throw RegistryError(.conflict,
                    "product \(product.article): its quantities are recorded in \(old.unit) since \(try moved.string("number")) (\(try moved.string("doc_date"))), so its unit cannot become \(product.unit): every past quantity would then read in \(product.unit); add a product for the new unit instead")
            }
            if old.lotSerialClass != product.lotSerialClass {
                try await Self.refuseIfStock(db, productID: id,
                    doing: "product \(product.article): cannot move from class \(old.lotSerialClass ?? "(none)") to \(product.lotSerialClass ?? "(none)")")
            }
            var counterSeries = try await db.raw("SELECT counter_series FROM products WHERE id = \(bind: id)").first()?
                .optionalString("counter_series")
            let series = try await counterSeries.asyncMap { try await Self.fetchSeries(db, code: $0) } ?? nil
            // An end below a number the counter issued already would leave numbers out of their
            // own range (found by a QA run: the end set to 1000001 with 1000007 issued).
            if let end = product.counterEnd, let series, series.next - 1 > end, series.next != series.start {
                throw RegistryError(.conflict,
                    "product \(product.article): its counter has issued numbers up to \(series.next - 1), so its end cannot be \(end); give an end of at least \(series.next - 1)")
            }
            // A start given as the one in effect (1 when none was set) is no change: refused as
            // one, `--counter-start 1 --counter-end N` could not set the end (found by a QA run).
            let startChanges = (old.counterStart ?? 1) != (product.counterStart ?? 1)
            if startChanges, let code = counterSeries, let series, series.next != series.start {
                throw RegistryError(.conflict,
                    "product \(product.article): its counter has issued numbers from \(series.start); the start cannot change now (move the counter forward with `series set-next \(code)`)")
            } else if startChanges, let code = counterSeries {
                try await db.raw("""
                    UPDATE number_series SET start_value = \(bind: product.counterStart ?? 1), next_value = \(bind: product.counterStart ?? 1)
                    WHERE code = \(bind: code)
                    """).run()
            }
            if old.lotSerialClass != product.lotSerialClass { counterSeries = nil }
            do {
                try await Self.guarded(db) { try await db.raw("""
                    UPDATE products SET gtin = \(bind: product.gtin?.gtin14), description = \(bind: product.description),
                        unit = \(bind: product.unit), class_code = \(bind: product.lotSerialClass),
                        counter_start = \(bind: product.counterStart), counter_end = \(bind: product.counterEnd),
                        counter_series = \(bind: counterSeries), allows_unknown_serials = \(bind: product.allowsUnknownSerials ? 1 : 0),
                        decimals = \(bind: product.decimals)
                    WHERE id = \(bind: id)
                    """).run() }
            } catch where DatabaseErrors.uniqueViolation(error) != nil {
                throw try await Self.productClash(db, product)
            }
            if old.lotSerialClass != product.lotSerialClass, let code = product.lotSerialClass,
               let newClass = try await Self.fetchClass(db, code: code) {
                do {
                    try await db.raw("""
                        UPDATE lot_serials SET global_number = \(unsafeRaw: newClass.uniqueness == .global ? "number" : "NULL")
                        WHERE product_id = \(bind: id)
                        """).run()
                } catch where DatabaseErrors.uniqueViolation(error) != nil {
                    throw RegistryError(.conflict,
                        "product \(product.article): class \(code) wants globally unique numbers, but some of this product's numbers exist on other products")
                }
            }
            try await checkNumberingCollisions(db)
            return product
        }
    }

    public func product(_ article: String) async throws -> Product {
        try await store.read { db in
            guard let (_, product) = try await Self.fetchProduct(db, article: article) else {
                throw RegistryError(.notFound, "product \(article) does not exist")
            }
            return product
        }
    }

    /// The product with this GTIN (any length; compared as GTIN-14), or `nil`.
    public func product(gtin: GTIN) async throws -> Product? {
        try await store.read { db in
            try await db.raw("SELECT * FROM products WHERE gtin = \(bind: gtin.gtin14)").first().map(Self.decodeProduct)
        }
    }

    public func products() async throws -> [Product] {
        try await store.read { db in
            try await db.raw("SELECT * FROM products ORDER BY article").all().map(Self.decodeProduct)
        }
    }

    // MARK: - Internals

    private static func checkProductReferences(_ db: any SQLDatabase, _ product: Product) async throws {
        if let code = product.lotSerialClass {
            guard let lotSerialClass = try await fetchClass(db, code: code) else {
                throw RegistryError(.notFound, "product \(product.article): class \(code) does not exist")
            }
            if product.counterStart != nil || product.counterEnd != nil,
               lotSerialClass.counterScope != .product || lotSerialClass.format == nil {
                throw RegistryError(.invalidInput,
                    "product \(product.article): a counter range needs a class with a counter per product; class \(code) has \(lotSerialClass.format == nil ? "no number format" : "a shared counter")")
            }
            if let capacity = try lotSerialClass.numberFormat()?.counterCapacity {
                for (name, value) in [("start", product.counterStart), ("end", product.counterEnd)] {
                    if let value, value > capacity {
                        throw RegistryError(.invalidInput,
                            "product \(product.article): counter \(name) \(value) does not fit format \"\(lotSerialClass.format!)\" (at most \(capacity))")
                    }
                }
            }
        } else if product.counterStart != nil || product.counterEnd != nil {
            throw RegistryError(.invalidInput, "product \(product.article): a counter range needs a class with a counter per product")
        }
    }

    private static func productClash(_ db: any SQLDatabase, _ product: Product) async throws -> RegistryError {
        if let gtin = product.gtin,
           let other = try await db.raw("SELECT article FROM products WHERE gtin = \(bind: gtin.gtin14) AND article <> \(bind: product.article)").first() {
            return RegistryError(.duplicate, "GTIN \(gtin) is already the GTIN of product \(try other.string("article"))")
        }
        return RegistryError(.duplicate, "product \(product.article) exists already")
    }

    static func fetchProduct(_ db: any SQLDatabase, article: String) async throws -> (Int, Product)? {
        guard let row = try await db.raw("SELECT * FROM products WHERE article = \(bind: article)").first() else { return nil }
        return (try row.int("id"), try decodeProduct(row))
    }

    static func decodeProduct(_ row: any SQLRow) throws -> Product {
        Product(
            article: try row.string("article"),
            gtin: try row.optionalString("gtin").map { try GTIN($0) },
            description: try row.string("description"),
            unit: try row.string("unit"),
            lotSerialClass: try row.optionalString("class_code"),
            counterStart: try row.optionalInt("counter_start"),
            counterEnd: try row.optionalInt("counter_end"),
            allowsUnknownSerials: try row.bool("allows_unknown_serials"),
            decimals: try row.optionalInt("decimals")
        )
    }
}
