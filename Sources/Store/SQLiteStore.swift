import Foundation
import Logging
import NIOCore
public import SQLKit
import SQLiteKit
import SQLiteNIO

/// The embedded database: one SQLite file in WAL mode.
///
/// Writes go through one connection in this process (SQLite has one writer at a time anyway),
/// each in `BEGIN IMMEDIATE` so that another process's writer makes it wait up to the busy
/// timeout instead of failing half-way. Reads use their own connections and see the last commit.
/// Durability: `synchronous = FULL`, so a committed number survives a power cut.
public final class SQLiteStore: SQLStore {
    public let kind = DatabaseKind.sqlite
    public let location: String
    /// How long a write waits by default for another process's write lock before giving up.
    public static let defaultBusyTimeoutMilliseconds = 5000
    private let busyTimeoutMilliseconds: Int

    private let writer: ConnectionPool<SQLiteConnection>
    private let readers: ConnectionPool<SQLiteConnection>
    /// SQLite calls block their thread (a busy wait for another writer, an fsync), so the store
    /// has threads of its own: the writer's, and the readers'. On a shared pool, writers waiting
    /// for a lock could occupy every thread and starve the writer that holds it.
    private let writerThreads: NIOThreadPool
    private let readerThreads: NIOThreadPool

    public init(path: String, readers readerCount: Int = 4,
                busyTimeoutMilliseconds: Int = SQLiteStore.defaultBusyTimeoutMilliseconds) async throws {
        self.location = path
        self.busyTimeoutMilliseconds = busyTimeoutMilliseconds
        let logger = Logger(label: "tracemark.store.sqlite")
        let writerThreads = NIOThreadPool(numberOfThreads: 1)
        let readerThreads = NIOThreadPool(numberOfThreads: min(2, readerCount))
        writerThreads.start()
        readerThreads.start()
        self.writerThreads = writerThreads
        self.readerThreads = readerThreads
        let open: @Sendable (NIOThreadPool) async throws -> SQLiteConnection = { threads in
            let connection: SQLiteConnection
            do {
                connection = try await SQLiteConnection.open(storage: .file(path: path), threadPool: threads, logger: logger,
                                                             on: MultiThreadedEventLoopGroup.singleton.any())
            } catch {
                throw StoreError(.unavailable, "cannot open SQLite database \(path): check that its folder exists and is writable", cause: error)
            }
            let db = connection.sql(queryLogLevel: nil)
            for pragma in ["PRAGMA busy_timeout = \(busyTimeoutMilliseconds)",
                           "PRAGMA journal_mode = WAL", "PRAGMA synchronous = FULL", "PRAGMA foreign_keys = ON"] {
                do {
                    try await db.raw(SQLQueryString(pragma)).run()
                } catch {
                    await SQLiteStore.closeEvenIfCancelled(connection)
                    throw SQLiteStore.translate(error, path: path, busyTimeoutMilliseconds: busyTimeoutMilliseconds)
                }
            }
            return connection
        }
        let close: @Sendable (SQLiteConnection) async -> Void = { await SQLiteStore.closeEvenIfCancelled($0) }
        self.writer = ConnectionPool(maximum: 1, open: { try await open(writerThreads) }, close: close, isUsable: { !$0.isClosed })
        self.readers = ConnectionPool(maximum: readerCount, open: { try await open(readerThreads) }, close: close,
                                      isUsable: { !$0.isClosed })
        // Open the writer now, so that a bad path fails here with a clear message.
        do {
            try await writer.with { _ in }
        } catch {
            await self.close()
            throw error
        }
    }

    public func write<T: Sendable>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        try await writer.with { connection in
            do {
                return try await connection.sql(queryLogLevel: nil).transaction(begin: "BEGIN IMMEDIATE", body)
            } catch {
                throw Self.translate(error, path: location, busyTimeoutMilliseconds: busyTimeoutMilliseconds)
            }
        }
    }

    public func read<T: Sendable>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        try await readers.with { connection in
            do {
                return try await body(connection.sql(queryLogLevel: nil))
            } catch {
                throw Self.translate(error, path: location, busyTimeoutMilliseconds: busyTimeoutMilliseconds)
            }
        }
    }

    public func snapshot<T: Sendable>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        try await readers.with { connection in
            do {
                // WAL: a deferred transaction reads one snapshot from its first statement on.
                return try await connection.sql(queryLogLevel: nil).transaction(begin: "BEGIN", body)
            } catch {
                throw Self.translate(error, path: location, busyTimeoutMilliseconds: busyTimeoutMilliseconds)
            }
        }
    }

    public func close() async {
        await writer.shutdown()
        await readers.shutdown()
        try? await writerThreads.shutdownGracefully()
        try? await readerThreads.shutdownGracefully()
    }

    /// Closes a connection also from a cancelled task. The async `close()` runs on the thread pool
    /// as cancellable work: from a cancelled task (a worker stopped while it opened a connection)
    /// it would not run, leaking the SQLite handle. The future-based close always runs.
    static func closeEvenIfCancelled(_ connection: SQLiteConnection) async {
        let closed: EventLoopFuture<Void> = connection.close()
        try? await closed.get()
    }

    static func translate(_ error: any Error, path: String, busyTimeoutMilliseconds: Int) -> any Error {
        guard let error = error as? SQLiteError else { return error }
        switch error.reason {
        case .busy, .locked, .busyTimeout, .busyInRecovery, .busyInSnapshot:
            return StoreError(.locked,
                "SQLite database \(path) is locked by another process for more than \(busyTimeoutMilliseconds) ms; nothing was written: try again, or find the process that holds it (fuser \(path))",
                cause: error)
        case .readOnly, .readonlyCantLock, .readonlyDirectory, .permission, .cantOpen:
            return StoreError(.unavailable, "SQLite database \(path) cannot be written: check the file's and folder's permissions", cause: error)
        default:
            return error
        }
    }
}
