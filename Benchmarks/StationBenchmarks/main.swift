// Station benchmarks: scan to label, from the last byte of a scan sent to a station's loopback
// TCP scanner to its label's format complete at a simulated 9100 printer, beside socat relaying
// the same label's bytes as the floor; sustained scans per second of one receiving station; the
// resident memory of an idle `tracemark serve` with 20 stations; and the soak: `tracemark serve`
// with 4 receiving stations scanning and printing at a steady rate for 10 minutes, its resident
// memory and open descriptors sampled, the first minute against the last.
//
//   StationBenchmarks --templates Templates [--postgres URL] [--scans 200] [--stations 1,20] [--serve PATH]
//   StationBenchmarks --serve PATH --soak 600       (the soak alone)

import Foundation
import Devices
import GS1
import Labels
import Logging
import PrinterSimulator
import Printing
import Registry
import ServiceLifecycle
import SQLKit
import Stations
import Store

struct Options {
    var templates = "Templates"
    var postgres: String?
    var scans = 200
    var stations = [1, 20]
    var serve: String?
    /// Seconds of the soak; when given, the soak alone runs.
    var soak: Int?

    init(_ arguments: [String]) {
        var iterator = arguments.dropFirst().makeIterator()
        while let argument = iterator.next() {
            switch argument {
            case "--templates": templates = iterator.next() ?? templates
            case "--postgres": postgres = iterator.next()
            case "--scans": scans = Int(iterator.next() ?? "") ?? scans
            case "--stations": stations = (iterator.next() ?? "").split(separator: ",").compactMap { Int($0) }
            case "--serve": serve = iterator.next()
            case "--soak": soak = Int(iterator.next() ?? "")
            default:
                FileHandle.standardError.write(Data("unknown argument \(argument)\n".utf8))
                exit(2)
            }
        }
    }
}

struct BenchmarkError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

func percentile(_ values: [Double], _ fraction: Double) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return .nan }
    return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * fraction).rounded()))]
}

/// Prints a line at once (a pipe to `tee` sees each figure as it is measured).
func say(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }

func ms(_ seconds: Double) -> String { String(format: "%.2f ms", seconds * 1000) }

/// A connected loopback TCP client (a network scanner, or socat's listening side).
final class Client {
    let fd: Int32
    init(port: Int) async throws {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        for _ in 0..<500 {
            // A socket whose connect failed cannot be connected again: a new one each attempt.
            let candidate = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var yes: Int32 = 1
            setsockopt(candidate, Int32(IPPROTO_TCP), TCP_NODELAY, &yes, socklen_t(MemoryLayout<Int32>.size))
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(candidate, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            if connected == 0 {
                fd = candidate
                return
            }
            close(candidate)
            // Waiting without holding a thread: the stations being connected to run on the same pool.
            try await Task.sleep(for: .milliseconds(20))
        }
        throw BenchmarkError("cannot connect to 127.0.0.1:\(port)")
    }
    deinit { close(fd) }
    /// Writes `bytes`; returns the time just before they were handed to the kernel (one small
    /// write: the last byte goes with the first).
    func send(_ bytes: [UInt8]) -> Double {
        let started = SimulatedPrinter.now
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if written > 0 { offset += written }
        }
        return started
    }
}

func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// Waits until `printer` has received a format containing `marker`; its arrival time.
func arrival(of marker: String, at printer: SimulatedPrinter, after index: inout Int) async throws -> Double {
    let deadline = SimulatedPrinter.now + 60
    while SimulatedPrinter.now < deadline {
        let arrivals = printer.formatArrivals
        if let found = arrivals[index...].firstIndex(where: { $0.text.contains(marker) }) {
            index = found + 1
            return arrivals[found].at
        }
        try await Task.sleep(for: .microseconds(200))
    }
    throw BenchmarkError("the label for \(marker) did not arrive")
}

/// A fresh database: a SQLite file, or a new schema on the PostgreSQL server.
func freshDatabase(_ postgres: String?, folder: URL) async throws -> String {
    guard let postgres else { return folder.appendingPathComponent("bench-\(UUID().uuidString.prefix(8)).sqlite").path }
    let schema = "bench\(UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased())"
    let admin = try await SQLStores.open(postgres)
    try await admin.write { db in try await db.raw("CREATE SCHEMA \(ident: schema)").run() }
    await admin.close()
    return postgres + (postgres.contains("?") ? "&" : "?") + "search_path=\(schema)"
}

func expiryCode(days: Int) -> String {
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone(identifier: "UTC")
    formatter.dateFormat = "yyMMdd"
    return formatter.string(from: Date().addingTimeInterval(Double(days) * 86_400))
}

/// A receiving dock's registry and spool: a warehouse, a supplier, a lot-tracked product by GTIN.
func dock(_ location: String) async throws -> (Registry, Spool) {
    let registry = try await Registry.open(location)
    _ = try await registry.addWarehouse(Warehouse(code: "MAIN"))
    _ = try await registry.addPartner(Partner(code: "ACME", name: "Acme Paints", role: .supplier))
    _ = try await registry.addClass(LotSerialClass(code: "PAINT", tracking: .lot, tracksExpiry: true, format: "L{counter:4}"))
    _ = try await registry.addProduct(Product(article: "PAINT-5L", gtin: try GTIN("09501101530003"), description: "Paint 5 l",
                                              lotSerialClass: "PAINT"))
    let spool = try await Spool(store: registry.store)
    return (registry, spool)
}

/// Scan to label with `count` stations, each with its own printer, all scanning at once, each
/// waiting for its label before the next scan (an operator does). Latencies in seconds.
func scanToLabel(stations count: Int, scans: Int, database location: String, template: Template) async throws -> [Double] {
    let (registry, spool) = try await dock(location)
    var printers: [SimulatedPrinter] = []
    var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
    var ports: [Int] = []
    for index in 0..<count {
        let printer = try await SimulatedPrinter.start(.init(recordsBytes: false))
        printers.append(printer)
        try await spool.addPrinter(PrinterConfig(name: "p\(index)", uri: "tcp://127.0.0.1:\(printer.port)", language: .zpl))
        let station = try await Station(StationConfiguration(name: "s\(index)", kind: .receiving, warehouse: "MAIN",
                                                             printer: "p\(index)", template: template, supplier: "ACME"),
                                        registry: registry, spool: spool, logger: Logger(label: "bench"))
        let port = try freePort()
        ports.append(port)
        services.append(.init(service: StationService(station: station, logger: Logger(label: "bench"), scanners: {
            [try DeviceAddress(parsing: "tcp-listen://127.0.0.1:\(port)").makeSource()]
        })))
    }
    var workerOptions = PrinterWorker.Options()
    workerOptions.pollInterval = .milliseconds(200)
    services.append(.init(service: PrinterWorkers(spool: spool, printers: (0..<count).map { "p\($0)" }, options: workerOptions,
                                                  logger: Logger(label: "bench"))))
    let group = ServiceGroup(configuration: .init(services: services, logger: Logger(label: "bench")))
    let running = Task { try await group.run() }
    let expiry = expiryCode(days: 300)
    let targets = printers, listening = ports
    let latencies = try await withThrowingTaskGroup(of: [Double].self) { tasks in
        for index in 0..<count {
            tasks.addTask { @Sendable in
                let printers = targets, ports = listening
                let client = try await Client(port: ports[index])
                var seen = 0
                var latencies: [Double] = []
                for scan in 0..<scans {
                    let lot = "B\(index)X\(scan)Y"
                    let sent = client.send(Array("(01)09501101530003(17)\(expiry)(10)\(lot)\n".utf8))
                    let arrived = try await arrival(of: "LOT \(lot)", at: printers[index], after: &seen)
                    latencies.append(arrived - sent)
                }
                return latencies
            }
        }
        return try await tasks.reduce(into: []) { $0 += $1 }
    }
    await group.triggerGracefulShutdown()
    _ = try? await running.value
    for printer in printers { await printer.stop() }
    await registry.close()
    return latencies
}

/// The floor: the label's bytes relayed by socat from a loopback listener to the printer.
func socatFloor(scans: Int, label: String) async throws -> [Double] {
    let printer = try await SimulatedPrinter.start(.init(recordsBytes: false))
    let port = try freePort()
    let socat = Process()
    socat.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    socat.arguments = ["socat", "TCP-LISTEN:\(port),bind=127.0.0.1,reuseaddr", "TCP:127.0.0.1:\(printer.port),nodelay"]
    try socat.run()
    defer { socat.terminate() }
    let client = try await Client(port: port)
    var seen = 0
    var latencies: [Double] = []
    for scan in 0..<scans {
        let marker = "F\(scan)Z"
        let sent = client.send(Array(label.replacingOccurrences(of: "LOT-MARK", with: marker).utf8))
        latencies.append(try await arrival(of: marker, at: printer, after: &seen) - sent)
    }
    await printer.stop()
    return latencies
}

/// Sustained scans per second of one receiving station (labels queued, a worker sending them).
func sustained(scans: Int, database location: String, template: Template) async throws -> Double {
    let (registry, spool) = try await dock(location)
    let printer = try await SimulatedPrinter.start(.init(recordsBytes: false, recordsFormats: false))
    try await spool.addPrinter(PrinterConfig(name: "p", uri: "tcp://127.0.0.1:\(printer.port)", language: .zpl))
    let station = try await Station(StationConfiguration(name: "s", kind: .receiving, warehouse: "MAIN", printer: "p",
                                                         template: template, supplier: "ACME"),
                                    registry: registry, spool: spool, logger: Logger(label: "bench"))
    let port = try freePort()
    let handled = Counter()
    let service = StationService(station: station, logger: Logger(label: "bench"), scanners: { [try DeviceAddress(parsing: "tcp-listen://127.0.0.1:\(port)").makeSource()] }) { _, _ in
        handled.add()
    }
    var workerOptions = PrinterWorker.Options()
    workerOptions.pollInterval = .milliseconds(200)
    let group = ServiceGroup(configuration: .init(services: [
        .init(service: service),
        .init(service: PrinterWorkers(spool: spool, printers: ["p"], options: workerOptions, logger: Logger(label: "bench"))),
    ], logger: Logger(label: "bench")))
    let running = Task { try await group.run() }
    let client = try await Client(port: port)
    let expiry = expiryCode(days: 300)
    let stream = (0..<scans).map { "(01)09501101530003(17)\(expiry)(10)S\($0)\n" }.joined()
    let started = client.send(Array(stream.utf8))
    while handled.value < scans { try await Task.sleep(for: .milliseconds(1)) }
    let seconds = SimulatedPrinter.now - started
    await group.triggerGracefulShutdown()
    _ = try? await running.value
    await printer.stop()
    await registry.close()
    return Double(scans) / seconds
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func add() { lock.lock(); count += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return count }
}

/// A receiving station of the demo's dock in `serve`'s configuration, scanning on a loopback port.
func receivingStation(_ name: String, printer: String, port: Int) -> String {
    "  \(name):\n    kind: receiving\n    warehouse: MAIN\n    supplier: ACME\n    printer: \(printer)\n"
        + "    template: gs1-lot-100x50\n    scanners: [\"tcp-listen://127.0.0.1:\(port)\"]\n"
}

/// The demo's registry (`tracemark demo`) at `database`: the dock the stations of `serve` use.
func demoDatabase(_ serve: String, at database: String) throws {
    let demo = Process()
    demo.executableURL = URL(fileURLWithPath: serve)
    demo.arguments = ["demo", "--db", database]
    demo.standardOutput = FileHandle.nullDevice
    try demo.run()
    demo.waitUntilExit()
}

/// Starts `tracemark serve` on the configuration `text` (written to `folder/name`), its output discarded.
func startServe(_ serve: String, config text: String, named name: String, in folder: URL) throws -> Process {
    let config = folder.appendingPathComponent(name)
    try text.write(to: config, atomically: true, encoding: .utf8)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: serve)
    process.arguments = ["serve", "--config", config.path]
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    return process
}

/// Resident memory of `tracemark serve` idle with `count` look-up stations on loopback TCP.
func idleMemory(serve: String, stations count: Int, folder: URL) async throws -> Int {
    let database = folder.appendingPathComponent("idle-\(UUID().uuidString.prefix(8)).sqlite").path
    try demoDatabase(serve, at: database)
    var text = "database: \"\(database)\"\nprinters:\n  bench-label: {uri: \"file://\(folder.appendingPathComponent("labels").path)\", language: zpl}\nstations:\n"
    for index in 0..<count { text += receivingStation("s\(index)", printer: "bench-label", port: try freePort()) }
    let process = try startServe(serve, config: text, named: "idle.yaml", in: folder)
    defer { process.terminate() }
    try await Task.sleep(for: .seconds(5))
    let status = try String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)
    let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
    return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
}

/// The soak: `tracemark serve` (a real process) with `stations` receiving stations, each scanning a
/// new lot every `interval` on its loopback TCP scanner and printing its label to a simulated 9100
/// printer, for `seconds`. Every 5 s the service's resident memory (VmRSS) and open descriptors
/// (`/proc/PID/fd`) are read; the first minute is set against the last. Every scan must have its
/// label at the end.
func soak(serve: String, seconds: Int, folder: URL, stations: Int = 4, interval: Duration = .milliseconds(250)) async throws {
    let database = folder.appendingPathComponent("soak.sqlite").path
    try demoDatabase(serve, at: database)
    var printers: [SimulatedPrinter] = []
    var ports: [Int] = []
    var text = "database: \"\(database)\"\nhttp: {listen: \"127.0.0.1:\(try freePort())\"}\nprinters:\n"
    for index in 0..<stations {
        let printer = try await SimulatedPrinter.start(.init(recordsBytes: false))
        printers.append(printer)
        text += "  p\(index): {uri: \"tcp://127.0.0.1:\(printer.port)\", language: zpl}\n"
    }
    text += "stations:\n"
    for index in 0..<stations {
        let port = try freePort()
        ports.append(port)
        text += receivingStation("s\(index)", printer: "p\(index)", port: port)
    }
    let process = try startServe(serve, config: text, named: "soak.yaml", in: folder)
    defer { if process.isRunning { process.terminate() } }
    let pid = process.processIdentifier
    typealias Sample = (at: Double, rss: Int, anonymous: Int, file: Int, fds: Int)
    func sample(_ at: Double) -> Sample {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        func field(_ name: String) -> Int {
            let line = status.split(separator: "\n").first { $0.hasPrefix(name) } ?? ""
            return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
        }
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? 0
        return (at, field("VmRSS:"), field("RssAnon:"), field("RssFile:"), fds)
    }
    var clients: [Client] = []
    for port in ports { clients.append(try await Client(port: port)) }
    say("## Soak: `tracemark serve`, \(stations) receiving stations (SQLite), a scan every \(interval) per station, \(seconds) s")
    say("")
    let expiry = expiryCode(days: 300)
    let start = SimulatedPrinter.now
    var samples: [Sample] = []
    var nextSample = start
    var sent = 0
    var tick = 0
    while SimulatedPrinter.now - start < Double(seconds) {
        for (index, client) in clients.enumerated() {
            _ = client.send(Array("(01)09501101530003(17)\(expiry)(10)K\(index)X\(tick)Y\n".utf8))
            sent += 1
        }
        tick += 1
        if SimulatedPrinter.now >= nextSample {
            samples.append(sample(SimulatedPrinter.now - start))
            nextSample += 5
        }
        // A steady rate: the next round at its time, however long this one took.
        let step = Double(interval.components.seconds) + Double(interval.components.attoseconds) / 1e18
        let due = start + Double(tick) * step
        let wait = due - SimulatedPrinter.now
        if wait > 0 { try await Task.sleep(for: .milliseconds(Int(wait * 1000))) }
    }
    // Every label, however the last ones queued.
    let deadline = SimulatedPrinter.now + 120
    func printed() -> Int { printers.reduce(0) { $0 + $1.formatArrivals.count } }
    while printed() < sent, SimulatedPrinter.now < deadline { try await Task.sleep(for: .milliseconds(200)) }
    let labels = printed()
    let last = sample(SimulatedPrinter.now - start)
    process.terminate()
    process.waitUntilExit()
    for printer in printers { await printer.stop() }
    // Per minute: lowest, median, highest.
    func spread(_ values: [Int], _ unit: Int = 1024) -> String {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return "-" }
        return "\(sorted[0] / unit) / \(sorted[sorted.count / 2] / unit) / \(sorted[sorted.count - 1] / unit)"
    }
    let first = samples.filter { $0.at < 60 }
    let lastMinute = samples.filter { $0.at >= Double(seconds) - 60 }
    say("| lowest / median / highest | first minute | last minute |")
    say("|---|---|---|")
    say("| VmRSS, MB | \(spread(first.map(\.rss))) | \(spread(lastMinute.map(\.rss))) |")
    say("| its own (RssAnon), MB | \(spread(first.map(\.anonymous))) | \(spread(lastMinute.map(\.anonymous))) |")
    say("| mapped files (RssFile: the executable, the database SQLite maps), MB | \(spread(first.map(\.file))) | \(spread(lastMinute.map(\.file))) |")
    say("| open descriptors | \(spread(first.map(\.fds), 1)) | \(spread(lastMinute.map(\.fds), 1)) |")
    say("")
    say("scans sent: \(sent); labels printed: \(labels); samples every 5 s: \(samples.count); after the last label: VmRSS \(last.rss / 1024) MB (own \(last.anonymous / 1024) MB), \(last.fds) descriptors")
    say("all samples (s, VmRSS kB, RssAnon kB, RssFile kB, descriptors): " + samples.map { "\(Int($0.at)) \($0.rss) \($0.anonymous) \($0.file) \($0.fds)" }.joined(separator: "; "))
    guard labels >= sent else { throw BenchmarkError("soak: \(sent) scans sent, \(labels) labels printed") }
}

LoggingSystem.bootstrap { label in
    var handler = StreamLogHandler.standardError(label: label)
    handler.logLevel = ProcessInfo.processInfo.environment["BENCH_LOG"] == nil ? .error : .debug
    return handler
}
let options = Options(CommandLine.arguments)
let workdir = FileManager.default.temporaryDirectory.appendingPathComponent("tracemark-station-bench-\(UUID().uuidString.prefix(8))")
try FileManager.default.createDirectory(at: workdir, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: workdir) }
if let seconds = options.soak {
    guard let serve = options.serve else { throw BenchmarkError("--soak needs --serve PATH (a release tracemark)") }
    try await soak(serve: serve, seconds: seconds, folder: workdir)
    exit(0)
}
let template = try TemplateLoader().load(contentsOf: URL(fileURLWithPath: options.templates).appendingPathComponent("gs1-lot-100x50.yaml"))
let sampleLabel = try LabelRendering.render(template, LabelData.from(
    product: Product(article: "PAINT-5L", gtin: try GTIN("09501101530003"), description: "Paint 5 l"),
    number: "LOT-MARK", kind: .lot, expiry: CalendarDate(year: 2027, month: 9, day: 1), production: nil,
    over: .object(["quantity": .number(1), "unit": .string("pcs"), "copies": .number(1),
                   "partner": .object(["name": .string("Acme Paints")])])), language: .zpl, verify: false)

say("## Scan to label (\(options.scans) scans per station; each station waits for its label before its next scan)")
say("")
say("| path | stations | scans | p50 | p99 | p99 / socat p99 |")
say("|---|---:|---:|---:|---:|---:|")
let floor = try await socatFloor(scans: options.scans, label: String(decoding: sampleLabel, as: UTF8.self))
let floorP99 = percentile(floor, 0.99)
say("| socat relaying the label's bytes (floor) | 1 | \(floor.count) | \(ms(percentile(floor, 0.5))) | \(ms(floorP99)) | 1.0 |")
var backends: [(String, String?)] = [("SQLite", nil)]
if let postgres = options.postgres { backends.append(("PostgreSQL", postgres)) }
for (name, postgres) in backends {
    for stations in options.stations {
        let latencies = try await scanToLabel(stations: stations, scans: options.scans,
                                              database: try await freshDatabase(postgres, folder: workdir), template: template)
        let p99 = percentile(latencies, 0.99)
        say("| tracemark, \(name) | \(stations) | \(latencies.count) | \(ms(percentile(latencies, 0.5))) | \(ms(p99)) | \(String(format: "%.0f", p99 / floorP99)) |")
    }
}
say("")
say("## Sustained scans per second of one receiving station (one connection, scans back to back)")
say("")
say("| database | scans | scans/s |")
say("|---|---:|---:|")
for (name, postgres) in backends {
    let rate = try await sustained(scans: max(options.scans, 500), database: try await freshDatabase(postgres, folder: workdir), template: template)
    say("| \(name) | \(max(options.scans, 500)) | \(Int(rate)) |")
}
if let serve = options.serve {
    say("")
    let kilobytes = try await idleMemory(serve: serve, stations: 20, folder: workdir)
    say("## Resident memory of an idle `tracemark serve` with 20 receiving stations (SQLite): \(kilobytes / 1024) MB (VmRSS \(kilobytes) kB)")
}
