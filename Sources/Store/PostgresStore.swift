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
    /// How to connect, for the pool and for the listening connection (which stays out of it).
    private let connector: PostgresConnector
    private static let connectionIDs = IDGenerator()

    /// The URL parameters Tracemark reads (libpq's names); any other is refused.
    static let parameters: Set<String> = [
        "sslmode", "sslrootcert", "search_path", "plan_cache_mode", "lock_timeout", "application_name",
        "keepalives", "keepalives_idle", "keepalives_interval", "keepalives_count", "tcp_user_timeout", "connect_timeout",
        "host", "port",
    ]

    /// - Parameter url: `postgres://user[:password]@host[:port]/database`, with libpq's
    ///   `sslmode` (`disable`, `prefer` (the default), `require`, `verify-ca`, `verify-full`) and
    ///   `sslrootcert` (the CA file for the verifying modes), `search_path`, `plan_cache_mode`
    ///   (`force_generic_plan` unless the URL says otherwise), `lock_timeout` (5 s unless the
    ///   URL says otherwise, as SQLite's busy timeout), and libpq's `keepalives`,
    ///   `keepalives_idle`, `keepalives_interval`, `keepalives_count`, `tcp_user_timeout` and
    ///   `connect_timeout` (``PostgresConnector``: a server gone silent is noticed in about 25 s).
    ///   A server on the same host is reached through its socket file as libpq does: no host, or
    ///   `host=/directory` (and `port=`) in the query (``PostgresConnector/Endpoint``); the user
    ///   is then the operating system's unless the URL names one, so that `peer` logins work.
    public init(url: String, connections: Int = 10) async throws {
        guard let components = URLComponents(string: url), components.scheme == "postgres" || components.scheme == "postgresql" else {
            throw StoreError(.unsupported, "database URL \(SQLStores.redacted(url)) is not of the form postgres://user@host:port/database")
        }
        var redacted = components
        if redacted.password != nil { redacted.password = "***" }
        let location = redacted.string ?? "postgres://\(components.host ?? "")"
        self.location = location
        // A parameter it does not know is refused, as libpq (psql) refuses it: a misspelt
        // `sslmod=verify-full` connected without checking the server's certificate, and said
        // nothing (found by a QA run).
        for item in components.queryItems ?? [] where !Self.parameters.contains(item.name) {
            throw StoreError(.unsupported,
                "database URL \(location): unknown parameter \(item.name) (Tracemark takes \(Self.parameters.sorted().joined(separator: ", ")))")
        }
        let endpoint = try PostgresConnector.Endpoint(components, location: location)
        let database = components.path.count > 1 ? String(components.path.dropFirst()) : nil
        var configuration: PostgresConnection.Configuration
        switch endpoint {
        case .tcp(let host, let port):
            configuration = PostgresConnection.Configuration(host: host, port: port, username: components.user ?? "postgres",
                                                             password: components.password, database: database,
                                                             tls: try Self.tls(components, location: location))
        case .socket(let path):
            // libpq never asks for TLS over a socket file, whatever `sslmode` says.
            configuration = PostgresConnection.Configuration(unixSocketPath: path, username: components.user ?? Self.systemUser,
                                                             password: components.password, database: database)
        }
        if let schema = components.queryItems?.first(where: { $0.name == "search_path" })?.value {
            configuration.options.additionalStartupParameters.append(("search_path", schema))
        }
        if let name = components.queryItems?.first(where: { $0.name == "application_name" })?.value {
            configuration.options.additionalStartupParameters.append(("application_name", name))
        }
        // Every statement is prepared once per connection and run many times with other values.
        // PostgreSQL's default plans a statement again at each run while its generic plan looks
        // dearer than the custom ones, which it does for the issue order's page of lots (0.35 ms
        // to plan, 0.1 ms to run; the same index walk either way). Our statements are keyed
        // look-ups and index walks whose best plan does not depend on the values, so plan once.
        let planCacheMode = components.queryItems?.first(where: { $0.name == "plan_cache_mode" })?.value ?? "force_generic_plan"
        configuration.options.additionalStartupParameters.append(("plan_cache_mode", planCacheMode))
        // A statement waits at most this long for a lock another connection holds (a counter
        // being drawn, a job being claimed), as SQLite's busy timeout bounds a wait for its write
        // lock: a process stopped in the middle of a transaction (SIGSTOP, a debugger, a VM
        // paused) would otherwise hold every station drawing from that counter for ever, with
        // no word. The statement fails as transient (nothing written; 69, 503) and says why.
        let lockTimeout = components.queryItems?.first(where: { $0.name == "lock_timeout" })?.value ?? "\(SQLiteStore.defaultBusyTimeoutMilliseconds)ms"
        configuration.options.additionalStartupParameters.append(("lock_timeout", lockTimeout))
        let logger = Logger(label: "tracemark.store.postgres")
        // Unique in the process: prepared statements' names are kept by connection id.
        let ids = Self.connectionIDs
        let connector = PostgresConnector(endpoint: endpoint,
                                          liveness: try .init(components.queryItems ?? [], location: location),
                                          configuration: configuration, location: location)
        self.connector = connector
        self.pool = ConnectionPool(
            maximum: connections,
            open: {
                do {
                    return try await connector.connect(id: ids.next(), logger: logger)
                } catch is CancellationError {
                    throw CancellationError()
                } catch {
                    // The server's own words when it answered (too many clients, a password refused).
                    if let error = error as? PSQLError, let message = error.serverInfo?[.message] {
                        let state = error.serverInfo?[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
                        throw StoreError(.unavailable, "PostgreSQL at \(location) refused the connection: \(message)\(state)", cause: error)
                    }
                    let reason = DatabaseErrors.reason(error).map { " (\($0))" } ?? ""
                    throw StoreError(.unavailable, "cannot connect to PostgreSQL at \(location)\(reason): is the server running and the URL right?",
                                     cause: error)
                }
            },
            close: { connection in
                PreparedNames.shared.drop(connection: connection.id)
                try? await connection.close()
            },
            isUsable: { !$0.isClosed }
        )
        try await pool.with { _ in }
        // A search_path naming no schema that exists: every statement would fail with the
        // server's "no schema has been selected to create in", which never names the schema.
        if let schema = components.queryItems?.first(where: { $0.name == "search_path" })?.value {
            let current = try await read { db in
                try await db.raw("SELECT current_schema() AS schema").first()?.decode(column: "schema", as: String?.self)
            }
            if current == nil {
                await close()
                throw StoreError(.unavailable,
                    "database \(location): no schema \(schema) (the URL's search_path) exists in it: create it (CREATE SCHEMA \(schema)) or correct the URL")
            }
        }
    }

    public func listen(_ channel: String, _ body: @escaping @Sendable (String) -> Void) async {
        let logger = Logger(label: "tracemark.store.postgres")
        var pause: Duration = .milliseconds(200)
        while !Task.isCancelled {
            do {
                let connection = try await connector.connect(id: Self.connectionIDs.next(), logger: logger)
                pause = .milliseconds(200)
                do {
                    try await connection.listen(on: channel) { notifications in
                        for try await notification in notifications { body(notification.payload) }
                    }
                } catch {
                    try? await connection.close()
                    throw error
                }
                try? await connection.close()
            } catch is CancellationError {
                return
            } catch {
                if Task.isCancelled { return }
                // The server restarted, or the network dropped: listen again; meanwhile workers poll.
                logger.warning("listening on \(channel) at \(location) failed: \(DatabaseErrors.readable(error) ?? "\(error)"); again in \(pause)")
            }
            try? await Task.sleep(for: pause)
            pause = min(pause * 2, .seconds(10))
        }
    }

    public func notify(_ db: any SQLDatabase, channel: String, payload: String) async throws {
        try await db.raw("SELECT pg_notify(\(bind: channel), \(bind: payload))").run()
    }

    /// The operating system's name for the user this process runs as (libpq's default user).
    static var systemUser: String { SQLStores.systemUserName ?? "postgres" }

    /// The TLS mode the URL's `sslmode` asks for, as libpq reads it: `disable` none; `prefer` TLS
    /// when the server offers it, unverified (libpq's default); `require` TLS, unverified;
    /// `verify-ca` TLS with the certificate checked against `sslrootcert` (or the system's CAs);
    /// `verify-full` that and the host name.
    static func tls(_ components: URLComponents, location: String) throws -> PostgresConnection.Configuration.TLS {
        let items = components.queryItems ?? []
        let mode = items.first { $0.name == "sslmode" }?.value ?? "prefer"
        let rootCertificate = items.first { $0.name == "sslrootcert" }?.value
        var configuration = TLSConfiguration.makeClientConfiguration()
        switch mode {
        case "disable": return .disable
        case "allow", "prefer", "require": configuration.certificateVerification = .none
        case "verify-ca": configuration.certificateVerification = .noHostnameVerification
        case "verify-full": configuration.certificateVerification = .fullVerification
        default:
            throw StoreError(.unsupported, "database \(location): sslmode \(mode) is not one of disable, prefer, require, verify-ca, verify-full")
        }
        if let rootCertificate {
            guard FileManager.default.isReadableFile(atPath: rootCertificate) else {
                throw StoreError(.unavailable, "database \(location): sslrootcert \(rootCertificate) cannot be read")
            }
            configuration.trustRoots = .file(rootCertificate)
        }
        let context: NIOSSLContext
        do { context = try NIOSSLContext(configuration: configuration) } catch {
            throw StoreError(.unsupported, "database \(location): cannot set up TLS (\(mode)): \(error)", cause: error)
        }
        return mode == "allow" || mode == "prefer" ? .prefer(context) : .require(context)
    }

    /// Runs `body` on `connection`'s event loop, the thread its socket is read on: a statement's
    /// answer then resumes the operation where it arrived, instead of waking a thread of the
    /// cooperative pool for every statement (about 50 µs at the median on a virtual machine,
    /// milliseconds at the tail; BENCHMARKS.md, "The store's fast path").
    private func on<T: Sendable>(_ connection: PostgresConnection, _ body: (any SQLDatabase) async throws -> T) async throws -> T {
        try await withTaskExecutorPreference(EventLoopTaskExecutor(connection.eventLoop)) {
            try await body(PostgresPreparedDatabase(connection, location: location))
        }
    }

    public func write<T: Sendable>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        try await pool.with { connection in
            try await on(connection) { db in try await db.transaction(begin: "BEGIN", body) }
        }
    }

    public func read<T: Sendable>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        try await pool.with { connection in try await on(connection, body) }
    }

    public func snapshot<T: Sendable>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        try await pool.with { connection in
            try await on(connection) { db in try await db.transaction(begin: "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", body) }
        }
    }

    public func close() async {
        await pool.shutdown()
    }
}

/// An event loop as the executor a task prefers: its jobs run on the loop's thread.
final class EventLoopTaskExecutor: TaskExecutor {
    let loop: any EventLoop

    init(_ loop: any EventLoop) { self.loop = loop }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}

private final class IDGenerator: Sendable {
    private let counter = Atomic<Int>(0)
    func next() -> Int { counter.add(1, ordering: .relaxed).newValue }
}
