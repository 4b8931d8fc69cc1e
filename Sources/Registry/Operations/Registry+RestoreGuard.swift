import Foundation
public import SQLKit
import Store

/// What a restore made outside Tracemark's own transaction (PostgreSQL's `pg_restore`) must not
/// set back, read before it runs: every number series where it had got to, the numbers voided
/// for good, the closed months, and how many rows the tables a user knows held.
/// ``Registry/keep(_:restoredFrom:)`` applies it afterwards, as ``Registry/restore(from:named:)``
/// does inside its transaction for SQLite.
public struct RestoreGuard: Sendable {
    struct Series: Sendable {
        let code: String
        let description: String
        let format: String
        let start: Int
        let next: Int
        let builtIn: Int
        let purpose: String
    }

    struct Retired: Sendable {
        let productID: Int
        let number: String
        let reason: String
        let retiredAt: String
        /// Who voided it (its status event), kept through the restore with the reason.
        var user = ""
    }

    /// Which process holds each station, and until when (the stations' table, when there).
    struct Claim: Sendable {
        let station: String
        let holder: String
        let until: Int
    }

    /// Each printer's worker lease (the spool's table, when there).
    struct Lease: Sendable {
        let printer: String
        let worker: String?
        let epoch: Int
        let expires: Int?
    }

    let series: [Series]
    let retired: [Retired]
    let periods: Set<String>
    let counts: [String: Int]
    /// Who runs the stations and the printers now is not the backup's to say: a restore under a
    /// running service put back expired claims, and a standing-by process took the stations
    /// while the one running them went on (two at once; found by a QA run). Nil without the table.
    let claims: [Claim]?
    let leases: [Lease]?
    /// API tokens revoked (by their hash, with when) and badges withdrawn: a restore brought a
    /// leaked token's access back, and a badge of someone who had left (found by a QA run).
    var revokedTokens: [(hash: String, at: String)] = []
    var withdrawnBadges: [String] = []
    /// The documents sent to accounting (by number): a restore forgot those sent after its
    /// backup, and the next export sent them again (found by a QA run).
    var exports: [(target: String, number: String, digest: String, by: String, at: String)] = []
    /// The highest id of the tables whose ids operators use (`jobs retry 59`, scan #199): on
    /// PostgreSQL, their identities go on from there, so that a restore does not give an id to
    /// a second job or scan (found by a QA run). SQLite's tables of them count with
    /// `AUTOINCREMENT`, whose high-water mark a restore does not lower.
    var highestIDs: [String: Int] = [:]

    /// Each series and the number it had reached, for a user to move them on by hand
    /// (`series set-next`) if applying the guard fails.
    public var reached: [(series: String, next: Int)] { series.map { ($0.code, $0.next) } }
}

extension RestoreGuard {
    /// What applying it changed (``Registry/apply(_:_:reason:now:)``).
    struct Applied: Sendable {
        var series: [KeptSeries]
        var retired: Int
        var revoked = 0
        var exportsKept = 0
        var exportsLost: [String] = []
        var opened: [String]
        var closed: [String]
    }
}

extension Registry {
    /// Reads what a restore must keep (``RestoreGuard``), counting the rows of `tables`.
    public func restoreGuard(counting tables: [String]) async throws -> RestoreGuard {
        try await store.read { db in try await Self.readGuard(db, counting: tables) }
    }

    /// After a restore from outside: in one transaction, every series that went back is moved on
    /// to where it had got (one made after the backup is made again there), the numbers in between
    /// voided in its ledger; numbers voided for good stay voided; the closed months that changed
    /// are named, with the rows each table held before and after. `named` is the backup's file;
    /// `inside` runs first in the same transaction (as for ``restore(from:named:inside:)``).
    public func keep(_ kept: RestoreGuard, restoredFrom named: String,
                     inside: (@Sendable (any SQLDatabase) async throws -> Void)? = nil) async throws -> RestoreReport {
        let now = now
        return try await store.write { db in
            try await inside?(db)
            let applied = try await Self.apply(kept, db, reason: Self.restoreReason(named), now: now)
            let after = try await Self.count(db, Array(kept.counts.keys))
            let tables = kept.counts.keys.sorted().map { RestoredTable(table: $0, before: kept.counts[$0]!, after: after[$0] ?? 0) }
            return RestoreReport(tables: tables, series: applied.series, retiredNumbersKept: applied.retired, revocationsKept: applied.revoked,
                             exportsKept: applied.exportsKept, exportedDocumentsLost: applied.exportsLost,
                                 periodsOpened: applied.opened, periodsClosed: applied.closed)
        }
    }

    /// Why a restore voids the numbers taken after its backup, in each series' ledger.
    static func restoreReason(_ backup: String) -> String {
        "taken after the backup \((backup as NSString).lastPathComponent) was made and lost with its restore: never taken again"
    }

    /// The series, retired numbers and closed months `db` holds now, and the rows of `tables`.
    static func readGuard(_ db: any SQLDatabase, counting tables: [String]) async throws -> RestoreGuard {
        let series = try await db.raw("""
            SELECT code, description, format, start_value, next_value, built_in, purpose FROM number_series ORDER BY code
            """).all().map { row in
            RestoreGuard.Series(code: try row.string("code"), description: try row.string("description"), format: try row.string("format"),
                                start: try row.int("start_value"), next: try row.int("next_value"), builtIn: try row.int("built_in"),
                                purpose: try row.string("purpose"))
        }
        // With who voided each (the last event that voided it): the restore said "restore".
        let retired = try await db.raw("""
            SELECT r.product_id, r.number, r.reason, r.retired_at,
                   (SELECT e.user_name FROM lot_serials ls JOIN lot_serial_events e ON e.lot_serial_id = ls.id
                    WHERE ls.product_id = r.product_id AND ls.number = r.number AND e.to_status = 'voided' ORDER BY e.id DESC LIMIT 1) AS user_name
            FROM retired_numbers r
            """).all().map { row in
            RestoreGuard.Retired(productID: try row.int("product_id"), number: try row.string("number"), reason: try row.string("reason"),
                                 retiredAt: try row.string("retired_at"), user: try row.optionalString("user_name") ?? "")
        }
        let periods = Set(try await db.raw("SELECT period FROM closed_periods").all().map { try $0.string("period") })
        let present = try await presentTables(db)
        let claims = present.contains("station_claims") ? try await db.raw("SELECT station, holder, claimed_until FROM station_claims").all().map { row in
            RestoreGuard.Claim(station: try row.string("station"), holder: try row.string("holder"), until: try row.int("claimed_until"))
        } : nil
        let leases = present.contains("printers") ? try await db.raw("SELECT name, worker, lease_epoch, lease_expires FROM printers").all().map { row in
            RestoreGuard.Lease(printer: try row.string("name"), worker: try row.optionalString("worker"), epoch: try row.int("lease_epoch"),
                               expires: try row.optionalInt("lease_expires"))
        } : nil
        var kept = RestoreGuard(series: series, retired: retired, periods: periods, counts: try await count(db, tables), claims: claims, leases: leases)
        if present.contains("api_tokens") {
            kept.revokedTokens = try await db.raw("SELECT hash, revoked_at FROM api_tokens WHERE revoked_at IS NOT NULL").all().map { row in
                (try row.string("hash"), try row.string("revoked_at"))
            }
        }
        if db.dialect.name == "postgresql" {
            for table in ["print_jobs", "station_scans"] where present.contains(table) {
                kept.highestIDs[table] = try await db.raw("SELECT COALESCE(MAX(id), 0) AS n FROM \(ident: table)").first()?.int("n") ?? 0
            }
        }
        if present.contains("accounting_exports") {
            kept.exports = try await db.raw("""
                SELECT e.target, d.number, e.digest, e.exported_by, e.exported_at FROM accounting_exports e JOIN documents d ON d.id = e.document_id
                """).all().map { row in
                (try row.string("target"), try row.string("number"), try row.string("digest"), try row.string("exported_by"), try row.string("exported_at"))
            }
        }
        if present.contains("station_operators") {
            kept.withdrawnBadges = try await db.raw("SELECT badge FROM station_operators WHERE active = 0").all().map { try $0.string("badge") }
        }
        return kept
    }

    /// Keeps `kept` in `db`, whose rows were just replaced by a backup's: numbers voided for good
    /// stay voided, each series that went back is moved on (one made after the backup is made
    /// again) with the numbers in between voided for `reason`, and the closed months that changed.
    static func apply(_ kept: RestoreGuard, _ db: any SQLDatabase, reason: String, now: String) async throws -> RestoreGuard.Applied {
        var retiredKept = 0
        for retired in kept.retired {
            let inserted = try await db.raw("""
                INSERT INTO retired_numbers (product_id, number, reason, retired_at)
                SELECT \(bind: retired.productID), \(bind: retired.number), \(bind: retired.reason), \(bind: retired.retiredAt)
                WHERE EXISTS (SELECT 1 FROM products p WHERE p.id = \(bind: retired.productID))
                  AND NOT EXISTS (SELECT 1 FROM retired_numbers m WHERE m.product_id = \(bind: retired.productID) AND m.number = \(bind: retired.number))
                RETURNING number
                """).all().count
            guard inserted > 0 else { continue }
            retiredKept += inserted
            try await voidAgain(retired, db, now: now)
        }
        let periods = Set(try await db.raw("SELECT period FROM closed_periods").all().map { try $0.string("period") })
        var series: [KeptSeries] = []
        for one in kept.series {
            let restored = try await db.raw("SELECT next_value FROM number_series WHERE code = \(bind: one.code)").first()
                .map { try $0.int("next_value") }
            if let restored, restored >= one.next { continue }
            if restored != nil {
                try await db.raw("UPDATE number_series SET next_value = \(bind: one.next) WHERE code = \(bind: one.code)").run()
            } else {
                try await db.raw("""
                    INSERT INTO number_series (code, description, format, start_value, next_value, built_in, purpose)
                    VALUES (\(bind: one.code), \(bind: one.description), \(bind: one.format), \(bind: one.start), \(bind: one.next),
                            \(bind: one.builtIn), \(bind: one.purpose))
                    """).run()
            }
            let first = restored ?? one.start
            guard first < one.next else { continue }
            try await db.raw("""
                INSERT INTO series_entries (series, first_value, last_value, kind, reason, reference, created_at)
                VALUES (\(bind: one.code), \(bind: first), \(bind: one.next - 1), 'voided', \(bind: reason), 'restore', \(bind: now))
                """).run()
            series.append(KeptSeries(series: one.code, first: first, last: one.next - 1, madeAfterBackup: restored == nil))
        }
        // The stations' holders as they were, not as the backup had them; each printer's lease
        // too, its fencing epoch never going back (a worker's writes are checked against it).
        if let claims = kept.claims {
            try await db.raw("DELETE FROM station_claims").run()
            for claim in claims {
                try await db.raw("""
                    INSERT INTO station_claims (station, holder, claimed_until) VALUES (\(bind: claim.station), \(bind: claim.holder), \(bind: claim.until))
                    """).run()
            }
        }
        for lease in kept.leases ?? [] {
            try await db.raw("""
                UPDATE printers SET worker = \(bind: lease.worker), lease_expires = \(bind: lease.expires),
                    lease_epoch = CASE WHEN lease_epoch < \(bind: lease.epoch) THEN \(bind: lease.epoch) ELSE lease_epoch END
                WHERE name = \(bind: lease.printer)
                """).run()
        }
        var exportsKept = 0
        var exportsLost: [String] = []
        for export in kept.exports {
            let document = try await db.raw("SELECT id FROM documents WHERE number = \(bind: export.number)").first().map { try $0.int("id") }
            guard let document else {
                exportsLost.append(export.number)
                continue
            }
            exportsKept += try await db.raw("""
                INSERT INTO accounting_exports (target, document_id, digest, exported_by, exported_at)
                SELECT \(bind: export.target), \(bind: document), \(bind: export.digest), \(bind: export.by), \(bind: export.at)
                WHERE NOT EXISTS (SELECT 1 FROM accounting_exports e WHERE e.target = \(bind: export.target) AND e.document_id = \(bind: document))
                RETURNING target
                """).all().count
        }
        for (table, highest) in kept.highestIDs.sorted(by: { $0.key < $1.key }) where highest > 0 {
            try await db.raw("""
                SELECT setval(pg_get_serial_sequence(\(bind: table), 'id'), GREATEST(\(bind: highest), (SELECT COALESCE(MAX(id), 0) FROM \(ident: table))))
                """).run()
        }
        var revoked = 0
        for token in kept.revokedTokens {
            revoked += try await db.raw("""
                UPDATE api_tokens SET revoked_at = \(bind: token.at) WHERE hash = \(bind: token.hash) AND revoked_at IS NULL RETURNING hash
                """).all().count
        }
        for badge in kept.withdrawnBadges {
            revoked += try await db.raw("""
                UPDATE station_operators SET active = 0 WHERE badge = \(bind: badge) AND active <> 0 RETURNING badge
                """).all().count
        }
        var applied = RestoreGuard.Applied(series: series, retired: retiredKept, opened: kept.periods.subtracting(periods).sorted(),
                                           closed: periods.subtracting(kept.periods).sorted())
        applied.revoked = revoked
        applied.exportsKept = exportsKept
        applied.exportsLost = Array(Set(exportsLost)).sorted()
        return applied
    }

    /// A number voided after the backup, voided again in the restored rows as `lot void` left it:
    /// the restored lot or serial read as available, and was printed and received again though
    /// the restore said it stayed voided (found by a QA run). Its status event and its series'
    /// ledger say so; one the backup never had is recorded as voided.
    private static func voidAgain(_ retired: RestoreGuard.Retired, _ db: any SQLDatabase, now: String) async throws {
        let reason = "\(retired.reason) (voided \(retired.retiredAt.prefix(10)), after the backup; kept by the restore)"
        let who = retired.user.isEmpty ? "restore" : retired.user
        if let row = try await db.raw("""
            SELECT id, status, series, counter FROM lot_serials WHERE product_id = \(bind: retired.productID) AND number = \(bind: retired.number)
            """).first() {
            let old = try row.enumeration("status", as: LotSerial.Status.self)
            guard old != .voided else { return }
            try await setStatus(db, lot: try row.int("id"), from: old, to: .voided, user: who, reason: reason, at: now)
            if let series = try row.optionalString("series"), let counter = try row.optionalInt("counter") {
                let article = try await db.raw("SELECT article FROM products WHERE id = \(bind: retired.productID)").first()?.string("article") ?? ""
                try await appendLedger(db, series: series, first: counter, last: counter, kind: .retired, reason: reason,
                                       reference: "\(article) \(retired.number)", at: now)
            }
        } else {
            // Never registered in the backup (a number of a reserved block): recorded as `lot void`
            // recorded it, with its series and its ledger entry, and the void in its history (the
            // row came back bare: the audit counted the number reserved and its history was
            // empty; found by a QA run).
            let article = try await db.raw("SELECT article FROM products WHERE id = \(bind: retired.productID)").first()?.string("article") ?? ""
            let (id, _) = try await insertNeverRegisteredVoid(db, productID: retired.productID, article: article, number: retired.number,
                                                              reason: reason, at: retired.retiredAt)
            try await setStatus(db, lot: id, from: .available, to: .voided, user: who, reason: reason, at: now)
        }
    }

    /// The rows of each of `tables` that exists (a component's tables may not be made yet).
    private static func count(_ db: any SQLDatabase, _ tables: [String]) async throws -> [String: Int] {
        guard !tables.isEmpty else { return [:] }
        let present = try await presentTables(db)
        var counts: [String: Int] = [:]
        for table in tables where present.contains(table) {
            counts[table] = try await db.raw("SELECT COUNT(*) AS n FROM \(ident: table)").first()?.int("n") ?? 0
        }
        return counts
    }

    /// The tables `db` has.
    private static func presentTables(_ db: any SQLDatabase) async throws -> Set<String> {
        if db.dialect.name == "postgresql" {
            return Set(try await db.raw("""
                SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()
                """).all().map { try $0.string("name") })
        }
        return Set(try await db.raw("SELECT name FROM sqlite_master WHERE type = 'table'").all().map { try $0.string("name") })
    }
}
