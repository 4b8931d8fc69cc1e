import Foundation
import Logging
public import SQLKit

/// The embedded database: one SQLite file in WAL mode.
///
/// Writes go through one connection in this process (SQLite has one writer at a time anyway),
/// each in `BEGIN IMMEDIATE` so that another process's writer makes it wait up to the busy
/// timeout instead of failing half-way. Reads use their own connections and see the last commit.
/// Durability: `synchronous = FULL`, so a committed number survives a power cut.
public final class SQLiteStore: SQLStore {
    public let kind = DatabaseKind.sqlite
    public let location: String
    /// How long a write waits by default for another process's write lock before giving up.
    public static let defaultBusyTimeoutMilliseconds = 5000
    /// How much of the database file each connection reads through a memory map instead of
    /// `pread` (SQLite's own ceiling, about 2 GiB): a look-up or resolution on a registry of a
    /// million numbers (560 MB) then copies no page through the kernel. The mapped pages are the
    /// kernel's page cache, shared by every connection and dropped under memory pressure.
    static let mappedBytes = 2_147_418_112
    private let busyTimeoutMilliseconds: Int
    private let logger = Logger(label: "tracemark.store.sqlite")

    /// Each connection has a thread of its own (SQLite calls block: a busy wait for another
    /// writer, an fsync), and an operation's body runs on it: see ``ConnectionThread``.
    private let writer: ConnectionPool<SQLiteConnection>
    private let readers: ConnectionPool<SQLiteConnection>

    /// `readOnly`: opened only to read (`migrate --check`): nothing is created or changed, not
    /// even the journal mode of a database that is not in WAL mode yet; a write fails.
    public init(path: String, readers readerCount: Int = 4,
                busyTimeoutMilliseconds: Int = SQLiteStore.defaultBusyTimeoutMilliseconds, readOnly: Bool = false) async throws {
        self.location = path
        self.busyTimeoutMilliseconds = busyTimeoutMilliseconds
        let logger = logger
        let open: @Sendable (String) async throws -> SQLiteConnection = { name in
            let connection: SQLiteConnection
            do {
                connection = try await SQLiteConnection.open(path: path, name: name, busyTimeoutMilliseconds: busyTimeoutMilliseconds,
                                                             readOnly: readOnly)
            } catch {
                throw StoreError(.unavailable, "cannot open SQLite database \(path): check that its folder exists and is writable", cause: error)
            }
            let db = SQLiteDatabase(connection: connection, logger: logger)
            let pragmas = ["PRAGMA journal_mode = WAL", "PRAGMA synchronous = FULL", "PRAGMA foreign_keys = ON", "PRAGMA mmap_size = \(Self.mappedBytes)"]
            for pragma in readOnly ? Array(pragmas.dropFirst()) : pragmas {
                do {
                    try await db.raw(SQLQueryString(pragma)).run()
                } catch {
                    await connection.close()
                    throw SQLiteStore.translate(error, path: path, busyTimeoutMilliseconds: busyTimeoutMilliseconds)
                }
            }
            return connection
        }
        let close: @Sendable (SQLiteConnection) async -> Void = { await $0.close() }
        self.writer = ConnectionPool(maximum: 1, open: { try await open("sqlite writer") }, close: close, isUsable: { !$0.isClosed })
        self.readers = ConnectionPool(maximum: readerCount, open: { try await open("sqlite reader") }, close: close,
                                      isUsable: { !$0.isClosed })
        // Open the writer now, so that a bad path fails here with a clear message.
        do {
            try await writer.with { _ in }
        } catch {
            await self.close()
            throw error
        }
    }

    /// Runs `body` with `connection`: on the connection's thread (its statements run there one
    /// after the other, without a hop per statement), or, for a read (`inline`), where the caller
    /// runs, each statement moving to the connection's thread when it proves long
    /// (``SQLiteConnection``).
    private func on<T: Sendable>(_ connection: SQLiteConnection, inline: Bool = false,
                                 _ body: (any SQLDatabase) async throws -> T) async throws -> T {
        let db = SQLiteDatabase(connection: connection, logger: logger)
        do {
            if inline {
                connection.startsInline = true
                defer { connection.startsInline = false }
                return try await body(db)
            }
            return try await withTaskExecutorPreference(connection.thread) { try await body(db) }
        } catch {
            throw Self.translate(error, path: location, busyTimeoutMilliseconds: busyTimeoutMilliseconds)
        }
    }

    public func write<T: Sendable>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        let asked = ContinuousClock.now
        return try await writer.with { connection in
            // The busy timeout bounds the whole wait for the write lock: time spent queued
            // behind this process's own writes, each waiting for another process's lock, counts
            // (a scan over HTTP waited 15 to 30 s behind the printer workers' writes; a QA run).
            let waited = (ContinuousClock.now - asked).components
            let queued = Int(waited.seconds) * 1000 + Int(waited.attoseconds / 1_000_000_000_000_000)
            guard queued > 0 else {
                return try await on(connection) { db in try await db.transaction(begin: "BEGIN IMMEDIATE", body) }
            }
            // A tenth of it at least: another process's short write still gets its turn.
            connection.limitBusyTimeout(milliseconds: max(busyTimeoutMilliseconds - queued, busyTimeoutMilliseconds / 10))
            defer { connection.restoreBusyTimeout() }
            return try await on(connection) { db in try await db.transaction(begin: "BEGIN IMMEDIATE", body) }
        }
    }

    public func rebuildingWrite<T: Sendable>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        try await writer.with { connection in
            try await on(connection) { db in
                // A no-op inside a transaction: set before it begins, and back on after.
                try await db.raw("PRAGMA foreign_keys = OFF").run()
                do {
                    let result = try await db.transaction(begin: "BEGIN IMMEDIATE") { db in
                        let result = try await body(db)
                        let broken = try await db.raw("PRAGMA foreign_key_check").all()
                        if let first = broken.first {
                            throw StoreError(.unsupported, """
                                \(broken.count) row(s) would reference rows that are not there after the migration (first in table \
                                \((try? first.decode(column: "table", as: String.self)) ?? "?")); nothing was changed
                                """)
                        }
                        return result
                    }
                    try await db.raw("PRAGMA foreign_keys = ON").run()
                    return result
                } catch {
                    try? await db.raw("PRAGMA foreign_keys = ON").run()
                    throw error
                }
            }
        }
    }

    public func read<T: Sendable>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        try await readers.with { connection in try await on(connection, inline: true, body) }
    }

    public func snapshot<T: Sendable>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        try await readers.with { connection in
            // WAL: a deferred transaction reads one snapshot from its first statement on.
            try await on(connection) { db in try await db.transaction(begin: "BEGIN", body) }
        }
    }

    /// Writes a consistent copy of the database to `path` while other connections go on reading
    /// and writing (`VACUUM INTO`: one read snapshot, compacted). Refused when `path` exists.
    public func backup(to path: String) async throws {
        guard !FileManager.default.fileExists(atPath: path) else {
            throw StoreError(.unsupported, "backup \(path) exists already: choose a new file, so that no backup is overwritten")
        }
        // Written under a name of its own and renamed when whole: a backup that failed (a full
        // disk, the process killed) left a broken file under the backup's name, and the retry
        // was refused as "exists" (found by a QA run).
        let url = URL(fileURLWithPath: path)
        let partial = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).partial").path
        func removePartial() {
            for suffix in ["", "-journal", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: partial + suffix) }
        }
        try await readers.with { connection in
            do {
                try await SQLiteDatabase(connection: connection, logger: logger).raw("VACUUM INTO \(bind: partial)").run()
            } catch {
                removePartial()
                if let free = Self.freeSpace(near: path), free < 1 << 20 {
                    throw StoreError(.unavailable, "cannot write the backup \(path): the disk holding it is full (\(free) bytes free); no backup was written",
                                     cause: error)
                }
                throw StoreError(.unavailable, "cannot write the backup \(path): check that its folder exists and is writable; no backup was written",
                                 cause: error)
            }
        }
        do {
            try FileManager.default.moveItem(atPath: partial, toPath: path)
        } catch {
            removePartial()
            throw StoreError(.unavailable, "cannot write the backup \(path) (\(error.localizedDescription)); no backup was written", cause: error)
        }
    }

    /// SQLite's integrity check: `["ok"]`, or what is wrong.
    public func integrityCheck() async throws -> [String] {
        try await read { db in try await Self.integrityCheck(db, schema: "main") }
    }

    /// SQLite's integrity check of one attached schema (`main`, `backup`).
    private static func integrityCheck(_ db: any SQLDatabase, schema: String) async throws -> [String] {
        try await db.raw("PRAGMA \(unsafeRaw: schema).integrity_check").all().map { try $0.decode(column: "integrity_check", as: String.self) }
    }

    /// Replaces the rows of every table with those of the backup at `path`, in one transaction:
    /// readers see the old data until it commits, then the backup's. The backup must pass
    /// SQLite's integrity check and have the same tables, columns and schema versions (tables
    /// named `*_migrations`) as this database; otherwise nothing is changed. `hooks` run in the
    /// same transaction (a component keeping what must outlive the restore); the answer counts
    /// each table's rows before and after.
    @discardableResult
    public func restore(from path: String, hooks: RestoreHooks = RestoreHooks()) async throws -> [RestoredTable] {
        guard FileManager.default.fileExists(atPath: path) else {
            throw StoreError(.unavailable, "backup \(path) does not exist")
        }
        return try await writer.with { connection in
            let db = SQLiteDatabase(connection: connection, logger: logger)
            do {
                try await db.raw("ATTACH DATABASE \(bind: path) AS backup").run()
            } catch {
                throw StoreError(.unavailable, "cannot open the backup \(path) as an SQLite database", cause: error)
            }
            do {
                let counts = try await Self.restoreAttached(db, path: path, hooks: hooks)
                try await db.raw("DETACH DATABASE backup").run()
                return counts
            } catch {
                try? await db.raw("DETACH DATABASE backup").run()
                throw Self.translate(error, path: location, busyTimeoutMilliseconds: busyTimeoutMilliseconds)
            }
        }
    }

    private static func restoreAttached(_ db: any SQLDatabase, path: String, hooks: RestoreHooks) async throws -> [RestoredTable] {
        let check: [String]
        do {
            check = try await integrityCheck(db, schema: "backup")
        } catch {
            throw StoreError(.unsupported, "cannot open the backup \(path): it is not an SQLite database, or it is damaged; nothing was restored",
                             cause: error)
        }
        guard check == ["ok"] else {
            throw StoreError(.unsupported, "backup \(path) is damaged (SQLite integrity check: \(check.prefix(3).joined(separator: "; "))): nothing was restored")
        }
        func tables(_ schema: String) async throws -> [String] {
            try await db.raw("""
                SELECT name FROM \(unsafeRaw: schema).sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name
                """).all().map { try $0.decode(column: "name", as: String.self) }
        }
        func columns(_ schema: String, _ table: String) async throws -> [String] {
            try await db.raw("PRAGMA \(unsafeRaw: schema).table_info(\(ident: table))").all().map { try $0.decode(column: "name", as: String.self) }
        }
        let mine = try await tables("main")
        let theirs = try await tables("backup")
        guard Set(mine) == Set(theirs) else {
            let missing = Set(mine).subtracting(theirs).sorted(), extra = Set(theirs).subtracting(mine).sorted()
            throw StoreError(.unsupported,
                "backup \(path) does not have this database's tables (missing: \(missing.joined(separator: ", ")); extra: \(extra.joined(separator: ", "))): restore it into a new file instead, where it is migrated when opened")
        }
        for ledger in mine where ledger.hasSuffix("_migrations") {
            func versions(_ schema: String) async throws -> [Int] {
                try await db.raw("SELECT version FROM \(unsafeRaw: schema).\(ident: ledger) ORDER BY version").all()
                    .map { try $0.decode(column: "version", as: Int.self) }
            }
            let (now, then) = (try await versions("main"), try await versions("backup"))
            guard now == then else {
                throw StoreError(.unsupported,
                    "backup \(path) has \(ledger) versions \(then.map(String.init).joined(separator: ",")), this database \(now.map(String.init).joined(separator: ",")): restore it into a new file instead, where it is migrated when opened")
            }
        }
        return try await db.transaction(begin: "BEGIN IMMEDIATE") { db in
            // Rows come back in any order: references are checked at commit.
            try await db.raw("PRAGMA defer_foreign_keys = ON").run()
            func count(_ table: String) async throws -> Int {
                try await db.raw("SELECT COUNT(*) AS n FROM main.\(ident: table)").first()?.decode(column: "n", as: Int.self) ?? 0
            }
            try await hooks.before(db)
            var counts: [RestoredTable] = []
            for table in mine {
                let names = try await columns("main", table)
                guard Set(names) == Set(try await columns("backup", table)) else {
                    throw StoreError(.unsupported, "backup \(path): table \(table) has other columns than this database's; nothing was restored")
                }
                let list = names.map { "\"\($0)\"" }.joined(separator: ", ")
                let before = try await count(table)
                try await db.raw("DELETE FROM main.\(ident: table)").run()
                try await db.raw("INSERT INTO main.\(ident: table) (\(unsafeRaw: list)) SELECT \(unsafeRaw: list) FROM backup.\(ident: table)").run()
                counts.append(RestoredTable(table: table, before: before, after: 0))
            }
            try await hooks.after(db)
            // Counted after the hooks: what they keep (a series made after the backup) is in the
            // database the restore leaves, and in its count.
            for index in counts.indices { counts[index].after = try await count(counts[index].table) }
            return counts
        }
    }

    public func close() async {
        await writer.shutdown()
        await readers.shutdown()
    }

    /// The bytes free for this user on the file system that holds `path` (or its folder).
    static func freeSpace(near path: String) -> Int? {
        let folder = (path as NSString).deletingLastPathComponent
        let attributes = (try? FileManager.default.attributesOfFileSystem(forPath: path))
            ?? (try? FileManager.default.attributesOfFileSystem(forPath: folder.isEmpty ? "." : folder))
        return (attributes?[.systemFreeSize] as? NSNumber)?.intValue
    }

    static func translate(_ error: any Error, path: String, busyTimeoutMilliseconds: Int) -> any Error {
        guard let error = error as? SQLiteError else { return error }
        if error.isBusy {
            return StoreError(.locked,
                "SQLite database \(path) is locked by another process for more than \(busyTimeoutMilliseconds) ms; nothing was written: try again, or find the process that holds it (fuser \(path))",
                cause: error)
        }
        if error.cannotWrite {
            return StoreError(.unavailable, "SQLite database \(path) cannot be written: check the file's and folder's permissions", cause: error)
        }
        // SQLITE_IOERR (10), SQLITE_FULL (13). A full disk reads as SQLITE_FULL only when SQLite itself ran out; a write that could not
        // even begin says "disk I/O error", which sent operators looking for a hardware fault
        // (found by a QA run). The folder's free space tells which it is.
        if [10, 13].contains(error.primaryCode), let free = freeSpace(near: path), free < 1 << 20 {
            return StoreError(.unavailable,
                "the disk holding SQLite database \(path) is full (\(free) bytes free): free some space, then try again; nothing was written",
                cause: error)
        }
        // SQLITE_NOTADB: a configuration file or anything else given as the database.
        if error.code & 0xFF == 26 {
            return StoreError(.unavailable,
                "\(path) is not an SQLite database (\(error.message)): give --db a Tracemark SQLite file (created when missing) or a postgres:// URL",
                cause: error)
        }
        return error
    }
}

/// Work a component does in a restore's transaction (``SQLiteStore/restore(from:hooks:)``), with
/// the backup attached as schema `backup`: `before` while `main` still holds the rows being
/// replaced, `after` once it holds the backup's.
public struct RestoreHooks: Sendable {
    public var before: @Sendable (any SQLDatabase) async throws -> Void
    public var after: @Sendable (any SQLDatabase) async throws -> Void

    public init(before: @escaping @Sendable (any SQLDatabase) async throws -> Void = { _ in },
                after: @escaping @Sendable (any SQLDatabase) async throws -> Void = { _ in }) {
        self.before = before
        self.after = after
    }
}

/// A table's rows before a restore and after it.
public struct RestoredTable: Codable, Hashable, Sendable {
    public var table: String
    public var before: Int
    public var after: Int

    public init(table: String, before: Int, after: Int) {
        self.table = table
        self.before = before
        self.after = after
    }
}
