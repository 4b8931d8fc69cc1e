public import Foundation
import SQLKit
public import Store
import Testing

/// A fresh, empty database for one test, with a temporary folder of its own (for files the test
/// writes: a folder printer's output, CSV files): a SQLite file in that folder, or a new schema
/// on the PostgreSQL server `make test` started. ``drop()`` removes both.
public struct TestDatabase: Sendable {
    public let backend: Backend
    /// What `--db` would say to reach it.
    public let location: String
    /// The test's own folder.
    public let folder: URL
    /// The PostgreSQL schema, if any.
    public let schema: String?

    public static func make(_ backend: Backend) async throws -> TestDatabase {
        let name = "t\(UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16))"
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tracemark-\(name)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        switch backend {
        case .sqlite:
            return TestDatabase(backend: backend, location: folder.appendingPathComponent("registry.sqlite").path,
                                folder: folder, schema: nil)
        case .postgres:
            let base = try #require(Backend.postgresURL)
            let admin = try await PostgresStore(url: base, connections: 1)
            try await admin.write { db in try await db.raw("CREATE SCHEMA \(ident: name)").run() }
            await admin.close()
            let separator = base.contains("?") ? "&" : "?"
            return TestDatabase(backend: backend, location: "\(base)\(separator)search_path=\(name)", folder: folder, schema: name)
        }
    }

    /// Another connection to the same database, as another station would open. On SQLite its
    /// writes wait up to a minute for the write lock instead of the default 5 s (on PostgreSQL,
    /// its lock waits likewise: `lock_timeout`): concurrency
    /// tests queue dozens of transactions across stations, and SQLite's busy handler is not fair,
    /// so on a loaded machine one station can wait longer than 5 s while every other one makes progress.
    public func openStore() async throws -> any SQLStore {
        switch backend {
        case .sqlite: try await SQLiteStore(path: location, busyTimeoutMilliseconds: 60_000)
        case .postgres: try await SQLStores.open("\(location)&lock_timeout=60s")
        }
    }

    public func drop() async {
        try? FileManager.default.removeItem(at: folder)
        if let schema, let base = Backend.postgresURL, let admin = try? await PostgresStore(url: base, connections: 1) {
            try? await admin.write { db in try await db.raw("DROP SCHEMA \(ident: schema) CASCADE").run() }
            await admin.close()
        }
    }
}
