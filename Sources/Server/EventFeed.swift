import Foundation
import Registry
import SQLKit
import Stations
import Store
import Synchronization

/// The live event feed (`GET /api/v1/events`, Server-Sent Events), read from the durable logs the
/// service writes anyway: the scan log (`station_scans`: verdicts, and the tasks they open,
/// post and cancel) and the print jobs' history (`print_job_events`). Nothing extra is written
/// per scan, and a client that reconnects with `Last-Event-ID` gets everything after it that is
/// still in those logs.
///
/// An event's id is `<last scan id>.<last job event id>`: both cursors, so one id resumes both.
/// On PostgreSQL a row with a lower id can commit after one with a higher id; the feed does not
/// step past a gap in the ids until it is older than ``gapWait`` (a rolled-back insert leaves a
/// gap for good).
struct EventFeed: Sendable {
    let store: any SQLStore
    /// How long a gap in ids may be waited for before the feed goes past it.
    static let gapWait: TimeInterval = 2

    struct Cursor: Sendable, Equatable {
        var scan: Int64
        var job: Int64
        var text: String { "\(scan).\(job)" }

        init(scan: Int64, job: Int64) {
            self.scan = scan
            self.job = job
        }

        /// A `Last-Event-ID` as this feed gives them out.
        init?(_ text: String) {
            let parts = text.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 2, let scan = Int64(parts[0]), let job = Int64(parts[1]), scan >= 0, job >= 0 else { return nil }
            self.init(scan: scan, job: job)
        }
    }

    struct Event: Sendable {
        var kind: String
        var data: Data
        var cursor: Cursor
    }

    struct Filter: Sendable {
        var station: String?
        var printer: String?
    }

    /// Where a new client starts: after everything logged so far.
    func now() async throws -> Cursor {
        try await store.read { db in
            let scan = try await db.raw("SELECT COALESCE(MAX(id), 0) AS n FROM station_scans").first()?.decode(column: "n", as: Int64.self) ?? 0
            let job = try await db.raw("SELECT COALESCE(MAX(id), 0) AS n FROM print_job_events").first()?.decode(column: "n", as: Int64.self) ?? 0
            return Cursor(scan: scan, job: job)
        }
    }

    /// The events after `cursor`, oldest first, at most `limit` of each kind, and the cursor to
    /// ask from next.
    func events(after cursor: Cursor, filter: Filter, limit: Int = 200) async throws -> (events: [Event], next: Cursor) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let oldEnough = Timestamp.string(Date().addingTimeInterval(-Self.gapWait))
        return try await store.read { db in
            var next = cursor
            var events: [(at: String, event: Event)] = []
            let scans = try await db.raw("""
                SELECT \(unsafeRaw: APIRoutes.LoggedScan.columns) FROM station_scans
                WHERE id > \(bind: cursor.scan) ORDER BY id LIMIT \(literal: limit)
                """).all().map(APIRoutes.LoggedScan.init)
            for scan in scans {
                // Not past a gap that may still fill, unless it is old.
                if scan.id != next.scan + 1, scan.at > oldEnough { break }
                next.scan = scan.id
                if let wanted = filter.station, wanted != scan.station { continue }
                if filter.printer != nil, filter.station == nil { continue }
                let data = ScanEventData(scan: scan.id, station: scan.station, device: scan.device, user: scan.user, at: scan.at,
                                         verdict: scan.verdict, reasons: scan.reasons, action: scan.action, document: scan.document,
                                         jobs: scan.jobs, next: scan.next)
                events.append((scan.at, Event(kind: "scan", data: try encoder.encode(data), cursor: next)))
            }
            let jobs = try await db.raw("""
                SELECT e.id, e.job_id, e.at, e.state, e.message, j.printer FROM print_job_events e JOIN print_jobs j ON j.id = e.job_id
                WHERE e.id > \(bind: cursor.job) ORDER BY e.id LIMIT \(literal: limit)
                """).all()
            for row in jobs {
                let id = try row.decode(column: "id", as: Int64.self)
                let at = try row.decode(column: "at", as: String.self)
                if id != next.job + 1, at > oldEnough { break }
                next.job = id
                let printer = try row.decode(column: "printer", as: String.self)
                if let wanted = filter.printer, wanted != printer { continue }
                if filter.station != nil, filter.printer == nil { continue }
                let data = JobEventData(job: try row.decode(column: "job_id", as: Int64.self), printer: printer, at: at,
                                        state: try row.decode(column: "state", as: String.self),
                                        message: try row.decode(column: "message", as: String.self))
                events.append((at, Event(kind: "job", data: try encoder.encode(data), cursor: next)))
            }
            // One stream in time order; each event's id covers everything up to it of both logs.
            events.sort { $0.at < $1.at }
            var running = cursor
            let ordered = events.map { item -> Event in
                var event = item.event
                running.scan = max(running.scan, item.event.kind == "scan" ? item.event.cursor.scan : running.scan)
                running.job = max(running.job, item.event.kind == "job" ? item.event.cursor.job : running.job)
                event.cursor = running
                return event
            }
            return (ordered, next)
        }
    }

    struct ScanEventData: Codable {
        var scan: Int64
        var station: String
        var device: String
        var user: String
        var at: String
        var verdict: String
        var reasons: [ScanOutcome.Reason]
        var action: String
        var document: String?
        var jobs: [Int64]
        var next: String
    }

    struct JobEventData: Codable {
        var job: Int64
        var printer: String
        var at: String
        var state: String
        var message: String
    }
}

/// At most `maximum` event-feed clients at once; each holds a connection and polls the database.
final class FeedClients: Sendable {
    let maximum: Int
    private let count = Mutex(0)

    init(maximum: Int) { self.maximum = maximum }

    func enter() -> Bool {
        count.withLock { count in
            guard count < maximum else { return false }
            count += 1
            return true
        }
    }

    func leave() { count.withLock { $0 -= 1 } }
}
