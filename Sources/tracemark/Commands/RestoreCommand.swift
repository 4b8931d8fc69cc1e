import ArgumentParser
import Foundation
import Registry
import SQLKit
import Store

/// `restore`: puts a backup back, whole or not at all.
struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore", abstract: "Restore a backup made by `tracemark backup` (PostgreSQL: through pg_restore).",
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
            PostgreSQL: the backup is pg_dump's archive (tracemark backup, or pg_dump --format=custom), \
            restored by pg_restore --clean --if-exists --single-transaction (one transaction: all or \
            nothing); then, in a second transaction, every series that went back is moved on in the \
            same way and what changed is said. If that second step fails, the message lists each \
            series and the number to set with `tracemark series set-next`.
            """)
    @OptionGroup var options: GlobalOptions
    @Argument(help: "The backup file.") var file: String

    func run() async throws {
        if SQLStores.isPostgres(options.db) { return try await restorePostgres() }
        let files = FileManager.default
        guard files.fileExists(atPath: file) else { throw ValidationError("backup \(file) does not exist") }
        if files.fileExists(atPath: options.db),
           URL(fileURLWithPath: file).resolvingSymlinksInPath().path == URL(fileURLWithPath: options.db).resolvingSymlinksInPath().path {
            throw ValidationError("backup \(file) is the database itself: name a backup made by `tracemark backup`")
        }
        try await Self.checkBackup(file)
        var report: RestoreReport?
        if files.fileExists(atPath: options.db) {
            // Both at this Tracemark's schema, every component's tables (a backup made before the
            // service first ran has no station or API tables yet): the backup in a copy of its own.
            let folder = files.temporaryDirectory.appendingPathComponent("tracemark-restore-\(UUID().uuidString)")
            try files.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? files.removeItem(at: folder) }
            let copy = folder.appendingPathComponent("backup.sqlite").path
            try files.copyItem(atPath: file, toPath: copy)
            // A refusal names the file given, not the copy (a QA run was told of a temporary path).
            func namingTheBackup(_ error: StoreError) -> StoreError {
                StoreError(error.code, error.message.replacingOccurrences(of: copy, with: file), cause: error.cause)
            }
            do { try await MigrateCommand.migrateAll(copy) } catch let error as StoreError { throw namingTheBackup(error) }
            try await MigrateCommand.migrateAll(options.db)
            try Self.checkWhole(file, tables: try await Self.sqliteTables(copy), expected: try await Self.sqliteTables(options.db),
                                into: .existing)
            // The spool's new id in the restore's own transaction: a live service that read the
            // backup's rows with the old id would number its events and a folder printer's files
            // as the database before (a CI run's event feed gave the restored scans the old id).
            do {
                report = try await options.withRegistry { registry in
                    try await registry.restore(from: copy, named: file, inside: Self.renewSpoolID)
                }
            } catch let error as StoreError {
                throw namingTheBackup(error)
            }
        } else {
            let folder = URL(fileURLWithPath: options.db).deletingLastPathComponent().path
            var isFolder: ObjCBool = false
            guard files.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
                throw ValidationError("folder \(folder) does not exist: create it, or name a database in an existing folder; nothing was restored")
            }
            try files.copyItem(atPath: file, toPath: options.db)
            do {
                // Checked above; opening it brings its schema to this Tracemark's. A backup that
                // lost a table (its ledger says it was made) is not migrated whole: refused, as
                // into an existing database, rather than failing at the first report that reads it.
                try await MigrateCommand.migrateAll(options.db)
                try Self.checkWhole(file, tables: try await Self.sqliteTables(options.db), expected: try await Self.freshTables(),
                                    into: .new)
            } catch {
                for suffix in ["", "-wal", "-shm"] { try? files.removeItem(atPath: options.db + suffix) }
                throw error
            }
            // A database of its own from now on, as after a restore into one that exists.
            try await options.withRegistry { registry in try await registry.store.write(Self.renewSpoolID) }
        }
        try options.emit(Restored(restored: file, into: options.db, tables: report?.tables, series: report?.series,
                                  retiredNumbersKept: report?.retiredNumbersKept, revocationsKept: report?.revocationsKept,
                                  periodsOpened: report?.periodsOpened,
                                  periodsClosed: report?.periodsClosed)) {
            ([("restored \(file) into \(options.db)")] + (report.map(Self.describe) ?? [])).joined(separator: "\n")
        }
    }

    /// The restored database is one of its own from now on: a new id for the spool (when it has
    /// its tables), so that a folder printer's files (named by database and job id) never replace
    /// the original's, whose job ids it will reach again, and the event feed's clients are told to
    /// reload.
    @Sendable static func renewSpoolID(_ db: any SQLDatabase) async throws {
        let spool = db.dialect.name == "postgresql"
            ? try await db.raw("""
                SELECT 1 AS x FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'spool_settings'
                """).first() != nil
            : try await db.raw("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'spool_settings'").first() != nil
        guard spool else { return }
        let id = UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        try await db.raw("UPDATE spool_settings SET value = \(bind: id) WHERE name = 'database_id'").run()
        // A job the backup caught on its way to a printer may have printed since: under the new
        // id, the check of a send in doubt cannot find it, and it printed again with no warning
        // (found by a QA run). It waits for an operator, marked as possibly printed.
        let now = Timestamp.string(Date())
        let why = "was being sent when the backup was made, and may have printed since: held by the restore so that it is not printed twice unseen; check the printer's output, then retry or cancel it"
        try await db.raw("""
            INSERT INTO print_job_events (job_id, at, state, message)
            SELECT id, \(bind: now), 'held', \(bind: why) FROM print_jobs WHERE state IN ('sending', 'printing')
            """).run()
        try await db.raw("""
            UPDATE print_jobs SET state = 'held', possibly_duplicated = 1, error = \(bind: why), batch = NULL, delivery = NULL
            WHERE state IN ('sending', 'printing')
            """).run()
    }

    /// pg_restore of a pg_dump archive, with the registry's numbers kept going on around it.
    private func restorePostgres() async throws {
        guard let handle = FileHandle(forReadingAtPath: file) else { throw ValidationError("backup \(file) does not exist or cannot be read") }
        let magic = (try? handle.read(upToCount: 5)) ?? nil
        try? handle.close()
        guard magic == Data("PGDMP".utf8) else {
            throw ValidationError("\(file) is not a pg_dump archive (--format=custom): make one with tracemark backup FILE; nothing was restored")
        }
        let target = try PostgresTools.target(options.db)
        // pg_restore writes an archive's tables into the schema they were dumped from, whatever
        // the URL says: restoring another schema's backup here would replace that schema, live,
        // and move this one's series on for nothing.
        let into = target.schema?.split(separator: ",").first.map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " \"")) } ?? "public"
        let archive = try PostgresTools.archiveListing(file)
        let schemas = archive.schemas
        guard schemas.isEmpty || schemas == [into] else {
            let from = schemas.sorted().joined(separator: ", ")
            throw ValidationError(
                "\(file) is a backup of schema \(from), and --db names schema \(into): pg_restore would write it into \(from), not \(into). Restore it with a URL whose search_path is \(from) (that schema's data is then replaced); nothing was restored")
        }
        // The database's tables, and the versions its migration ledgers hold, read at once.
        let (present, mine) = try await options.withRegistry { registry in
            try await registry.store.read { db in
                let present = Set(try await db.raw("""
                    SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'
                    """).all().map { try $0.decode(column: "table_name", as: String.self) })
                var versions: [String: [Int]] = [:]
                for ledger in present where ledger.hasSuffix("_migrations") {
                    versions[ledger] = try await db.raw("SELECT version FROM \(ident: ledger) ORDER BY version").all()
                        .map { try $0.decode(column: "version", as: Int.self) }
                }
                return (present, versions)
            }
        }
        // pg_restore --clean replaces only what the archive holds: a schema-only dump emptied every
        // table and left the migrations' ledger empty (the next open failed on tables that exist);
        // a dump of some tables put back those and left the others, the stock apart from its ledger.
        let withoutData = archive.tables.subtracting(archive.withData).sorted()
        guard withoutData.isEmpty else {
            throw ValidationError(
                "\(file) holds no rows of \(Self.some(withoutData)) (a pg_dump --schema-only or --exclude-table-data archive?): it is not a backup of the data; make one with tracemark backup FILE; nothing was restored")
        }
        try Self.checkWhole(file, tables: archive.tables, expected: present, into: .existing)
        // Of the same schema versions, as an SQLite restore is: a backup of a newer Tracemark was
        // put back, and this one then refused the database it had written (found by a QA run).
        let ledgers = mine.keys.sorted()
        let theirs = try PostgresTools.archiveVersions(file, ledgers: ledgers)
        for ledger in ledgers where (theirs[ledger] ?? []) != (mine[ledger] ?? []) {
            let list = { (versions: [Int]?) in versions.map { $0.map(String.init).joined(separator: ",") } ?? "none" }
            throw ValidationError(
                "\(file) has \(ledger) versions \(list(theirs[ledger])), this database \(list(mine[ledger])): restore it with pg_restore into a new, empty database, which Tracemark migrates when it opens it (a newer backup needs the newer Tracemark); nothing was restored")
        }
        let (file, db) = (self.file, options.db)
        let report = try await options.withRegistry { registry in
            // No number is taken, in any process, from before the series are noted until they are
            // moved on again after pg_restore: taken meanwhile, it was handed out a second time
            // (found by a QA run). A posting that waits longer than lock_timeout gives up.
            try await registry.holdingNumbers {
                // Every table's rows, as an SQLite restore counts them (warehouses and partners
                // were left out of the summary; found by a QA run).
                let kept = try await registry.restoreGuard(counting: present.subtracting(ledgers).sorted())
                // Each lock waited for as long as the service's statements wait: it waited forever
                // behind a lock another connection held (found by a QA run). The archive sets
                // lock_timeout to 0 itself, so a watch cancels pg_restore's statement once it has
                // waited that long.
                let application = "tracemark-restore-\(getpid())"
                // Detached: the command waits for pg_restore on its own thread, blocking it.
                let watch = Task.detached { try await PostgresTools.cancelWhenLockedOut(db, application: application) }
                let (status, errors, _) = try PostgresTools.run("pg_restore", ["--clean", "--if-exists", "--single-transaction", "--dbname=\(target.uri)", file],
                                                             password: target.password, application: application)
                watch.cancel()
                let cancelled = (try? await watch.value) ?? false
                guard status == 0 else {
                    if cancelled || PostgresTools.lockTrouble(errors) {
                        throw StoreError(.locked,
                            "pg_restore could not restore \(file): another connection (the running service, or a long transaction) held a lock it needs, or deadlocked with it (\(PostgresTools.tail(errors))); it ran in one transaction, so nothing was restored: try again, or stop the service for the restore")
                    }
                    throw RegistryError(.invalidInput,
                        "pg_restore could not restore \(file) into \(SQLStores.redacted(db)) (\(PostgresTools.tail(errors))); it ran in one transaction, so nothing was restored")
                }
                // A new spool id with the series moved on, as for SQLite. pg_restore has committed
                // the backup's rows already; the gate keeps every number from being taken until
                // this has, and it is tried again before the gate opens.
                var failure: (any Error)?
                for _ in 0..<3 {
                    do { return try await registry.keep(kept, restoredFrom: file, inside: Self.renewSpoolID) } catch { failure = error }
                }
                let moves = kept.reached.map { "tracemark series set-next \($0.series) \($0.next) --reason 'after restore'" }
                let why = failure.map { DatabaseErrors.readable($0) ?? "\($0)" } ?? "?"
                throw RegistryError(.database,
                    "pg_restore restored \(file), but moving the number series on failed (\(why)): stop every process that takes numbers, and set each series where it had got before any number is taken: \(moves.joined(separator: "; "))",
                    cause: failure)
            }
        }
        try options.emit(Restored(restored: file, into: SQLStores.redacted(options.db), tables: report.tables, series: report.series,
                                  retiredNumbersKept: report.retiredNumbersKept, revocationsKept: report.revocationsKept,
                                  periodsOpened: report.periodsOpened,
                                  periodsClosed: report.periodsClosed)) {
            (["restored \(file) into \(SQLStores.redacted(options.db))"] + Self.describe(report)).joined(separator: "\n")
        }
    }

    /// Refuses a backup that lacks tables the database it goes into has (a table dropped from an
    /// SQLite backup, a pg_dump of some tables): a restore puts back every table or none.
    enum Target {
        /// A database that exists: its tables are replaced.
        case existing
        /// A new database, made from the backup.
        case new
    }

    static func checkWhole(_ file: String, tables: Set<String>, expected: Set<String>, into target: Target) throws {
        guard tables.contains("tracemark_migrations") else {
            throw ValidationError("\(file) is not a Tracemark backup: it has no registry tables; nothing was restored")
        }
        let missing = expected.subtracting(tables).sorted()
        guard missing.isEmpty else {
            let (into, advice) = switch target {
            case .existing: ("this database",
                "a restore puts back every table or none, so it needs a backup of the whole database (tracemark backup FILE; one made before the service first ran there has no station tables: restore it into a new, empty database)")
            case .new: ("a new database", "it is not a whole backup made by tracemark backup")
            }
            throw ValidationError("backup \(file) lacks \(Self.some(missing)), which \(into) has: \(advice); nothing was restored")
        }
    }

    /// "table movements", "tables a, b and 3 more".
    static func some(_ tables: [String]) -> String {
        let named = tables.prefix(6).joined(separator: ", ")
        return (tables.count == 1 ? "table " : "tables ") + named + (tables.count > 6 ? " and \(tables.count - 6) more" : "")
    }

    /// The tables of an SQLite file.
    static func sqliteTables(_ path: String) async throws -> Set<String> {
        let store = try await SQLiteStore(path: path, readers: 1, readOnly: true)
        do {
            let names = try await store.read { db in
                try await db.raw("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all()
                    .map { try $0.decode(column: "name", as: String.self) }
            }
            await store.close()
            return Set(names)
        } catch {
            await store.close()
            throw error
        }
    }

    /// The tables every component of this Tracemark makes in a new database.
    static func freshTables() async throws -> Set<String> {
        let files = FileManager.default
        let folder = files.temporaryDirectory.appendingPathComponent("tracemark-schema-\(UUID().uuidString)")
        try files.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? files.removeItem(at: folder) }
        let path = folder.appendingPathComponent("new.sqlite").path
        try await MigrateCommand.migrateAll(path)
        return try await sqliteTables(path)
    }

    /// Refuses a file that is not a Tracemark backup (another SQLite database, a damaged file)
    /// before anything is copied or replaced.
    static func checkBackup(_ file: String) async throws {
        let unreadable = ValidationError("cannot open the backup \(file): it is not an SQLite database, or it is damaged; nothing was restored")
        let store: SQLiteStore
        do {
            store = try await SQLiteStore(path: file, readers: 1, readOnly: true)
        } catch {
            throw unreadable
        }
        do {
            let check = try await store.integrityCheck()
            guard check == ["ok"] else {
                throw ValidationError("backup \(file) is damaged (SQLite integrity check: \(check.prefix(3).joined(separator: "; "))): nothing was restored")
            }
            let registry = try await store.read { db in
                try await db.raw("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'tracemark_migrations'").first() != nil
            }
            guard registry else { throw ValidationError("\(file) is not a Tracemark backup: it has no registry tables; nothing was restored") }
        } catch {
            await store.close()
            if error is ValidationError { throw error }
            throw unreadable
        }
        await store.close()
    }

    struct Restored: Encodable {
        var restored: String
        var into: String
        var tables: [RestoredTable]?
        var series: [KeptSeries]?
        var retiredNumbersKept: Int?
        var revocationsKept: Int? = nil
        var periodsOpened: [String]?
        var periodsClosed: [String]?
    }

    /// The tables a user knows, in words, for what a restore changed.
    static let tableNames: [(table: String, name: String)] = [
        ("documents", "documents"), ("lot_serials", "lots and serials"), ("movements", "stock movements"),
        ("print_jobs", "print jobs"), ("station_scans", "station scans"), ("recalls", "recalls"),
        ("products", "products"), ("station_operators", "operator badges"), ("api_tokens", "API tokens"),
        // The rest in words too: the summary showed a user table names (a QA run).
        ("lot_serial_events", "status changes of lots and serials"), ("print_job_events", "print job history entries"),
        ("series_entries", "number series ledger entries"), ("station_task_lines", "lines of open station tasks"),
        ("closed_periods", "closed months"), ("period_balances", "closing balances of months"),
        ("accounting_exports", "documents marked as sent to accounting"), ("stock", "stock balances"),
        ("station_run_units", "production run units"), ("station_tasks", "station tasks"),
        ("lot_serial_attributes", "attributes of lots and serials"), ("genealogy", "production links"),
        ("lot_serial_attribute_events", "attribute changes of lots and serials"),
        ("warehouses", "warehouses"), ("partners", "suppliers and customers"), ("lot_serial_classes", "lot/serial classes"),
        ("number_series", "number series"), ("printers", "printers"),
    ]

    /// What the restore replaced (the rows written since the backup are gone) and the series it
    /// kept going on.
    static func describe(_ report: RestoreReport) -> [String] {
        let counts = Dictionary(report.tables.map { ($0.table, $0) }, uniquingKeysWith: { first, _ in first })
        var lines: [String] = []
        let known = tableNames.compactMap { entry -> String? in
            guard let count = counts[entry.table], count.before != count.after else { return nil }
            return "\(entry.name) \(count.before) → \(count.after)"
        }
        let others = report.tables.filter { table in table.before != table.after && !tableNames.contains { $0.table == table.table } }
            .map { "\($0.table) \($0.before) → \($0.after)" }
        if known.isEmpty && others.isEmpty {
            // Counts only: a row changed since the backup (a status, a GTIN) is the backup's again.
            lines.append("every table had as many rows as the backup has (rows changed since the backup are as the backup has them)")
        } else {
            lines.append("replaced what the database held (rows before → after): " + (known + others).joined(separator: ", "))
        }
        for kept in report.series {
            let one = kept.first == kept.last
            let range = one ? "number \(kept.first) was" : "numbers \(kept.first)–\(kept.last) were"
            lines.append("series \(kept.series)\(kept.madeAfterBackup ? " (made after the backup, kept)" : ""): \(range) taken after the backup, "
                         + "so the series never hands \(one ? "it" : "them") out again and goes on from \(kept.last + 1) "
                         + "(a unit that carries one is received by its number)")
        }
        if report.retiredNumbersKept > 0 {
            lines.append("\(report.retiredNumbersKept) number(s) voided after the backup (lot void) stay voided")
        }
        if report.exportsKept > 0 {
            lines.append("\(report.exportsKept) document(s) sent to accounting after the backup stay marked as sent: the next export does not send them again")
        }
        if !report.exportedDocumentsLost.isEmpty {
            lines.append("documents \(report.exportedDocumentsLost.joined(separator: ", ")) were sent to accounting after the backup and are lost with the restore: the accounting has them; post them again here, and do not export them twice")
        }
        if report.revocationsKept > 0 {
            lines.append("\(report.revocationsKept) API token(s) revoked or badge(s) withdrawn after the backup stay so")
        }
        for period in report.periodsOpened {
            lines.append("period \(period) was closed after the backup and is open again: close it once what was lost is posted again")
        }
        for period in report.periodsClosed {
            lines.append("period \(period) was reopened after the backup and is closed again, as in the backup")
        }
        return lines
    }
}
