import NIOCore
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
    /// Runs `body` in a read-only transaction: every statement sees the same committed state (a
    /// reader of several tables that one transaction writes together sees all of it or none).
    func snapshot<T: Sendable>(_ body: (any SQLDatabase) async throws -> T) async throws -> T
    /// Closes every connection.
    func close() async
    /// Runs until its task is cancelled, calling `body` with the payload of every notification
    /// other processes send on `channel` (PostgreSQL's LISTEN/NOTIFY). Returns at once on a
    /// database without notifications (SQLite: one machine, where processes poll).
    func listen(_ channel: String, _ body: @escaping @Sendable (String) -> Void) async
    /// Queues a notification on `channel` inside the transaction `db`: sent when it commits,
    /// never when it rolls back. Nothing on a database without notifications.
    func notify(_ db: any SQLDatabase, channel: String, payload: String) async throws
    /// ``write(_:)`` for a migration that drops and makes again a table others reference: on
    /// SQLite, with foreign keys off for the transaction and every reference checked before it
    /// commits.
    func rebuildingWrite<T: Sendable>(_ body: (any SQLDatabase) async throws -> T) async throws -> T
}

extension SQLStore {
    /// ``write(_:)``, run again when PostgreSQL ended it to break a deadlock (SQLSTATE 40P01):
    /// the victim's transaction was rolled back whole, and running it again is what PostgreSQL
    /// asks of its client. Two documents taking the same lots in other orders (an issue and a
    /// production, lines MILK then FLOUR against FLOUR then MILK) deadlocked and one was refused
    /// with 503 (found by a QA run of several stations; the registry now also takes a
    /// document's named lots in one order, which avoids most). Up to eight times, after a random
    /// pause that doubles each time (from up to 20 ms to up to 2.5 s); then the error goes to
    /// the caller, saying nothing was written.
    ///
    /// Only for a `body` that may run twice: one that reads no input it consumes (a stream) and
    /// does nothing outside the database.
    public func writeRetryingDeadlocks<T: Sendable>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        var attempt = 0
        while true {
            do {
                return try await write(body)
            } catch where DatabaseErrors.isDeadlock(error) && attempt < 8 {
                attempt += 1
                try await Task.sleep(for: .milliseconds(Int.random(in: 1...20) << (attempt - 1)))
            }
        }
    }

    public func listen(_ channel: String, _ body: @escaping @Sendable (String) -> Void) async {}
    public func notify(_ db: any SQLDatabase, channel: String, payload: String) async throws {}
    public func rebuildingWrite<T: Sendable>(_ body: (any SQLDatabase) async throws -> T) async throws -> T { try await write(body) }
}

extension SQLDatabase {
    /// Runs `body` between `begin` and COMMIT, rolling back when it throws.
    ///
    /// The ROLLBACK runs in a task of its own, so that a caller cancelled mid-transaction (a
    /// worker whose lease renewal failed, say) still ends it: a connection that went back to its
    /// pool inside a transaction failed the next write with "cannot start a transaction within a
    /// transaction".
    func transaction<T>(begin: SQLQueryString, _ body: (any SQLDatabase) async throws -> T) async throws -> T {
        try await raw(begin).run()
        do {
            let result = try await body(self)
            try await raw("COMMIT").run()
            return result
        } catch {
            let database = self
            await Task { try? await database.raw("ROLLBACK").run() }.value
            throw error
        }
    }
}

/// A database of the store's own whose statements run through `async` `execute`; SQLKit's
/// legacy future-based entry point is served from it.
protocol AsyncSQLDatabase: SQLDatabase {}

extension AsyncSQLDatabase {
    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) -> EventLoopFuture<Void> {
        let promise = eventLoop.makePromise(of: Void.self)
        promise.completeWithTask { try await self.execute(sql: query, onRow) }
        return promise.futureResult
    }
}

/// `Optional`, whatever it wraps: how both stores find a bind value that is nil.
protocol AnyOptional {
    var wrapped: (any Encodable)? { get }
}

extension Optional: AnyOptional where Wrapped: Encodable {
    var wrapped: (any Encodable)? { self.map { $0 } }
}
