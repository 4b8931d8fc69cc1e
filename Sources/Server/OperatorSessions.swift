import Foundation
import Registry
import SQLKit
import Stations
import Store

/// Operators signed in at a station by badge or PIN, as the station page does: each sign-in gets
/// a session token (`tms_…`, shown once, kept as its SHA-256) with the operator's role, bound to
/// the station. It ends at sign-out, or after `duration` (a shift). Writes through it are by the
/// operator's badge.
struct OperatorSessions: Sendable {
    static let prefix = "tms_"
    static let duration: TimeInterval = 12 * 3600

    let store: any SQLStore

    /// A session as the caller sees it.
    struct Session: Codable, Sendable {
        var badge: String
        var name: String
        var role: String
        var station: String
        var expiresAt: String
    }

    /// Opens a session for `person` at `station`; returns it and its token. A badge is printed,
    /// not secret (anyone who has seen one can type it): signed in by badge, a supervisor gets an
    /// operator's session; their PIN, which only they know, gives a supervisor's.
    func open(for person: StationOperator, station: String, byPIN: Bool, now: Date = Date()) async throws -> (session: Session, token: String) {
        let token = APITokens.secret(prefix: Self.prefix)
        let role = byPIN ? person.role.rawValue : "operator"
        let session = Session(badge: person.badge, name: person.name, role: role, station: station,
                              expiresAt: Timestamp.string(now.addingTimeInterval(Self.duration)))
        try await store.write { db in
            try await db.raw("""
                INSERT INTO api_sessions (hash, badge, name, role, station, created_at, expires_at)
                VALUES (\(bind: APITokens.hash(token)), \(bind: person.badge), \(bind: person.name), \(bind: session.role),
                        \(bind: station), \(bind: Timestamp.string(now)), \(bind: session.expiresAt))
                """).run()
        }
        return (session, token)
    }

    /// The session with this token hash as a caller, unless it ended or expired.
    func authenticate(hash: String, now: Date = Date()) async throws -> APIToken? {
        try await store.read { db in
            // A badge withdrawn (or whose role is now below the session's) since ends its sessions
            // at once, as a revoked token does.
            guard let row = try await db.raw("""
                SELECT id, badge, role, station, created_at FROM api_sessions
                WHERE hash = \(bind: hash) AND ended_at IS NULL AND expires_at > \(bind: Timestamp.string(now))
                  AND EXISTS (SELECT 1 FROM station_operators o WHERE o.badge = api_sessions.badge AND o.active = 1
                              AND (api_sessions.role = 'operator' OR o.role = api_sessions.role))
                """).first() else { return nil }
            let role: Role = try row.decode(column: "role", as: String.self) == "supervisor" ? .supervisor : .operator
            let id = try row.decode(column: "id", as: Int64.self)
            var caller = APIToken(name: "session-\(id)", role: role,
                                  createdAt: try row.decode(column: "created_at", as: String.self), createdBy: "sign-in")
            caller.session = id
            caller.user = try row.decode(column: "badge", as: String.self)
            caller.station = try row.decode(column: "station", as: String.self)
            return caller
        }
    }

    /// The caller's session as it was opened.
    func session(of caller: APIToken) async throws -> Session? {
        guard let id = caller.session else { return nil }
        return try await store.read { db in
            try await db.raw("SELECT badge, name, role, station, expires_at FROM api_sessions WHERE id = \(bind: id)").first().map { row in
                Session(badge: try row.decode(column: "badge", as: String.self), name: try row.decode(column: "name", as: String.self),
                        role: try row.decode(column: "role", as: String.self), station: try row.decode(column: "station", as: String.self),
                        expiresAt: try row.decode(column: "expires_at", as: String.self))
            }
        }
    }

    /// Ends the caller's session (sign-out); false when the caller is not a session.
    func end(_ caller: APIToken, now: Date = Date()) async throws -> Bool {
        guard let id = caller.session else { return false }
        try await store.write { db in
            try await db.raw("UPDATE api_sessions SET ended_at = \(bind: Timestamp.string(now)) WHERE id = \(bind: id) AND ended_at IS NULL").run()
        }
        return true
    }
}

/// Sign-in attempts slowed after failures, per station: after `free` failures each further
/// attempt (the next one already) must wait twice as long as the one before (by default 1 s, 2 s, 4 s … up to 5 minutes),
/// and is refused with 429 and Retry-After until then. The count is forgotten only after
/// `forgetAfter` without a failure; a success does not clear it, or anyone could keep guessing a
/// supervisor's PIN at full speed by signing in with their own badge between guesses.
actor LoginThrottle {
    private var failures: [String: (count: Int, until: ContinuousClock.Instant, last: ContinuousClock.Instant)] = [:]
    let free: Int
    /// The wait after the first failure beyond `free`; each further failure doubles it.
    let firstDelay: Duration
    /// How long without a failure before a station's count starts again from zero.
    let forgetAfter: Duration
    let clock = ContinuousClock()

    init(free: Int = 5, firstDelay: Duration = .seconds(1), forgetAfter: Duration = .seconds(15 * 60)) {
        self.free = free
        self.firstDelay = firstDelay
        self.forgetAfter = forgetAfter
    }

    /// Attempts of each key being checked now.
    private var inFlight: [String: Int] = [:]

    /// Lets an attempt of `key` be checked, counting it as in flight until ``finished(_:failed:)``
    /// (0), or says how many seconds to wait (refused). Failures and attempts in flight together
    /// stay within `free`: a hundred guesses sent at once were all let through before the first
    /// failure was counted, and eleven were checked (found by a QA run).
    func admit(_ key: String) -> Int {
        let wait = wait(key)
        if wait > 0 { return wait }
        let counted = failureCount(key, at: clock.now)
        let busy = inFlight[key, default: 0]
        if busy > 0, counted + busy >= free { return 1 }
        inFlight[key] = busy + 1
        return 0
    }

    /// The end of an attempt ``admit(_:)`` let in.
    func finished(_ key: String, failed: Bool) {
        inFlight[key] = max(0, inFlight[key, default: 1] - 1)
        if failed { self.failed(key) }
    }

    /// `key`'s failures that still count at `now` (none once `forgetAfter` has passed without one).
    private func failureCount(_ key: String, at now: ContinuousClock.Instant) -> Int {
        failures[key].flatMap { now - $0.last < forgetAfter ? $0.count : nil } ?? 0
    }

    /// Seconds to wait before `key` may try again (0: now).
    func wait(_ key: String) -> Int {
        guard let entry = failures[key], entry.until > clock.now else { return 0 }
        let left = entry.until - clock.now
        return max(1, Int(left.components.seconds) + (left.components.attoseconds > 0 ? 1 : 0))
    }

    func failed(_ key: String) {
        let now = clock.now
        let count = failureCount(key, at: now) + 1
        // After `free` failures the next attempt already waits (as the README says).
        let delay = count < free ? Duration.zero : min(firstDelay * (1 << min(count - free, 9)), firstDelay * 300)
        failures[key] = (count, now + delay, now)
    }

    /// A sign-in that worked: nothing is cleared (see the type's note).
    func succeeded(_ key: String) {}
}
