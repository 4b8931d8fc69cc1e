// The registry's benchmarks, run by `make bench` (release build, default durability):
//
//   1. generate    generate and register 1,000,000 serials (1,000 documents of 1,000) on SQLite,
//                  beside sqlite3 inserting the same rows in one transaction. Goal: within 2× in every run.
//   2. take-numbers  8 concurrent writers take 100,000 numbers from one series on PostgreSQL,
//                  one per transaction; checks no gap and no duplicate; numbers/s.
//   3. lookup      look up one serial among the 1,000,000 by (product, number) on SQLite:
//                  p50, p99, p99.9. Goal: p99 under 100 µs, and within 2× of Python's sqlite3 on the same file.
//   4. documents   issue documents against 1M serials and 100k lots; proposals among 10k lots.
//   5. parse       GS1 scans per second on one core, beside biip and the GS1 Syntax Engine (C).
//   6. resolve     scan string → Resolution among 1M serials and 100k lots on SQLite. Goal: p99 under 200 µs.
//   7. trace       trace --forward of a raw lot through 5 production levels among 1M genealogy links, beside
//                  the same recursive CTE in the sqlite3 shell. Goal: p99 under 50 ms; memory under 200 MB.
//   8. balance     report balance --at mid-ledger among 10M movements over 3 years (months closed), beside
//                  SUM … GROUP BY over the ledger in the sqlite3 shell. Goal: under 1 s; memory under 200 MB.
//
// RegistryBenchmarks --postgres URL --workdir DIR [--only NAME] [--scale N] [--gs1-syntax-engine PATH]
// The figures are recorded in BENCHMARKS.md.
import Foundation
import Logging

LoggingSystem.bootstrap { label in
    var handler = StreamLogHandler.standardError(label: label)
    handler.logLevel = .warning
    return handler
}

let options: Options
do {
    options = try Options.parse(Array(CommandLine.arguments.dropFirst()))
} catch {
    if error.description.isEmpty {
        print(Options.usage)
        exit(0)
    }
    FileHandle.standardError.write(Data("RegistryBenchmarks: \(error)\n\(Options.usage)\n".utf8))
    exit(2)
}

do {
    let rows = try await BenchmarkRun(options: options).run()
    print("\n== results ==")
    printTable(rows)
    if rows.contains(where: { $0.met == false }) {
        say("\nsome goals were not met (NO above).")
    }
    let ratios = rows.compactMap(\.ratio)
    if !ratios.isEmpty {
        print("")
        for line in ratios { say(line) }
    }
} catch {
    FileHandle.standardError.write(Data("RegistryBenchmarks: \(error)\n".utf8))
    exit(1)
}
