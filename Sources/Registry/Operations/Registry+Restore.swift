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
    /// numbers in between are voided in its ledger with the reason.
    public func restore(from file: String) async throws -> RestoreReport {
        guard let store = store as? SQLiteStore else {
            throw RegistryError(.unsupportedDatabase, "restore puts back an SQLite backup into an SQLite database; for PostgreSQL use pg_restore")
        }
        let kept = Kept()
        let now = now
        let reason = "taken after the backup \((file as NSString).lastPathComponent) was made and lost with its restore: never taken again"
        let hooks = RestoreHooks(before: { db in
            try await db.raw("DROP TABLE IF EXISTS temp.restore_series").run()
            try await db.raw("CREATE TEMP TABLE restore_series AS SELECT * FROM main.number_series").run()
        }, after: { db in
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
        return RestoreReport(tables: tables, series: kept.all)
    }
}

/// The series a restore kept, gathered in its transaction.
private final class Kept: @unchecked Sendable {
    private let lock = NSLock()
    private var series: [KeptSeries] = []
    func append(_ one: KeptSeries) { lock.withLock { series.append(one) } }
    var all: [KeptSeries] { lock.withLock { series } }
}
