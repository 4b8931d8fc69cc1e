import Foundation
import Registry
import SQLKit
import Store
import Testing
import TracemarkTesting

@Suite struct StorageTests {
    /// A full disk is said to be full, for the database and for a backup, with nothing written
    /// and no backup file left under its name (it read "disk I/O error", and a broken backup
    /// stayed that a retry refused as existing; found by a QA run). A real full file system: a
    /// tmpfs of 2 MB, which needs root to mount.
    @Test(.enabled(if: getuid() == 0, "needs root to mount a small tmpfs"))
    func aFullDiskIsSaidToBeFull() async throws {
        let folder = try Command.temporaryFolder("full-disk")
        defer { try? FileManager.default.removeItem(at: folder) }
        let disk = folder.appendingPathComponent("disk")
        try FileManager.default.createDirectory(at: disk, withIntermediateDirectories: true)
        guard try await Command.run("/bin/mount", ["-t", "tmpfs", "-o", "size=2m", "tmpfs", disk.path]).status == 0 else { return }
        do {
            try await fillAndWrite(disk, folder)
        } catch {
            _ = try? await Command.run("/bin/umount", [disk.path])
            throw error
        }
        _ = try await Command.run("/bin/umount", [disk.path])
    }

    private func fillAndWrite(_ disk: URL, _ folder: URL) async throws {
        let db = disk.appendingPathComponent("full.sqlite").path, elsewhere = folder.appendingPathComponent("live.sqlite").path
        #expect(try await Command.tracemark(["warehouse", "add", "MAIN", "--db", db]).status == 0)
        #expect(try await Command.tracemark(["warehouse", "add", "MAIN", "--db", elsewhere]).status == 0)
        _ = try await Command.run("/bin/dd", ["if=/dev/zero", "of=\(disk.path)/filler", "bs=1k", "count=4096"])
        let added = try await Command.tracemark(["warehouse", "add", "W2", "--db", db])
        #expect(added.status == 69 && added.stderr.contains("the disk holding SQLite database \(db) is full"), "\(added.stderr)")
        let backup = disk.appendingPathComponent("b.sqlite").path
        let copied = try await Command.tracemark(["backup", backup, "--db", elsewhere])
        #expect(copied.status == 69 && copied.stderr.contains("the disk holding it is full"), "\(copied.stderr)")
        #expect(!(try FileManager.default.contentsOfDirectory(atPath: disk.path)).contains { $0.contains("b.sqlite") })
    }

    @Test(arguments: Backend.available)
    func reopeningRunsNoMigrationTwiceAndKeepsTheData(backend: Backend) async throws {
        try await withRegistry(backend) { registry, database in
            _ = try await registry.addWarehouse(Warehouse(code: "MAIN"))
            let again = try await database.open()
            #expect(try await again.warehouses().map(\.code) == ["MAIN"])
            let versions = try await again.store.read { db in
                try await db.raw("SELECT version FROM tracemark_migrations").all().map { try $0.decode(column: "version", as: Int.self) }
            }
            #expect(versions == Array(1...15))
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
