import Foundation
import Metrics
import Prometheus
import SQLKit
import Store

/// `GET /api/v1/metrics` in the Prometheus text format.
///
/// What the process measures itself (HTTP request durations by operation, method and status) is
/// kept in a collector registry. What the logs already hold is read from them at each scrape, so
/// it is the same in every process of the service and survives restarts: scans by station and
/// verdict, print jobs by state, each printer's queue and its state.
///
/// What the stations and printer workers measure through swift-metrics (resolve and
/// scan-to-label latency, ``StationMetrics``) lands in the same registry once ``bootstrap()``
/// has made it the process's metrics system.
public final class APIMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()

    public init() {}

    /// Makes this registry the process's swift-metrics backend, with this API's buckets for
    /// every timer. Once per process (swift-metrics allows one bootstrap): `tracemark serve` does it.
    public func bootstrap() {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = Self.fineBuckets
        MetricsSystem.bootstrap(factory)
    }

    /// Resolve and scan-to-label times: from 50 µs (a serial looked up on SQLite) to 10 s (a
    /// printer that takes its time).
    static let fineBuckets: [Duration] = [.microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500)] + buckets
    static let buckets: [Duration] = [.milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
                                      .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
                                      .seconds(2), .seconds(5), .seconds(10)]

    static var requests: MetricNameDescriptor {
        MetricNameDescriptor(namespace: "tracemark", subsystem: "http", metricName: "request_duration",
                             unitName: "seconds", helpText: "HTTP requests by operation, method and status")
    }

    func recordRequest(operation: String, method: String, status: Int, duration: Duration) {
        registry.makeDurationHistogram(descriptor: Self.requests,
                                       labels: [("operation", operation), ("method", method), ("status", String(status))],
                                       buckets: Self.buckets).record(duration)
    }

    /// The text a scrape gets.
    func scrape(store: any SQLStore) async throws -> String {
        var text = registry.emitToString()
        let scans = try await store.read { db in
            try await db.raw("SELECT station, verdict, COUNT(*) AS n FROM station_scans GROUP BY station, verdict ORDER BY station, verdict")
                .all().map { (try $0.decode(column: "station", as: String.self), try $0.decode(column: "verdict", as: String.self),
                              try $0.decode(column: "n", as: Int.self)) }
        }
        text += "# HELP tracemark_scans_total Scans handled, by station and verdict (from the scan log).\n"
        text += "# TYPE tracemark_scans_total counter\n"
        for (station, verdict, count) in scans {
            text += "tracemark_scans_total{station=\"\(Self.escape(station))\",verdict=\"\(Self.escape(verdict))\"} \(count)\n"
        }
        let jobs = try await store.read { db in
            try await db.raw("SELECT printer, state, COUNT(*) AS n FROM print_jobs GROUP BY printer, state ORDER BY printer, state")
                .all().map { (try $0.decode(column: "printer", as: String.self), try $0.decode(column: "state", as: String.self),
                              try $0.decode(column: "n", as: Int.self)) }
        }
        text += "# HELP tracemark_print_jobs Print jobs by printer and state.\n# TYPE tracemark_print_jobs gauge\n"
        for (printer, state, count) in jobs {
            text += "tracemark_print_jobs{printer=\"\(Self.escape(printer))\",state=\"\(Self.escape(state))\"} \(count)\n"
        }
        // The queue depth from the same counts: jobs not yet done, held or cancelled.
        let printers = try await store.read { db in
            try await db.raw("SELECT name, state FROM printers WHERE removed_at IS NULL ORDER BY name")
                .all().map { (try $0.decode(column: "name", as: String.self), try $0.decode(column: "state", as: String.self)) }
        }
        let unfinished: Set<String> = ["queued", "sending", "printing", "failed"]
        var depth: [String: Int] = [:]
        for (printer, state, count) in jobs where unfinished.contains(state) { depth[printer, default: 0] += count }
        text += "# HELP tracemark_spool_queue_depth Jobs not yet done, held or cancelled, per printer.\n"
        text += "# TYPE tracemark_spool_queue_depth gauge\n"
        for (printer, _) in printers {
            text += "tracemark_spool_queue_depth{printer=\"\(Self.escape(printer))\"} \(depth[printer] ?? 0)\n"
        }
        text += "# HELP tracemark_printer_state The state each printer was last seen in (1).\n# TYPE tracemark_printer_state gauge\n"
        for (printer, state) in printers {
            text += "tracemark_printer_state{printer=\"\(Self.escape(printer))\",state=\"\(Self.escape(state))\"} 1\n"
        }
        return text
    }

    /// A label value as the text format needs it: backslash, double quote and newline escaped.
    static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }
}
