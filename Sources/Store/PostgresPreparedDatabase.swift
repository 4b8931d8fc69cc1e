import Logging
import NIOCore
import PostgresKit
import PostgresNIO
import SQLKit
import Synchronization

/// SQLKit's view of a PostgreSQL connection that runs statements as named prepared statements,
/// kept by the server per connection: parsed and planned once, not on every execution.
///
/// PostgresKit sends every statement unnamed, so the server parses and plans it each time; for
/// the proposal's candidate query that is 0.5 ms of a 0.64 ms statement (pgbench on the same
/// query: 0.64 ms extended, 0.14 ms prepared). Statements that cannot be kept safely run as
/// before: those that are not SELECT, INSERT, UPDATE, DELETE or WITH (transaction control, DDL,
/// LOCK), those that select `*` (a column added by a migration would change their result type,
/// which PostgreSQL refuses for a kept plan), and those with a value PostgresNIO cannot bind
/// itself (PostgresKit's translation then does it).
struct PostgresPreparedDatabase: AsyncSQLDatabase {
    let connection: PostgresConnection
    /// PostgresKit's database on the same connection: the dialect, and the statements not kept.
    let plain: any SQLDatabase
    var logger: Logger { plain.logger }
    var eventLoop: any EventLoop { connection.eventLoop }
    var dialect: any SQLDialect { plain.dialect }
    var version: (any SQLDatabaseReportedVersion)? { plain.version }
    var queryLogLevel: Logger.Level? { nil }

    /// Where the connection is, for the error that says it has closed.
    let location: String

    init(_ connection: PostgresConnection, location: String) {
        self.connection = connection
        self.location = location
        self.plain = connection.sql(queryLogLevel: nil)
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        // PostgresNIO hands a statement to its channel without asking whether the channel took it.
        // Once the channel has closed and dropped its handlers (the server went away between two
        // statements of a transaction), the statement is lost, and its caller waits for an answer
        // forever, deaf to cancellation: a printer worker never ended its drain that way. (The
        // library's fix, vapor/postgres-nio#487, was reverted.) So each statement is handed over
        // on the connection's event loop, right after asking whether the channel is still open:
        // on that thread nothing can close the channel in between.
        guard connection.eventLoop.inEventLoop else {
            return try await withTaskExecutorPreference(EventLoopTaskExecutor(connection.eventLoop)) {
                try await execute(sql: query, onRow)
            }
        }
        guard !connection.isClosed else {
            throw StoreError(.unavailable, "the connection to PostgreSQL at \(location) has closed (the server stopped or the network dropped): try again")
        }
        do {
            let (sql, serialized) = serialize(query)
            let binds = serialized.map(composedBind)
            guard Self.keepable(sql), let (bindings, types) = try Self.bindings(binds),
                  let name = PreparedNames.shared.name(for: sql, types: types, connection: connection.id) else {
                return try await plain.execute(sql: SerializedStatement(sql: sql, binds: binds), onRow)
            }
            do {
                try await KeptStatement.$current.withValue(KeptStatement.Text(name: name, sql: sql, types: types)) {
                    let rows = try await connection.execute(KeptStatement(bindings: bindings), logger: logger)
                    for try await row in rows { onRow(PostgresQuickRow(row)) }
                }
            } catch {
                // PostgresNIO keeps a failed preparation's error for the name (prepared inside a
                // transaction that had failed already, say): the next run prepares it anew.
                PreparedNames.shared.forget(sql, types: types, connection: connection.id)
                throw error
            }
        } catch let error as PSQLError {
            throw Self.lost(error, location: location) ?? error
        }
    }

    /// The error a statement meets when its connection was lost under it (the server ended,
    /// the network silent past the socket's user timeout or keepalives), as the store's
    /// `unavailable` with the system's reason; nil for the server's refusals and other failures.
    static func lost(_ error: PSQLError, location: String) -> StoreError? {
        guard error.serverInfo == nil,
              [.serverClosedConnection, .connectionError, .uncleanShutdown].contains(error.code) else { return nil }
        let reason = DatabaseErrors.reason(error).map { " (\($0))" } ?? ""
        return StoreError(.unavailable, "the connection to PostgreSQL at \(location) was lost\(reason): the server stopped or the network dropped; try again",
                          cause: error)
    }

    /// Whether `sql` may be kept prepared (see the type's documentation).
    static func keepable(_ sql: String) -> Bool {
        let head = sql.prefix(7).uppercased()
        guard head.hasPrefix("SELECT") || head.hasPrefix("INSERT") || head.hasPrefix("UPDATE")
                || head.hasPrefix("DELETE") || head.hasPrefix("WITH") else { return false }
        // Most statements have no star at all: no upper-cased copy of their text for them.
        guard sql.utf8.contains(UInt8(ascii: "*")) else { return true }
        let upper = sql.uppercased()
        return !upper.contains(".*") && !upper.contains("SELECT *") && !upper.contains("RETURNING *")
    }

    /// The values bound by PostgresNIO's own encoders, and their types; `nil` when one has none.
    static func bindings(_ binds: [any Encodable & Sendable]) throws -> (PostgresBindings, [PostgresDataType])? {
        var bindings = PostgresBindings(capacity: binds.count)
        var types: [PostgresDataType] = []
        types.reserveCapacity(binds.count)
        for bind in binds {
            var value: any Encodable = bind
            if let optional = bind as? any AnyOptional {
                guard let wrapped = optional.wrapped else {
                    bindings.appendNull()
                    // Unspecified: the server infers it, as for a literal NULL.
                    types.append(PostgresDataType(0))
                    continue
                }
                value = wrapped
            }
            guard let encodable = value as? any PostgresThrowingDynamicTypeEncodable else { return nil }
            try bindings.append(encodable)
            types.append(encodable.psqlType)
        }
        return (bindings, types)
    }
}

/// The names of the statements each connection has prepared, by statement text and parameter
/// types. Bounded per connection, so that SQL with values in its text cannot fill the server's
/// memory: past the bound, statements run unnamed.
final class PreparedNames: Sendable {
    static let shared = PreparedNames()
    static let limit = 1000
    private struct Names {
        var byKey: [String: String] = [:]
        var next = 1
    }
    private let connections = Mutex<[Int: Names]>([:])

    private static func key(_ sql: String, _ types: [PostgresDataType]) -> String {
        types.map { String($0.rawValue) }.joined(separator: ",") + "|" + sql
    }

    func name(for sql: String, types: [PostgresDataType], connection: Int) -> String? {
        let key = Self.key(sql, types)
        return connections.withLock { connections in
            var names = connections[connection] ?? Names()
            if let name = names.byKey[key] { return name }
            guard names.next <= Self.limit else { return nil }
            let name = "tm_\(names.next)"
            names.next += 1
            names.byKey[key] = name
            connections[connection] = names
            return name
        }
    }

    func forget(_ sql: String, types: [PostgresDataType], connection: Int) {
        let key = Self.key(sql, types)
        connections.withLock { _ = $0[connection]?.byKey.removeValue(forKey: key) }
    }

    /// A closed connection's statements are gone with it.
    func drop(connection: Int) {
        connections.withLock { _ = $0.removeValue(forKey: connection) }
    }
}

/// PostgresNIO's prepared statements take their name and text as static properties; this one
/// reads them from the task that runs it (set by ``PostgresPreparedDatabase`` around the call).
private struct KeptStatement: PostgresPreparedStatement {
    struct Text: Sendable {
        let name: String
        let sql: String
        let types: [PostgresDataType]
    }

    @TaskLocal static var current = Text(name: "", sql: "", types: [])
    static var name: String { current.name }
    static var sql: String { current.sql }
    static var bindingDataTypes: [PostgresDataType] { current.types }

    let bindings: PostgresBindings

    func makeBindings() throws -> PostgresBindings { bindings }
    func decodeRow(_ row: PostgresRow) throws -> PostgresRow { row }
}

/// A row of a kept statement as SQLKit sees it. Strings and integers, nearly every cell the
/// registry reads, are decoded here directly from their bytes; PostgresKit's row (which this
/// falls back to for everything else, and for a null where a value is required, for its error)
/// decodes each cell through `Decodable` with a dynamic cast, a coding path and its key's text
/// built per cell: a third of the CPU time a proposal took in the client (BENCHMARKS.md).
struct PostgresQuickRow: SQLRow {
    let row: PostgresRow
    let cells: PostgresRandomAccessRow

    init(_ row: PostgresRow) {
        self.row = row
        self.cells = row.makeRandomAccess()
    }

    var allColumns: [String] { cells.map(\.columnName) }

    func contains(column: String) -> Bool { cells.contains(column) }

    func decodeNil(column: String) throws -> Bool {
        !cells.contains(column) || cells[column].bytes == nil
    }

    func decode<D: Decodable>(column: String, as type: D.Type) throws -> D {
        if cells.contains(column) {
            let cell = cells[column]
            // The types are compared first, so each cast below is to the very same type.
            if D.self == String.self, let value = Self.string(cell) { return unsafeBitCast(value, to: D.self) }
            if D.self == String?.self {
                if cell.bytes == nil { return unsafeBitCast(String?.none, to: D.self) }
                if let value = Self.string(cell) { return unsafeBitCast(String?.some(value), to: D.self) }
            }
            if D.self == Int.self, let value = Self.int(cell) { return unsafeBitCast(value, to: D.self) }
            if D.self == Int?.self {
                if cell.bytes == nil { return unsafeBitCast(Int?.none, to: D.self) }
                if let value = Self.int(cell) { return unsafeBitCast(Int?.some(value), to: D.self) }
            }
        }
        return try row.sql().decode(column: column, as: D.self)
    }

    private static func isText(_ type: PostgresDataType) -> Bool {
        type == .text || type == .varchar || type == .name || type == .bpchar
    }

    /// The text of a text cell, as PostgresNIO reads it; `nil` for null or another type.
    private static func string(_ cell: PostgresCell) -> String? {
        guard let bytes = cell.bytes, isText(cell.dataType) else { return nil }
        return bytes.getString(at: bytes.readerIndex, length: bytes.readableBytes)
    }

    /// The value of an integer cell, as PostgresNIO reads it; `nil` for null, another type, or
    /// bytes that are not one (PostgresKit's row then says what is wrong).
    private static func int(_ cell: PostgresCell) -> Int? {
        guard let bytes = cell.bytes else { return nil }
        let at = bytes.readerIndex
        switch (cell.format, cell.dataType) {
        case (.binary, .int8) where bytes.readableBytes == 8: return bytes.getInteger(at: at, as: Int64.self).map(Int.init)
        case (.binary, .int4) where bytes.readableBytes == 4: return bytes.getInteger(at: at, as: Int32.self).map(Int.init)
        case (.binary, .int2) where bytes.readableBytes == 2: return bytes.getInteger(at: at, as: Int16.self).map(Int.init)
        case (.text, .int8), (.text, .int4), (.text, .int2):
            return bytes.getString(at: at, length: bytes.readableBytes).flatMap { Int($0) }
        default: return nil
        }
    }
}
