import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresKit
import PostgresNIO
public import SQLKit
import Synchronization

/// PostgreSQL, for many stations at once.
///
/// Transactions run at READ COMMITTED; contested rows (a series' counter, a lot's stock) are
/// locked by the statements that change them, so concurrent writers wait for each other instead
/// of failing with serialization errors that a client would have to retry.
public final class PostgresStore: SQLStore {
    public let kind = DatabaseKind.postgres
    public let location: String
    private let pool: ConnectionPool<PostgresConnection>

    /// - Parameter url: `postgres://user[:password]@host[:port]/database`.
    public init(url: String, connections: Int = 10) async throws {
        guard let components = URLComponents(string: url), let host = components.host, !host.isEmpty else {
            throw StoreError(.unsupported, "database URL \(url) is not of the form postgres://user@host:port/database")
        }
        var redacted = components
        if redacted.password != nil { redacted.password = "***" }
        let location = redacted.string ?? "postgres://\(host)"
        self.location = location
        var configuration = PostgresConnection.Configuration(
            host: host,
            port: components.port ?? 5432,
            username: components.user ?? "postgres",
            password: components.password,
            database: components.path.count > 1 ? String(components.path.dropFirst()) : nil,
            tls: .disable
        )
        if let schema = components.queryItems?.first(where: { $0.name == "search_path" })?.value {
            configuration.options.additionalStartupParameters = [("search_path", schema)]
        }
        let logger = Logger(label: "tracemark.store.postgres")
        let ids = IDGenerator()
        let config = configuration
        self.pool = ConnectionPool(
            maximum: connections,
            open: {
                do {
                    return try await PostgresConnection.connect(configuration: config, id: ids.next(), logger: logger)
                } catch {
                    throw StoreError(.unavailable, "cannot connect to PostgreSQL at \(location): is the server running and the URL right?", cause: error)
                }
            },
            close: { try? await $0.close() },
            isUsable: { !$0.isClosed }
        )
        try await pool.with { _ in }
    }

    public func write<T: Sendable>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        try await pool.with { connection in
            try await connection.sql(queryLogLevel: nil).transaction(begin: "BEGIN", body)
        }
    }

    public func read<T: Sendable>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        try await pool.with { connection in try await body(connection.sql(queryLogLevel: nil)) }
    }

    public func close() async {
        await pool.shutdown()
    }
}

private final class IDGenerator: Sendable {
    private let counter = Atomic<Int>(0)
    func next() -> Int { counter.add(1, ordering: .relaxed).newValue }
}
