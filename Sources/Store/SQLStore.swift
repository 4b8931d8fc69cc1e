public import SQLKit

/// The two databases the registry runs on.
public enum DatabaseKind: String, Sendable, Codable {
    case sqlite, postgres
}

/// A database behind the registry: every operation runs in one transaction, whole or not at all.
///
/// Implemented by ``SQLiteStore`` (the embedded default) and ``PostgresStore``; the registry's
/// SQL is written once and runs on both.
public protocol SQLStore: Sendable {
    var kind: DatabaseKind { get }
    /// Where the database is, for messages (never with a password).
    var location: String { get }
    /// Runs `body` in a write transaction: committed when it returns, rolled back when it throws.
    func write<T: Sendable>(_ body: (any SQLDatabase) async throws -> T) async throws -> T
    /// Runs `body` on a connection for reading.
    func read<T: Sendable>(_ body: (any SQLDatabase) async throws -> T) async throws -> T
    /// Closes every connection.
    func close() async
}

extension SQLDatabase {
    /// Runs `body` between `begin` and COMMIT, rolling back when it throws.
    func transaction<T>(begin: SQLQueryString, _ body: (any SQLDatabase) async throws -> T) async throws -> T {
        try await raw(begin).run()
        do {
            let result = try await body(self)
            try await raw("COMMIT").run()
            return result
        } catch {
            try? await raw("ROLLBACK").run()
            throw error
        }
    }
}
