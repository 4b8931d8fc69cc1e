import Foundation
import GS1
import Registry
import Store
import SQLKit

/// Resolving scans (the scan resolution issue): from the scan string to a complete Resolution
/// against a registry of 1,000,000 serials and 100,000 lots on SQLite. Goal: p99 under 200 µs.
///
/// The registry is the documents benchmark's bulk load (100 serial products, 100 lot products,
/// stock in MAIN) with GTINs, one bulk receipt from a supplier so that every number has a ledger
/// entry, and 200 issue documents posted through the registry. Half the scans are GS1 DataMatrix
/// medicine packs (01)(17)(10)(21) naming a serial, half GS1-128 labels (01)(17)(10) naming a lot.
enum ResolveBenchmark {
    static let resolutions = 100_000
    static let warmUp = 10_000
    static let goal = Duration.microseconds(200)

    static func gtin(_ product: Int) -> String {
        let body = "0410000" + String(format: "%06d", product)
        return withCheckDigit(body)
    }

    static func run(options: Options, workdir: URL) async throws -> [ResultRow] {
        let serials = options.scaled(1_000_000), lots = options.scaled(100_000)
        let database = workdir.appendingPathComponent("resolve.sqlite").path
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: database + suffix) }
        say("""

            == resolve: scan string → Resolution among \(Format.count(serials)) serials and \(Format.count(lots)) lots, SQLite ==
            registry: Registry.resolve(scan) on a file loaded in bulk (setting up is not measured): parse, one statement for
              product, lot/serial, attributes, stock, last receipt/issue/movement, the lot the issue method takes first, retired
              numbers; then the warnings. \(Format.count(options.scaled(warmUp))) to warm up, \(Format.count(options.scaled(resolutions))) timed each with ContinuousClock.
            """)
        let registry = try await Registry.open(database)
        let latencies: Latencies
        do {
            let clock = ContinuousClock()
            let started = clock.now
            try await load(registry, serials: serials, lots: lots)
            say("loaded in \(Format.seconds(clock.now - started))")
            let expiries = Self.expiries(serials: serials, lots: lots)
            var random = SplitMix64(seed: 7)
            func scan() -> (String, String) {
                if random.next() % 2 == 0 {
                    let index = Int(random.next() % UInt64(serials))
                    let product = index % DocumentsBenchmark.serialProducts
                    return ("]d201\(gtin(product))17\(expiries[index])10B\(product)\u{1D}21SN\(index)", "SN\(index)")
                }
                let index = Int(random.next() % UInt64(lots))
                let product = 1000 + index % DocumentsBenchmark.lotProducts
                return ("]C101\(gtin(product))17\(expiries[serials + index])10LOT\(index)", "LOT\(index)")
            }
            let resolveOptions = ResolveOptions(date: CalendarDate(year: 2026, month: 11, day: 23)!)
            var warnings = 0
            func measure(_ count: Int) async throws -> Latencies {
                var samples: [Duration] = []
                samples.reserveCapacity(count)
                for _ in 0..<count {
                    let (code, number) = scan()
                    let began = clock.now
                    let resolution = try await registry.resolve(code, options: resolveOptions)
                    samples.append(clock.now - began)
                    guard resolution.lotSerial?.number == number else {
                        throw BenchmarkFailure("resolve: \(code) did not resolve to \(number): \(resolution.subject) \(resolution.warnings)")
                    }
                    warnings += resolution.warnings.count
                }
                return Latencies(samples)
            }
            _ = try await measure(options.scaled(warmUp))
            warnings = 0
            latencies = try await measure(options.scaled(resolutions))
            say("registry: \(Format.count(latencies.count)) resolutions, all found (\(Format.count(warnings)) warnings): \(latencies.summary)")
        } catch {
            await registry.close()
            throw error
        }
        await registry.close()
        let p99 = latencies.percentile(0.99)
        return [
            ResultRow(benchmark: "resolve a scan among \(Format.count(serials)) serials and \(Format.count(lots)) lots, SQLite",
                      result: "p50 \(Format.micros(latencies.percentile(0.5))), p99 \(Format.micros(p99)), p99.9 \(Format.micros(latencies.percentile(0.999)))",
                      goal: "p99 < \(Format.micros(goal))", met: p99 < goal),
        ]
    }

    /// The documents benchmark's stock, GTINs, a bulk receipt and some issues.
    static func load(_ registry: Registry, serials: Int, lots: Int) async throws {
        try await DocumentsBenchmark.load(registry, serials: serials, lots: lots)
        _ = try await registry.addPartner(Partner(code: "ACME", name: "Acme Supplies", role: .supplier))
        try await registry.store.write { db in
            for index in 0..<DocumentsBenchmark.serialProducts {
                try await db.raw("UPDATE products SET gtin = \(bind: gtin(index)) WHERE article = \(bind: "S\(index)")").run()
            }
            for index in 0..<DocumentsBenchmark.lotProducts {
                try await db.raw("UPDATE products SET gtin = \(bind: gtin(1000 + index)) WHERE article = \(bind: "L\(index)")").run()
            }
            try await db.raw("""
                INSERT INTO documents (kind, number, series, doc_date, partner_id, warehouse_id, reason, user_name, note, posted_at)
                VALUES ('receipt', 'RCT-BULK', 'RECEIPT', '2026-11-01', (SELECT id FROM partners WHERE code = 'ACME'),
                        (SELECT id FROM warehouses WHERE code = 'MAIN'), '', 'bench', 'bulk load', '2026-11-01T00:00:00Z')
                """).run()
            try await db.raw("""
                INSERT INTO movements (document_id, line_no, product_id, warehouse_id, lot_serial_id, quantity, created_at)
                SELECT (SELECT id FROM documents WHERE number = 'RCT-BULK'), 1, product_id, warehouse_id, lot_serial_id, quantity,
                       '2026-11-01T00:00:00Z' FROM stock
                """).run()
        }
        _ = try await DocumentsBenchmark.postIssues(registry, documents: 200)
        try await registry.store.write { db in try await db.raw("ANALYZE").run() }
    }

    /// The `YYMMDD` expiry of every serial, then every lot, as the documents benchmark's load drew them (same seed, same order).
    static func expiries(serials: Int, lots: Int) -> [String] {
        let base = CalendarDate(year: 2027, month: 1, day: 1)!
        var generator = SplitMix64(seed: 42)
        return (0..<(serials + lots)).map { _ in
            base.adding(days: Int(generator.next() % 700)).gs1YYMMDD
        }
    }
}
