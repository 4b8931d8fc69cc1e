import Foundation
import SQLKit
public import Store

/// A restore of a backup into this database (``Registry/restore(from:)``): what it replaced, and
/// the numbers it kept from being taken twice.
public struct RestoreReport: Codable, Sendable {
    /// Each table's rows before and after.
    public var tables: [RestoredTable]
    /// The series whose numbers went back with the backup, each kept at the number it had reached.
    public var series: [KeptSeries]
    /// Numbers voided after the backup (`lot void`: a damaged label) that stay voided.
    public var retiredNumbersKept: Int
    /// Months closed after the backup, open again (their kept balances came from lost documents).
    public var periodsOpened: [String]
    /// Months reopened after the backup, closed again as the backup has them.
    public var periodsClosed: [String]
}

/// A number series the restore would have set back: the numbers `first`…`last` were taken after
/// the backup was made (on labels, documents, pre-printed rolls), so they are voided and the
/// series goes on from `last + 1`, as it would have without the restore.
public struct KeptSeries: Codable, Hashable, Sendable {
    public var series: String
    public var first: Int
    public var last: Int
    /// The series was made after the backup: it is kept (without what used it), so that one made
    /// again under its code goes on from where it was.
    public var madeAfterBackup: Bool
}

extension Registry {
    /// Replaces every table's rows with those of the SQLite backup `file`, in one transaction
    /// (``SQLiteStore/restore(from:hooks:)``), without ever setting a number series back: numbers
    /// taken since the backup are on labels and documents already, and a series that handed them
    /// out again would duplicate them. Each such series keeps the number it had reached, and the
    /// numbers in between are voided in its ledger with the reason. Numbers voided since the
    /// backup (a damaged label) stay voided; the closed months that change are named. `named` is
    /// the backup as the user knows it (`file` may be a migrated copy).
    public func restore(from file: String, named: String? = nil) async throws -> RestoreReport {
        guard let store = store as? SQLiteStore else {
            throw RegistryError(.unsupportedDatabase, "restore puts back an SQLite backup into an SQLite database; for PostgreSQL use pg_restore")
        }
        let kept = Kept()
        let now = now
        let reason = "taken after the backup \(((named ?? file) as NSString).lastPathComponent) was made and lost with its restore: never taken again"
        let hooks = RestoreHooks(before: { db in
            for (temp, table) in [("restore_series", "number_series"), ("restore_retired", "retired_numbers"), ("restore_periods", "closed_periods")] {
                try await db.raw("DROP TABLE IF EXISTS temp.\(unsafeRaw: temp)").run()
                try await db.raw("CREATE TEMP TABLE \(unsafeRaw: temp) AS SELECT * FROM main.\(unsafeRaw: table)").run()
            }
        }, after: { db in
            // A number voided for good (its label damaged) stays voided, whatever the backup says.
            let retired = try await db.raw("""
                INSERT INTO main.retired_numbers (product_id, number, reason, retired_at)
                SELECT r.product_id, r.number, r.reason, r.retired_at FROM temp.restore_retired r
                WHERE EXISTS (SELECT 1 FROM main.products p WHERE p.id = r.product_id)
                  AND NOT EXISTS (SELECT 1 FROM main.retired_numbers m WHERE m.product_id = r.product_id AND m.number = r.number)
                RETURNING number
                """).all().count
            let opened = try await db.raw("""
                SELECT period FROM temp.restore_periods WHERE period NOT IN (SELECT period FROM main.closed_periods) ORDER BY period
                """).all().map { try $0.string("period") }
            let closed = try await db.raw("""
                SELECT period FROM main.closed_periods WHERE period NOT IN (SELECT period FROM temp.restore_periods) ORDER BY period
                """).all().map { try $0.string("period") }
            kept.note(retired: retired, opened: opened, closed: closed)
            try await db.raw("DROP TABLE temp.restore_retired").run()
            try await db.raw("DROP TABLE temp.restore_periods").run()
            let behind = try await db.raw("""
                SELECT r.code, r.description, r.format, r.start_value, r.next_value, r.built_in, r.purpose, s.next_value AS restored
                FROM temp.restore_series r LEFT JOIN main.number_series s ON s.code = r.code
                WHERE s.code IS NULL OR s.next_value < r.next_value ORDER BY r.code
                """).all()
            for row in behind {
                let code = try row.string("code"), reached = try row.int("next_value")
                let restored = try row.optionalInt("restored")
                if restored != nil {
                    try await db.raw("UPDATE main.number_series SET next_value = \(bind: reached) WHERE code = \(bind: code)").run()
                } else {
                    try await db.raw("""
                        INSERT INTO main.number_series (code, description, format, start_value, next_value, built_in, purpose)
                        VALUES (\(bind: code), \(bind: try row.string("description")), \(bind: try row.string("format")),
                                \(bind: try row.int("start_value")), \(bind: reached), \(bind: try row.int("built_in")),
                                \(bind: try row.string("purpose")))
                        """).run()
                }
                let first = try restored ?? row.int("start_value")
                guard first < reached else { continue }
                try await db.raw("""
                    INSERT INTO main.series_entries (series, first_value, last_value, kind, reason, reference, created_at)
                    VALUES (\(bind: code), \(bind: first), \(bind: reached - 1), 'voided', \(bind: reason), 'restore', \(bind: now))
                    """).run()
                kept.append(KeptSeries(series: code, first: first, last: reached - 1, madeAfterBackup: restored == nil))
            }
            try await db.raw("DROP TABLE temp.restore_series").run()
        })
        let tables = try await store.restore(from: file, hooks: hooks)
        let notes = kept.notes
        return RestoreReport(tables: tables, series: kept.all, retiredNumbersKept: notes.retired, periodsOpened: notes.opened,
                             periodsClosed: notes.closed)
    }
}

/// The series a restore kept, gathered in its transaction.
private final class Kept: @unchecked Sendable {
    private let lock = NSLock()
    private var series: [KeptSeries] = []
    private var noted: (retired: Int, opened: [String], closed: [String]) = (0, [], [])
    func append(_ one: KeptSeries) { lock.withLock { series.append(one) } }
    var all: [KeptSeries] { lock.withLock { series } }
    func note(retired: Int, opened: [String], closed: [String]) { lock.withLock { noted = (retired, opened, closed) } }
    var notes: (retired: Int, opened: [String], closed: [String]) { lock.withLock { noted } }
}
