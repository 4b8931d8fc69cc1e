import Foundation
import Registry
import SQLKit
import Store
import Testing
import TracemarkTesting

/// A database made by an earlier Tracemark opens in this one; one made by a later one is refused.
@Suite struct UpgradeTests {
    /// `Tests/Fixtures/registry-v3.sqlite`: the demo's registry, spool, stations and API tables at
    /// registry schema 3 (made by `tracemark demo` and `tracemark migrate`). Every later release
    /// migrates it in its tests; add a fixture for each new schema rather than replacing this one.
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/registry-v3.sqlite")

    @Test func aDatabaseOfSchemaThreeIsMigratedAndKeepsItsData() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tracemark-upgrade-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let db = folder.appendingPathComponent("old.sqlite").path
        try FileManager.default.copyItem(atPath: Self.fixture.path, toPath: db)
        // A certificate as schema 3 kept it: whole, in the attachment's row (schema 7 keeps parts).
        let certificate = "certificate of analysis, kept whole by schema 3"
        let digest = try await Self.sha256(certificate)
        try await Command.check("sqlite3", [db, """
            INSERT INTO lot_serial_attachments (lot_serial_id, file_name, media_type, size, sha256, content, created_at)
            SELECT MIN(id), 'coa.txt', 'text/plain', \(certificate.utf8.count), '\(digest)', CAST('\(certificate)' AS BLOB), '2026-11-01T00:00:00Z'
            FROM lot_serials
            """])

        let check = try await Command.tracemark(["migrate", "--check", "--json", "--db", db])
        #expect(check.status == 0, "\(check.stderr)")
        let plans = try #require(try JSONSerialization.jsonObject(with: Data(check.stdout.utf8)) as? [[String: Any]])
        #expect(plans.compactMap { $0["component"] as? String } == ["registry", "printing", "stations", "server"])
        #expect(plans.allSatisfy { ($0["applied"] as? [Int])?.isEmpty == false }, "\(plans)")
        let migrated = try await Command.tracemark(["migrate", "--db", db])
        #expect(migrated.status == 0, "\(migrated.stderr)")
        let again = try await Command.tracemark(["migrate", "--check", "--db", db])
        #expect(again.stdout.split(separator: "\n").allSatisfy { $0.hasSuffix("up to date") }, "\(again.stdout)")

        let registry = try await Registry.open(db)
        defer { Task { await registry.close() } }
        try await BackupTests.expectConsistent(registry)
        let sold = try await registry.history(product: "PUMP-200", number: "SN1000006")
        #expect(sold.entries.map(\.what) == ["receipt", "issue"])
        #expect(try await registry.lotSerial(product: "PUMP-200", number: "SN1000003")?.status == .voided)
        #expect(try await registry.document("RCT-000001").movements.count >= 3)
        let (attachment, content) = try await registry.attachmentContent(id: 1)
        #expect(attachment.fileName == "coa.txt" && String(decoding: content, as: UTF8.self) == certificate)
    }

    /// SHA-256 in lower-case hex, by `sha256sum`: not the registry's own code.
    static func sha256(_ text: String) async throws -> String {
        String(try await Command.run("sha256sum", ["-"], stdin: text).stdout.prefix(64))
    }

    @Test func checkingChangesNothingAndANewerDatabaseIsRefused() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tracemark-upgrade-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let db = folder.appendingPathComponent("new.sqlite").path
        for _ in 0..<2 {
            let check = try await Command.tracemark(["migrate", "--check", "--db", db])
            #expect(check.status == 0 && check.stdout.contains("registry: no tables yet; would apply:"), "\(check.stdout)\(check.stderr)")
            #expect(!FileManager.default.fileExists(atPath: db), "a check leaves no database behind")
        }
        // An existing database is only read: its file and its journal mode stay as they were.
        let old = folder.appendingPathComponent("old.sqlite").path
        let made = try await Command.run("python3", ["-c", """
            import sqlite3, sys
            c = sqlite3.connect(sys.argv[1]); c.execute("PRAGMA journal_mode = DELETE"); c.execute("CREATE TABLE kept (x)"); c.commit()
            """, old])
        #expect(made.status == 0, "\(made.stderr)")
        let before = try Data(contentsOf: URL(fileURLWithPath: old))
        let checked = try await Command.tracemark(["migrate", "--check", "--db", old])
        // Another program's tables and none of Tracemark's: not a registry, refused (it was told it had no tables yet).
        #expect(checked.status == 69 && checked.stderr.contains("is not a Tracemark database"), "\(checked.stdout)\(checked.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: old)) == before)
        #expect(!FileManager.default.fileExists(atPath: old + "-wal"))
        let mode = try await Command.run("python3", ["-c", "import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute('PRAGMA journal_mode').fetchone()[0])", old])
        #expect(mode.stdout == "delete\n", "\(mode.stdout)\(mode.stderr)")

        // Made by a later Tracemark: said by --check, refused by every command.
        let registry = try await Registry.open(db)
        try await registry.store.write { db in
            try await db.raw("INSERT INTO tracemark_migrations (version, name, applied_at) VALUES (99, 'later', '2030-01-01')").run()
        }
        await registry.close()
        let check = try await Command.tracemark(["migrate", "--check", "--db", db])
        #expect(check.status == 1 && check.stdout.contains("registry: version 99, newer than this Tracemark"), "\(check.stdout)")
        let refused = try await Command.tracemark(["stock", "--db", db])
        #expect(refused.status == 69 && refused.stderr.contains("newer than this Tracemark knows"), "\(refused.stderr)")
    }
}
