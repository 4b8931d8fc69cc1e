import Foundation
import Registry

/// The peer of benchmark 2: `pgbench` (PostgreSQL's own C client) running the registry's
/// statements for taking one number, with as many clients as the registry had writers, on a
/// series of its own in the same database. It shows what the database allows for this
/// transaction on this machine, without the registry's Swift stack.
enum PgbenchPeer {
    static func run(registry: Registry, url: String, total: Int, clients: Int, registryRate: Double,
                    workdir: URL) async throws -> [ResultRow] {
        guard let pgbench = executable("pgbench") else {
            say("peer: pgbench is not on PATH (Debian's postgresql-client has it), so the database's own rate is not measured")
            return []
        }
        let series = try await TakeNumbersBenchmark.createSeries(registry, prefix: "PGBENCH", format: TakeNumbersBenchmark.format)
        let perClient = (total + clients - 1) / clients
        let transactions = perClient * clients
        let script = workdir.appendingPathComponent("take-number.pgbench")
        let output = workdir.appendingPathComponent("pgbench.out")
        defer {
            try? FileManager.default.removeItem(at: script)
            try? FileManager.default.removeItem(at: output)
        }
        let code = series.code
        // The registry's own statements (Registry.advance and appendLedger), with its bound values.
        try Data("""
            BEGIN;
            UPDATE number_series SET next_value = next_value + 1 WHERE code = '\(code)' RETURNING code, description, format, start_value, next_value, built_in, purpose \\gset
            \\set taken :next_value - 1
            INSERT INTO series_entries (series, first_value, last_value, kind, reason, reference, created_at) VALUES ('\(code)', :taken, :taken, 'issued', '', '', '\(ISO8601DateFormatter().string(from: Date()))');
            COMMIT;

            """.utf8).write(to: script)
        say("""
            pgbench, the peer: the same transaction (BEGIN; the registry's UPDATE … RETURNING on the series row; its ledger
              INSERT; COMMIT) from \(clients) pgbench clients, \(Format.count(perClient)) transactions each, extended query protocol, on a
              series of its own (\(code)) in the same database. Rate as pgbench reports it (without connection time).
            """)
        let process = Process()
        process.executableURL = pgbench
        process.arguments = ["-n", "-c", "\(clients)", "-j", "\(min(clients, ProcessInfo.processInfo.activeProcessorCount))",
                             "-t", "\(perClient)", "-M", "extended", "-f", script.path, url]
        guard FileManager.default.createFile(atPath: output.path, contents: nil) else {
            throw BenchmarkFailure("cannot create \(output.path): is the work folder writable?")
        }
        let handle = try FileHandle(forWritingTo: output)
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        let clock = ContinuousClock()
        let began = clock.now
        try process.run()
        process.waitUntilExit()
        let elapsed = began.duration(to: clock.now)
        let report = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            throw BenchmarkFailure("pgbench failed (status \(process.terminationStatus)): \(report.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        let tps = report.split(separator: "\n").first { $0.hasPrefix("tps = ") }
            .flatMap { Double($0.dropFirst("tps = ".count).prefix { $0 == "." || $0.isNumber }) }
        let rate = tps ?? Double(transactions) / elapsed.seconds
        let audit = try await registry.audit(series: code)
        let complete = audit.isComplete && audit.issued == transactions
        say("pgbench: \(Format.count(transactions)) numbers: \(Format.rate(rate)) numbers/s; series \(code) audit \(complete ? "complete" : "NOT complete: \(audit.issued) issued, gaps \(audit.gaps), overlaps \(audit.overlaps)")")
        if !complete {
            throw BenchmarkFailure("pgbench: series \(code) has \(audit.issued) numbers issued, gaps \(audit.gaps), overlaps \(audit.overlaps); expected \(transactions) and none")
        }
        return [
            ResultRow(benchmark: "   peer: pgbench, same transaction, \(clients) clients (1 tx each)",
                      result: "\(Format.rate(rate)) numbers/s", goal: "database limit", met: nil),
            ResultRow(benchmark: "   ratio registry / pgbench", result: String(format: "%.2f", registryRate / rate),
                      goal: "—", met: nil),
        ]
    }

    /// The first executable called `name` on PATH.
    static func executable(_ name: String) -> URL? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        return path.split(separator: ":").lazy
            .map { URL(fileURLWithPath: String($0)).appendingPathComponent(name) }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }
}
