import Foundation
import SQLKit
import Store
import Testing

/// The store's own SQLite connection (Sources/Store/SQLite): values as SQLKit binds and decodes
/// them, kept statements, and reads that start on the caller's thread and move when long.
@Suite struct SQLiteDriverTests {
    enum Colour: String, Codable, Sendable { case red, green }
    struct Note: Codable, Equatable, Sendable { let text: String; let count: Int }
    struct Record: Decodable, Equatable {
        let id: Int
        let name: String
        let ratio: Double
        let flag: Bool
        let missing: String?
        let colour: Colour
    }

    private func withStore(_ body: (SQLiteStore) async throws -> Void) async throws {
        try await RegistryTests.withStore(.sqlite, { try await SQLiteStore(path: $0.location) }, body)
    }

    /// A migration that asks for ids never given twice rebuilds the SQLite table with
    /// `AUTOINCREMENT`: its rows, later columns, indexes and the references to it (another
    /// table's, its own) are kept, foreign keys are on again after it, and an id freed by a
    /// delete is not given again.
    @Test func aTableRebuiltForIDsNeverReusedKeepsItsRowsIndexesAndReferences() async throws {
        try await withStore { store in
            let first = [
                SchemaMigration(version: 1, name: "jobs", statements: [
                    "CREATE TABLE jobs (id {id}, name TEXT NOT NULL, again {int} REFERENCES jobs(id))",
                    "CREATE INDEX jobs_name ON jobs(name)",
                    "CREATE TABLE job_lines (id {id}, job_id {int} NOT NULL REFERENCES jobs(id), text TEXT NOT NULL)",
                ]),
                SchemaMigration(version: 2, name: "a later column", statements: ["ALTER TABLE jobs ADD COLUMN state TEXT NOT NULL DEFAULT 'queued'"]),
            ]
            try await store.migrate(ledger: "t_migrations", component: "t", migrations: first, now: "2026-01-01T00:00:00Z")
            try await store.write { db in
                try await db.raw("INSERT INTO jobs (id, name, again, state) VALUES (1, 'a', NULL, 'done'), (2, 'b', 1, 'queued'), (3, 'c', NULL, 'queued')").run()
                try await db.raw("INSERT INTO job_lines (job_id, text) VALUES (1, 'x'), (2, 'y')").run()
                try await db.raw("DELETE FROM jobs WHERE id = 3").run()
            }
            let all = first + [SchemaMigration(version: 3, name: "ids never again", statements: [], idsNeverReused: ["jobs"])]
            let plan = try await store.plan(ComponentSchema(component: "t", ledger: "t_migrations", migrations: all))
            #expect(plan.pending.map(\.version) == [3] && plan.pending[0].statements.first?.contains("rebuild jobs") == true, "\(plan)")
            try await store.migrate(ledger: "t_migrations", component: "t", migrations: all, now: "2026-01-01T00:00:00Z")

            let (definition, indexes, rows, lines, keys) = try await store.write { db in
                (try await db.raw("SELECT sql FROM sqlite_master WHERE name = 'jobs'").first()?.decode(column: "sql", as: String.self) ?? "",
                 try await db.raw("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'jobs'").all().map { try $0.decode(column: "name", as: String.self) },
                 try await db.raw("SELECT id, name, again, state FROM jobs ORDER BY id").all().map {
                     "\(try $0.decode(column: "id", as: Int.self)) \(try $0.decode(column: "name", as: String.self)) \(try $0.decode(column: "again", as: Int?.self) ?? 0) \(try $0.decode(column: "state", as: String.self))"
                 },
                 try await db.raw("SELECT sql FROM sqlite_master WHERE name = 'job_lines'").first()?.decode(column: "sql", as: String.self) ?? "",
                 try await db.raw("PRAGMA foreign_keys").first()?.decode(column: "foreign_keys", as: Int.self))
            }
            #expect(definition.contains("CREATE TABLE \"jobs\" (id INTEGER PRIMARY KEY AUTOINCREMENT") || definition.contains("CREATE TABLE jobs (id INTEGER PRIMARY KEY AUTOINCREMENT"), "\(definition)")
            #expect(definition.contains("REFERENCES jobs(id)") && definition.contains("state TEXT"), "\(definition)")
            #expect(indexes == ["jobs_name"])
            #expect(rows == ["1 a 0 done", "2 b 1 queued"])
            #expect(lines.contains("REFERENCES jobs(id)"), "\(lines)")
            #expect(keys == 1)
            // Referenced rows stay guarded, and the highest id the table held (2, deleted since)
            // is not given again (3, deleted before the migration, is: no record of it was left).
            await #expect(throws: (any Error).self) {
                try await store.write { db in try await db.raw("INSERT INTO job_lines (job_id, text) VALUES (9, 'z')").run() }
            }
            let next = try await store.write { db in
                try await db.raw("DELETE FROM job_lines WHERE job_id = 2").run()
                try await db.raw("DELETE FROM jobs WHERE id = 2").run()
                return try await db.raw("INSERT INTO jobs (name) VALUES ('d') RETURNING id").first()?.decode(column: "id", as: Int.self)
            }
            #expect(next == 3)
            // Run again: nothing pending, nothing rebuilt.
            try await store.migrate(ledger: "t_migrations", component: "t", migrations: all, now: "2026-01-01T00:00:00Z")
        }
    }

    @Test func valuesComeBackAsTheyWereBound() async throws {
        try await withStore { store in
            let bytes = Data([0, 1, 2, 255, 0])
            let instant = Date(timeIntervalSince1970: 1_796_000_000.25)
            let id = UUID()
            let note = Note(text: "a \"quoted\" ½", count: 3)
            try await store.write { db in
                try await db.raw("""
                    CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, ratio REAL, flag INTEGER, missing TEXT, colour TEXT,
                                    bytes BLOB, instant REAL, uuid TEXT, note TEXT, big INTEGER, empty TEXT)
                    """).run()
                try await db.raw("""
                    INSERT INTO t VALUES (\(bind: 7), \(bind: "Grüße\u{0}und mehr"), \(bind: 0.5), \(bind: true), \(bind: String?.none),
                        \(bind: Colour.green), \(bind: bytes), \(bind: instant), \(bind: id), \(bind: note), \(bind: Int64.max), \(bind: ""))
                    """).run()
            }
            let row = try #require(try await store.read { db in try await db.raw("SELECT * FROM t").first() })
            #expect(try row.decode(column: "name", as: String.self) == "Grüße\u{0}und mehr")
            #expect(try row.decode(column: "bytes", as: Data.self) == bytes)
            #expect(try row.decode(column: "instant", as: Date.self) == instant)
            #expect(try row.decode(column: "uuid", as: UUID.self) == id)
            #expect(try row.decode(column: "note", as: Note.self) == note)
            #expect(try row.decode(column: "big", as: Int64.self) == Int64.max)
            #expect(try row.decode(column: "empty", as: String.self) == "")
            #expect(try row.decodeNil(column: "missing"))
            #expect(try row.decode(column: "missing", as: Colour?.self) == nil)
            #expect(try row.decode(model: Record.self) == Record(id: 7, name: "Grüße\u{0}und mehr", ratio: 0.5, flag: true, missing: nil, colour: .green))
            #expect(row.allColumns.count == 12)
            #expect(throws: DecodingError.self) { try row.decode(column: "name", as: Int.self) }
            #expect(throws: DecodingError.self) { try row.decode(column: "no_such_column", as: Int.self) }
        }
    }

    @Test func aLongReadMovesToTheConnectionsThreadAndHandsOverEveryRowOnce() async throws {
        try await withStore { store in
            // Far more than the millisecond a read may take on the caller's thread: stopped there,
            // run again from the start on the connection's own thread.
            let count = 300_000
            let numbers = try await store.read { db in
                let rows = try await db.raw("""
                    WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < \(bind: count)) SELECT x FROM c
                    """).all()
                let after = try await db.raw("SELECT 41 + 1 AS answer").first()
                #expect(try after?.decode(column: "answer", as: Int.self) == 42)
                return try rows.map { try $0.decode(column: "x", as: Int.self) }
            }
            #expect(numbers == Array(1...count))
        }
    }

    @Test func aKeptStatementSeesAChangedSchema() async throws {
        try await withStore { store in
            try await store.write { db in
                try await db.raw("CREATE TABLE t (a INTEGER)").run()
                try await db.raw("INSERT INTO t VALUES (1)").run()
            }
            let before = try await store.read { db in try await db.raw("SELECT * FROM t").all() }
            #expect(before.first?.allColumns == ["a"])
            try await store.write { db in try await db.raw("ALTER TABLE t ADD COLUMN b TEXT DEFAULT 'x'").run() }
            // The same reader connections, the same SQL text.
            for _ in 0..<8 {
                let after = try await store.read { db in try await db.raw("SELECT * FROM t").all() }
                #expect(after.first?.allColumns == ["a", "b"])
                #expect(try after.first?.decode(column: "b", as: String.self) == "x")
            }
        }
    }

    /// A constraint refused is not the database busy: asking again changes nothing.
    @Test func aConstraintRefusedIsNotTransient() async throws {
        try await withStore { store in
            try await store.write { db in try await db.raw("CREATE TABLE t (name TEXT NOT NULL)").run() }
            do {
                try await store.write { db in try await db.raw("INSERT INTO t (name) VALUES (NULL)").run() }
                Issue.record("NULL was inserted")
            } catch {
                #expect(!DatabaseErrors.isTransient(error), "\(error)")
            }
        }
    }

    @Test func aFailedStatementSaysWhyAndLeavesTheConnectionUsable() async throws {
        try await withStore { store in
            try await store.write { db in
                try await db.raw("CREATE TABLE t (a TEXT UNIQUE)").run()
                try await db.raw("INSERT INTO t VALUES ('one')").run()
            }
            do {
                try await store.write { db in try await db.raw("INSERT INTO t VALUES ('one')").run() }
                Issue.record("a duplicate was inserted")
            } catch {
                #expect(DatabaseErrors.uniqueViolation(error) != nil)
                #expect(DatabaseErrors.readable(error)?.contains("UNIQUE constraint failed: t.a") == true)
            }
            await #expect(throws: SQLiteError.self) {
                try await store.read { db in try await db.raw("SELEKT 1").run() }
            }
            let rows = try await store.read { db in try await db.raw("SELECT a FROM t").all() }
            #expect(try rows.map { try $0.decode(column: "a", as: String.self) } == ["one"])
        }
    }

    @Test func readsGoOnWhileAnotherConnectionHoldsTheWriteLock() async throws {
        try await withStore { store in
            try await store.write { db in try await db.raw("CREATE TABLE t (a INTEGER)").run() }
            let (locked, signal) = AsyncStream.makeStream(of: Void.self)
            let (released, release) = AsyncStream.makeStream(of: Void.self)
            async let held: Void = store.write { db in
                try await db.raw("INSERT INTO t VALUES (1)").run()
                signal.yield()
                for await _ in released { break }
            }
            for await _ in locked { break }
            // WAL: readers see the last commit while the writer's transaction is open.
            let seen = try await store.read { db in try await db.raw("SELECT count(*) AS n FROM t").first()?.decode(column: "n", as: Int.self) }
            #expect(seen == 0)
            release.yield()
            try await held
            let after = try await store.read { db in try await db.raw("SELECT count(*) AS n FROM t").first()?.decode(column: "n", as: Int.self) }
            #expect(after == 1)
        }
    }
}
