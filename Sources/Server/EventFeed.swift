import Foundation
import Registry
import SQLKit
import Stations
import Store
import Synchronization

/// The live event feed (`GET /api/v1/events`, Server-Sent Events), read from the durable logs the
/// service writes anyway: the scan log (`station_scans`: verdicts, and the tasks they open,
/// post and cancel), the print jobs' history (`print_job_events`) and the printers' state changes
/// (`printer_events`). Nothing extra is written per scan, and a client that reconnects with
/// `Last-Event-ID` gets everything after it that is still in those logs.
///
/// An event's id is `<last scan id>.<last job event id>.<last printer event id>`: all three
/// cursors, so one id resumes all three (an id of two parts, from before printer events, resumes
/// the printer events from their start).
/// On PostgreSQL a row with a lower id can commit after one with a higher id; the feed does not
/// step past a gap in the ids until it is older than ``gapWait`` (a rolled-back insert leaves a
/// gap for good).
struct EventFeed: Sendable {
    let store: any SQLStore
    /// How long a gap in ids may be waited for before the feed goes past it.
    static let gapWait: TimeInterval = 2
    /// Most events of each log read at once.
    static let pageSize = 200

    struct Cursor: Sendable, Equatable {
        var scan: Int64
        var job: Int64
        var printer: Int64 = 0
        /// The database's id (its first 8 characters; the spool's, new at each restore): ids
        /// start again lower after a restore, and a client that resumes with an id of the
        /// database before is told to reload even when the new ids have passed its own (a QA run
        /// lost three scans so). Ids without it (given out before) resume by the numbers alone.
        var database: String?
        var text: String { "\(scan).\(job).\(printer)" + (database.map { ".\($0)" } ?? "") }

        init(scan: Int64, job: Int64, printer: Int64 = 0, database: String? = nil) {
            self.scan = scan
            self.job = job
            self.printer = printer
            self.database = database
        }

        /// A `Last-Event-ID` as this feed gives them out.
        init?(_ text: String) {
            var parts = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            var database: String?
            if parts.count == 4 {
                let tag = parts.removeLast()
                guard tag.count == 8, tag.allSatisfy(\.isHexDigit) else { return nil }
                database = tag
            }
            let numbers = parts.map { Int64($0) }
            guard numbers.count == 3 || (numbers.count == 2 && database == nil), numbers.allSatisfy({ ($0 ?? -1) >= 0 }) else { return nil }
            self.init(scan: numbers[0]!, job: numbers[1]!, printer: numbers.count == 3 ? numbers[2]! : 0, database: database)
        }

        /// Whether a client at this cursor must reload to go on at `end`: the logs went back (a
        /// restore), as their end or the database's id says.
        func isBehindARestore(_ end: Cursor) -> Bool {
            isPast(end) || (database != nil && end.database != nil && database != end.database)
        }

        /// The cursor's place in the log of `kind`.
        subscript(kind: String) -> Int64 {
            get { kind == "scan" ? scan : kind == "job" ? job : printer }
            set {
                switch kind {
                case "scan": scan = newValue
                case "job": job = newValue
                default: printer = newValue
                }
            }
        }

        /// Whether the cursor is past `event` (it has been sent).
        func covers(_ event: Event) -> Bool { event.id <= self[event.kind] }

        /// At or after both, in each log.
        func later(_ other: Cursor) -> Cursor {
            Cursor(scan: max(scan, other.scan), job: max(job, other.job), printer: max(printer, other.printer),
                   database: database ?? other.database)
        }

        /// At or after `other` in every log.
        func isAtOrAfter(_ other: Cursor) -> Bool { scan >= other.scan && job >= other.job && printer >= other.printer }

        /// Past the end of a log that ends at `end`: the logs went back (a backup restored into
        /// the live database), and ids after `end` will be given out again.
        func isPast(_ end: Cursor) -> Bool { scan > end.scan || job > end.job || printer > end.printer }
    }

    struct Event: Sendable {
        var kind: String
        var data: Data
        /// Everything of the logs up to this event: its `id:` in the stream.
        var cursor: Cursor
        /// The event's own id in its log (`station_scans.id`, `print_job_events.id` or `printer_events.id`).
        var id: Int64 = 0
        /// What a filter looks at: the station of a scan, the printer of a job or printer event.
        var station: String?
        var printer: String?

        /// Whether `filter` lets the event through.
        func passes(_ filter: Filter) -> Bool {
            switch kind {
            case "scan": filter.station.map { $0 == station } ?? (filter.printer == nil)
            default: filter.printer.map { $0 == printer } ?? (filter.station == nil)
            }
        }
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
            let printer = try await db.raw("SELECT COALESCE(MAX(id), 0) AS n FROM printer_events").first()?.decode(column: "n", as: Int64.self) ?? 0
            let database = try? await db.raw("SELECT value FROM spool_settings WHERE name = 'database_id'").first()?
                .decode(column: "value", as: String.self)
            return Cursor(scan: scan, job: job, printer: printer,
                          database: database.map { String($0.prefix(8)) }.flatMap { $0.count == 8 && $0.allSatisfy(\.isHexDigit) ? $0 : nil })
        }
    }

    /// The events after `cursor`, oldest first, at most `limit` of each kind, and the cursor to
    /// ask from next.
    func events(after cursor: Cursor, filter: Filter, limit: Int = Self.pageSize) async throws -> (events: [Event], next: Cursor) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let oldEnough = Timestamp.string(Date().addingTimeInterval(-Self.gapWait))
        // One snapshot for the three logs: a scan and the jobs its transaction queued come in the
        // same read, in their order, never the jobs first.
        return try await store.snapshot { db in
            var next = cursor
            // Each log's events in its own order (ids, the order they committed in).
            var scanEvents: [(at: String, event: Event)] = []
            var jobEvents: [(at: String, event: Event)] = []
            var printerEvents: [(at: String, event: Event)] = []
            let scans = try await db.raw("""
                SELECT \(unsafeRaw: APIRoutes.LoggedScan.columns) FROM station_scans
                WHERE id > \(bind: cursor.scan) ORDER BY id LIMIT \(literal: limit)
                """).all().map(APIRoutes.LoggedScan.init)
            for scan in scans {
                // Not past a gap that may still fill, unless it is old.
                if scan.id != next.scan + 1, scan.at > oldEnough { break }
                next.scan = scan.id
                let event = Event(kind: "scan", data: Data(), cursor: next, id: scan.id, station: scan.station)
                guard event.passes(filter) else { continue }
                let data = ScanEventData(scan: scan.id, station: scan.station, device: scan.device, user: scan.user, at: scan.at,
                                         verdict: scan.verdict, reasons: scan.reasons, action: scan.action, document: scan.document,
                                         jobs: scan.jobs, next: scan.next)
                scanEvents.append((scan.at, Event(kind: "scan", data: try encoder.encode(data), cursor: next, id: scan.id, station: scan.station)))
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
                guard Event(kind: "job", data: Data(), cursor: next, id: id, printer: printer).passes(filter) else { continue }
                let data = JobEventData(job: try row.decode(column: "job_id", as: Int64.self), printer: printer, at: at,
                                        state: try row.decode(column: "state", as: String.self),
                                        message: try row.decode(column: "message", as: String.self))
                jobEvents.append((at, Event(kind: "job", data: try encoder.encode(data), cursor: next, id: id, printer: printer)))
            }
            let printers = try await db.raw("""
                SELECT id, printer, at, state, message FROM printer_events
                WHERE id > \(bind: cursor.printer) ORDER BY id LIMIT \(literal: limit)
                """).all()
            for row in printers {
                let id = try row.decode(column: "id", as: Int64.self)
                let at = try row.decode(column: "at", as: String.self)
                if id != next.printer + 1, at > oldEnough { break }
                next.printer = id
                let printer = try row.decode(column: "printer", as: String.self)
                guard Event(kind: "printer", data: Data(), cursor: next, id: id, printer: printer).passes(filter) else { continue }
                let data = PrinterEventData(printer: printer, at: at, state: try row.decode(column: "state", as: String.self),
                                            message: try row.decode(column: "message", as: String.self))
                printerEvents.append((at, Event(kind: "printer", data: try encoder.encode(data), cursor: next, id: id, printer: printer)))
            }
            // One stream in time order; each event's id covers everything up to it of the logs.
            var running = cursor
            let ordered = Self.merged([scanEvents, jobEvents, printerEvents]).map { item -> Event in
                var event = item
                running[item.kind] = max(running[item.kind], item.id)
                event.cursor = running
                return event
            }
            return (ordered, next)
        }
    }

    /// The logs' events as one stream: the earliest head of the logs first (on a tie, the log
    /// listed first: a scan before the jobs its transaction queued), each log kept in its own
    /// order.
    ///
    /// Not a sort of all events by time: an event's time is taken before its transaction waits
    /// for the database, so a log's times need not follow its ids. Sorted by time, a job's
    /// `queued` could come after a later `sending`, and an event after one with a higher id,
    /// whose id (the cursor a client resumes from) already covers it: seen once in CI, where a
    /// client got a job's `sending` first and ids that went back.
    static func merged(_ logs: [[(at: String, event: Event)]]) -> [Event] {
        var heads = Array(repeating: 0, count: logs.count)
        var stream: [Event] = []
        stream.reserveCapacity(logs.map(\.count).reduce(0, +))
        while true {
            var earliest: Int?
            for log in logs.indices where heads[log] < logs[log].count {
                if let best = earliest, logs[best][heads[best]].at <= logs[log][heads[log]].at { continue }
                earliest = log
            }
            guard let log = earliest else { return stream }
            stream.append(logs[log][heads[log]].event)
            heads[log] += 1
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

    struct PrinterEventData: Codable {
        var printer: String
        var at: String
        var state: String
        var message: String
    }

    struct JobEventData: Codable {
        var job: Int64
        var printer: String
        var at: String
        var state: String
        var message: String
    }
}

/// One reader of the event logs for every client of the feed: it looks at the database once per
/// interval while anyone listens, and keeps the latest events in memory. A client whose resume
/// point is within what the hub holds is served from memory, filtered for it; one further back
/// (a `Last-Event-ID` from long ago) reads the logs itself until it has caught up. A hundred
/// clients cost the database what one does.
final class EventHub: Sendable {
    let feed: EventFeed
    let interval: Duration
    /// Events kept in memory for clients that fall behind.
    static let capacity = 4096

    private struct State {
        /// Events after `base`, in stream order.
        var events: [EventFeed.Event] = []
        /// Everything up to `base` has left memory (or came before the hub started).
        var base: EventFeed.Cursor?
        /// Where the hub has read to.
        var position: EventFeed.Cursor?
        /// Bumped after each read that moved `position`.
        var generation = 0
        var listeners = 0
        var reading = false
        /// A scan or label of this process was logged since the last read.
        var poked = false
        /// Bumped each time the logs were found to have gone back (a restore): clients start
        /// again from their new end.
        var epoch = 0
    }
    private let state = Mutex(State())

    init(feed: EventFeed, interval: Duration) {
        self.feed = feed
        self.interval = interval
        StationEvents.observe { [weak self] in self?.poke() }
    }

    /// Something was logged: read now rather than at the next look.
    func poke() { state.withLock { $0.poked = true } }

    /// A client starts listening; the hub reads while anyone does.
    func listen() {
        let start = state.withLock { state -> Bool in
            state.listeners += 1
            guard !state.reading else { return false }
            state.reading = true
            return true
        }
        if start { Task { await read() } }
    }

    func leave() { state.withLock { $0.listeners -= 1 } }

    /// The events after `cursor` that pass `filter`, and the cursor to ask from next; nil when
    /// `cursor` is outside what the hub holds (the client reads the logs itself).
    func events(after cursor: EventFeed.Cursor, filter: EventFeed.Filter) -> (events: [EventFeed.Event], next: EventFeed.Cursor, generation: Int)? {
        state.withLock { state in
            guard let base = state.base, let position = state.position, cursor.isAtOrAfter(base) else { return nil }
            var running = cursor
            var out: [EventFeed.Event] = []
            for event in state.events where !cursor.covers(event) {
                running = running.later(event.cursor)
                guard event.passes(filter) else { continue }
                var shown = event
                shown.cursor = running
                out.append(shown)
            }
            return (out, cursor.later(position), state.generation)
        }
    }

    /// How often the logs have gone back since the hub started, and where they end now.
    func rewind() -> (epoch: Int, position: EventFeed.Cursor?) {
        state.withLock { ($0.epoch, $0.position) }
    }

    /// Returns once the hub has read past `generation`, or after `longest`.
    func wait(after generation: Int, longest: Duration) async {
        let clock = ContinuousClock()
        let end = clock.now + longest
        while clock.now < end, state.withLock({ $0.generation }) == generation, !Task.isCancelled {
            try? await Task.sleep(for: min(.milliseconds(20), end - clock.now))
        }
    }

    /// Waits out the interval, or less when poked: in steps short enough that an event logged in
    /// this process reaches the clients within milliseconds.
    private func pause() async {
        let clock = ContinuousClock()
        let end = clock.now + interval
        while clock.now < end {
            if state.withLock({ state in
                defer { state.poked = false }
                return state.poked || state.listeners == 0
            }) { return }
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    private func read() async {
        while true {
            let from = state.withLock { state -> EventFeed.Cursor?? in
                guard state.listeners > 0 else {
                    state = State()
                    return .none
                }
                return .some(state.position)
            }
            guard case .some(let position) = from else { return }
            var full = false
            do {
                let start: EventFeed.Cursor
                if let position { start = position } else { start = try await feed.now() }
                let (events, next) = try await feed.events(after: start, filter: EventFeed.Filter())
                full = ["scan", "job", "printer"].contains { kind in events.count { $0.kind == kind } >= EventFeed.pageSize }
                if events.isEmpty, position != nil {
                    // Nothing new: the logs may have gone back under the hub (a backup restored
                    // into the live database), and nothing would come again until their ids
                    // passed where it had read to. Start again from their end.
                    let end = try await feed.now()
                    if start.isBehindARestore(end) {
                        state.withLock { state in
                            state.events = []
                            state.base = end
                            state.position = end
                            state.generation += 1
                            state.epoch += 1
                        }
                        continue
                    }
                }
                state.withLock { state in
                    if state.base == nil { state.base = start }
                    state.events += events
                    if state.events.count > Self.capacity {
                        for dropped in state.events.prefix(state.events.count - Self.capacity) {
                            state.base![dropped.kind] = max(state.base![dropped.kind], dropped.id)
                        }
                        state.events.removeFirst(state.events.count - Self.capacity)
                    }
                    if next != state.position {
                        state.position = next
                        state.generation += 1
                    }
                }
            } catch {
                // The database did not answer: clients keep their place and are served when it does.
            }
            if !full { await pause() }
        }
    }
}

/// At most `maximum` event-feed clients at once, each holding a connection, and at most
/// `perCaller` of them for one token or session: a connection its client closed is only noticed
/// at the next write (a heartbeat, up to 15 s later), so one caller opening and closing feeds in a
/// loop would otherwise hold every place and shut every station page out.
final class FeedClients: Sendable {
    let maximum: Int
    let perCaller: Int
    private let counts = Mutex((total: 0, by: [String: Int]()))

    init(maximum: Int) {
        self.maximum = maximum
        self.perCaller = max(2, maximum / 8)
    }

    enum Entry: Equatable { case entered, full, callerFull }

    func enter(_ caller: String) -> Entry {
        counts.withLock { counts in
            guard counts.total < maximum else { return .full }
            guard counts.by[caller, default: 0] < perCaller else { return .callerFull }
            counts.total += 1
            counts.by[caller, default: 0] += 1
            return .entered
        }
    }

    func leave(_ caller: String) {
        counts.withLock { counts in
            counts.total -= 1
            let left = counts.by[caller, default: 1] - 1
            counts.by[caller] = left > 0 ? left : nil
        }
    }
}
