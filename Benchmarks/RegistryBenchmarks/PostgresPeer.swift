import BenchmarkSupport
import Foundation

/// The PostgreSQL floor of the documents and proposal benchmarks: `Benchmarks/peers/pg_statements.c`,
/// a libpq client (PostgreSQL's own C library) that runs the statements a registry operation ran,
/// with the same values, kept prepared as the registry's store keeps them, and times each
/// operation. What is left between the two is the registry's Swift stack: PostgresNIO, SQLKit,
/// decoding rows and the posting's own logic.
enum PostgresPeer {
    struct Outcome {
        let groups: Int
        let seconds: Double
        let p50, p99, p999: Duration
        /// The peer's CPU time per operation (warm-up included; its start-up is a few milliseconds).
        let cpu: Duration

        var rate: Double { Double(groups) / seconds }
        var mean: Duration { .seconds(seconds / Double(groups)) }
        var summary: String { "p50 \(Format.micros(p50)), p99 \(Format.micros(p99)), p99.9 \(Format.micros(p999))" }
    }

    /// Why the peer is not measured in a run (no C compiler, no libpq headers, no psql).
    struct Unavailable: Error, CustomStringConvertible {
        let description: String
    }

    /// Builds the peer into `workdir` (every run: a second) and returns its path.
    static func build(workdir: URL) throws -> URL {
        let binary = workdir.appendingPathComponent("pg_statements")
        let source = ChildProcess.peers.appendingPathComponent("pg_statements.c")
        guard let compiler = PgbenchPeer.executable("cc") ?? PgbenchPeer.executable("clang") else {
            throw Unavailable(description: "no C compiler (cc) on PATH")
        }
        let include = (try? output("pg_config", ["--includedir"])) ?? "/usr/include/postgresql"
        let library = (try? output("pg_config", ["--libdir"])) ?? "/usr/lib"
        let built = try ChildProcess.run(compiler, ["-O2", "-I", include, source.path, "-L", library, "-lpq", "-lm", "-o", binary.path])
        guard built.status == 0 else {
            throw Unavailable(description: "the libpq peer did not build (Debian's libpq-dev has libpq-fe.h): \(built.text.prefix(300))")
        }
        return binary
    }

    /// Writes operations, each a list of statements, in the peer's file format (see its source).
    static func write(_ groups: [[RecordedStatement]], to file: URL) throws {
        var text = Data()
        func line(_ string: String) { text.append(contentsOf: string.utf8); text.append(0x0A) }
        for group in groups {
            line("G \(group.count)")
            for statement in group {
                line("S \(statement.binds.count) \(statement.sql.utf8.count)")
                line(statement.sql)
                for bind in statement.binds {
                    let (type, value) = bind.postgres
                    if let value {
                        line("P \(type) \(value.utf8.count)")
                        line(value)
                    } else {
                        line("N")
                    }
                }
            }
        }
        try text.write(to: file)
    }

    /// Runs every operation of `file` `rounds` times, the first `warmUp` runs untimed;
    /// `operations` is how many runs that makes, to share the peer's CPU time between.
    static func run(_ binary: URL, url: String, file: URL, rounds: Int = 1, warmUp: Int = 0, operations: Int) throws -> Outcome {
        let cpu = CPUTime.ofChildren()
        let peer = try ChildProcess.run(binary, [url, file.path, "\(rounds)", "\(warmUp)"])
        let used = CPUTime.ofChildren() - cpu
        struct Printed: Decodable { let groups: Int; let seconds: Double; let p50, p99, p999: Int64 }
        // Its last line (the server's notices, if any, come before on standard error).
        let last = peer.text.split(separator: "\n").last { $0.hasPrefix("{") } ?? ""
        guard peer.status == 0, let outcome = try? JSONDecoder().decode(Printed.self, from: Data(last.utf8)) else {
            throw BenchmarkFailure("the libpq peer failed (status \(peer.status)): \(peer.text.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return Outcome(groups: outcome.groups, seconds: outcome.seconds, p50: .nanoseconds(outcome.p50),
                       p99: .nanoseconds(outcome.p99), p999: .nanoseconds(outcome.p999), cpu: used / max(operations, 1))
    }

    /// `url` with another database name.
    static func url(_ url: String, database: String) throws -> String {
        guard var components = URLComponents(string: url) else { throw BenchmarkFailure("not a URL: \(url)") }
        components.path = "/" + database
        guard let changed = components.string else { throw BenchmarkFailure("cannot name database \(database) in \(url)") }
        return changed
    }

    /// The database `url` names.
    static func database(_ url: String) -> String {
        URLComponents(string: url).map { String($0.path.drop { $0 == "/" }) } ?? ""
    }

    /// Copies the database of `url` (which nobody may be connected to) as `copy`, replacing any
    /// earlier copy; returns the copy's URL. A write replayed there meets what it met in the original.
    static func copy(_ url: String, as copy: String) throws -> String {
        guard let psql = PgbenchPeer.executable("psql") else { throw Unavailable(description: "psql is not on PATH") }
        let source = database(url)
        let copied = try ChildProcess.run(psql, [
            "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", try Self.url(url, database: "postgres"),
            "-c", "DROP DATABASE IF EXISTS \"\(copy)\"",
            "-c", "CREATE DATABASE \"\(copy)\" TEMPLATE \"\(source)\" STRATEGY FILE_COPY",
        ])
        guard copied.status == 0 else { throw Unavailable(description: "cannot copy database \(source): \(copied.text.prefix(300))") }
        return try Self.url(url, database: copy)
    }

    static func drop(_ url: String, copy: String) {
        _ = try? ChildProcess.run(command: "psql", [
            "-X", "-q", "-d", (try? Self.url(url, database: "postgres")) ?? url, "-c", "DROP DATABASE IF EXISTS \"\(copy)\"",
        ])
    }

    private static func output(_ name: String, _ arguments: [String]) throws -> String {
        guard let executable = PgbenchPeer.executable(name) else { throw Unavailable(description: "\(name) is not on PATH") }
        let finished = try ChildProcess.run(executable, arguments)
        guard finished.status == 0 else { throw Unavailable(description: "\(name) failed: \(finished.text)") }
        return finished.text.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
