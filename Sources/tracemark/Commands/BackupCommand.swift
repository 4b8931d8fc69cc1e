import ArgumentParser
import Foundation
import Registry
import Store

/// `backup`: a consistent copy of the SQLite registry while the service runs.
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup", abstract: "Copy the SQLite database consistently, while the service runs (PostgreSQL: pg_dump).",
        discussion: """
            The copy is one snapshot of every table (registry, print spool, stations), compacted; \
            writers go on meanwhile. Restore it with `tracemark restore FILE`.
            PostgreSQL: \(PostgresBackup.dump)
            """)
    @OptionGroup var options: GlobalOptions
    @Argument(help: "The new backup file (refused if it exists).") var file: String

    func run() async throws {
        guard !SQLStores.isPostgres(options.db) else { throw ValidationError("for PostgreSQL, use pg_dump: \(PostgresBackup.dump)") }
        try await options.withRegistry { registry in
            guard let store = registry.store as? SQLiteStore else { throw ValidationError("backup needs an SQLite database") }
            try await store.backup(to: file)
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0
        try options.emit(["backup": file, "bytes": String(size)]) { "backed up \(options.db) to \(file) (\(size) bytes)" }
    }
}

/// How the README and the commands tell a PostgreSQL user to back up and restore.
enum PostgresBackup {
    static let dump = "pg_dump --format=custom --file=tracemark.dump \"$TRACEMARK_DB\""
    static let restore = "pg_restore --clean --if-exists --single-transaction --dbname=\"$TRACEMARK_DB\" tracemark.dump"
}
