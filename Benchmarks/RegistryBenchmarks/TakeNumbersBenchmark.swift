import Foundation
import Registry
import Synchronization

/// Benchmark 2: concurrent writers take numbers from one series on PostgreSQL, one number per
/// transaction; the benchmark checks that no number is missing or taken twice.
enum TakeNumbersBenchmark {
    static let total = 100_000
    static let writers = 8
    static let format = "{counter:9}"

    /// Hands out the right to take one number, `total` times in all, to whichever writer asks.
    private final class Tickets: Sendable {
        private let taken = Atomic<Int>(0)
        let total: Int
        init(total: Int) { self.total = total }
        func claim() -> Bool { taken.add(1, ordering: .relaxed).newValue <= total }
    }

    private struct WriterResult: Sendable {
        var firsts: [Int] = []
        var latencies: [Duration] = []
    }

    static func run(options: Options, url: String, workdir: URL) async throws -> [ResultRow] {
        let total = options.scaled(Self.total)
        say("""

            == 2. take-numbers: \(Format.count(total)) numbers from one series, \(writers) concurrent writers, PostgreSQL ==
            registry: Registry.open(postgres URL) (a pool of 10 connections); \(writers) tasks each call
              takeNumbers(series:count: 1) in a loop, one number per transaction (UPDATE … RETURNING on the series row,
              which holds its lock until COMMIT, plus a ledger INSERT), until \(Format.count(total)) are taken in all.
              PostgreSQL with its default durability (fsync on, synchronous_commit on). Checked after: the numbers
              taken, sorted, are exactly start…start+\(Format.count(total - 1)) (no gap, no duplicate), and audit(series:) is complete.
            """)
        let registry = try await Registry.open(url)
        do {
            var (rows, rate) = try await measure(registry, total: total)
            rows += try await PgbenchPeer.run(registry: registry, url: url, total: total, clients: writers,
                                              registryRate: rate, workdir: workdir)
            await registry.close()
            return rows
        } catch {
            await registry.close()
            throw error
        }
    }

    private static func measure(_ registry: Registry, total: Int) async throws -> ([ResultRow], Double) {
        let series = try await createSeries(registry, prefix: "BENCH", format: format)
        let code = series.code
        let start = series.start
        let tickets = Tickets(total: total)
        let clock = ContinuousClock()
        let began = clock.now
        let results = try await withThrowingTaskGroup(of: WriterResult.self) { group in
            for _ in 0..<writers {
                group.addTask {
                    var result = WriterResult()
                    result.firsts.reserveCapacity(total / writers + 1)
                    result.latencies.reserveCapacity(total / writers + 1)
                    while tickets.claim() {
                        let callBegan = clock.now
                        let taken = try await registry.takeNumbers(series: code, count: 1)
                        result.latencies.append(callBegan.duration(to: clock.now))
                        guard taken.first == taken.last, taken.numbers == [NumberFormatCheck.pad(taken.first, 9)] else {
                            throw BenchmarkFailure("take-numbers: asked for one number, got \(taken.first)…\(taken.last) \(taken.numbers)")
                        }
                        result.firsts.append(taken.first)
                    }
                    return result
                }
            }
            var all: [WriterResult] = []
            for try await result in group { all.append(result) }
            return all
        }
        let elapsed = began.duration(to: clock.now)
        let rate = Double(total) / elapsed.seconds

        // No gap, no duplicate: the numbers taken are exactly start..<start+total.
        let firsts = results.flatMap(\.firsts).sorted()
        var problems: [String] = []
        if firsts.count != total { problems.append("\(firsts.count) numbers taken, expected \(total)") }
        var duplicates = 0
        var gaps = 0
        for (previous, next) in zip(firsts, firsts.dropFirst()) {
            if next == previous { duplicates += 1 } else if next != previous + 1 { gaps += next - previous - 1 }
        }
        if duplicates > 0 { problems.append("\(duplicates) duplicate numbers") }
        if gaps > 0 { problems.append("\(gaps) numbers missing between the first and the last") }
        if firsts.first != start { problems.append("the first number is \(firsts.first.map(String.init) ?? "none"), expected \(start)") }
        if firsts.last != start + total - 1 { problems.append("the last number is \(firsts.last.map(String.init) ?? "none"), expected \(start + total - 1)") }
        let audit = try await registry.audit(series: code)
        if !audit.isComplete { problems.append("audit: gaps \(audit.gaps), overlaps \(audit.overlaps)") }
        if audit.issued != total || audit.next != start + total {
            problems.append("audit: \(audit.issued) issued and next \(audit.next), expected \(total) and \(start + total)")
        }
        let perWriter = results.map(\.firsts.count).sorted()
        let latencies = Latencies(results.flatMap(\.latencies))
        say("registry: \(Format.count(total)) numbers in \(Format.seconds(elapsed)): \(Format.rate(rate)) numbers/s; per writer \(perWriter.first!)…\(perWriter.last!) numbers; per takeNumbers call \(latencies.summary)")
        say("check: \(problems.isEmpty ? "no gap, no duplicate; audit complete (\(Format.count(audit.issued)) issued, next \(Format.count(audit.next)))" : "FAILED: " + problems.joined(separator: "; "))")
        return ([
            ResultRow(benchmark: "2. take \(Format.count(total)) numbers, 1 series, \(writers) writers, PostgreSQL (1 tx each)",
                      result: "\(Format.rate(rate)) numbers/s (\(Format.seconds(elapsed)))",
                      goal: "numbers/s, reported", met: nil),
            ResultRow(benchmark: "   no gap, no duplicate (sorted numbers + audit)",
                      result: problems.isEmpty ? "none: all \(Format.count(total)) distinct, consecutive" : problems.joined(separator: "; "),
                      goal: "none", met: problems.isEmpty),
            ResultRow(benchmark: "   one takeNumbers call under \(writers)-way contention",
                      result: "p50 \(Format.micros(latencies.percentile(0.5))), p99 \(Format.micros(latencies.percentile(0.99)))",
                      goal: "—", met: nil),
        ], rate)
    }

    /// The series `prefix`, or `prefix-2`, `prefix-3`… when the database was used by an earlier run.
    static func createSeries(_ registry: Registry, prefix: String, format: String) async throws -> NumberSeries {
        var suffix = 1
        while true {
            let code = suffix == 1 ? prefix : "\(prefix)-\(suffix)"
            do {
                return try await registry.addSeries(NumberSeries(code: code, description: "take-numbers benchmark", format: format))
            } catch let error as RegistryError where error.code == .duplicate && suffix < 100 {
                suffix += 1
            }
        }
    }
}

/// The expected text of a number of the `{counter:9}` format, computed independently of the registry.
enum NumberFormatCheck {
    static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
