public import GS1
import Problems
public import SQLKit
import Store

extension Registry {
    /// The most numbers one generation registers.
    public static let mostGenerated = 1_000_000

    /// Generates `count` numbers for a product per its class's format and registers them as lots
    /// or serials, all in one transaction.
    ///
    /// Numbers that already exist (entered by hand, received from a supplier) or were voided are
    /// skipped, and their counter values recorded as voided in the series, so the series stays
    /// gapless. A counter that would outgrow its format or the product's range refuses the whole
    /// generation.
    ///
    /// - Parameters:
    ///   - date: the date of receipt or of use, for the format's date segments (default: today, UTC).
    ///   - expiry, production: dates given to every generated number (expiry is required when the
    ///     class tracks expiry).
    public func generate(product article: String, count: Int, date: CalendarDate? = nil,
                         expiry: CalendarDate? = nil, production: CalendarDate? = nil,
                         reference: String = "") async throws -> GeneratedNumbers {
        guard (1...Self.mostGenerated).contains(count) else {
            throw RegistryError(.invalidInput, "count \(count): generate 1 to \(Self.mostGenerated) numbers at a time")
        }
        let date = date ?? today
        // Dated back, the goods are still numbered today: an expiry past by today is refused too
        // (`--date` 60 days back let one a week past through; found by a QA run).
        try Self.checkProduction(article, production: production, expiry: expiry)
        try Self.checkNotExpired(article, date: date, expiry: expiry)
        try Self.checkNotExpired(article, date: today, expiry: expiry, today: true)
        let created = now
        return try await store.write { db in
            try await generate(db, product: article, count: count, date: date, expiry: expiry,
                               production: production, reference: reference, created: created)
        }
    }

    /// Numbers made ahead for goods already expired could only ever be printed on them.
    public static func checkNotExpired(_ article: String, date: CalendarDate, expiry: CalendarDate?, today: Bool = false) throws(RegistryError) {
        if let expiry, expiry < date {
            throw RegistryError(.invalidInput, "product \(article): the expiry \(expiry) is before \(today ? "today, " : "")\(date): numbers are not made for goods already expired; check the expiry")
        }
    }

    /// Goods made after they expire are a typo of one date or the other (as a receipt says).
    public static func checkProduction(_ article: String, production: CalendarDate?, expiry: CalendarDate?) throws(RegistryError) {
        if let production, let expiry, production > expiry {
            throw RegistryError(.invalidInput, "product \(article): the production date \(production) is after the expiry \(expiry): check both")
        }
    }

    /// ``generate(product:count:date:expiry:production:reference:)`` inside an open transaction,
    /// so that a document (or a print job) and its numbers are written together.
    public func generate(_ db: any SQLDatabase, product article: String, count: Int, date: CalendarDate,
                         expiry: CalendarDate?, production: CalendarDate?, reference: String,
                         created: String? = nil) async throws -> GeneratedNumbers {
        let created = created ?? now
        // Not the expiry against the date: a receipt of goods accepted expired numbers them this
        // way (`generate` and a production run check it themselves).
        try Self.checkProduction(article, production: production, expiry: expiry)
        let (productID, product, lotSerialClass) = try await Self.trackedProduct(db, article: article)
        guard let format = try lotSerialClass.numberFormat() else {
            throw RegistryError(.invalidInput,
                "product \(article): class \(lotSerialClass.code) has no number format, so its numbers are entered, not generated")
        }
        if lotSerialClass.tracksExpiry, expiry == nil {
            throw RegistryError(.invalidInput,
                "product \(article): class \(lotSerialClass.code) tracks expiry dates, so generated numbers need an expiry date")
        }
        let global = lotSerialClass.uniqueness == .global
        let rows = RowTemplate(productID: productID, kind: lotSerialClass.tracking.rawValue, global: global,
                               expiry: expiry?.description, production: production?.description, created: created)

        guard format.hasCounter else {
            guard count == 1 else {
                throw RegistryError(.invalidInput,
                    "product \(article): format \"\(format)\" has no counter, so it makes one number per date; generate 1, not \(count)")
            }
            let number = try format.format(counter: nil, date: date)
            try await Self.refuseRetired(db, productID: productID, article: article, number: number)
            if try await !Self.existingNumbers(db, productID: productID, global: global, [number]).isEmpty {
                throw RegistryError(.duplicate,
                    "\(lotSerialClass.tracking.rawValue) \(number) of product \(article) exists already: format \"\(format)\" has no counter, so it makes one number per date")
            }
            try await Self.insertLotSerials(db, rows, [(number, nil)], series: nil)
            return GeneratedNumbers(product: article, series: "", numbers: [number], skipped: [])
        }

        let seriesCode = try await counterSeries(db, productID: productID, product: product, lotSerialClass: lotSerialClass)
        let capacity = format.counterCapacity!
        let limit = lotSerialClass.counterScope == .product ? min(capacity, product.counterEnd ?? capacity) : capacity
        var generated: [(String, Int?)] = []
        generated.reserveCapacity(count)
        var skipped: [String] = []
        var remaining = count
        while remaining > 0 {
            let (first, _) = try await advance(db, series: seriesCode, by: remaining)
            let last = first + remaining - 1
            if last > limit {
                let inRange = limit < capacity
                let bound = inRange
                    ? "the end \(limit) of product \(article)'s counter range"
                    : "the \(format.counterWidth!) digits of format \"\(format)\""
                let left = max(0, limit - first + 1)
                throw RegistryError(.counterExhausted,
                    "product \(article): series \(seriesCode) would reach \(last), beyond \(bound) (\(left) number\(left == 1 ? "" : "s") left); numbers are never wrapped or widened: "
                        + (inRange ? "give the product a later range (product update \(article) --counter-end …)" : "widen the format or start a new range"))
            }
            var candidates: [String] = []
            candidates.reserveCapacity(remaining)
            for value in first...last { candidates.append(try format.format(counter: value, date: date)) }
            let existing = try await Self.existingNumbers(db, productID: productID, global: global, candidates)
            var runStart = first
            var runTaken = !existing.contains(candidates[0])
            for (offset, number) in candidates.enumerated() {
                let value = first + offset
                let taken = !existing.contains(number)
                if taken != runTaken {
                    try await appendRun(db, seriesCode, runStart, value - 1, taken: runTaken, article: article, reference: reference)
                    runStart = value
                    runTaken = taken
                }
                if taken { generated.append((number, value)) } else { skipped.append(number) }
            }
            try await appendRun(db, seriesCode, runStart, last, taken: runTaken, article: article, reference: reference)
            remaining = count - generated.count
        }
        try await Self.insertLotSerials(db, rows, generated, series: seriesCode)
        return GeneratedNumbers(product: article, series: seriesCode, numbers: generated.map(\.0), skipped: skipped)
    }

    /// The numbers that the next ``generate(product:count:date:expiry:production:reference:)`` of
    /// `count` would make, if no other generation came first and none of them existed: a
    /// production run renders its labels from them before the transaction that makes the numbers,
    /// instead of holding the write lock while it renders. Reads only; may be fewer than `count`
    /// where the counter would run out (the generation itself then refuses).
    public func upcomingNumbers(product article: String, count: Int, date: CalendarDate) async throws -> [String] {
        try await store.read { db in
            guard let (productID, product) = try await Self.fetchProduct(db, article: article) else {
                throw RegistryError(.notFound, "product \(article) does not exist")
            }
            guard let code = product.lotSerialClass, let lotSerialClass = try await Self.fetchClass(db, code: code),
                  lotSerialClass.tracking != .none, let format = try lotSerialClass.numberFormat() else { return [] }
            guard format.hasCounter else { return [try format.format(counter: nil, date: date)] }
            var next = product.counterStart ?? 1
            if let series = try await existingCounterSeries(db, productID: productID, lotSerialClass: lotSerialClass),
               let found = try await Self.fetchSeries(db, code: series) {
                next = found.next
            }
            let last = min(next + max(0, count) - 1, format.counterCapacity ?? Int.max)
            guard next <= last else { return [] }
            return try (next...last).map { try format.format(counter: $0, date: date) }
        }
    }

    private func appendRun(_ db: any SQLDatabase, _ series: String, _ first: Int, _ last: Int, taken: Bool,
                           article: String, reference: String) async throws {
        try await appendLedger(db, series: series, first: first, last: last, kind: taken ? .issued : .voided,
                               reason: taken ? "generated for \(article)" : "skipped: number exists or was voided for \(article)",
                               reference: reference)
    }

    /// The series holding the counter for `product`: the class's shared one, or the product's
    /// own (created on first use, starting at the product's counter start).
    func counterSeries(_ db: any SQLDatabase, productID: Int, product: Product, lotSerialClass: LotSerialClass) async throws -> String {
        if let code = try await existingCounterSeries(db, productID: productID, lotSerialClass: lotSerialClass) { return code }
        var code = "\(lotSerialClass.code)/\(product.article)"
        if code.count > 64 { code = "\(lotSerialClass.code)/#\(productID)" }
        let start = product.counterStart ?? 1
        // Several processes may make a product's first numbers at once: the first to insert the
        // counter wins, the others (on PostgreSQL, once it commits) find it there and take from it.
        try await Self.insertSeries(db, NumberSeries(code: code, description: "Counter of product \(product.article)",
                                                     format: "{counter}", start: start, purpose: .counter), ifMissing: true)
        try await db.raw("UPDATE products SET counter_series = \(bind: code) WHERE id = \(bind: productID)").run()
        return code
    }

    /// The series holding the counter for `product` if it exists yet: the class's shared one, or
    /// the product's own once its first number was made. Reads only.
    func existingCounterSeries(_ db: any SQLDatabase, productID: Int, lotSerialClass: LotSerialClass) async throws -> String? {
        if lotSerialClass.counterScope == .shared, let code = lotSerialClass.counterSeries { return code }
        return try await db.raw("SELECT counter_series FROM products WHERE id = \(bind: productID)").first()?
            .optionalString("counter_series")
    }

    /// The numbers among `candidates` that exist for the product (or anywhere, for globally unique
    /// classes) or were voided for it.
    static func existingNumbers(_ db: any SQLDatabase, productID: Int, global: Bool, _ candidates: [String]) async throws -> Set<String> {
        try await lockNumbers(db, productID: productID, exclusive: false)
        var found = Set<String>()
        for chunk in candidates.chunks(of: 500) {
            var query: SQLQueryString = """
                SELECT number FROM lot_serials WHERE product_id = \(bind: productID) AND number IN (\(binds: chunk))
                UNION ALL SELECT number FROM retired_numbers WHERE product_id = \(bind: productID) AND number IN (\(binds: chunk))
                """
            if global {
                query += " UNION ALL SELECT global_number AS number FROM lot_serials WHERE global_number IN (\(binds: chunk))"
                // Reserved (pre-printed) for another product of a globally unique class.
                query += " UNION ALL SELECT n.number"
                query += reservedForAnotherGlobalProduct(productID: productID, number: "IN (\(binds: chunk))")
            }
            for row in try await db.raw(query).all() { found.insert(try row.string("number")) }
        }
        return found
    }

    struct RowTemplate {
        let productID: Int
        let kind: String
        let global: Bool
        let expiry: String?
        let production: String?
        let created: String
    }

    /// Rows per INSERT: one JSON parameter of at most this many rows (about 40 bytes each).
    static let rowsPerInsert = 5_000

    /// Inserts the generated `numbers` (with their counter values) as rows of `template`.
    ///
    /// What differs between the rows (number, counter, natural sort key) goes in as one JSON array
    /// per statement, unpacked by the database (`json_each`, `json_array_elements`), and what they
    /// share is bound once: binding thirteen values per row, and writing a statement of thousands
    /// of placeholders, cost more than the database's own work (the store fast path issue).
    static func insertLotSerials(_ db: any SQLDatabase, _ template: RowTemplate, _ numbers: [(String, Int?)], series: String?) async throws {
        let postgres = db.dialect.name == "postgresql"
        var start = 0
        while start < numbers.count {
            let chunk = numbers[start..<min(start + rowsPerInsert, numbers.count)]
            start += chunk.count
            var rows = "["
            rows.reserveCapacity(chunk.count * 48)
            for (number, counter) in chunk {
                if rows.utf8.count > 1 { rows += "," }
                rows += "["
                JSONText.append(number, to: &rows)
                rows += ","
                rows += counter.map(String.init) ?? "null"
                rows += ","
                JSONText.append(NaturalOrder.key(number), to: &rows)
                rows += "]"
            }
            rows += "]"
            let query: SQLQueryString = postgres ? """
                INSERT INTO lot_serials (product_id, kind, number, global_number, expiry, production, status, flagged, origin, series, counter, created_at, sort_key)
                SELECT \(bind: template.productID), \(bind: template.kind), r.row->>0, CASE WHEN \(bind: template.global) THEN r.row->>0 END,
                       \(bind: template.expiry), \(bind: template.production), 'available', 0, 'generated', \(bind: series), (r.row->>1)::bigint,
                       \(bind: template.created), r.row->>2
                FROM json_array_elements(\(bind: rows)::json) WITH ORDINALITY AS r(row, position) ORDER BY r.position
                """ : """
                INSERT INTO lot_serials (product_id, kind, number, global_number, expiry, production, status, flagged, origin, series, counter, created_at, sort_key)
                SELECT \(bind: template.productID), \(bind: template.kind), json_extract(r.value, '$[0]'), CASE WHEN \(bind: template.global) THEN json_extract(r.value, '$[0]') END,
                       \(bind: template.expiry), \(bind: template.production), 'available', 0, 'generated', \(bind: series), json_extract(r.value, '$[1]'),
                       \(bind: template.created), json_extract(r.value, '$[2]')
                FROM json_each(\(bind: rows)) AS r
                """
            do {
                try await db.raw(query).run()
            } catch where DatabaseErrors.uniqueViolation(error) != nil {
                throw RegistryError(.duplicate,
                    "a generated number was registered by another writer at the same moment; nothing was written: generate again", cause: error)
            }
        }
    }
}
