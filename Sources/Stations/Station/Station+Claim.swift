import Foundation
import Registry
import SQLKit
import Store
import TracemarkSystem

/// A station is run by one process at a time, however many `serve` processes on one database
/// are configured with it: the process holding its claim reads its scanners; another waits and
/// takes over once the holder stops (at once when it was a process of this machine that is gone,
/// else once its claim lapses on the database's clock).
extension Station {
    /// Claims the station for `holder` for `duration`. Returns nil when claimed, else who holds it.
    nonisolated func claim(for holder: ProcessIdentity, duration: Duration) async throws -> ProcessIdentity? {
        let store = registry.store
        let clock = store.kind.clockMilliseconds
        let millis = duration.wholeMilliseconds
        let name = configuration.name
        return try await store.write { @Sendable db in
            try await db.raw("""
                INSERT INTO station_claims (station, holder, claimed_until) VALUES (\(bind: name), '', 0)
                ON CONFLICT (station) DO NOTHING
                """).run()
            guard let row = try await db.raw("""
                SELECT holder, claimed_until, \(unsafeRaw: clock) AS now FROM station_claims WHERE station = \(bind: name)\(unsafeRaw: RowLock.update.clause(db))
                """).first() else { return nil }
            let current = try row.decode(column: "holder", as: String.self)
            let until = try row.decode(column: "claimed_until", as: Int64.self)
            let now = try row.decode(column: "now", as: Int64.self)
            if let other = ProcessIdentity(parsing: current), other != holder, until > now, other.isAlive { return other }
            try await db.raw("""
                UPDATE station_claims SET holder = \(bind: holder.description), claimed_until = \(unsafeRaw: clock) + \(bind: millis)
                WHERE station = \(bind: name)
                """).run()
            return nil
        }
    }

    /// Who holds the station's claim now, for people (`pid 8533 on vm`), or nil when nobody does.
    public nonisolated func holderDescription() async -> String? {
        let name = configuration.name
        guard let holder = try? await registry.store.read({ @Sendable db in
            try await db.raw("SELECT holder FROM station_claims WHERE station = \(bind: name)").first()?.decode(column: "holder", as: String.self)
        }), let identity = ProcessIdentity(parsing: holder) else { return nil }
        return "pid \(identity.pid) on \(identity.host)"
    }

    /// Extends the claim; false when another process has taken the station meanwhile.
    nonisolated func renewClaim(for holder: ProcessIdentity, duration: Duration) async throws -> Bool {
        let clock = registry.store.kind.clockMilliseconds
        let millis = duration.wholeMilliseconds
        let name = configuration.name
        return try await registry.store.write { @Sendable db in
            try await db.raw("""
                UPDATE station_claims SET claimed_until = \(unsafeRaw: clock) + \(bind: millis)
                WHERE station = \(bind: name) AND holder = \(bind: holder.description) RETURNING station
                """).first() != nil
        }
    }

    /// Gives the station up, so that a process waiting for it takes it at once.
    nonisolated func releaseClaim(for holder: ProcessIdentity) async {
        let name = configuration.name
        _ = try? await registry.store.write { @Sendable db in
            try await db.raw("""
                UPDATE station_claims SET holder = '', claimed_until = 0 WHERE station = \(bind: name) AND holder = \(bind: holder.description)
                """).run()
        }
    }
}
