import Foundation
import Printing
import Registry
import Store

/// The spool's side of the printing benchmarks: durable enqueue on SQLite (and PostgreSQL when a
/// URL is given), with the durability settings Tracemark runs with.
enum SpoolBenchmarks {
    /// A realistic ~1 KB ZPL label for a serial.
    static func label(_ serial: Int) -> Data {
        let number = String(format: "SN%07d", serial)
        return Data("""
            ^XA^CI28^PW406^LL203^LH0,0
            ^FO16,24^BXN,4,200,0,0,1,\\,\\^FH\\^FD\\1010950110153000321\(number)^FS
            ^FO144,20^A0N,28,28^FH\\^FDPS-200 pressure sensor^FS
            ^FO144,56^A0N,24,24^FH\\^FDSN \(number)^FS
            ^FO144,88^A0N,20,20^FH\\^FDGTIN 09501101530003^FS
            ^FO16,150^A0N,18,18^FB380,2,0,L^FH\\^FDPressure sensor PS-200, 0-250 bar, stainless steel housing, G1/4 thread^FS
            ^FO144,120^GB240,2,2^FS
            ^XZ

            """.utf8)
    }

    struct Figures {
        let name: String
        let jobs: Int
        let seconds: Double
        let latencies: [Double]

        var perSecond: Double { Double(jobs) / seconds }
        func percentile(_ p: Double) -> Double {
            let sorted = latencies.sorted()
            guard !sorted.isEmpty else { return 0 }
            return sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
        }
    }

    /// Enqueues `count` jobs `perTransaction` at a time, each call committed before the next.
    static func enqueue(location: String, name: String, count: Int, perTransaction: Int) async throws -> Figures {
        let registry = try await Registry.open(location)
        let spool = try await Spool(store: registry.store)
        try await spool.addPrinter(PrinterConfig(name: "bench", uri: "file:bench-labels", language: .zpl), replace: true)
        var latencies: [Double] = []
        let clock = ContinuousClock()
        let started = clock.now
        var made = 0
        while made < count {
            let n = min(perTransaction, count - made)
            let requests = (0..<n).map {
                PrintRequest(printer: "bench", payload: label(made + $0), language: .zpl, requestedBy: "bench", reason: "enqueue benchmark")
            }
            let before = clock.now
            try await spool.enqueue(requests)
            latencies.append((clock.now - before).seconds)
            made += n
        }
        let seconds = (clock.now - started).seconds
        await registry.close()
        return Figures(name: name, jobs: count, seconds: seconds, latencies: latencies)
    }

    static func runEnqueue(workdir: URL, postgres: String?) async throws {
        print("## Durable enqueue (a job is committed before the request is answered)")
        print("SQLite: WAL, synchronous = FULL (fsync at every commit); PostgreSQL: server defaults (fsync on, synchronous_commit on).")
        print("")
        print("| database | jobs per transaction | jobs | jobs/s | p50 per commit | p99 per commit |")
        print("|---|---:|---:|---:|---:|---:|")
        var targets: [(String, String)] = [("SQLite", workdir.appendingPathComponent("enqueue-\(UUID().uuidString).sqlite").path)]
        if let postgres { targets.append(("PostgreSQL", postgres)) }
        for (database, location) in targets {
            for (perTransaction, count) in [(1, 2000), (100, 20000)] {
                let figures = try await enqueue(location: location, name: database, count: count, perTransaction: perTransaction)
                print("| \(database) | \(perTransaction) | \(count) | \(Int(figures.perSecond)) | \(ms(figures.percentile(0.5))) | \(ms(figures.percentile(0.99))) |")
            }
        }
        print("")
    }

    static func ms(_ seconds: Double) -> String { String(format: "%.2f ms", seconds * 1000) }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
