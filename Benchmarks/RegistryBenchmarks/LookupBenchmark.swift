import Foundation
import Registry

/// Benchmark 3: look up one serial among the million of benchmark 1 by (product, number).
enum LookupBenchmark {
    static let lookups = 100_000
    static let warmUp = 10_000
    static let goal = Duration.microseconds(100)

    /// - Parameter generated: benchmark 1's outcome when it ran in this process; otherwise the
    ///   database in `workdir` is reused when it holds the expected serials, or made anew.
    static func run(options: Options, workdir: URL, shell: SQLiteShell, generated: GenerateOutcome?) async throws -> [ResultRow] {
        let lookups = options.scaled(Self.lookups)
        let warmUp = options.scaled(Self.warmUp)
        let (database, numbers) = try await serials(options: options, workdir: workdir, shell: shell, generated: generated)
        say("""

            == 3. lookup: one serial among \(Format.count(numbers.count)) by (product, number), SQLite ==
            registry: Registry.open(path) on benchmark 1's database, then lotSerial(product: "\(SerialFixture.article)", number:) for
              random existing numbers (seeded), one at a time: \(Format.count(warmUp)) to warm up, then \(Format.count(lookups)) timed each with
              ContinuousClock (the full call: a reader connection from the pool, the record joined with its product,
              and its attributes and attachments). Every lookup must find the record with that number.
            """)
        // The numbers in the order they are looked up (seeded): the peer looks up the same ones.
        var random = SplitMix64(seed: 20_260_101)
        let sequence = (0..<(warmUp + lookups)).map { _ in numbers[Int.random(in: 0..<numbers.count, using: &random)] }
        let registry = try await Registry.open(database)
        let latencies: Latencies
        do {
            _ = try await lookUp(registry, sequence[..<warmUp])
            latencies = try await lookUp(registry, sequence[warmUp...])
        } catch {
            await registry.close()
            throw error
        }
        await registry.close()
        let p99 = latencies.percentile(0.99)
        say("registry: \(Format.count(latencies.count)) lookups, all found: \(latencies.summary), mean \(Format.micros(latencies.mean))")
        let peer = try runPeer(database: database, sequence: sequence, warmUp: warmUp, workdir: workdir)
        say("peer: Python sqlite3 (SQLite \(peer.sqlite)), the same statement and numbers on the same file: p50 \(Format.micros(peer.p50)), p99 \(Format.micros(peer.p99)), p99.9 \(Format.micros(peer.p999))")
        return [
            ResultRow(benchmark: "3. look up 1 serial among \(Format.count(numbers.count)) by (product, number), SQLite",
                      result: "p50 \(Format.micros(latencies.percentile(0.5))), p99 \(Format.micros(p99)), p99.9 \(Format.micros(latencies.percentile(0.999)))",
                      goal: "p99 < \(Format.micros(goal))",
                      met: p99 < goal),
            ResultRow(benchmark: "   every lookup found its record", result: "\(Format.count(latencies.count)) of \(Format.count(latencies.count))",
                      goal: "all", met: true),
            ResultRow(benchmark: "   peer: Python sqlite3, the same statement, numbers and file",
                      result: "p50 \(Format.micros(peer.p50)), p99 \(Format.micros(peer.p99)), p99.9 \(Format.micros(peer.p999))",
                      goal: "tracemark p99 within 2× of it", met: p99 <= peer.p99 * 2,
                      ratio: ratioLine("lookup", ours: p99, peer: peer.p99)),
        ]
    }

    /// `Benchmarks/peers/sqlite_lookup.py`: Python's sqlite3 module runs the registry's statement
    /// for the same numbers, in the same order, on the same file.
    static func runPeer(database: String, sequence: [String], warmUp: Int, workdir: URL) throws -> PythonPeer.Outcome {
        let file = workdir.appendingPathComponent("lookup-numbers.txt")
        try Data(sequence.joined(separator: "\n").utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        return try PythonPeer.run("sqlite_lookup.py", [database, SerialFixture.article, file.path, "\(warmUp)"])
    }

    private static func lookUp(_ registry: Registry, _ numbers: ArraySlice<String>) async throws -> Latencies {
        let clock = ContinuousClock()
        var samples: [Duration] = []
        samples.reserveCapacity(numbers.count)
        for number in numbers {
            let began = clock.now
            let found = try await registry.lotSerial(product: SerialFixture.article, number: number)
            samples.append(began.duration(to: clock.now))
            guard let found, found.number == number, found.product == SerialFixture.article else {
                throw BenchmarkFailure("lookup: serial \(number) of product \(SerialFixture.article) was not found (got \(found.map { "\($0.product) \($0.number)" } ?? "nil"))")
            }
        }
        return Latencies(samples)
    }

    /// The database and its numbers: benchmark 1's, or the one left in `workdir` by an earlier run
    /// when it holds the expected count, or a new one.
    private static func serials(options: Options, workdir: URL, shell: SQLiteShell,
                                generated: GenerateOutcome?) async throws -> (String, [String]) {
        if let generated { return (generated.database, generated.numbers) }
        let expected = options.scaled(GenerateBenchmark.documents) * GenerateBenchmark.perDocument
        let database = workdir.appendingPathComponent("registry.sqlite").path
        if FileManager.default.fileExists(atPath: database) {
            let numbers = try shell.run(database, ["""
                SELECT ls.number FROM lot_serials ls JOIN products p ON p.id = ls.product_id
                WHERE p.article = \(SQLiteShell.quoted(SerialFixture.article)) ORDER BY ls.id
                """]).split(separator: "\n").map(String.init)
            if numbers.count == expected {
                say("\nlookup: reusing the \(Format.count(numbers.count)) serials in \(database)")
                return (database, numbers)
            }
        }
        say("\nlookup: generating \(Format.count(expected)) serials first (untimed here; see benchmark 1)")
        let outcome = try await GenerateBenchmark.generate(database: database, documents: expected / GenerateBenchmark.perDocument,
                                                           perDocument: GenerateBenchmark.perDocument, progress: false)
        return (outcome.database, outcome.numbers)
    }
}
