import Foundation

/// The benchmarks this executable runs, in the order they run.
enum BenchmarkName: String, CaseIterable, Sendable {
    /// Generate and register serial numbers on SQLite, beside `sqlite3` inserting the same rows.
    case generate
    /// Take numbers from one series with concurrent writers on PostgreSQL.
    case takeNumbers = "take-numbers"
    /// Look up one serial among the generated ones by (product, number) on SQLite.
    case lookup
    /// Issue documents against 1M serials and 100k lots, and proposals among 10k lots (SQLite, and PostgreSQL when given).
    case documents
    /// GS1 parsing on one core, beside biip and the GS1 Syntax Engine.
    case parse
    /// Scan string to Resolution among 1M serials and 100k lots on SQLite.
    case resolve
    /// A forward trace through 5 production levels in a genealogy of 1M links, beside a recursive CTE.
    case trace
    /// The balance on a day in the middle of 10M movements over 3 years, beside SUM … GROUP BY in sqlite3.
    case balance
}

/// The command line, parsed by hand (the benchmarks take no dependency on an argument parser).
struct Options: Sendable {
    /// `postgres://` URL of a throw-away database, needed by `take-numbers`.
    var postgres: String?
    /// Folder for the SQLite files and the `sqlite3` scripts; a temporary one when not given.
    var workdir: String?
    var only: BenchmarkName?
    /// Multiplies every count, for a quick try (`--scale 0.01`).
    var scale = 1.0
    /// A locally built harness around the GS1 Syntax Engine (C), the parse benchmark's peer.
    var gs1SyntaxEngine: String?

    static let usage = """
        usage: RegistryBenchmarks [--postgres URL] [--workdir DIR] [--only NAME] [--scale N] [--gs1-syntax-engine PATH]

          --postgres URL  PostgreSQL database for take-numbers (postgres://user@host:port/db)
          --workdir DIR   folder for the SQLite databases and sqlite3 scripts (default: a temporary folder)
          --only NAME     run one benchmark: \(BenchmarkName.allCases.map(\.rawValue).joined(separator: ", "))
          --scale N       multiply every count by N, e.g. 0.01 for a quick try (default 1.0)
          --gs1-syntax-engine PATH  the parse benchmark's C peer: a program run as PATH FILE ROUNDS that prints
                          {"scans": N, "valid": V, "nsPerScan": X} (built locally, see BENCHMARKS.md)
        """

    struct UsageError: Error, CustomStringConvertible {
        let description: String
    }

    static func parse(_ arguments: [String]) throws(UsageError) -> Options {
        var options = Options()
        var rest = arguments[...]
        func value(for name: String) throws(UsageError) -> String {
            guard let value = rest.popFirst(), !value.hasPrefix("--") else {
                throw UsageError(description: "\(name) needs a value")
            }
            return value
        }
        while let argument = rest.popFirst() {
            switch argument {
            case "--postgres":
                options.postgres = try value(for: argument)
            case "--workdir":
                options.workdir = try value(for: argument)
            case "--only":
                let name = try value(for: argument)
                guard let benchmark = BenchmarkName(rawValue: name) else {
                    throw UsageError(description: "--only \(name): no such benchmark; choose one of \(BenchmarkName.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                options.only = benchmark
            case "--scale":
                let text = try value(for: argument)
                guard let scale = Double(text), scale > 0, scale <= 1000 else {
                    throw UsageError(description: "--scale \(text): give a number above 0, e.g. 0.01 or 1")
                }
                options.scale = scale
            case "--gs1-syntax-engine":
                options.gs1SyntaxEngine = try value(for: argument)
            case "--help", "-h":
                throw UsageError(description: "")
            default:
                throw UsageError(description: "unknown argument \(argument)")
            }
        }
        if options.runs(.takeNumbers), options.postgres == nil {
            throw UsageError(description: "take-numbers needs --postgres URL (or choose another benchmark with --only)")
        }
        return options
    }

    func runs(_ benchmark: BenchmarkName) -> Bool {
        only == nil || only == benchmark
    }

    /// `count` multiplied by the scale, at least 1.
    func scaled(_ count: Int) -> Int {
        max(1, Int((Double(count) * scale).rounded()))
    }
}
