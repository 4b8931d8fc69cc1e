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
            copy's labels never replace the original's (a service running on it picks it up when restarted).
            PostgreSQL: \(PostgresBackup.restore)
            """)
    @OptionGroup var options: GlobalOptions
    @Argument(help: "The backup file.") var file: String

    func run() async throws {
        guard !SQLStores.isPostgres(options.db) else { throw ValidationError("for PostgreSQL, use pg_restore: \(PostgresBackup.restore)") }
        let files = FileManager.default
        guard files.fileExists(atPath: file) else { throw ValidationError("backup \(file) does not exist") }
        if files.fileExists(atPath: options.db) {
            try await options.withRegistry { registry in
                guard let store = registry.store as? SQLiteStore else { throw ValidationError("restore needs an SQLite database") }
                try await store.restore(from: file)
            }
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
        try options.emit(["restored": file, "into": options.db]) { "restored \(file) into \(options.db)" }
    }
}
