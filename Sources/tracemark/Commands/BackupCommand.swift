import ArgumentParser
import Foundation
import Registry
import Store

/// `backup`: a consistent copy of the registry while the service runs.
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup", abstract: "Copy the database consistently, while the service runs (PostgreSQL: through pg_dump).",
        discussion: """
            The copy is one snapshot of every table (registry, print spool, stations), compacted; \
            writers go on meanwhile. Restore it with `tracemark restore FILE`. On PostgreSQL the \
            copy is pg_dump's archive (--format=custom) of the database, or of the schema its URL's \
            search_path names; pg_dump must be of the server's major version or newer.
            """)
    @OptionGroup var options: GlobalOptions
    @Argument(help: "The new backup file (refused if it exists).") var file: String

    func run() async throws {
        // A script whose variable was unset backed up "" every night, told it had, and kept nothing.
        guard !file.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw ValidationError("the backup's file name is empty: name a new file for the backup; nothing was backed up")
        }
        let folder = URL(fileURLWithPath: file).deletingLastPathComponent().path
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
            throw ValidationError("folder \(folder) does not exist: create it, or name a backup file in an existing folder; nothing was backed up")
        }
        // Either database: an existing file is never overwritten (a usage error, exit 64).
        guard !FileManager.default.fileExists(atPath: file) else { throw ValidationError("\(file) exists: name a new file for the backup") }
        if SQLStores.isPostgres(options.db) {
            try dumpPostgres()
        } else {
            try await backupSQLite()
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0
        try options.emit(["backup": file, "bytes": String(size)]) { "backed up \(SQLStores.redacted(options.db)) to \(file) (\(size) bytes)" }
    }

    /// pg_dump's archive of the database (or of the URL's schema), written whole or not at all.
    private func dumpPostgres() throws {
        let target = try PostgresTools.target(options.db)
        let partial = file + ".partial"
        try? FileManager.default.removeItem(atPath: partial)
        // A table's lock is waited for as long as the service's statements wait, not forever (a
        // backup behind another connection's lock never ended; found by a QA run).
        let arguments = ["--format=custom", "--file=\(partial)", "--dbname=\(target.uri)",
                         "--lock-wait-timeout=\(SQLiteStore.defaultBusyTimeoutMilliseconds)"] + (target.schema.map { ["--schema=\($0)"] } ?? [])
        let (status, errors, _) = try PostgresTools.run("pg_dump", arguments, password: target.password)
        guard status == 0 else {
            try? FileManager.default.removeItem(atPath: partial)
            if PostgresTools.lockTrouble(errors) {
                throw StoreError(.locked,
                    "pg_dump could not back up \(SQLStores.redacted(options.db)): another connection held a lock on a table for more than \(SQLiteStore.defaultBusyTimeoutMilliseconds) ms (\(PostgresTools.tail(errors))); no backup was written: try again")
            }
            throw RegistryError(.database, "pg_dump could not back up \(SQLStores.redacted(options.db)) (\(PostgresTools.tail(errors))); no backup was written")
        }
        try FileManager.default.moveItem(atPath: partial, toPath: file)
    }

    private func backupSQLite() async throws {
        try await options.withExistingRegistry { registry in
            guard let store = registry.store as? SQLiteStore else { throw ValidationError("backup needs an SQLite database") }
            try await store.backup(to: file)
        }
    }
}
