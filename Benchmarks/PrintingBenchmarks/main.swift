// Printing benchmarks: how fast labels go out to raw TCP printers, beside socat as the limit.
//
//   PrintingBenchmarks [--only transport,spool,enqueue] [--labels 10000] [--printers 1,50] [--batch 100,500]
//                      [--end-of-job close,keep-open,half-close] [--runs 3] [--postgres URL] [--mark-drains]
//
// Each scenario is a function; `--only` picks scenarios by name: `transport` (TCP9100Printer
// alone), `spool` (through the database), `enqueue` (durable enqueue, jobs/s).

import Foundation
import PrinterSimulator
import Printing

struct Options {
    var only: Set<String> = []
    var labels = 10_000
    var printers = [1, 50]
    var batches = [100, 500]
    var endsOfJob: [EndOfJob] = [.close, .halfClose, .keepOpen]
    var runs = 10
    /// A PostgreSQL URL for the enqueue benchmark (SQLite always runs).
    var postgres: String?
    /// Most jobs a spool worker sends as one payload.
    var spoolBatch = 2000
    /// Print each spool drain's start and end on CLOCK_MONOTONIC, the clock `perf record -k
    /// CLOCK_MONOTONIC` stamps its samples with, so that `perf report --time` profiles the drains alone.
    var markDrains = false

    init(_ arguments: [String]) {
        var iterator = arguments.dropFirst().makeIterator()
        func list(_ text: String?) -> [String] { (text ?? "").split(separator: ",").map(String.init) }
        while let argument = iterator.next() {
            switch argument {
            case "--only": only.formUnion(list(iterator.next()))
            case "--labels": labels = Int(iterator.next() ?? "") ?? labels
            case "--printers": printers = list(iterator.next()).compactMap(Int.init)
            case "--batch": batches = list(iterator.next()).compactMap(Int.init)
            case "--end-of-job": endsOfJob = list(iterator.next()).compactMap(EndOfJob.init(rawValue:))
            case "--runs": runs = max(1, Int(iterator.next() ?? "") ?? runs)
            case "--postgres": postgres = iterator.next()
            case "--spool-batch": spoolBatch = max(1, Int(iterator.next() ?? "") ?? spoolBatch)
            case "--mark-drains": markDrains = true
            default:
                FileHandle.standardError.write(Data("unknown argument \(argument)\n".utf8))
                exit(2)
            }
        }
    }

    func wants(_ scenario: String) -> Bool { only.isEmpty || only.contains(scenario) }
}

/// One realistic 100 × 50 mm GS1 label (about 1 KB): `^FH` text, a GS1-128 and a GS1 DataMatrix,
/// with its own serial number.
func label(_ serial: Int) -> String {
    let digits = String(serial)
    let number = String(repeating: "0", count: max(0, 10 - digits.count)) + digits
    return """
    ^XA
    ^CI28
    ^PW800
    ^LL400
    ^LH0,0
    ^FO8,8^GB784,384,2,B,1^FS
    ^FO24,20^A0N,35,35^FH\\^FDHydraulic oil HLP 46, 20 l canister^FS
    ^FO25,20^A0N,35,35^FH\\^FDHydraulic oil HLP 46, 20 l canister^FS
    ^FO24,64^A0N,24,24^FH\\^FDGTIN 09501101530003   ART A-1001^FS
    ^FO24,96^A0N,28,28^FH\\^FDLOT LOT-4711^FS
    ^FO25,96^A0N,28,28^FH\\^FDLOT LOT-4711^FS
    ^FO24,132^A0N,24,24^FH\\^FDEXP 31.01.2027   SN \(number)^FS
    ^FO320,96^A0N,24,24^FH\\^FDQTY 20 L^FS
    ^FO320,132^A0N,24,24^FH\\^FDNordic Fluids AB, Hamnvagen 12, 211 20 Malmo^FS
    ^FO320,160^A0N,20,20^FH\\^FDStore cool and dry. Keep away from children. EUH210^FS
    ^FO640,24^BXN,4,200,20,20,6,_^FH\\^FD_101095011015300031727013110LOT-4711_121\(number)^FS
    ^FO40,176^BY2^BCN,136,N,N,N,N^FH\\^FD>;>80109501101530003172701311>6021\(number)^FS
    ^FO40,314^A0N,21,21^FB554,1,0,C,0^FH\\^FD(01) 09501101530003 (17) 270131 (21) \(number)^FS
    ^PQ1,0,1,Y
    ^XZ

    """
}

struct Row {
    var name: String
    var labels: Int
    var seconds: Double
    var payloadMilliseconds: [Double] = []
    /// Whether its labels per second compare with socat's: not for a row paced by its producer.
    var comparesWithSocat = true
    var labelsPerSecond: Double { Double(labels) / seconds }
    var microsecondsPerLabel: Double { seconds / Double(labels) * 1e6 }

    func percentile(_ fraction: Double) -> Double? {
        guard !payloadMilliseconds.isEmpty else { return nil }
        let sorted = payloadMilliseconds.sorted()
        return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * fraction).rounded()))]
    }
}

func now() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

func startPrinters(_ count: Int) async throws -> [SimulatedPrinter] {
    var printers: [SimulatedPrinter] = []
    for _ in 0..<count {
        printers.append(try await SimulatedPrinter.start(.init(recordsBytes: false, recordsFormats: false)))
    }
    return printers
}

/// The labels for each printer, as one block of bytes per payload of `batch` labels.
func payloads(labels: Int, printers: Int, batch: Int) -> [[(bytes: Data, labels: Int)]] {
    let each = labels / printers
    return (0..<printers).map { printer in
        stride(from: 0, to: each, by: batch).map { start in
            let count = min(batch, each - start)
            var text = ""
            for index in start..<(start + count) { text += label(printer * each + index + 1) }
            return (Data(text.utf8), count)
        }
    }
}

/// socat copying each printer's labels in one connection: the limit of the machine and listener.
func socat(labels: Int, printers count: Int) async throws -> Row {
    let printers = try await startPrinters(count)
    let each = labels / count
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tracemark-bench-\(getpid())")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    var files: [URL] = []
    for (index, blocks) in payloads(labels: labels, printers: count, batch: each).enumerated() {
        let file = folder.appendingPathComponent("printer-\(index).zpl")
        try blocks.map(\.bytes).reduce(Data(), +).write(to: file)
        files.append(file)
    }
    let started = now()
    try await withThrowingTaskGroup(of: Void.self) { group in
        for (printer, file) in zip(printers, files) {
            group.addTask {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                process.arguments = ["socat", "-u", "-b", "262144", "FILE:\(file.path)", "TCP:127.0.0.1:\(printer.port)"]
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                    process.terminationHandler = { _ in continuation.resume() }
                    do { try process.run() } catch { continuation.resume(throwing: error) }
                }
                guard process.terminationStatus == 0 else { throw BenchmarkError("socat exited with \(process.terminationStatus)") }
                guard await printer.waitForLabels(each, timeout: .seconds(120)) else { throw BenchmarkError("socat: labels missing") }
            }
        }
        try await group.waitForAll()
    }
    let row = Row(name: "socat -u -b 262144 FILE TCP", labels: each * count, seconds: now() - started)
    for printer in printers { await printer.stop() }
    return row
}

/// TCP9100Printer sending payloads of `batch` labels (status query before each) to each printer.
func transport(labels: Int, printers count: Int, batch: Int, endOfJob: EndOfJob) async throws -> Row {
    let printers = try await startPrinters(count)
    let each = labels / count
    let blocks = payloads(labels: labels, printers: count, batch: batch)
    let transports = printers.map { printer in
        TCP9100Printer(PrinterConfig(name: "bench-\(printer.port)", uri: "tcp://127.0.0.1:\(printer.port)", language: .zpl,
                                     endOfJob: endOfJob),
                       host: "127.0.0.1", port: printer.port)
    }
    let started = now()
    let latencies = try await withThrowingTaskGroup(of: [Double].self) { group in
        for index in 0..<count {
            let (printer, transport, payloads) = (printers[index], transports[index], blocks[index])
            group.addTask {
                var latencies: [Double] = []
                for (number, block) in payloads.enumerated() {
                    let payload = PrintPayload(jobIDs: [Int64(number)], bytes: block.bytes, language: .zpl, labelCount: block.labels)
                    let sendStarted = now()
                    _ = try await transport.send(payload, prepared: { _ in })
                    latencies.append((now() - sendStarted) * 1000)
                }
                guard await printer.waitForLabels(each, timeout: .seconds(120)) else { throw BenchmarkError("labels missing") }
                return latencies
            }
        }
        var all: [Double] = []
        for try await latencies in group { all += latencies }
        return all
    }
    let row = Row(name: "TCP9100Printer \(endOfJob.rawValue), \(batch)/payload", labels: each * count,
                  seconds: now() - started, payloadMilliseconds: latencies)
    for transport in transports { await transport.close() }
    for printer in printers { await printer.stop() }
    return row
}

struct BenchmarkError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Runs every measurement `runs` times, round by round (so that load from other work on a shared
/// machine falls on all of them alike), and keeps each one's fastest run: the least disturbed.
func bestOfRounds(_ runs: Int, _ measurements: [() async throws -> Row]) async throws -> [Row] {
    var best: [Row?] = Array(repeating: nil, count: measurements.count)
    for _ in 0..<runs {
        for (index, measure) in measurements.enumerated() {
            let row = try await measure()
            if best[index].map({ row.seconds < $0.seconds }) ?? true { best[index] = row }
        }
    }
    return best.compactMap { $0 }
}

func printTable(_ title: String, _ rows: [Row], limit: Row) {
    print("\n\(title)")
    func pad(_ text: String, _ width: Int, left: Bool = false) -> String {
        let space = String(repeating: " ", count: max(0, width - text.count))
        return left ? text + space : space + text
    }
    print(pad("", 40, left: true) + pad("labels", 8) + pad("seconds", 10) + pad("labels/s", 11) + pad("p50 ms", 9)
          + pad("p99 ms", 9) + pad("of socat", 10))
    for row in rows {
        let p50 = row.percentile(0.5).map { String(format: "%.2f", $0) } ?? "-"
        let p99 = row.percentile(0.99).map { String(format: "%.2f", $0) } ?? "-"
        let share = row.comparesWithSocat ? String(format: "%.0f%%", 100 * row.labelsPerSecond / limit.labelsPerSecond) : "-"
        print(pad(row.name, 40, left: true) + pad("\(row.labels)", 8) + pad(String(format: "%.3f", row.seconds), 10)
              + pad(String(format: "%.0f", row.labelsPerSecond), 11) + pad(p50, 9) + pad(p99, 9) + pad(share, 10))
    }
}

/// The transport alone: one printer, and many at once.
func transportScenario(_ options: Options) async throws {
    let bytes = label(1).utf8.count
    print("transport: \(options.labels) labels of \(bytes) bytes to simulated ZPL printers on loopback, best of \(options.runs) rounds")
    // Warm up threads, sockets and allocators.
    _ = try await transport(labels: 200, printers: 1, batch: 100, endOfJob: .close)
    _ = try await socat(labels: 200, printers: 1)
    for printers in options.printers {
        var measurements: [() async throws -> Row] = [{ try await socat(labels: options.labels, printers: printers) }]
        for endOfJob in options.endsOfJob {
            for batch in options.batches where batch <= options.labels / printers {
                measurements.append {
                    try await transport(labels: options.labels, printers: printers, batch: batch, endOfJob: endOfJob)
                }
            }
        }
        let rows = try await bestOfRounds(options.runs, measurements)
        printTable("\(printers) printer\(printers == 1 ? "" : "s") at once, \(options.labels / printers) labels each", rows, limit: rows[0])
    }
}

let options = Options(CommandLine.arguments)
do {
    if options.wants("transport") { try await transportScenario(options) }
    if options.wants("spool") { try await spoolScenario(options) }
    if options.wants("enqueue") {
        try await SpoolBenchmarks.runEnqueue(workdir: FileManager.default.temporaryDirectory, postgres: options.postgres)
    }
} catch {
    FileHandle.standardError.write(Data("printing benchmarks failed: \(error)\n".utf8))
    exit(1)
}
