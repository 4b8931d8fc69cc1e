import Foundation
import GS1
import Registry

/// Benchmark 7: `trace --forward` of a raw-material lot through 5 production levels, in a
/// genealogy of 1,000,000 links (100,000 lots per level, each output made from 2 lots of the level
/// below), with the finished lots issued to 100 customers; beside the same walk as a recursive CTE
/// in the `sqlite3` shell on the same file. Goal: p99 under 50 ms.
enum TraceBenchmark {
    static let lotsPerLevel = 100_000
    static let levels = 5
    static let inputsPerOutput = 2
    static let traces = 200
    static let goal = Duration.milliseconds(50)

    static func run(options: Options, workdir: URL, shell: SQLiteShell) async throws -> [ResultRow] {
        let perLevel = max(1_000, options.scaled(lotsPerLevel))
        let links = perLevel * levels * inputsPerOutput
        let traces = max(20, options.scaled(Self.traces))
        let database = workdir.appendingPathComponent("trace.sqlite").path
        say("""

            == 7. trace --forward through \(levels) production levels, \(Format.count(links)) genealogy links, SQLite ==
            \(Format.count(perLevel)) lots on each of \(levels + 1) levels; each lot above the raw level is made from \(inputsPerOutput) lots of the
              level below (spread evenly), the top level issued to 100 customers. registry: Registry.trace(product:number:
              direction: .forward) for random raw lots (seeded), the full answer (tree, lots, customers); peer: the same
              walk as a recursive CTE (lot ids only) in the sqlite3 shell on the same file, per query.
            """)
        try? FileManager.default.removeItem(atPath: database)
        let registry = try await Registry.open(database)
        _ = try await registry.addWarehouse(Warehouse(code: "MAIN"))
        _ = try await registry.addClass(LotSerialClass(code: "BATCH", tracking: .lot))
        for level in 0...levels { _ = try await registry.addProduct(Product(article: "LEVEL-\(level)", lotSerialClass: "BATCH")) }
        for customer in 0..<100 { _ = try await registry.addPartner(Partner(code: "C\(customer)", role: .customer)) }
        await registry.close()
        let built = ContinuousClock.now
        try shell.run(database, script: fill(perLevel: perLevel))
        say("genealogy written by the sqlite3 shell in \(Format.seconds(ContinuousClock.now - built))")

        Resident.resetPeak()
        let sampler = Resident.Sampler()
        let opened = try await Registry.open(database)
        var random = SplitMix64(seed: 20_261_202)
        let clock = ContinuousClock()
        var samples: [Duration] = []
        var sizes: [Int] = []
        var chosen: [Int] = []
        for round in 0..<(traces + 10) {
            let raw = Int.random(in: 0..<perLevel, using: &random)
            let began = clock.now
            let tree = try await opened.trace(product: "LEVEL-0", number: number(0, raw), direction: .forward, depth: 50)
            let took = began.duration(to: clock.now)
            guard tree.root.children.count > 0 || perLevel < 10 else { throw BenchmarkFailure("trace: raw lot \(raw) reached nothing") }
            if round >= 10 {
                samples.append(took)
                sizes.append(tree.count)
                chosen.append(raw)
            }
        }
        await opened.close()
        let resident = sampler.stop()
        let latencies = Latencies(samples)
        let rss = Resident.peak()
        say("registry: \(latencies.count) traces, \(sizes.min() ?? 0)–\(sizes.max() ?? 0) lots each (mean \(sizes.reduce(0, +) / max(1, sizes.count))): \(latencies.summary)")

        // The peer: the lot ids the walk reaches, by a recursive CTE, all in one sqlite3 process. The
        // shell's own timer counts in whole milliseconds here, so the peer's figure is the wall time
        // of the whole script less that of a script of as many trivial queries, per query.
        var script = ""
        var baseline = ""
        for raw in chosen {
            script += """
                WITH RECURSIVE reach(id) AS (
                  SELECT ls.id FROM lot_serials ls JOIN products p ON p.id = ls.product_id WHERE p.article = 'LEVEL-0' AND ls.number = '\(number(0, raw))'
                  UNION SELECT g.output_id FROM genealogy g JOIN reach r ON g.input_id = r.id)
                SELECT COUNT(*) FROM reach;

                """
            baseline += "SELECT COUNT(*) FROM (SELECT 1);\n"
        }
        let (output, fastest) = try shell.fastest(database, script: script, baseline: baseline)
        let peerMean = fastest / chosen.count
        let counts = output.split(separator: "\n").compactMap { Int($0) }
        guard counts == sizes else { throw BenchmarkFailure("trace: the peer reached other lots than the registry (\(counts.prefix(5)) against \(sizes.prefix(5)))") }
        let p99 = latencies.percentile(0.99)
        say("sqlite3 \(shell.version.split(separator: " ").first ?? ""): \(chosen.count) recursive CTEs reaching the same lots: mean \(Format.micros(peerMean)) per trace (best of 3 runs)")
        say("trace mean ratio: \(String(format: "%.2f", Self.seconds(latencies.mean) / max(Self.seconds(peerMean), 1e-9))) (tracemark \(Format.micros(latencies.mean)) / peer \(Format.micros(peerMean)))")
        say("peak resident memory of this process while tracing (VmHWM): \(rss / 1_048_576) MB; sampled every 5 ms: at most \(resident.anonymous / 1_048_576) MB its own (RssAnon: heap, stacks) and \(resident.file / 1_048_576) MB pages of files it maps (RssFile: the database file SQLite maps, mmap_size 256 MiB per connection, and the executable)")
        return [
            ResultRow(benchmark: "7. trace --forward of a raw lot, \(levels) levels, \(Format.count(links)) links, SQLite",
                      result: "p50 \(Format.micros(latencies.percentile(0.5))), p99 \(Format.micros(p99)); sqlite3 CTE mean \(Format.micros(peerMean))",
                      goal: "p99 < \(Format.micros(goal))", met: p99 < goal),
            ResultRow(benchmark: "   peak memory of its own while tracing (RssAnon)",
                      result: "\(resident.anonymous / 1_048_576) MB (VmHWM \(rss / 1_048_576) MB, with \(resident.file / 1_048_576) MB of mapped file)",
                      goal: "< 200 MB", met: resident.anonymous < 200 * 1_048_576),
        ]
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func number(_ level: Int, _ index: Int) -> String {
        "T\(level)-" + String(repeating: "0", count: max(0, 6 - String(index).count)) + String(index)
    }

    /// The lots, the production documents (1,000 outputs each), the links, and the issues of the
    /// top level (100 lines each, to customers in turn), written set by set in one transaction.
    static func fill(perLevel: Int) -> String {
        let total = perLevel * (levels + 1)
        var sql = "PRAGMA journal_mode = WAL;\nBEGIN;\n"
        sql += """
            WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < \(total - 1))
            INSERT INTO lot_serials (id, product_id, kind, number, status, origin, created_at, sort_key)
            SELECT 1000000 + i, (SELECT id FROM products WHERE article = 'LEVEL-' || (i / \(perLevel))), 'lot',
                   printf('T%d-%06d', i / \(perLevel), i % \(perLevel)), 'available', 'entered', '2026-01-01T00:00:00.000000Z', printf('%012d', i)
            FROM n;

            """
        let documents = (perLevel + 999) / 1000
        // Production documents: level L (1…5) output batch b is document 100000 + L * 10000 + b.
        sql += """
            WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < \(levels * documents - 1))
            INSERT INTO documents (id, kind, number, series, doc_date, reason, user_name, note, posted_at)
            SELECT 100000 + (i / \(documents) + 1) * 10000 + i % \(documents), 'production',
                   printf('PRD-B%02d-%05d', i / \(documents) + 1, i % \(documents)), 'PRODUCTION', '2026-01-01', '', 'bench', '', '2026-01-01T00:00:00.000000Z'
            FROM n;

            """
        // Each output j of level L (L ≥ 1) is made from two lots of level L - 1, spread so that every
        // input feeds about two outputs: j and (j × 7919 + 1) mod perLevel.
        sql += """
            WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < \(levels * perLevel - 1))
            INSERT INTO genealogy (document_id, output_id, input_id)
            SELECT 100000 + (i / \(perLevel) + 1) * 10000 + (i % \(perLevel)) / 1000, 1000000 + \(perLevel) + i, 1000000 + (i / \(perLevel)) * \(perLevel) + i % \(perLevel)
            FROM n
            UNION ALL
            SELECT 100000 + (i / \(perLevel) + 1) * 10000 + (i % \(perLevel)) / 1000, 1000000 + \(perLevel) + i,
                   1000000 + (i / \(perLevel)) * \(perLevel) + ((i % \(perLevel)) * 7919 + 1) % \(perLevel)
            FROM n WHERE ((i % \(perLevel)) * 7919 + 1) % \(perLevel) <> i % \(perLevel);

            """
        // The top level issued: 100 lines per issue document, customers in turn.
        let issues = (perLevel + 99) / 100
        sql += """
            WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < \(issues - 1))
            INSERT INTO documents (id, kind, number, series, doc_date, partner_id, warehouse_id, reason, user_name, note, posted_at)
            SELECT 200000 + i, 'issue', printf('ISS-B%06d', i), 'ISSUE', '2026-02-01',
                   (SELECT id FROM partners WHERE code = 'C' || (i % 100)), (SELECT id FROM warehouses WHERE code = 'MAIN'), '', 'bench', '', '2026-02-01T00:00:00.000000Z'
            FROM n;
            WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < \(perLevel - 1))
            INSERT INTO movements (document_id, line_no, product_id, warehouse_id, lot_serial_id, quantity, created_at)
            SELECT 200000 + i / 100, i % 100, (SELECT id FROM products WHERE article = 'LEVEL-\(levels)'),
                   (SELECT id FROM warehouses WHERE code = 'MAIN'), 1000000 + \(levels * perLevel) + i, -1000000, '2026-02-01T00:00:00.000000Z'
            FROM n;
            COMMIT;
            ANALYZE;

            """
        return sql
    }
}
