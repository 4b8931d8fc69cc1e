import Foundation
import Logging
import NIOCore
import SQLKit
import Store
import Synchronization

/// A store that passes everything to another and writes down the statements its reads run, as
/// SQL text with bind values: what a peer client must run to do the same database work.
final class RecordingStore: SQLStore {
    let inner: any SQLStore
    var kind: DatabaseKind { inner.kind }
    var location: String { inner.location }
    private let recorded = Mutex<[RecordedStatement]>([])

    init(_ inner: any SQLStore) { self.inner = inner }

    /// The statements recorded since the last call, and forgets them.
    func take() -> [RecordedStatement] {
        recorded.withLock { statements in
            defer { statements.removeAll() }
            return statements
        }
    }

    fileprivate func record(_ statement: RecordedStatement) {
        recorded.withLock { $0.append(statement) }
    }

    func write<T: Sendable>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        try await inner.write(body)
    }

    func read<T: Sendable>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        try await inner.read { db in try await body(RecordingDatabase(inner: db, store: self)) }
    }

    func snapshot<T: Sendable>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        try await inner.snapshot { db in try await body(RecordingDatabase(inner: db, store: self)) }
    }

    func close() async { await inner.close() }
}

/// One statement as a client sends it: text, and values as JSON numbers, strings or null.
struct RecordedStatement: Sendable, Encodable {
    let sql: String
    let binds: [JSONValue]

    enum JSONValue: Sendable, Encodable {
        case null, integer(Int64), real(Double), text(String)

        init(_ value: any Encodable) {
            switch value {
            case let value as String: self = .text(value)
            case let value as Int: self = .integer(Int64(value))
            case let value as Int64: self = .integer(value)
            case let value as Bool: self = .integer(value ? 1 : 0)
            case let value as Double: self = .real(value)
            case let value as String?: self = value.map(JSONValue.text) ?? .null
            case let value as Int?: self = value.map { .integer(Int64($0)) } ?? .null
            default: self = .text("\(value)")
            }
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .null: try container.encodeNil()
            case .integer(let value): try container.encode(value)
            case .real(let value): try container.encode(value)
            case .text(let value): try container.encode(value)
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
