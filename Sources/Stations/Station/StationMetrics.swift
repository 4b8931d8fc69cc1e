import Metrics
import Synchronization

/// What the stations measure, through swift-metrics: whoever bootstraps the metrics system
/// (`tracemark serve`, with Prometheus) gets them; elsewhere they cost nothing.
///
/// - `tracemark_resolve_duration_seconds{source}`: parsing and resolving one scan against the
///   registry, by station (or `api` for `GET /resolve`).
/// - `tracemark_scan_to_label_duration_seconds{station}`: from the station taking a scan to the
///   printer worker marking the label it queued done (delivered, and printed where the printer
///   tells). Measured for labels that this process's workers print; a label printed by another
///   process's worker is not counted.
public enum StationMetrics {
    public static let resolveLabel = "tracemark_resolve_duration_seconds"
    public static let scanToLabelLabel = "tracemark_scan_to_label_duration_seconds"

    /// Records one resolve.
    public static func resolved(source: String, in duration: Duration) {
        Timer(label: resolveLabel, dimensions: [("source", source)]).recordNanoseconds(duration.nanoseconds)
    }

    /// Labels waiting to be printed, by job id: which station queued them and when it took the scan.
    static let waiting = LabelsWaiting()

    /// Called by this process's printer workers with the jobs they finished.
    public static func printed(_ jobs: [Int64]) {
        StationEvents.logged()
        let now = ContinuousClock.now
        for (station, since) in waiting.take(jobs) {
            Timer(label: scanToLabelLabel, dimensions: [("station", station)]).recordNanoseconds((now - since).nanoseconds)
        }
    }

    final class LabelsWaiting: Sendable {
        /// Labels no worker of this process finished are dropped beyond this many.
        static let capacity = 10_000
        private let jobs = Mutex<[Int64: (station: String, since: ContinuousClock.Instant)]>([:])

        func expect(_ ids: [Int64], station: String, since: ContinuousClock.Instant) {
            guard !ids.isEmpty else { return }
            jobs.withLock { jobs in
                if jobs.count + ids.count > Self.capacity {
                    // The oldest half goes: another process printed them, or they were cancelled.
                    let kept = jobs.sorted { $0.value.since > $1.value.since }.prefix(Self.capacity / 2)
                    jobs = Dictionary(uniqueKeysWithValues: kept.map { ($0.key, $0.value) })
                }
                for id in ids { jobs[id] = (station, since) }
            }
        }

        func take(_ ids: [Int64]) -> [(String, ContinuousClock.Instant)] {
            jobs.withLock { jobs in ids.compactMap { jobs.removeValue(forKey: $0) } }
        }
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}

/// Told after each scan a station of this process logged and each label its workers finished: the
/// event feed reads the logs at once instead of at its next look. Scans and jobs of other
/// processes are seen at that next look.
public enum StationEvents {
    private static let observers = Mutex<[@Sendable () -> Void]>([])

    /// `observer` is called, on the caller's task, after each scan and label; it must return at once.
    public static func observe(_ observer: @escaping @Sendable () -> Void) {
        observers.withLock { $0.append(observer) }
    }

    static func logged() {
        for observer in observers.withLock({ $0 }) { observer() }
    }
}
