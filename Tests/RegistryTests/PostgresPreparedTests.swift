import Foundation
import PostgresNIO
import SQLKit
@testable import Store
import Testing
import TracemarkTesting

/// Statements kept prepared per PostgreSQL connection (Sources/Store/PostgresPreparedDatabase):
/// the same answers as unnamed ones, and a failure never sticks to the connection.
@Suite(.enabled(if: Backend.postgresURL != nil, "needs the PostgreSQL server make test starts"))
struct PostgresPreparedTests {
    /// One connection, so that every statement below meets the same prepared statements.
    private func withStore(_ body: (PostgresStore) async throws -> Void) async throws {
        try await RegistryTests.withStore(.postgres, { try await PostgresStore(url: $0.location, connections: 1) }, body)
    }

    /// A statement refused for what it asked (a value out of range) is not the database out of
    /// reach: asking again changes nothing, so it is not answered "try again later" (exit 69, 503).
    @Test func aStatementRefusedForItsValuesIsNotTransient() async throws {
        try await withStore { store in
            do {
                _ = try await store.read { db in try await db.raw("SELECT \(bind: Int.max)::bigint + 1 AS n").first() }
                Issue.record("the sum past 64 bits was answered")
            } catch {
                #expect(!DatabaseErrors.isTransient(error))
                #expect(DatabaseErrors.readable(error)?.contains("bigint out of range (SQLSTATE 22003)") == true, "\(error)")
            }
        }
    }

    /// Two transactions taking two rows in opposite orders deadlock; PostgreSQL ends one, and
    /// `writeRetryingDeadlocks` runs it again: both commit, nothing counted twice (documents
    /// whose lines named the same lots in other orders were refused with 503; a QA run). The
    /// steps wait for each other's locks, never for a time.
    @Test func aDeadlockVictimRunsAgainAndBothCommit() async throws {
        try await RegistryTests.withStore(.postgres, { try await PostgresStore(url: $0.location, connections: 3) }) { store in
            try await store.write { db in
                try await db.raw("CREATE TABLE probe (id integer PRIMARY KEY, n integer NOT NULL)").run()
                try await db.raw("INSERT INTO probe VALUES (1, 0), (2, 0)").run()
            }
            let both = Rendezvous(2)
            let attempts = Counter()
            func crossing(_ first: Int, _ second: Int) async throws {
                try await store.writeRetryingDeadlocks { db in
                    await attempts.add()
                    try await db.raw("UPDATE probe SET n = n + 1 WHERE id = \(bind: first)").run()
                    await both.arrive()  // each holds its first row; a run again passes at once
                    try await db.raw("UPDATE probe SET n = n + 1 WHERE id = \(bind: second)").run()
                }
            }
            async let one: Void = crossing(1, 2)
            async let other: Void = crossing(2, 1)
            _ = try await (one, other)
            let counts = try await store.read { db in try await db.raw("SELECT n FROM probe ORDER BY id").all().map { try $0.decode(column: "n", as: Int.self) } }
            #expect(counts == [2, 2])
            #expect(await attempts.value >= 3, "a deadlock was broken, so one ran again")
        }
    }

    /// A connection the server ends (a restart, an administrator's pg_terminate_backend) is
    /// said as such, and as transient: not "PostgreSQL refused a statement", which the README
    /// keeps for a statement of ours the server refused (found by a QA run restarting the server).
    @Test func aConnectionTheServerEndsIsNotAStatementRefused() async throws {
        try await RegistryTests.withStore(.postgres, { try await PostgresStore(url: $0.location, connections: 2) }) { store in
            async let sleeping: Void = store.read { db in _ = try await db.raw("SELECT pg_sleep(30) AS x").first() }
            // The other connection ends it once it sleeps (no wall time bounded: it waits for the state).
            try await store.read { db in
                var pid: Int?
                while pid == nil {
                    pid = try await db.raw("""
                        SELECT pid FROM pg_stat_activity
                        WHERE pid <> pg_backend_pid() AND datname = current_database() AND query LIKE 'SELECT pg_sleep(30)%'
                        """).first()?.decode(column: "pid", as: Int.self)
                    if pid == nil { try await Task.sleep(for: .milliseconds(20)) }
                }
                _ = try await db.raw("SELECT pg_terminate_backend(CAST(\(bind: try #require(pid)) AS integer)) AS ended").first()
            }
            do {
                try await sleeping
                Issue.record("the ended connection's statement was answered")
            } catch {
                #expect(DatabaseErrors.isTransient(error), "\(String(reflecting: error))")
                let words = DatabaseErrors.readable(error) ?? "\(error)"
                #expect(!words.contains("refused a statement"), "\(words)")
                #expect(words.contains("closed") && words.contains("try again"), "\(words)")
            }
        }
    }

    /// Kept statements are planned once (their generic plan), unless the URL asks otherwise.
    @Test func keptStatementsArePlannedOnceUnlessTheURLSaysOtherwise() async throws {
        try await RegistryTests.withStore(.postgres, { try await PostgresStore(url: $0.location, connections: 1) }) { store in
            let mode = try await store.read { db in try await db.raw("SHOW plan_cache_mode").first()?.decode(column: "plan_cache_mode", as: String.self) }
            #expect(mode == "force_generic_plan")
        }
        try await RegistryTests.withStore(.postgres, { database in
            try await PostgresStore(url: database.location + (database.location.contains("?") ? "&" : "?") + "plan_cache_mode=auto", connections: 1)
        }) { store in
            let mode = try await store.read { db in try await db.raw("SHOW plan_cache_mode").first()?.decode(column: "plan_cache_mode", as: String.self) }
            #expect(mode == "auto")
        }
    }

    @Test func aKeptStatementGivesEachRunsOwnValues() async throws {
        try await withStore { store in
            try await store.write { db in
                try await db.raw("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, note TEXT, ratio DOUBLE PRECISION)").run()
                for id in 1...20 {
                    try await db.raw("""
                        INSERT INTO t (id, name, note, ratio) VALUES (\(bind: id), \(bind: "n\(id)"), \(bind: id % 2 == 0 ? "even" : nil as String?), \(bind: Double(id) / 4))
                        """).run()
                }
            }
            for id in 1...20 {
                let row = try #require(try await store.read { db in
                    try await db.raw("SELECT name, note, ratio FROM t WHERE id = \(bind: id)").first()
                })
                #expect(try row.decode(column: "name", as: String.self) == "n\(id)")
                #expect(try row.decode(column: "note", as: String?.self) == (id % 2 == 0 ? "even" : nil))
                #expect(try row.decode(column: "ratio", as: Double.self) == Double(id) / 4)
            }
        }
    }

    /// A connection the server closed between two statements (a server stopping, a backend
    /// terminated) fails the next statement at once. PostgresNIO lost a statement written to a
    /// channel that had closed, and its caller waited forever, cancelled or not: a printer
    /// worker's drain then never ended.
    @Test(.hangGuard)
    func aStatementOnAConnectionTheServerClosedFailsAtOnce() async throws {
        let database = try await TestDatabase.make(.postgres)
        let store = try await PostgresStore(url: database.location, connections: 2)
        let attempt = Task {
            try await store.write { db in
                let pid = try #require(try await db.raw("SELECT pg_backend_pid() AS pid").first()).decode(column: "pid", as: Int.self)
                // The other connection ends this one's server process, as a fast shutdown does.
                try await store.read { other in try await other.raw("SELECT pg_terminate_backend(\(bind: pid)::integer)").run() }
                // Once closed, the channel has dropped its handlers: a statement written now goes nowhere.
                let connection = try #require(db as? PostgresPreparedDatabase).connection
                try await connection.closeFuture.get()
                try await db.raw("SELECT 1 AS one").run()
            }
        }
        // A lost statement ignores cancellation: stop waiting for it at the time limit, and leave
        // the store (whose connection it holds) as it is.
        guard let outcome = await Self.result(of: attempt) else {
            Issue.record("the statement on the closed connection never ended")
            return
        }
        #expect {
            try outcome.get()
        } throws: { error in
            let error = try #require(error as? StoreError)
            return error.code == .unavailable && error.message.contains("has closed")
        }
        // The pool replaces the closed connection.
        let one = try await store.read { db in try await db.raw("SELECT 1 AS one").first()?.decode(column: "one", as: Int.self) }
        #expect(one == 1)
        await store.close()
        await database.drop()
    }

    /// `task`'s result, or nil once this task is cancelled (a test's time limit) first.
    private static func result<T: Sendable>(of task: Task<T, any Error>) async -> Result<T, any Error>? {
        let (results, delivery) = AsyncStream<Result<T, any Error>>.makeStream()
        Task { delivery.yield(await task.result) }
        // An AsyncStream's iterator ends when the waiting task is cancelled.
        for await result in results { return result }
        return nil
    }

    @Test func aStatementThatFailedInAFailedTransactionRunsAgainAfterIt() async throws {
        try await withStore { store in
            try await store.write { db in try await db.raw("CREATE TABLE t (name TEXT UNIQUE)").run() }
            try await store.write { db in try await db.raw("INSERT INTO t (name) VALUES (\(bind: "one"))").run() }
            // The duplicate fails the transaction; a statement never run on this connection is
            // then refused at its preparation, which PostgresNIO would keep for its name.
            do {
                try await store.write { db in
                    try await db.raw("INSERT INTO t (name) VALUES (\(bind: "one"))").run()
                }
                Issue.record("a duplicate was inserted")
            } catch {
                #expect(DatabaseErrors.uniqueViolation(error) != nil)
            }
            await #expect(throws: (any Error).self) {
                try await store.write { db in
                    do { try await db.raw("INSERT INTO t (name) VALUES (\(bind: "one"))").run() } catch {}
                    _ = try await db.raw("SELECT count(*) AS n FROM t WHERE name <> \(bind: "never run before")").first()
                }
            }
            let count = try await store.read { db in
                try await db.raw("SELECT count(*) AS n FROM t WHERE name <> \(bind: "never run before")").first()?.decode(column: "n", as: Int.self)
            }
            #expect(count == 1)
        }
    }

    @Test func aColumnAddedLaterIsSeenByStatementsThatNameTheirColumns() async throws {
        try await withStore { store in
            try await store.write { db in
                try await db.raw("CREATE TABLE t (a INTEGER)").run()
                try await db.raw("INSERT INTO t (a) VALUES (1)").run()
            }
            for _ in 0..<6 {
                let all = try await store.read { db in try await db.raw("SELECT * FROM t").all() }
                #expect(all.first?.allColumns == ["a"])
                #expect(try await store.read { db in try await db.raw("SELECT a FROM t WHERE a = \(bind: 1)").all() }.count == 1)
            }
            try await store.write { db in try await db.raw("ALTER TABLE t ADD COLUMN b TEXT DEFAULT 'x'").run() }
            let all = try await store.read { db in try await db.raw("SELECT * FROM t").all() }
            #expect(all.first?.allColumns == ["a", "b"])
            let named = try await store.read { db in try await db.raw("SELECT a, b FROM t WHERE a = \(bind: 1)").first() }
            #expect(try named?.decode(column: "b", as: String.self) == "x")
        }
    }

    /// Strings and integers are read from a kept statement's cells directly (PostgresQuickRow),
    /// whatever their width; anything else, and every refusal, is PostgresKit's as before.
    @Test func cellsReadBackAsTheirValuesAndRefusalsSayWhy() async throws {
        try await withStore { store in
            for round in 0..<2 {  // the second run meets the statement kept
                let row = try #require(try await store.read { db in
                    try await db.raw("""
                        SELECT \(bind: 7)::smallint AS i2, 70000::integer AS i4, \(bind: Int.min) AS i8, NULL::bigint AS none,
                               'text'::text AS t, \(bind: "väri")::varchar AS v, 'n'::name AS n, 'ab'::char(3) AS c,
                               NULL::text AS nothing, 2.5::double precision AS d, true AS b, 12.50::numeric AS money,
                               \(bind: round) AS round
                        """).first()
                })
                #expect(try row.decode(column: "i2", as: Int.self) == 7)
                #expect(try row.decode(column: "i4", as: Int?.self) == 70000)
                #expect(try row.decode(column: "i8", as: Int.self) == Int.min)
                #expect(try row.decode(column: "none", as: Int?.self) == nil)
                #expect(try row.decode(column: "t", as: String.self) == "text")
                #expect(try row.decode(column: "v", as: String?.self) == "väri")
                #expect(try row.decode(column: "n", as: String.self) == "n")
                #expect(try row.decode(column: "c", as: String.self) == "ab ")
                #expect(try row.decode(column: "nothing", as: String?.self) == nil)
                #expect(try row.decode(column: "d", as: Double.self) == 2.5)
                #expect(try row.decode(column: "b", as: Bool.self) == true)
                #expect(try row.decode(column: "money", as: Double.self) == 12.5)
                #expect(try row.decode(column: "round", as: Int.self) == round)
                #expect(try row.decodeNil(column: "nothing") && !row.decodeNil(column: "t"))
                #expect(row.contains(column: "i8") && !row.contains(column: "absent"))
                #expect(row.allColumns.count == 13)
                // A null where a value is needed, text read as a number, a column not selected.
                #expect(throws: (any Error).self) { try row.decode(column: "nothing", as: String.self) }
                #expect(throws: (any Error).self) { try row.decode(column: "none", as: Int.self) }
                #expect(throws: (any Error).self) { try row.decode(column: "t", as: Int.self) }
                #expect(throws: (any Error).self) { try row.decode(column: "absent", as: String?.self) }
            }
        }
    }
}

/// Waits until `count` callers have arrived; after that, everyone passes at once.
private actor Rendezvous {
    private var waiting: [CheckedContinuation<Void, Never>] = []
    private var arrived = 0
    private let count: Int

    init(_ count: Int) { self.count = count }

    func arrive() async {
        arrived += 1
        if arrived >= count {
            for continuation in waiting { continuation.resume() }
            waiting.removeAll()
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }
}

private actor Counter {
    private(set) var value = 0
    func add() { value += 1 }
}
