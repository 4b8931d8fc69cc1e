import BenchmarkSupport
import Foundation
import PrinterSimulator
import Printing
import Registry
import Store
import SQLKit

/// 10,000 labels through the spool (SQLite, WAL, synchronous = FULL) to simulated printers:
/// every job committed first, then sent by one worker per printer that claims, records the label
/// counter, sends, confirms with ~HS and marks the jobs done, each step its own transaction.
func spoolScenario(_ options: Options) async throws {
    print("\nspool: \(options.labels) labels (one-label jobs, then jobs of 100 labels) through the spool on SQLite (WAL, synchronous = FULL) to simulated ZPL printers")
    var ratios: [String] = []
    for printers in options.printers {
        // Each round: socat, then the spool with the same 10,000 labels as one-label jobs, then
        // as jobs of 100 labels (a production run's serial labels asked for at once, so that the
        // spool's bookkeeping per job is shared by 100 labels). Each drain's best round is kept
        // with the socat of its own round.
        var rows: [Row] = []
        var grouped: (socat: Row, spool: Row)?
        for round in 0..<max(1, min(options.runs, 3)) {
            let limit = try await socat(labels: options.labels, printers: printers)
            let spooled = try await spoolDrain(labels: options.labels, printers: printers, batch: options.spoolBatch,
                                               marked: options.markDrains)
            if round == 0 || spooled.seconds < rows[1].seconds { rows = [limit, spooled] }
            let groupedLimit = try await socat(labels: options.labels, printers: printers)
            let inGroups = try await spoolDrain(labels: options.labels, printers: printers, batch: options.spoolBatch,
                                                marked: options.markDrains, labelsPerJob: 100)
            if grouped.map({ inGroups.seconds < $0.spool.seconds }) ?? true { grouped = (groupedLimit, inGroups) }
        }
        // One worker's statements replay in the order they ran; several workers' would not.
        let floor = printers == 1 ? try await spoolFloor(labels: options.labels, batch: options.spoolBatch) : nil
        if let floor { rows += [floor.row] + floor.designs }
        let streamed = try await spoolStream(jobs: min(options.labels, 2000), printers: printers)
        rows.append(streamed)
        printTable("spool, \(printers) printer\(printers == 1 ? "" : "s") at once (p50/p99: queued → printed per job)", rows, limit: rows[0])
        if let grouped {
            printTable("spool, \(printers) printer\(printers == 1 ? "" : "s") at once, jobs of 100 labels (beside socat of the same round)",
                       [grouped.socat, grouped.spool], limit: grouped.socat)
            ratios.append(spoolRatioLine(printers: printers, spooled: grouped.spool, socat: grouped.socat, labelsPerJob: 100))
        }
        ratios.append(spoolRatioLine(printers: printers, spooled: rows[1], socat: rows[0]))
        if let floor { ratios += [floor.byStatementLine, floor.line(socat: rows[0])] }
    }
    print("")
    for line in ratios { print(line) }
}

/// `spool per-label ratio: R (tracemark P µs / peer Q µs, socat; S % of socat's labels/s)`, in
/// the form of the registry benchmarks' ratio lines: the time per label of the drain (all queued
/// first) against socat's in the same round, printed last so that runs compare by their last lines.
/// With `labelsPerJob`, the drain of jobs of that many labels each (`spool, jobs of N labels per-label ratio: …`).
func spoolRatioLine(printers: Int, spooled: Row, socat: Row, labelsPerJob: Int = 1) -> String {
    let ours = spooled.microsecondsPerLabel, peer = socat.microsecondsPerLabel
    let name = (printers == 1 ? "spool" : "spool \(printers) printers") + (labelsPerJob == 1 ? "" : ", jobs of \(labelsPerJob) labels")
    return "\(name) per-label ratio: \(String(format: "%.2f", ours / peer)) (tracemark \(String(format: "%.1f", ours)) µs / "
        + "peer \(String(format: "%.1f", peer)) µs, socat; \(String(format: "%.0f", 100 * peer / ours)) % of socat's labels/s)"
}

/// A registry and spool in a fresh SQLite file, with one TCP printer per simulator.
private func spoolWithPrinters(_ simulators: [SimulatedPrinter]) async throws -> (Registry, Spool, URL) {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tracemark-spool-bench-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let registry = try await Registry.open(folder.appendingPathComponent("registry.sqlite").path)
    let spool = try await Spool(store: registry.store)
    for simulator in simulators {
        try await spool.addPrinter(PrinterConfig(name: "p\(simulator.port)", uri: "tcp://127.0.0.1:\(simulator.port)", language: .zpl))
    }
    return (registry, spool, folder)
}

/// Queued → printed, per job, in milliseconds (from the job's creation to the printer confirming it
/// printed, which comes after delivery: the figure is an upper bound of queued → delivered).
private func deliveryLatencies(_ spool: Spool) async throws -> [Double] {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return try await spool.store.read { db in
        try await db.raw("""
            SELECT created_at, finished_at FROM print_jobs WHERE state = 'done'
            """).all().compactMap { row in
            guard let created = formatter.date(from: try row.decode(column: "created_at", as: String.self)),
                  let delivered = formatter.date(from: try row.decode(column: "finished_at", as: String.self)) else { return nil }
            return delivered.timeIntervalSince(created) * 1000
        }
    }
}

/// Everything queued first, then drained: the spool's throughput.
/// With `labelsPerJob` above 1, the labels are queued as jobs of that many labels each.
func spoolDrain(labels: Int, printers count: Int, batch: Int, marked: Bool, labelsPerJob: Int = 1) async throws -> Row {
    let simulators = try await startPrinters(count)
    let (registry, spool, folder) = try await spoolWithPrinters(simulators)
    let each = try await enqueueAll(labels, spool, simulators, labelsPerJob: labelsPerJob)
    var drainOptions = PrinterWorker.Options()
    drainOptions.untilIdle = true
    drainOptions.batchLimit = batch
    let workerOptions = drainOptions
    let started = now()
    try await withThrowingTaskGroup(of: Void.self) { group in
        for simulator in simulators {
            group.addTask {
                try await PrinterWorker(spool: spool, printer: "p\(simulator.port)", options: workerOptions).run()
                guard await simulator.waitForLabels(each, timeout: .seconds(120)) else { throw BenchmarkError("spool: labels missing") }
            }
        }
        try await group.waitForAll()
    }
    let ended = now()
    let seconds = ended - started
    if marked {
        let which = labelsPerJob == 1 ? "" : " (jobs of \(labelsPerJob) labels)"
        print("spool drain window\(which): " + String(format: "%.6f,%.6f", started, ended))
    }
    let done = try await spool.jobs(states: [.done], limit: labels + 1).count
    let jobs = each / labelsPerJob * count
    guard done == jobs else { throw BenchmarkError("spool: \(done) of \(jobs) jobs done") }
    // A worker claims at most what its transport takes in one payload.
    let perPayload = min(batch, try Transports.make(try await spool.printer("p\(simulators[0].port)")).batchLimit)
    await registry.close()
    for simulator in simulators { await simulator.stop() }
    try? FileManager.default.removeItem(at: folder)
    let name = labelsPerJob == 1 ? "spool, all queued first, \(perPayload)/payload"
        : "spool, all queued first, jobs of \(labelsPerJob) labels"
    return Row(name: name, labels: each * count, seconds: seconds)
}

/// `labels` labels in jobs of `labelsPerJob` (one each unless said), shared out among the
/// printers; returns how many labels each has.
private func enqueueAll(_ labels: Int, _ spool: Spool, _ simulators: [SimulatedPrinter], labelsPerJob: Int = 1) async throws -> Int {
    let each = labels / simulators.count / labelsPerJob * labelsPerJob
    for (index, simulator) in simulators.enumerated() {
        for start in stride(from: 0, to: each, by: 1000) {
            try await spool.enqueue(stride(from: start, to: min(each, start + 1000), by: labelsPerJob).map { first in
                let payload = (first..<first + labelsPerJob).map { label(index * each + $0 + 1) }.joined()
                return PrintRequest(printer: "p\(simulator.port)", payload: Data(payload.utf8), language: .zpl,
                                    requestedBy: "bench", reason: "spool benchmark")
            })
        }
    }
    return each
}

/// The database's own floor under a drain to one printer: every statement the worker asked of
/// the database while draining (claims, records of delivery, marks done, their history, the
/// lease, in their transactions) is written down, and Python's `sqlite3` runs the same
/// statements on a copy of the database as it was before the drain, sending nothing. No spool
/// that keeps the same per-job record can drain faster than that replay.
struct SpoolFloor {
    let row: Row
    let statements: Int
    let transactions: Int
    let sqlite: String
    /// The same drain's floor under two spools that keep less per job (`Benchmarks/peers/spool_designs.py`):
    /// one write per job (its batch a row of its own), and none (every job's state derived from its batch).
    let designs: [Row]
    /// Where the replay's time went, per kind of statement (its first words, with … when cut), most first.
    let byStatement: [StatementTime]

    struct StatementTime: Decodable {
        let sql: String
        let count: Int
        let ns: Int64
    }

    /// `spool database floor: F µs per label (…)`: the replay's time per label against socat's, and the designs'.
    func line(socat: Row) -> String {
        func share(_ row: Row) -> String { String(format: "%.0f", 100 * socat.microsecondsPerLabel / row.microsecondsPerLabel) }
        return "spool database floor: \(String(format: "%.1f", row.microsecondsPerLabel)) µs per label (the drain's \(statements) statements in "
            + "\(transactions) transactions, replayed by Python sqlite3 \(sqlite) without sending: at most \(share(row)) % of socat's labels/s; "
            + "with one write per job at most \(share(designs[0])) %, with none \(share(designs[1])) %)"
    }

    /// `spool database floor by statement: TEXT… ×N T ms; …`: the five kinds of statement the replay spent most on.
    var byStatementLine: String {
        "spool database floor by statement: " + byStatement.prefix(5).map {
            "\($0.sql) ×\($0.count) \(String(format: "%.1f", Double($0.ns) / 1e6)) ms"
        }.joined(separator: "; ")
    }
}

func spoolFloor(labels: Int, batch: Int) async throws -> SpoolFloor {
    let simulators = try await startPrinters(1)
    let (registry, spool, folder) = try await spoolWithPrinters(simulators)
    defer { try? FileManager.default.removeItem(at: folder) }
    let printer = "p\(simulators[0].port)"
    let each = try await enqueueAll(labels, spool, simulators)
    let perPayload = min(batch, try Transports.make(try await spool.printer(printer)).batchLimit)
    await registry.close()
    // The database as the drain finds it; closed, so its file holds everything committed.
    let location = folder.appendingPathComponent("registry.sqlite")
    let queued = folder.appendingPathComponent("queued.sqlite")
    try FileManager.default.copyItem(at: location, to: queued)
    let store = RecordingStore(try await SQLStores.open(location.path), recordsWrites: true)
    store.isRecording = false
    let recorded = try await Spool(store: store)
    var drainOptions = PrinterWorker.Options()
    drainOptions.untilIdle = true
    drainOptions.batchLimit = batch
    store.isRecording = true
    try await PrinterWorker(spool: recorded, printer: printer, options: drainOptions).run()
    store.isRecording = false
    guard await simulators[0].waitForLabels(each, timeout: .seconds(120)) else { throw BenchmarkError("spool floor: labels missing") }
    let statements = store.take()
    await store.close()
    for simulator in simulators { await simulator.stop() }
    let file = folder.appendingPathComponent("statements.jsonl")
    let encoder = JSONEncoder()
    var lines = Data()
    for statement in statements {
        lines += try encoder.encode(statement)
        lines += Data("\n".utf8)
    }
    try lines.write(to: file)

    struct Replayed: Decodable {
        let best: Int64
        let statements: Int
        let transactions: Int
        let sqlite: String
        let by_statement: [SpoolFloor.StatementTime]
    }
    let replay = try JSONDecoder().decode(Replayed.self, from: try pythonPeer("sqlite_replay.py", [queued.path, file.path, "3"]))
    struct Designs: Decodable { let one_write: Int64; let no_write: Int64; let jobs: Int }
    let designs = try JSONDecoder().decode(Designs.self, from: try pythonPeer("spool_designs.py", [queued.path, printer, "\(perPayload)", "3"]))
    guard designs.jobs == each else { throw BenchmarkError("spool floor: the designs drained \(designs.jobs) of \(each) jobs") }
    return SpoolFloor(row: Row(name: "database alone: the drain's statements", labels: each, seconds: Double(replay.best) / 1e9),
                      statements: replay.statements, transactions: replay.transactions, sqlite: replay.sqlite,
                      designs: [Row(name: "database alone: one write per job", labels: each, seconds: Double(designs.one_write) / 1e9),
                                Row(name: "database alone: no write per job", labels: each, seconds: Double(designs.no_write) / 1e9)],
                      byStatement: replay.by_statement)
}

/// Runs `python3 Benchmarks/peers/SCRIPT ARGUMENTS…` and returns what it printed; throws with
/// what it said when it fails.
private func pythonPeer(_ script: String, _ arguments: [String]) throws -> Data {
    let peer = try ChildProcess.run(pythonPeer: script, arguments)
    guard peer.status == 0 else {
        throw BenchmarkError("python3 Benchmarks/peers/\(script) failed with status \(peer.status): \(peer.text)")
    }
    return peer.output
}

/// Jobs committed one at a time (one label each, as a production line asks) while the workers
/// run: the spool's latency from queued to delivered.
func spoolStream(jobs: Int, printers count: Int) async throws -> Row {
    let simulators = try await startPrinters(count)
    let (registry, spool, folder) = try await spoolWithPrinters(simulators)
    let names = simulators.map { "p\($0.port)" }
    var streamOptions = PrinterWorker.Options()
    streamOptions.pollInterval = .seconds(1)
    let workerOptions = streamOptions
    let workers = Task {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for name in names { group.addTask { try await PrinterWorker(spool: spool, printer: name, options: workerOptions).run() } }
            try await group.waitForAll()
        }
    }
    let started = now()
    for number in 0..<jobs {
        try await spool.enqueue([PrintRequest(printer: names[number % count], payload: Data(label(number + 1).utf8),
                                              language: .zpl, requestedBy: "bench", reason: "spool stream")])
    }
    while try await spool.jobs(states: [.done], limit: jobs + 1).count < jobs {
        try await Task.sleep(for: .milliseconds(5))
    }
    let seconds = now() - started
    workers.cancel()
    _ = await workers.result
    let latencies = try await deliveryLatencies(spool)
    await registry.close()
    for simulator in simulators { await simulator.stop() }
    try? FileManager.default.removeItem(at: folder)
    return Row(name: "spool, 1 job per commit while sending", labels: jobs, seconds: seconds, payloadMilliseconds: latencies,
               comparesWithSocat: false)
}
