import Foundation
import GS1
import Registry

/// Benchmark 8: `report balance --at` a day in the middle of a ledger of 10,000,000 movements over
/// 100,000 lots and 3 years, on SQLite: once before any period is closed (the whole ledger up to
/// the day), then with every month closed (the nearest kept balance plus the movements after it);
/// beside the same answer by a plain `SUM … GROUP BY` over the ledger in the `sqlite3` shell on
/// the same file. Goal: under 1 s, and under 200 MB resident.
enum BalanceBenchmark {
    static let movements = 10_000_000
    static let lots = 100_000
    static let perDocument = 10
    static let first = CalendarDate(year: 2023, month: 6, day: 1)!
    static let days = 1_096
    static let goal = Duration.seconds(1)

    static func run(options: Options, workdir: URL, shell: SQLiteShell) async throws -> [ResultRow] {
        let movements = max(100_000, options.scaled(Self.movements))
        let lots = max(1_000, options.scaled(Self.lots))
        let documents = movements / perDocument
        // Mid-ledger and mid-month: half a month of movements follows the nearest kept balance.
        let middle = first.adding(days: days / 2 + 15)
        let database = workdir.appendingPathComponent("balance.sqlite").path
        say("""

            == 8. report balance --at a day in the middle of \(Format.count(movements)) movements, \(Format.count(lots)) lots, 3 years, SQLite ==
            \(Format.count(documents)) documents of \(perDocument) lines from \(first) over \(days) days (receipts and issues in turn), 3 warehouses,
              100 lots per product. registry: Registry.balance(at: \(middle)), the whole answer (every product, warehouse and lot);
              first with no period closed, then with every month closed. peer: the same answer by SUM … GROUP BY over the
              ledger joined to its documents' dates, in the sqlite3 shell on the same file.
            """)
        // A ledger left complete by an earlier run in the same --workdir is used again (its months
        // closed): writing and closing it takes minutes.
        let reused = (try? shell.run(database, script: "SELECT (SELECT COUNT(*) FROM movements) || ' ' || (SELECT COUNT(*) FROM closed_periods);\n"))?
            .trimmingCharacters(in: .whitespacesAndNewlines) == "\(movements) 36"
        let clock = ContinuousClock()
        var began = clock.now
        // What an answer was, kept instead of the answer, so that no earlier answer is resident
        // while the next is read.
        struct Summary: Equatable {
            let rows: Int, total: Decimal, hash: Int
            init(_ report: BalanceReport) {
                (rows, total, hash) = (report.lines.count, report.lines.reduce(Decimal(0)) { $0 + $1.quantity }, report.lines.hashValue)
            }
        }
        var unclosed: Summary?
        var unclosedTime = Duration.zero
        let opened: Registry
        if reused {
            say("ledger and closed months reused from an earlier run in \(workdir.path)")
            opened = try await Registry.open(database)
        } else {
            try? FileManager.default.removeItem(atPath: database)
            let registry = try await Registry.open(database)
            for code in ["MAIN", "EAST", "WEST"] { _ = try await registry.addWarehouse(Warehouse(code: code)) }
            _ = try await registry.addClass(LotSerialClass(code: "BATCH", tracking: .lot))
            await registry.close()
            let built = ContinuousClock.now
            try shell.run(database, script: fill(movements: movements, lots: lots))
            say("ledger written by the sqlite3 shell in \(Format.seconds(ContinuousClock.now - built))")

            // Before any period is closed: the whole ledger up to the day.
            opened = try await Registry.open(database)
            began = clock.now
            unclosed = Summary(try await opened.balance(at: middle))
            unclosedTime = began.duration(to: clock.now)
            say("registry, no period closed: \(Format.count(unclosed?.rows ?? 0)) stock rows in \(Format.seconds(unclosedTime))")

            // Every month closed, each from the previous kept balance.
            began = clock.now
            var month = first
            var closings = 0
            while true {
                let last = CalendarDate(year: month.year, month: month.month, day: CalendarDate.daysInMonth(year: month.year, month: month.month))!
                guard last < first.adding(days: days) else { break }
                _ = try await opened.closePeriod(String(month.description.prefix(7)), user: "bench")
                closings += 1
                month = last.adding(days: 1)
            }
            say("\(closings) months closed in \(Format.seconds(began.duration(to: clock.now))) (each from the previous kept balance)")
        }
        Resident.resetPeak()
        var samples: [Duration] = []
        var answer: Summary?
        let sampler = Resident.Sampler()
        for _ in 0..<5 {
            began = clock.now
            let report = try await opened.balance(at: middle)
            samples.append(began.duration(to: clock.now))
            answer = Summary(report)
        }
        let resident = sampler.stop()
        await opened.close()
        let rss = Resident.peak()
        guard let answer else { throw BenchmarkFailure("balance: no run") }
        if let unclosed, answer != unclosed { throw BenchmarkFailure("balance: the answer from the kept balances differs from the ledger's") }
        let ours = samples.sorted()[samples.count / 2]
        say("registry, months closed: \(Format.count(answer.rows)) stock rows; median of 5 \(Format.seconds(ours)) (runs: \(samples.map(Format.seconds).joined(separator: ", ")))")

        // The peer: the plain SUM … GROUP BY over the ledger, best of 3, less the shell's start-up.
        let query = """
            SELECT COUNT(*), SUM(q) FROM (SELECT m.product_id, m.warehouse_id, m.lot_serial_id, SUM(m.quantity) AS q
            FROM movements m JOIN documents d ON d.id = m.document_id WHERE d.doc_date <= '\(middle)'
            GROUP BY m.product_id, m.warehouse_id, m.lot_serial_id HAVING SUM(m.quantity) <> 0);

            """
        let (output, peer) = try shell.fastest(database, script: query, baseline: "SELECT 1;\n")
        let fields = output.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "|")
        let total = answer.total
        guard fields.count == 2, Int(fields[0]) == answer.rows,
              let sum = Int(fields[1]), Quantity(storage: sum).decimal == total else {
            throw BenchmarkFailure("balance: the peer's answer (\(output.trimmingCharacters(in: .whitespacesAndNewlines))) is not the registry's (\(answer.rows) rows, \(total))")
        }
        say("sqlite3 \(shell.version.split(separator: " ").first ?? ""): the same \(Format.count(answer.rows)) rows and total by SUM … GROUP BY: \(Format.seconds(peer)) (best of 3)")
        say("balance ratio: \(String(format: "%.3f", seconds(ours) / max(seconds(peer), 1e-9))) (tracemark \(Format.seconds(ours)) / sqlite3 \(Format.seconds(peer)))")
        say("peak resident memory of this process while reading the balance (VmHWM): \(rss / 1_048_576) MB; sampled every 5 ms: at most \(resident.anonymous / 1_048_576) MB its own (RssAnon: heap, stacks) and \(resident.file / 1_048_576) MB pages of files it maps (RssFile: the database file SQLite maps, mmap_size 256 MiB per connection, and the executable)")
        return [
            ResultRow(benchmark: "8. report balance --at mid-ledger, \(Format.count(movements)) movements, months closed, SQLite",
                      result: "median \(Format.seconds(ours)); no period closed \(reused ? "not run (reused)" : Format.seconds(unclosedTime)); sqlite3 SUM GROUP BY \(Format.seconds(peer))",
                      goal: "< \(Format.seconds(goal))", met: ours < goal),
            ResultRow(benchmark: "   peak memory of its own while reading the balance (RssAnon)",
                      result: "\(resident.anonymous / 1_048_576) MB (VmHWM \(rss / 1_048_576) MB, with \(resident.file / 1_048_576) MB of mapped file)",
                      goal: "< 200 MB", met: resident.anonymous < 200 * 1_048_576),
        ]
    }

    static func seconds(_ duration: Duration) -> Double { TraceBenchmark.seconds(duration) }

    /// Products (100 lots each), lots, documents (receipts and issues in turn, each in one of the
    /// three warehouses, ids 1 to 3 in a new file, dated evenly over the 3 years) and their movements, written set by set; the
    /// ledger's indexes are built after the rows, as a bulk load does.
    static func fill(movements: Int, lots: Int) -> String {
        let products = lots / 100
        let documents = movements / perDocument
        return """
            PRAGMA journal_mode = WAL;
            PRAGMA cache_size = -262144;
            BEGIN;
            WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < \(products - 1))
            INSERT INTO products (id, article, description, unit, class_code, allows_unknown_serials)
            SELECT 1000 + i, printf('BAL-%04d', i), '', 'pcs', 'BATCH', 0 FROM n;
            WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < \(lots - 1))
            INSERT INTO lot_serials (id, product_id, kind, number, status, origin, created_at, sort_key)
            SELECT 1000000 + i, 1000 + i / 100, 'lot', printf('B%06d', i), 'available', 'entered', '2023-06-01T00:00:00.000000Z', printf('%012d', i)
            FROM n;
            WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < \(documents - 1))
            INSERT INTO documents (id, kind, number, series, doc_date, warehouse_id, reason, user_name, note, posted_at)
            SELECT 1 + i, CASE WHEN i % 2 = 0 THEN 'receipt' ELSE 'issue' END, printf('BAL-%08d', i),
                   CASE WHEN i % 2 = 0 THEN 'RECEIPT' ELSE 'ISSUE' END,
                   date('\(first)', '+' || (i * \(days) / \(documents)) || ' days'),
                   1 + i % 3, '', 'bench', '', '2023-06-01T00:00:00.000000Z'
            FROM n;
            DROP INDEX movements_lot_serial;
            DROP INDEX movements_document;
            WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < \(movements - 1))
            INSERT INTO movements (id, document_id, line_no, product_id, warehouse_id, lot_serial_id, quantity, value, created_at)
            SELECT 1 + i, 1 + i / \(perDocument), i % \(perDocument), 1000 + ((i * 7919) % \(lots)) / 100,
                   1 + (i / \(perDocument)) % 3, 1000000 + (i * 7919) % \(lots),
                   CASE WHEN (i / \(perDocument)) % 2 = 0 THEN 5000000 ELSE -3000000 END,
                   CASE WHEN (i / \(perDocument)) % 2 = 0 THEN 10000000 ELSE -6000000 END, '2023-06-01T00:00:00.000000Z'
            FROM n;
            CREATE INDEX movements_lot_serial ON movements(lot_serial_id, id);
            CREATE INDEX movements_document ON movements(document_id);
            COMMIT;
            ANALYZE;

            """
    }
}
