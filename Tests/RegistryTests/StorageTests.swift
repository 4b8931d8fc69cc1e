import Foundation
import Registry
import SQLKit
import Store
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
            #expect(versions == Array(1...12))
            await again.close()
        }
    }

    @Test func aLockedSQLiteDatabaseIsReportedPlainlyAndNothingIsWritten() async throws {
        let database = try await TestDatabase.make(.sqlite)
        defer { Task { await database.drop() } }
        let holder = try await Registry(store: try await SQLiteStore(path: database.location))
        let waiter = try await Registry(store: try await SQLiteStore(path: database.location, busyTimeoutMilliseconds: 200))
        // The holder keeps its write transaction open until the waiter has been refused: no
        // sleep decides the order, whatever the machine's speed.
        let (locked, signal) = AsyncStream.makeStream(of: Void.self)
        let (released, release) = AsyncStream.makeStream(of: Void.self)
        async let held: Void = holder.store.write { db in
            try await db.raw("INSERT INTO warehouses (code, name) VALUES ('HOLDER', '')").run()
            signal.yield()
            for await _ in released { break }
        }
        for await _ in locked { break }
        await expectStoreError(.locked, "is locked by another process", "200 ms", "nothing was written") {
            _ = try await waiter.addWarehouse(Warehouse(code: "WAITER"))
        }
        release.yield()
        try await held
        _ = try await waiter.addWarehouse(Warehouse(code: "LATER"))
        #expect(try await waiter.warehouses().map(\.code) == ["HOLDER", "LATER"])
        await holder.close()
        await waiter.close()
    }

    @Test func anUnsupportedOrUnreachableDatabaseIsNamed() async {
        await expectStoreError(.unsupported, "mysql://x", "only postgres:// URLs and SQLite file paths") {
            _ = try await Registry.open("mysql://x")
        }
        await expectStoreError(.unsupported, "mysql://root:***@db/x") {
            _ = try await Registry.open("mysql://root:secret@db/x")
        }
        await expectStoreError(.unavailable, "cannot open SQLite database /nonexistent-folder/x.sqlite") {
            _ = try await Registry.open("/nonexistent-folder/x.sqlite")
        }
        await expectStoreError(.unavailable, "cannot connect to PostgreSQL at postgres://nobody:***@127.0.0.1:1/none (Connection refused)") {
            _ = try await Registry.open("postgres://nobody:secret@127.0.0.1:1/none")
        }
    }
}
