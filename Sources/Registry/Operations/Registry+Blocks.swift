public import GS1
import SQLKit
import Store

extension Registry {
    /// Reserves a block of `count` numbers of a product for later use (pre-printed labels, a line
    /// that prints offline). The numbers are fixed now; generation never issues them; the block
    /// report tells which were used, voided, or are still open.
    public func reserveBlock(product article: String, count: Int, purpose: String, date: CalendarDate? = nil) async throws -> NumberBlock {
        guard (1...100_000).contains(count) else {
            throw RegistryError(.invalidInput, "count \(count): reserve 1 to 100000 numbers at a time")
        }
        let date = date ?? today
        let created = now
        return try await store.write { db in
            let (productID, product, lotSerialClass) = try await Self.trackedProduct(db, article: article)
            guard let format = try lotSerialClass.numberFormat(), format.hasCounter else {
                throw RegistryError(.invalidInput,
                    "product \(article): class \(lotSerialClass.code) has no number format with a counter, so blocks cannot be reserved")
            }
            let seriesCode = try await counterSeries(db, productID: productID, product: product, lotSerialClass: lotSerialClass)
            let capacity = format.counterCapacity!
            let limit = lotSerialClass.counterScope == .product ? min(capacity, product.counterEnd ?? capacity) : capacity
            // Numbers that exist already are skipped (voided in the series) so the block is all new.
            var numbers: [String] = []
            var firstValue: Int?
            var lastValue = 0
            var remaining = count
            let global = lotSerialClass.uniqueness == .global
            while remaining > 0 {
                let (first, _) = try await advance(db, series: seriesCode, by: remaining)
                let last = first + remaining - 1
                guard last <= limit else {
                    throw RegistryError(.counterExhausted,
                        "product \(article): series \(seriesCode) would reach \(last), beyond \(limit); numbers are never wrapped or widened")
                }
                firstValue = firstValue ?? first
                lastValue = last
                var candidates: [String] = []
                for value in first...last { candidates.append(try format.format(counter: value, date: date)) }
                let existing = try await Self.existingNumbers(db, productID: productID, global: global, candidates)
                for (offset, number) in candidates.enumerated() {
                    if existing.contains(number) {
                        try await appendLedger(db, series: seriesCode, first: first + offset, last: first + offset, kind: .voided,
                                               reason: "skipped: number exists or was voided for \(article)", reference: "")
                    } else {
                        numbers.append(number)
                    }
                }
                remaining = count - numbers.count
            }
            let blockID = try await db.raw("""
                INSERT INTO number_blocks (product_id, series, first_value, last_value, purpose, created_at)
                VALUES (\(bind: productID), \(bind: seriesCode), \(bind: firstValue!), \(bind: lastValue), \(bind: purpose), \(bind: created))
                RETURNING id
                """).first()!.int("id")
            // The ledger records the reserved values (skipped ones were recorded as voided above).
            try await appendReservedRuns(db, series: seriesCode, blockID: blockID, from: firstValue!, to: lastValue, purpose: purpose)
            var start = 0
            while start < numbers.count {
                let chunk = numbers[start..<min(start + 400, numbers.count)]
                var query: SQLQueryString = "INSERT INTO number_block_numbers (block_id, position, number) VALUES "
                for (offset, number) in chunk.enumerated() {
                    query += offset == 0 ? "" : ", "
                    query += "(\(bind: blockID), \(bind: start + offset + 1), \(bind: number))"
                }
                try await db.raw(query).run()
                start += chunk.count
            }
            return NumberBlock(id: blockID, product: article, series: seriesCode, firstCounter: firstValue!,
                               lastCounter: lastValue, purpose: purpose, createdAt: created, numbers: numbers)
        }
    }

    /// What became of each number of a block: used (registered), voided, or still open.
    public func blockReport(_ id: Int) async throws -> NumberBlockReport {
        try await store.read { db in
            guard let row = try await db.raw("""
                SELECT b.*, p.article FROM number_blocks b JOIN products p ON p.id = b.product_id WHERE b.id = \(bind: id)
                """).first() else {
                throw RegistryError(.notFound, "block \(id) does not exist")
            }
            let rows = try await db.raw("""
                SELECT n.number,
                    CASE WHEN EXISTS (SELECT 1 FROM retired_numbers r WHERE r.product_id = b.product_id AND r.number = n.number) THEN 'voided'
                         WHEN EXISTS (SELECT 1 FROM lot_serials ls WHERE ls.product_id = b.product_id AND ls.number = n.number) THEN 'used'
                         ELSE 'open' END AS state
                FROM number_block_numbers n JOIN number_blocks b ON b.id = n.block_id
                WHERE n.block_id = \(bind: id) ORDER BY n.position
                """).all()
            var report = NumberBlockReport(block: try Self.decodeBlock(row, numbers: []), used: [], voided: [], open: [])
            for row in rows {
                let number = try row.string("number")
                report.block.numbers.append(number)
                switch try row.string("state") {
                case "used": report.used.append(number)
                case "voided": report.voided.append(number)
                default: report.open.append(number)
                }
            }
            return report
        }
    }

    /// The blocks reserved for a product (or all), newest first, without their numbers.
    public func blocks(product article: String? = nil) async throws -> [NumberBlock] {
        try await store.read { db in
            let filter: SQLQueryString = article.map { "WHERE p.article = \(bind: $0)" } ?? ""
            return try await db.raw("""
                SELECT b.*, p.article FROM number_blocks b JOIN products p ON p.id = b.product_id \(filter) ORDER BY b.id DESC
                """).all().map { try Self.decodeBlock($0, numbers: []) }
        }
    }

    private func appendReservedRuns(_ db: any SQLDatabase, series: String, blockID: Int, from: Int, to: Int, purpose: String) async throws {
        let voided = try await db.raw("""
            SELECT first_value FROM series_entries WHERE series = \(bind: series) AND kind = 'voided'
            AND first_value >= \(bind: from) AND first_value <= \(bind: to) ORDER BY first_value
            """).all().map { try $0.int("first_value") }
        var runStart = from
        for value in voided + [to + 1] {
            if value > runStart {
                try await appendLedger(db, series: series, first: runStart, last: value - 1, kind: .reserved,
                                       reason: purpose, reference: "block \(blockID)")
            }
            runStart = value + 1
        }
    }

    static func decodeBlock(_ row: any SQLRow, numbers: [String]) throws -> NumberBlock {
        NumberBlock(id: try row.int("id"), product: try row.string("article"), series: try row.string("series"),
                    firstCounter: try row.int("first_value"), lastCounter: try row.int("last_value"),
                    purpose: try row.string("purpose"), createdAt: try row.string("created_at"), numbers: numbers)
    }
}
