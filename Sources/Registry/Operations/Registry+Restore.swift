import Foundation
public import SQLKit
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
    /// API tokens revoked and badges withdrawn after the backup that stay so.
    public var revocationsKept: Int = 0
    /// Documents sent to accounting after the backup, still marked as sent.
    public var exportsKept: Int = 0
    /// Documents sent to accounting after the backup and lost with it: the accounting has them.
    public var exportedDocumentsLost: [String] = []
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
    /// the backup as the user knows it (`file` may be a migrated copy). `inside` runs last in the
    /// same transaction: what must change with the rows, never after them (the spool's database
    /// id, which a live service would otherwise read beside the backup's job ids).
    public func restore(from file: String, named: String? = nil,
                        inside: (@Sendable (any SQLDatabase) async throws -> Void)? = nil) async throws -> RestoreReport {
        guard let store = store as? SQLiteStore else {
            throw RegistryError(.unsupportedDatabase, "restore puts back an SQLite backup into an SQLite database; for PostgreSQL use pg_restore")
        }
        let state = Kept()
        let now = now
        let reason = Self.restoreReason(named ?? file)
        // What the database holds is noted before its rows are replaced, and kept after, in the
        // restore's one transaction: the same steps a PostgreSQL restore takes around pg_restore.
        let hooks = RestoreHooks(before: { db in
            state.guard_ = try await Self.readGuard(db, counting: [])
        }, after: { db in
            if let kept = state.guard_ {
                state.applied = try await Self.apply(kept, db, reason: reason, now: now)
            }
            try await inside?(db)
        })
        let tables = try await store.restore(from: file, hooks: hooks)
        guard let applied = state.applied else {
            return RestoreReport(tables: tables, series: [], retiredNumbersKept: 0, periodsOpened: [], periodsClosed: [])
        }
        return RestoreReport(tables: tables, series: applied.series, retiredNumbersKept: applied.retired, revocationsKept: applied.revoked,
                             exportsKept: applied.exportsKept, exportedDocumentsLost: applied.exportsLost,
                             periodsOpened: applied.opened, periodsClosed: applied.closed)
    }
}

/// What a restore's hooks hand one another within its transaction.
private final class Kept: @unchecked Sendable {
    private let lock = NSLock()
    private var kept: RestoreGuard?
    private var done: RestoreGuard.Applied?
    var guard_: RestoreGuard? {
        get { lock.withLock { kept } }
        set { lock.withLock { kept = newValue } }
    }
    var applied: RestoreGuard.Applied? {
        get { lock.withLock { done } }
        set { lock.withLock { done = newValue } }
    }
}
