import Foundation
import Logging
import NIOCore
public import SQLKit
public import Store
import Synchronization

/// A store that passes everything to another and writes down the statements its reads (and,
/// when asked, its writes) run, as SQL text with bind values: what a peer client must run to do
/// the same database work.
public final class RecordingStore: SQLStore {
    public let inner: any SQLStore
    public var kind: DatabaseKind { inner.kind }
    public var location: String { inner.location }
    private let recorded = Mutex<[RecordedStatement]>([])
    /// Whether writes are recorded too, each as `BEGIN`, its statements and `COMMIT` (or `ROLLBACK`).
    public let recordsWrites: Bool
    private let recording = Atomic<Bool>(true)

    public init(_ inner: any SQLStore, recordsWrites: Bool = false) {
        self.inner = inner
        self.recordsWrites = recordsWrites
    }

    /// Whether statements are written down (on at first); off, the store only passes them on.
    public var isRecording: Bool {
        get { recording.load(ordering: .relaxed) }
        set { recording.store(newValue, ordering: .relaxed) }
    }

    /// The statements recorded since the last call, and forgets them.
    public func take() -> [RecordedStatement] {
        recorded.withLock { statements in
            defer { statements.removeAll() }
            return statements
        }
    }

    fileprivate func record(_ statement: RecordedStatement) {
        recorded.withLock { $0.append(statement) }
    }

    public func write<T: Sendable>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        guard recordsWrites, isRecording else { return try await inner.write(body) }
        // Written down while the transaction holds the writer, so that two writers' statements
        // are never recorded interleaved (one waiting for the other has not begun).
        return try await inner.write { db in
            record(RecordedStatement(sql: "BEGIN", binds: []))
            do {
                let result = try await body(RecordingDatabase(inner: db, store: self))
                record(RecordedStatement(sql: "COMMIT", binds: []))
                return result
            } catch {
                record(RecordedStatement(sql: "ROLLBACK", binds: []))
                throw error
            }
        }
    }

    public func read<T: Sendable>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        guard isRecording else { return try await inner.read(body) }
        return try await inner.read { db in try await body(RecordingDatabase(inner: db, store: self)) }
    }

    public func snapshot<T: Sendable>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        guard isRecording else { return try await inner.snapshot(body) }
        return try await inner.snapshot { db in try await body(RecordingDatabase(inner: db, store: self)) }
    }

    public func close() async { await inner.close() }
}

/// One statement as a client sends it: text, and values as JSON numbers, strings or null.
public struct RecordedStatement: Sendable, Encodable {
    public let sql: String
    public let binds: [JSONValue]

    public enum JSONValue: Sendable, Encodable {
        case null, integer(Int64), real(Double), text(String), boolean(Bool)

        public init(_ value: any Encodable) {
            switch value {
            case let value as String: self = .text(value)
            case let value as Int: self = .integer(Int64(value))
            case let value as Int64: self = .integer(value)
            case let value as Bool: self = .boolean(value)
            case let value as Double: self = .real(value)
            case let value as String?: self = value.map(JSONValue.text) ?? .null
            case let value as Int?: self = value.map { .integer(Int64($0)) } ?? .null
            case let value as Int64?: self = value.map(JSONValue.integer) ?? .null
            case let value as Bool?: self = value.map(JSONValue.boolean) ?? .null
            case let value as Double?: self = value.map(JSONValue.real) ?? .null
            default: self = .text("\(value)")
            }
        }

        /// The PostgreSQL type PostgresNIO binds such a value as (0, unspecified, for null), and
        /// the value in PostgreSQL's text form (`nil` for null).
        public var postgres: (type: UInt32, text: String?) {
            switch self {
            case .null: (0, nil)
            case .integer(let value): (20, String(value))
            case .real(let value): (701, "\(value)")
            case .text(let value): (25, value)
            case .boolean(let value): (16, value ? "t" : "f")
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .null: try container.encodeNil()
            case .integer(let value): try container.encode(value)
            case .real(let value): try container.encode(value)
            case .text(let value): try container.encode(value)
            case .boolean(let value): try container.encode(value)
            }
        }
    }
}

private struct RecordingDatabase: SQLDatabase {
    let inner: any SQLDatabase
    let store: RecordingStore
    var logger: Logger { inner.logger }
    var eventLoop: any EventLoop { inner.eventLoop }
    var dialect: any SQLDialect { inner.dialect }
    var version: (any SQLDatabaseReportedVersion)? { inner.version }
    var queryLogLevel: Logger.Level? { inner.queryLogLevel }

    private func note(_ query: any SQLExpression) {
        let (sql, binds) = inner.serialize(query)
        store.record(RecordedStatement(sql: sql, binds: binds.map(RecordedStatement.JSONValue.init)))
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) -> EventLoopFuture<Void> {
        note(query)
        return inner.execute(sql: query, onRow)
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        note(query)
        try await inner.execute(sql: query, onRow)
    }
}
