import Foundation
import Registry
import SQLKit
import Testing

@Suite struct StorageTests {
    @Test(arguments: Backend.available)
    func reopeningRunsNoMigrationTwiceAndKeepsTheData(backend: Backend) async throws {
        try await withRegistry(backend) { registry, database in
            _ = try await registry.addWarehouse(Warehouse(code: "MAIN"))
            let again = try await database.open()
            #expect(try await again.warehouses().map(\.code) == ["MAIN"])
            let versions = try await again.store.read { db in
                try await db.raw("SELECT version FROM tracemark_migrations").all().map { try $0.decode(column: "version", as: Int.self) }
            }
            #expect(versions == [1])
            await again.close()
        }
    }

    @Test func aLockedSQLiteDatabaseIsReportedPlainlyAndNothingIsWritten() async throws {
        let database = try await TestDatabase.make(.sqlite)
        defer { Task { await database.drop() } }
        let holder = try await Registry(store: try await SQLiteStore(path: database.location))
        let waiter = try await Registry(store: try await SQLiteStore(path: database.location, busyTimeoutMilliseconds: 200))
        let (locked, signal) = AsyncStream.makeStream(of: Void.self)
        async let held: Void = holder.store.write { db in
            try await db.raw("INSERT INTO warehouses (code, name) VALUES ('HOLDER', '')").run()
            signal.yield()
            try await Task.sleep(for: .seconds(1.5))
        }
        for await _ in locked { break }
        await expectRefusal(.databaseLocked, "is locked by another process", "200 ms", "nothing was written") {
            _ = try await waiter.addWarehouse(Warehouse(code: "WAITER"))
        }
        try await held
        _ = try await waiter.addWarehouse(Warehouse(code: "LATER"))
        #expect(try await waiter.warehouses().map(\.code) == ["HOLDER", "LATER"])
        await holder.close()
        await waiter.close()
    }

    @Test func anUnsupportedOrUnreachableDatabaseIsNamed() async {
        await expectRefusal(.unsupportedDatabase, "mysql://x", "only postgres:// URLs and SQLite file paths") {
            _ = try await Registry.open("mysql://x")
        }
        await expectRefusal(.database, "cannot open SQLite database /nonexistent-folder/x.sqlite") {
            _ = try await Registry.open("/nonexistent-folder/x.sqlite")
        }
        await expectRefusal(.database, "cannot connect to PostgreSQL at postgres://nobody@127.0.0.1:1/none") {
            _ = try await Registry.open("postgres://nobody@127.0.0.1:1/none")
        }
    }
}
