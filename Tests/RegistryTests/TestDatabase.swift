import Foundation
import Registry
import SQLKit
import Store
import Testing

/// The databases the conformance suite runs on. PostgreSQL joins when `make test` gives its URL.
enum Backend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite, postgres

    var testDescription: String { rawValue }

    static var postgresURL: String? { ProcessInfo.processInfo.environment["TRACEMARK_TEST_POSTGRES_URL"] }

    /// SQLite always; PostgreSQL when a server is given (`make test` always gives one).
    static var available: [Backend] { postgresURL == nil ? [.sqlite] : [.sqlite, .postgres] }
}

/// A fresh, empty database for one test: a temporary SQLite file, or a new PostgreSQL schema.
struct TestDatabase: Sendable {
    let backend: Backend
    /// What `--db` would say to reach it.
    let location: String
    private let cleanup: @Sendable () async -> Void

    static func make(_ backend: Backend) async throws -> TestDatabase {
        let name = "t\(UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16))"
        switch backend {
        case .sqlite:
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tracemark-\(name)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            return TestDatabase(backend: backend, location: folder.appendingPathComponent("registry.sqlite").path) {
                try? FileManager.default.removeItem(at: folder)
            }
        case .postgres:
            let base = try #require(Backend.postgresURL)
            let admin = try await PostgresStore(url: base, connections: 1)
            try await admin.write { db in try await db.raw("CREATE SCHEMA \(ident: name)").run() }
            await admin.close()
            let separator = base.contains("?") ? "&" : "?"
            return TestDatabase(backend: backend, location: "\(base)\(separator)search_path=\(name)") {
                if let admin = try? await PostgresStore(url: base, connections: 1) {
                    try? await admin.write { db in try await db.raw("DROP SCHEMA \(ident: name) CASCADE").run() }
                    await admin.close()
                }
            }
        }
    }

    func open() async throws -> Registry { try await Registry.open(location) }

    /// Another station on the same database. On SQLite its writes wait up to a minute for the
    /// write lock instead of the default 5 s: the concurrency tests queue dozens of transactions
    /// across stations, and SQLite's busy handler is not fair, so on a loaded machine one station
    /// can wait longer than 5 s although every other one is making progress.
    func openStation() async throws -> Registry {
        switch backend {
        case .sqlite: try await Registry(store: try await SQLiteStore(path: location, busyTimeoutMilliseconds: 60_000))
        case .postgres: try await open()
        }
    }

    func drop() async { await cleanup() }
}

/// Runs `body` with a registry on a fresh database of `backend`, and removes the database after.
func withRegistry(_ backend: Backend, _ body: (Registry, TestDatabase) async throws -> Void) async throws {
    let database = try await TestDatabase.make(backend)
    let registry = try await database.open()
    do {
        try await body(registry, database)
        await registry.close()
        await database.drop()
    } catch {
        await registry.close()
        await database.drop()
        throw error
    }
}

/// Asserts that `body` throws a ``RegistryError`` with `code` whose message contains every fragment.
func expectRefusal(_ code: RegistryError.Code, _ fragments: String..., sourceLocation: SourceLocation = #_sourceLocation,
                   _ body: () async throws -> Void) async {
    do {
        try await body()
        Issue.record("expected a refusal (\(code)) but it succeeded", sourceLocation: sourceLocation)
    } catch let error as RegistryError {
        #expect(error.code == code, "\(error.message)", sourceLocation: sourceLocation)
        for fragment in fragments {
            #expect(error.message.contains(fragment), "message \"\(error.message)\" lacks \"\(fragment)\"", sourceLocation: sourceLocation)
        }
    } catch {
        Issue.record("expected a RegistryError (\(code)), got \(error)", sourceLocation: sourceLocation)
    }
}

/// Asserts that `body` throws a ``StoreError`` with `code` whose message contains every fragment.
func expectStoreError(_ code: StoreError.Code, _ fragments: String..., sourceLocation: SourceLocation = #_sourceLocation,
                      _ body: () async throws -> Void) async {
    do {
        try await body()
        Issue.record("expected a store error (\(code)) but it succeeded", sourceLocation: sourceLocation)
    } catch let error as StoreError {
        #expect(error.code == code, "\(error.message)", sourceLocation: sourceLocation)
        for fragment in fragments {
            #expect(error.message.contains(fragment), "message \"\(error.message)\" lacks \"\(fragment)\"", sourceLocation: sourceLocation)
        }
    } catch {
        Issue.record("expected a StoreError (\(code)), got \(error)", sourceLocation: sourceLocation)
    }
}
