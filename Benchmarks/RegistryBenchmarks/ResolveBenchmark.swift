import BenchmarkSupport
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
        // An earlier run's file with the same counts is used again (loading takes minutes).
        let loaded = try await isLoaded(database, rows: serials + lots)
        if !loaded {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: database + suffix) }
        }
        say("""

            == resolve: scan string → Resolution among \(Format.count(serials)) serials and \(Format.count(lots)) lots, SQLite ==
            registry: Registry.resolve(scan) on a file loaded in bulk (setting up is not measured): parse, one statement for
              product, lot/serial, attributes, stock, last receipt/issue/movement, the lot the issue method takes first, retired
              numbers; then the warnings. \(Format.count(options.scaled(warmUp))) to warm up, \(Format.count(options.scaled(resolutions))) timed each with ContinuousClock.
            """)
        let registry = try await Registry.open(database)
        let latencies: Latencies
        var sequence: [(String, String)] = []
        var groups: URL
        do {
            let clock = ContinuousClock()
            let started = clock.now
            if loaded {
                say("using the file an earlier run loaded: \(database)")
            } else {
                try await load(registry, serials: serials, lots: lots)
                say("loaded in \(Format.seconds(clock.now - started))")
            }
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
            let warm = options.scaled(warmUp)
            sequence = (0..<(warm + options.scaled(resolutions))).map { _ in scan() }
            var warnings = 0
            func measure(_ scans: ArraySlice<(String, String)>) async throws -> Latencies {
                var samples: [Duration] = []
                samples.reserveCapacity(scans.count)
                for (code, number) in scans {
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
            _ = try await measure(sequence[..<warm])
            warnings = 0
            latencies = try await measure(sequence[warm...])
            say("registry: \(Format.count(latencies.count)) resolutions, all found (\(Format.count(warnings)) warnings): \(latencies.summary)")
            groups = try await record(database: database, sequence.map(\.0), options: resolveOptions, workdir: workdir)
        } catch {
            await registry.close()
            throw error
        }
        await registry.close()
        defer { try? FileManager.default.removeItem(at: groups) }
        // The database's floor: the recorded statements, run by Python's sqlite3.
        let peer = try PythonPeer.run("sqlite_statements.py", [database, groups.path, "\(options.scaled(warmUp))"])
        say("peer: Python sqlite3 (SQLite \(peer.sqlite)) running the statements each resolution ran, with the same values, on the same file: p50 \(Format.micros(peer.p50)), p99 \(Format.micros(peer.p99)), p99.9 \(Format.micros(peer.p999))")
        let p99 = latencies.percentile(0.99)
        return [
            ResultRow(benchmark: "resolve a scan among \(Format.count(serials)) serials and \(Format.count(lots)) lots, SQLite",
                      result: "p50 \(Format.micros(latencies.percentile(0.5))), p99 \(Format.micros(p99)), p99.9 \(Format.micros(latencies.percentile(0.999)))",
                      goal: "p99 < \(Format.micros(goal))", met: p99 < goal),
            ResultRow(benchmark: "   peer: Python sqlite3, the same statements and values (no parsing, no decoding)",
                      result: "p50 \(Format.micros(peer.p50)), p99 \(Format.micros(peer.p99)), p99.9 \(Format.micros(peer.p999))",
                      goal: "the database's floor", met: nil, ratio: ratioLine("resolve", ours: p99, peer: peer.p99)),
        ]
    }

    /// Whether `database` holds a finished load of `rows` lots and serials (the load's last step
    /// posts the issue documents).
    static func isLoaded(_ database: String, rows: Int) async throws -> Bool {
        guard FileManager.default.fileExists(atPath: database) else { return false }
        let store = try await SQLiteStore(path: database)
        let counts = try? await store.read { db in
            try await db.raw("""
                SELECT (SELECT count(*) FROM lot_serials) AS numbers, (SELECT count(*) FROM documents WHERE kind = 'issue') AS issues
                """).first().map { (try $0.decode(column: "numbers", as: Int.self), try $0.decode(column: "issues", as: Int.self)) }
        }
        await store.close()
        guard let (numbers, issues) = counts ?? nil else { return false }
        return numbers >= rows && issues >= 200
    }

    /// Resolves every scan once more through a ``RecordingStore`` (untimed) and writes the
    /// statements each resolution ran, a JSON line per scan, for the peer.
    static func record(database: String, _ scans: [String], options: ResolveOptions, workdir: URL) async throws -> URL {
        let store = RecordingStore(try await SQLiteStore(path: database))
        let registry = try await Registry(store: store)
        _ = store.take()
        let file = workdir.appendingPathComponent("resolve-statements.jsonl")
        guard FileManager.default.createFile(atPath: file.path, contents: nil) else {
            throw BenchmarkFailure("cannot create \(file.path)")
        }
        let handle = try FileHandle(forWritingTo: file)
        let encoder = JSONEncoder()
        var buffer = Data()
        do {
            for scan in scans {
                _ = try await registry.resolve(scan, options: options)
                buffer.append(try encoder.encode(store.take()))
                buffer.append(0x0A)
                if buffer.count > 1 << 20 {
                    try handle.write(contentsOf: buffer)
                    buffer.removeAll(keepingCapacity: true)
                }
            }
            try handle.write(contentsOf: buffer)
            try handle.close()
        } catch {
            await registry.close()
            throw error
        }
        await registry.close()
        return file
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
