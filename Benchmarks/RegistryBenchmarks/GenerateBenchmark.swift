import Foundation
import Registry

/// The class and product the SQLite benchmarks register their serials under.
enum SerialFixture {
    static let classCode = "SN"
    static let article = "P1"
    static let format = "SN{counter:9}"
}

/// What the registry did in benchmark 1.
struct GenerateOutcome: Sendable {
    let database: String
    /// Every generated number, in the order generated.
    let numbers: [String]
    let documents: Int
    let perDocument: Int
    /// From the first `generate` call to the return of `close()`.
    let elapsed: Duration
    /// One sample per `generate` call.
    let calls: Latencies
    /// CPU time of the whole process (every thread) over the same span as `elapsed`.
    let cpu: Duration

    var units: Int { numbers.count }
    var rate: Double { Double(units) / elapsed.seconds }
}

/// What `sqlite3` did with the same rows.
struct PeerOutcome: Sendable {
    let name: String
    let elapsed: Duration
    let units: Int
    /// CPU time of the sqlite3 process.
    let cpu: Duration

    var rate: Double { Double(units) / elapsed.seconds }
}

/// Benchmark 1: generate and register serial numbers, a document's worth (1,000) per transaction,
/// then have `sqlite3` insert the same rows into the same schema in one transaction.
enum GenerateBenchmark {
    static let documents = 1_000
    static let perDocument = 1_000
    /// Rows per INSERT statement in the first peer: the fastest form of plain literal INSERTs
    /// found for `sqlite3` (the registry sends one JSON parameter per statement instead).
    static let rowsPerInsert = 400

    static func run(options: Options, workdir: URL, shell: SQLiteShell) async throws -> (GenerateOutcome, [ResultRow]) {
        let documents = options.scaled(Self.documents)
        let database = workdir.appendingPathComponent("registry.sqlite").path
        say("""

            == 1. generate: \(Format.count(documents)) documents × \(Format.count(perDocument)) serial numbers on SQLite ==
            registry: Registry.generate(product: "\(SerialFixture.article)", count: \(perDocument)) called \(Format.count(documents)) times, one after the other.
              Each call is one transaction (BEGIN IMMEDIATE … COMMIT; WAL, synchronous=FULL, foreign_keys=ON): it reads
              the product and its class, advances the class's counter series, checks the \(perDocument) candidates against
              lot_serials and retired_numbers, appends a series ledger entry and inserts the rows in one statement, what differs
              between them (number, counter, sort key) as one JSON parameter unpacked by json_each. Timed from the first call to the return of Registry.close().
            """)
        let ours = try await generate(database: database, documents: documents, perDocument: perDocument, progress: true)
        say("registry: \(Format.count(ours.units)) serials in \(Format.seconds(ours.elapsed)): \(Format.rate(ours.rate)) serials/s; per generate call \(ours.calls.summary); CPU \(Format.seconds(ours.cpu)) (all threads)")

        let stored = try shell.run(database, ["SELECT count(*) FROM lot_serials"]).trimmingCharacters(in: .whitespacesAndNewlines)
        guard Int(stored) == ours.units else {
            throw BenchmarkFailure("generate: the registry reported \(ours.units) serials, but lot_serials holds \(stored) rows")
        }

        say("""
            sqlite3 (\(shell.version.split(separator: " ").first ?? "")), the peer: the same \(Format.count(ours.units)) rows, read back from the registry's database, inserted
              by the sqlite3 command into a fresh database with the registry's schema (every table and index, from .schema),
              the product, class and series rows copied in first (untimed), then timed: `sqlite3 peer.sqlite < script.sql`,
              where the script sets journal_mode=WAL, synchronous=FULL, foreign_keys=ON and inserts every row as SQL
              literals in ONE transaction (one commit). Timed from process start to exit, so it includes parsing the
              SQL text and the final WAL checkpoint.
            """)
        let peers = try runPeers(shell: shell, ours: ours, workdir: workdir)
        for peer in peers {
            say("sqlite3, \(peer.name): \(Format.count(peer.units)) rows in \(Format.seconds(peer.elapsed)): \(Format.rate(peer.rate)) rows/s; CPU \(Format.seconds(peer.cpu))")
        }
        let best = peers.max { $0.rate < $1.rate }!
        let ratio = best.rate / ours.rate
        let cpuRatio = ours.cpu.seconds / best.cpu.seconds
        say("ratio: the fastest sqlite3 run is \(Format.ratio(ratio)) the registry's rate (goal: at most 2×, the store fast path issue); in CPU time per row, \(Format.ratio(cpuRatio)) (less sensitive to other work on the machine)")

        var rows = [ResultRow(
            benchmark: "1. generate + register \(Format.count(ours.units)) serials, SQLite (\(Format.count(documents)) tx × \(Format.count(perDocument)))",
            result: "\(Format.rate(ours.rate)) serials/s (\(Format.seconds(ours.elapsed)))",
            goal: "within 2× of sqlite3",
            met: ratio <= 2)]
        for peer in peers {
            rows.append(ResultRow(
                benchmark: "   peer: sqlite3, 1 tx, \(peer.name)",
                result: "\(Format.rate(peer.rate)) rows/s (\(Format.seconds(peer.elapsed)))",
                goal: "physical limit",
                met: nil))
        }
        rows.append(ResultRow(benchmark: "   ratio fastest sqlite3 / registry", result: Format.ratio(ratio), goal: "≤ 2.00×", met: ratio <= 2,
                              ratio: "generate ratio: \(String(format: "%.2f", ratio)) (sqlite3 \(Format.rate(best.rate)) rows/s / tracemark \(Format.rate(ours.rate)) serials/s)"))
        rows.append(ResultRow(benchmark: "   CPU per row: registry / sqlite3 (\(best.name.prefix { $0 != "(" }.trimmingCharacters(in: .whitespaces)))",
                              result: String(format: "%.1f µs / %.1f µs = %.2f×", ours.cpu.microseconds / Double(ours.units),
                                             best.cpu.microseconds / Double(best.units), cpuRatio),
                              goal: "—", met: nil))
        rows.append(ResultRow(benchmark: "   registry: one generate call (\(Format.count(perDocument)) serials)",
                              result: "p50 \(Format.micros(ours.calls.percentile(0.5))), p99 \(Format.micros(ours.calls.percentile(0.99)))",
                              goal: "—", met: nil))
        return (ours, rows)
    }

    /// Creates a fresh SQLite registry at `database` with the serial class and product, and
    /// generates `documents` × `perDocument` serials, each document in its own transaction.
    static func generate(database: String, documents: Int, perDocument: Int, progress: Bool) async throws -> GenerateOutcome {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: database + suffix) }
        let registry = try await Registry.open(database)
        do {
            _ = try await registry.addClass(LotSerialClass(code: SerialFixture.classCode, tracking: .serial, format: SerialFixture.format))
            _ = try await registry.addProduct(Product(article: SerialFixture.article, lotSerialClass: SerialFixture.classCode))
        } catch {
            await registry.close()
            throw error
        }
        var numbers: [String] = []
        numbers.reserveCapacity(documents * perDocument)
        var calls: [Duration] = []
        calls.reserveCapacity(documents)
        let clock = ContinuousClock()
        let cpuBefore = CPUTime.ofSelf()
        let began = clock.now
        do {
            for document in 1...documents {
                let callBegan = clock.now
                let generated = try await registry.generate(product: SerialFixture.article, count: perDocument)
                calls.append(callBegan.duration(to: clock.now))
                guard generated.numbers.count == perDocument, generated.skipped.isEmpty else {
                    throw BenchmarkFailure("generate: document \(document) got \(generated.numbers.count) numbers and skipped \(generated.skipped.count); expected \(perDocument) new ones")
                }
                numbers.append(contentsOf: generated.numbers)
                if progress, documents >= 10, document % (documents / 10) == 0 {
                    say("  \(document * 100 / documents)%: \(Format.count(numbers.count)) serials, \(Format.seconds(began.duration(to: clock.now)))")
                }
            }
        } catch {
            await registry.close()
            throw error
        }
        await registry.close()
        let elapsed = began.duration(to: clock.now)
        let cpu = CPUTime.ofSelf() - cpuBefore
        return GenerateOutcome(database: database, numbers: numbers, documents: documents, perDocument: perDocument,
                               elapsed: elapsed, calls: Latencies(calls), cpu: cpu)
    }

    /// Two peers: the rows 400 per INSERT (the registry's statement shape), and one row per
    /// INSERT (what `.dump` writes).
    static func runPeers(shell: SQLiteShell, ours: GenerateOutcome, workdir: URL) throws -> [PeerOutcome] {
        // Every column but the row id (which the registry leaves to SQLite too), as the schema has them.
        let columns = try shell.run(ours.database, ["""
            SELECT group_concat(name, ', ') FROM (SELECT name FROM pragma_table_info('lot_serials') WHERE name <> 'id' ORDER BY cid)
            """]).trimmingCharacters(in: .whitespacesAndNewlines)
        // The rows as SQL literals, exactly as stored (sqlite3's quote mode), in insertion order.
        let rowsFile = workdir.appendingPathComponent("peer-rows.txt")
        defer { try? FileManager.default.removeItem(at: rowsFile) }
        try shell.run(ours.database, [".mode quote", "SELECT \(columns) FROM lot_serials ORDER BY id"], output: rowsFile)
        let rows = try Data(contentsOf: rowsFile)
        let schema = try shell.run(ours.database, [".schema"])

        var outcomes: [PeerOutcome] = []
        for (name, perStatement) in [("\(rowsPerInsert) rows per INSERT", rowsPerInsert),
                                     ("1 row per INSERT (as .dump)", 1)] {
            let peer = workdir.appendingPathComponent("peer-\(perStatement).sqlite").path
            let script = workdir.appendingPathComponent("peer-\(perStatement).sql")
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: peer + suffix) }
            defer {
                try? FileManager.default.removeItem(at: script)
                for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: peer + suffix) }
            }
            // Untimed: the same schema, and the rows the serials refer to.
            try shell.run(peer, script: """
                PRAGMA journal_mode = WAL;
                \(schema)
                ATTACH \(SQLiteShell.quoted(ours.database)) AS ours;
                INSERT INTO main.number_series SELECT * FROM ours.number_series;
                INSERT INTO main.lot_serial_classes SELECT * FROM ours.lot_serial_classes;
                INSERT INTO main.products SELECT * FROM ours.products;
                DETACH ours;
                """)
            let lines = try writeScript(rows: rows, columns: columns, perStatement: perStatement, to: script)
            guard lines == ours.units else {
                throw BenchmarkFailure("peer: read back \(lines) rows from the registry's database, expected \(ours.units)")
            }
            let clock = ContinuousClock()
            let cpuBefore = CPUTime.ofChildren()
            let began = clock.now
            try shell.run(peer, input: script, output: workdir.appendingPathComponent("peer-\(perStatement).out"))
            let elapsed = began.duration(to: clock.now)
            let cpu = CPUTime.ofChildren() - cpuBefore
            try? FileManager.default.removeItem(at: workdir.appendingPathComponent("peer-\(perStatement).out"))
            let stored = try shell.run(peer, ["SELECT count(*) FROM lot_serials"]).trimmingCharacters(in: .whitespacesAndNewlines)
            guard Int(stored) == ours.units else {
                throw BenchmarkFailure("peer: sqlite3 left \(stored) rows in lot_serials, expected \(ours.units)")
            }
            outcomes.append(PeerOutcome(name: name, elapsed: elapsed, units: ours.units, cpu: cpu))
        }
        return outcomes
    }

    /// Writes the timed script: the session's PRAGMAs, then every row (one line of quote-mode
    /// output each) in INSERTs of `perStatement` rows, in one transaction. Returns the row count.
    static func writeScript(rows: Data, columns: String, perStatement: Int, to file: URL) throws -> Int {
        let insert = Array("INSERT INTO lot_serials (\(columns)) VALUES\n".utf8)
        let separator = Array(",\n".utf8)
        let terminator = Array(";\n".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(rows.count + rows.count / 2 + 1024)
        out += Array("PRAGMA journal_mode = WAL;\nPRAGMA synchronous = FULL;\nPRAGMA foreign_keys = ON;\nBEGIN;\n".utf8)
        var count = 0
        rows.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            let bytes = raw.bindMemory(to: UInt8.self)
            var start = 0
            while start < bytes.count {
                var end = start
                while end < bytes.count, bytes[end] != UInt8(ascii: "\n") { end += 1 }
                if end > start {
                    if count % perStatement == 0 {
                        out += insert
                    } else {
                        out += separator
                    }
                    out.append(UInt8(ascii: "("))
                    out += bytes[start..<end]
                    out.append(UInt8(ascii: ")"))
                    count += 1
                    if count % perStatement == 0 { out += terminator }
                }
                start = end + 1
            }
        }
        if count % perStatement != 0 { out += terminator }
        out += Array("COMMIT;\n".utf8)
        try Data(out).write(to: file)
        return count
    }
}
