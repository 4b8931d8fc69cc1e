import ArgumentParser
import Foundation
import Registry
import SQLKit
import Store

/// `restore`: puts a backup back, whole or not at all.
struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore", abstract: "Restore an SQLite backup made by `tracemark backup` (PostgreSQL: pg_restore).",
        discussion: """
            Into a database that does not exist yet, the backup is copied and migrated to this \
            Tracemark's schema. Into an existing one, every table's rows are replaced in one \
            transaction (the service may run; it sees the backup's data once it commits); the backup \
            must then be of the same schema versions. A damaged backup is refused and nothing changes. \
            The restored database gets a new spool id: a folder printer names its files by it, so the \
            copy's labels never replace the original's (a service running on it picks it up when restarted). \
            The restore says what it replaced (documents, lots and serials, print jobs … before → after), \
            and it never sets a number series back: numbers taken since the backup are on labels and \
            documents already, so they are voided in the series' ledger and the series goes on after them.
            PostgreSQL: \(PostgresBackup.restore)
            """)
    @OptionGroup var options: GlobalOptions
    @Argument(help: "The backup file.") var file: String

    func run() async throws {
        guard !SQLStores.isPostgres(options.db) else { throw ValidationError("for PostgreSQL, use pg_restore: \(PostgresBackup.restore)") }
        let files = FileManager.default
        guard files.fileExists(atPath: file) else { throw ValidationError("backup \(file) does not exist") }
        var report: RestoreReport?
        if files.fileExists(atPath: options.db) {
            report = try await options.withRegistry { registry in try await registry.restore(from: file) }
        } else {
            try files.copyItem(atPath: file, toPath: options.db)
            do {
                // Opening it checks it and brings its schema to this Tracemark's.
                try await options.withRegistry { registry in
                    let check = try await (registry.store as? SQLiteStore)?.integrityCheck() ?? ["ok"]
                    guard check == ["ok"] else { throw ValidationError("backup \(file) is damaged: \(check.prefix(3).joined(separator: "; "))") }
                }
            } catch {
                for suffix in ["", "-wal", "-shm"] { try? files.removeItem(atPath: options.db + suffix) }
                throw error
            }
        }
        // The restored copy is a database of its own from now on: a new id for the spool, so that
        // a folder printer's files (named by database and job id) of the copy never replace the
        // original's, whose job ids the copy will reach again.
        try await options.withRegistry { registry in
            try await registry.store.write { db in
                let spool = try await db.raw("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'spool_settings'").first() != nil
                guard spool else { return }
                let id = UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
                try await db.raw("UPDATE spool_settings SET value = \(bind: id) WHERE name = 'database_id'").run()
            }
        }
        try options.emit(Restored(restored: file, into: options.db, tables: report?.tables, series: report?.series)) {
            ([("restored \(file) into \(options.db)")] + (report.map(Self.describe) ?? [])).joined(separator: "\n")
        }
    }

    struct Restored: Encodable {
        var restored: String
        var into: String
        var tables: [RestoredTable]?
        var series: [KeptSeries]?
    }

    /// The tables a user knows, in words, for what a restore changed.
    static let tableNames: [(table: String, name: String)] = [
        ("documents", "documents"), ("lot_serials", "lots and serials"), ("movements", "stock movements"),
        ("print_jobs", "print jobs"), ("station_scans", "station scans"), ("recalls", "recalls"),
        ("products", "products"), ("station_operators", "operator badges"), ("api_tokens", "API tokens"),
    ]

    /// What the restore replaced (the rows written since the backup are gone) and the series it
    /// kept going on.
    static func describe(_ report: RestoreReport) -> [String] {
        let counts = Dictionary(report.tables.map { ($0.table, $0) }, uniquingKeysWith: { first, _ in first })
        var lines: [String] = []
        let changed = tableNames.compactMap { entry -> String? in
            guard let count = counts[entry.table], count.before != count.after else { return nil }
            return "\(entry.name) \(count.before) → \(count.after)"
        }
        let others = report.tables.filter { table in table.before != table.after && !tableNames.contains { $0.table == table.table } }.count
        if changed.isEmpty && others == 0 {
            lines.append("the database had the same number of rows in every table as the backup")
        } else {
            lines.append("replaced what the database held (rows before → after): " + changed.joined(separator: ", ")
                         + (others > 0 ? (changed.isEmpty ? "" : "; ") + "\(others) more table(s) changed" : ""))
        }
        for kept in report.series {
            let one = kept.first == kept.last
            let range = one ? "number \(kept.first) was" : "numbers \(kept.first)–\(kept.last) were"
            lines.append("series \(kept.series)\(kept.madeAfterBackup ? " (made after the backup, kept)" : ""): \(range) taken after the backup, "
                         + "so \(one ? "it is" : "they are") voided and never taken again; it goes on from \(kept.last + 1)")
        }
        return lines
    }
}
