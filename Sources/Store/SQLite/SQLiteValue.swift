import CSQLite
import Foundation
public import SQLKit
import Problems

/// One value of a column or a parameter, in SQLite's five storage classes.
enum SQLiteValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])

    /// Column `column` of the current row of `statement`.
    init(_ statement: OpaquePointer, _ column: Int32) {
        switch sqlite3_column_type(statement, column) {
        case SQLITE_INTEGER: self = .integer(sqlite3_column_int64(statement, column))
        case SQLITE_FLOAT: self = .real(sqlite3_column_double(statement, column))
        case SQLITE_TEXT:
            let count = Int(sqlite3_column_bytes(statement, column))
            guard let text = sqlite3_column_text(statement, column) else { self = .text(""); return }
            self = .text(String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self))
        case SQLITE_BLOB:
            let count = Int(sqlite3_column_bytes(statement, column))
            guard count > 0, let bytes = sqlite3_column_blob(statement, column) else { self = .blob([]); return }
            self = .blob(Array(UnsafeRawBufferPointer(start: bytes, count: count)))
        default: self = .null
        }
    }

    /// Binds the value; text in Unicode's composed form (``Swift/String/composed``), whatever
    /// made it (a string, an enumeration's raw value, JSON).
    func bind(to statement: OpaquePointer, at index: Int32) -> Int32 {
        switch self {
        case .null: return sqlite3_bind_null(statement, index)
        case .integer(let value): return sqlite3_bind_int64(statement, index, value)
        case .real(let value): return sqlite3_bind_double(statement, index, value)
        case .text(let text):
            var value = text.composed
            guard !value.isEmpty else { return sqlite3_bind_text(statement, index, "", 0, nil) }
            return value.withUTF8 { text in
                text.withMemoryRebound(to: CChar.self) {
                    sqlite3_bind_text(statement, index, $0.baseAddress, Int32($0.count), tm_sqlite_transient())
                }
            }
        case .blob(let value):
            guard !value.isEmpty else { return sqlite3_bind_zeroblob(statement, index, 0) }
            return value.withUnsafeBytes { sqlite3_bind_blob(statement, index, $0.baseAddress, Int32($0.count), tm_sqlite_transient()) }
        }
    }

    /// A bind value as SQLite stores it: numbers, text, bytes as themselves; `Bool` as 0 or 1;
    /// `Date` as seconds since 1970 (as SQLiteNIO did); a type that encodes as one value (an
    /// enumeration, `UUID`, `Decimal`) as that value; anything else as JSON text.
    init(encoding value: any Encodable) throws {
        // The usual types by their metadata first (see SQLiteValueDecoder).
        let type = ObjectIdentifier(Swift.type(of: value))
        if type == ObjectIdentifier(String.self) { self = .text(value as! String); return }
        if type == ObjectIdentifier(Int.self) { self = .integer(Int64(value as! Int)); return }
        if type == ObjectIdentifier(String?.self) { self = (value as! String?).map { .text($0) } ?? .null; return }
        if type == ObjectIdentifier(Int?.self) { self = (value as! Int?).map { .integer(Int64($0)) } ?? .null; return }
        switch value {
        case let value as Int64: self = .integer(value)
        case let value as Int32: self = .integer(Int64(value))
        case let value as Bool: self = .integer(value ? 1 : 0)
        case let value as Double: self = .real(value)
        case let value as Data: self = .blob(Array(value))
        case let value as [UInt8]: self = .blob(value)
        case let value as Date: self = .real(value.timeIntervalSince1970)
        case let value as Int16: self = .integer(Int64(value))
        case let value as Int8: self = .integer(Int64(value))
        case let value as UInt8: self = .integer(Int64(value))
        case let value as UInt16: self = .integer(Int64(value))
        case let value as UInt32: self = .integer(Int64(value))
        case let value as UInt: self = .integer(Int64(value))
        case let value as UInt64: self = .integer(Int64(bitPattern: value))
        case let value as Float: self = .real(Double(value))
        case let value as any AnyOptional: self = try value.wrapped.map(SQLiteValue.init(encoding:)) ?? .null
        default:
            let encoder = SingleValueCapture()
            do {
                try value.encode(to: encoder)
                self = encoder.value ?? .null
            } catch is NeedsJSON {
                self = .text(String(decoding: try JSONEncoder().encode(value), as: UTF8.self))
            }
        }
    }

    var isNull: Bool { self == .null }
}

/// A row of a result: values by column name, decoded as SQLKit asks.
struct SQLiteRow: SQLRow {
    let columns: SQLiteColumns
    let values: [SQLiteValue]

    var allColumns: [String] { columns.names }

    func contains(column: String) -> Bool { columns.index(of: column) != nil }

    func value(_ column: String) throws -> SQLiteValue {
        guard let index = columns.index(of: column) else {
            throw DecodingError.keyNotFound(SQLiteColumnKey(column), .init(codingPath: [], debugDescription: "no column \(column) in the row (it has \(columns.names.joined(separator: ", ")))"))
        }
        return values[index]
    }

    func decodeNil(column: String) throws -> Bool {
        try value(column).isNull
    }

    func decode<D: Decodable>(column: String, as type: D.Type) throws -> D {
        try SQLiteValueDecoder.decode(type, from: value(column), column: column)
    }
}

struct SQLiteColumnKey: CodingKey {
    let stringValue: String
    var intValue: Int? { nil }
    init(_ name: String) { stringValue = name }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { return nil }
}

/// Thrown by the capturing encoder for a value that is more than one value (a structure, an
/// array): such a value is stored as JSON.
private struct NeedsJSON: Error {}

/// An encoder that takes one value, for types that encode through a single-value container.
private final class SingleValueCapture: Encoder, SingleValueEncodingContainer {
    var value: SQLiteValue?
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(Refusing<Key>())
    }
    func unkeyedContainer() -> any UnkeyedEncodingContainer { RefusingUnkeyed() }
    func singleValueContainer() -> any SingleValueEncodingContainer { self }

    func encodeNil() throws { value = .null }
    func encode(_ value: Bool) throws { self.value = .integer(value ? 1 : 0) }
    func encode(_ value: String) throws { self.value = .text(value) }
    func encode(_ value: Double) throws { self.value = .real(value) }
    func encode(_ value: Float) throws { self.value = .real(Double(value)) }
    func encode(_ value: Int) throws { self.value = .integer(Int64(value)) }
    func encode(_ value: Int8) throws { self.value = .integer(Int64(value)) }
    func encode(_ value: Int16) throws { self.value = .integer(Int64(value)) }
    func encode(_ value: Int32) throws { self.value = .integer(Int64(value)) }
    func encode(_ value: Int64) throws { self.value = .integer(value) }
    func encode(_ value: UInt) throws { self.value = .integer(Int64(value)) }
    func encode(_ value: UInt8) throws { self.value = .integer(Int64(value)) }
    func encode(_ value: UInt16) throws { self.value = .integer(Int64(value)) }
    func encode(_ value: UInt32) throws { self.value = .integer(Int64(value)) }
    func encode(_ value: UInt64) throws { self.value = .integer(Int64(bitPattern: value)) }
    func encode<T: Encodable>(_ value: T) throws { self.value = try SQLiteValue(encoding: value) }

    private struct Refusing<Key: CodingKey>: KeyedEncodingContainerProtocol {
        var codingPath: [any CodingKey] { [] }
        mutating func encodeNil(forKey key: Key) throws { throw NeedsJSON() }
        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws { throw NeedsJSON() }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
            KeyedEncodingContainer(Refusing<NestedKey>())
        }
        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer { RefusingUnkeyed() }
        mutating func superEncoder() -> any Encoder { SingleValueCapture() }
        mutating func superEncoder(forKey key: Key) -> any Encoder { SingleValueCapture() }
    }

    private struct RefusingUnkeyed: UnkeyedEncodingContainer {
        var codingPath: [any CodingKey] { [] }
        var count: Int { 0 }
        mutating func encodeNil() throws { throw NeedsJSON() }
        mutating func encode<T: Encodable>(_ value: T) throws { throw NeedsJSON() }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
            KeyedEncodingContainer(Refusing<NestedKey>())
        }
        mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer { RefusingUnkeyed() }
        mutating func superEncoder() -> any Encoder { SingleValueCapture() }
    }
}

/// Decodes a column's value as the type SQLKit asks for.
enum SQLiteValueDecoder {
    static func decode<D: Decodable>(_ type: D.Type, from value: SQLiteValue, column: String) throws -> D {
        // The registry's usual types by their metadata alone: a protocol cast looks up a
        // conformance table, which took a tenth of a resolution's time.
        if D.self == String.self { return unsafeBitCast(try exactly(String.self, value, column), to: D.self) }
        if D.self == Int.self { return unsafeBitCast(try exactly(Int.self, value, column), to: D.self) }
        if D.self == String?.self { return unsafeBitCast(try exactly(String?.self, value, column), to: D.self) }
        if D.self == Int?.self { return unsafeBitCast(try exactly(Int?.self, value, column), to: D.self) }
        if D.self == Bool.self { return unsafeBitCast(try exactly(Bool.self, value, column), to: D.self) }
        if let type = type as? any SQLiteDecodable.Type {
            guard let decoded = type.init(sqlite: value) else { throw mismatch(type, value, column) }
            return decoded as! D
        }
        if let type = type as? any OptionalDecodable.Type {
            if value.isNull { return type.nothing as! D }
        }
        let decoder = SingleValueReader(value: value, column: column)
        do {
            return try D(from: decoder)
        } catch is NeedsJSON {
            let bytes: Data
            switch value {
            case .text(let text): bytes = Data(text.utf8)
            case .blob(let blob): bytes = Data(blob)
            default: throw mismatch(type, value, column)
            }
            return try JSONDecoder().decode(D.self, from: bytes)
        }
    }

    static func exactly<T: SQLiteDecodable>(_ type: T.Type, _ value: SQLiteValue, _ column: String) throws -> T {
        guard let decoded = T(sqlite: value) else { throw mismatch(type, value, column) }
        return decoded
    }

    static func mismatch(_ type: Any.Type, _ value: SQLiteValue, _ column: String) -> DecodingError {
        .typeMismatch(type, .init(codingPath: [SQLiteColumnKey(column)], debugDescription: "column \(column) holds \(value), not a \(type)"))
    }
}

/// Types read straight from a value.
protocol SQLiteDecodable {
    init?(sqlite value: SQLiteValue)
}

private protocol OptionalDecodable {
    static var nothing: Self { get }
}

extension Optional: OptionalDecodable {
    static var nothing: Optional<Wrapped> { nil }
}

extension String: SQLiteDecodable {
    init?(sqlite value: SQLiteValue) {
        switch value {
        case .text(let text): self = text
        case .integer(let number): self = String(number)
        case .real(let number): self = String(number)
        case .blob(let bytes): self = String(decoding: bytes, as: UTF8.self)
        case .null: return nil
        }
    }
}

extension Int64: SQLiteDecodable {
    init?(sqlite value: SQLiteValue) {
        switch value {
        case .integer(let number): self = number
        case .real(let number):
            guard let exact = Int64(exactly: number) else { return nil }
            self = exact
        case .text(let text):
            guard let number = Int64(text) else { return nil }
            self = number
        default: return nil
        }
    }
}

extension Int: SQLiteDecodable {
    init?(sqlite value: SQLiteValue) {
        guard let number = Int64(sqlite: value) else { return nil }
        self = Int(number)
    }
}

extension Int32: SQLiteDecodable {
    init?(sqlite value: SQLiteValue) {
        guard let number = Int64(sqlite: value), let exact = Int32(exactly: number) else { return nil }
        self = exact
    }
}

extension Double: SQLiteDecodable {
    init?(sqlite value: SQLiteValue) {
        switch value {
        case .real(let number): self = number
        case .integer(let number): self = Double(number)
        case .text(let text):
            guard let number = Double(text) else { return nil }
            self = number
        default: return nil
        }
    }
}

extension Bool: SQLiteDecodable {
    init?(sqlite value: SQLiteValue) {
        switch value {
        case .integer(let number): self = number != 0
        case .real(let number): self = number != 0
        case .text(let text):
            switch text.lowercased() {
            case "1", "true", "t": self = true
            case "0", "false", "f": self = false
            default: return nil
            }
        default: return nil
        }
    }
}

extension Data: SQLiteDecodable {
    init?(sqlite value: SQLiteValue) {
        switch value {
        case .blob(let bytes): self = Data(bytes)
        case .text(let text): self = Data(text.utf8)
        default: return nil
        }
    }
}

extension Date: SQLiteDecodable {
    init?(sqlite value: SQLiteValue) {
        switch value {
        case .real(let seconds): self = Date(timeIntervalSince1970: seconds)
        case .integer(let seconds): self = Date(timeIntervalSince1970: Double(seconds))
        case .text(let text):
            guard let date = try? Date(text, strategy: .iso8601) else { return nil }
            self = date
        default: return nil
        }
    }
}

extension Optional: SQLiteDecodable where Wrapped: SQLiteDecodable {
    init?(sqlite value: SQLiteValue) {
        if value.isNull { self = .none; return }
        guard let wrapped = Wrapped(sqlite: value) else { return nil }
        self = .some(wrapped)
    }
}

/// A decoder over one value, for types that decode through a single-value container (an
/// enumeration with a raw value, `UUID`, `Decimal`); others are read as JSON.
private struct SingleValueReader: Decoder, SingleValueDecodingContainer {
    let value: SQLiteValue
    let column: String
    var codingPath: [any CodingKey] { [SQLiteColumnKey(column)] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> { throw NeedsJSON() }
    func unkeyedContainer() throws -> any UnkeyedDecodingContainer { throw NeedsJSON() }
    func singleValueContainer() throws -> any SingleValueDecodingContainer { self }

    func decodeNil() -> Bool { value.isNull }
    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try SQLiteValueDecoder.decode(type, from: value, column: column)
    }
    private func number<T: BinaryInteger>(_ type: T.Type) throws -> T {
        guard let number = Int64(sqlite: value), let exact = T(exactly: number) else {
            throw SQLiteValueDecoder.mismatch(type, value, column)
        }
        return exact
    }
    func decode(_ type: Bool.Type) throws -> Bool { try SQLiteValueDecoder.exactly(type, value, column) }
    func decode(_ type: String.Type) throws -> String { try SQLiteValueDecoder.exactly(type, value, column) }
    func decode(_ type: Double.Type) throws -> Double { try SQLiteValueDecoder.exactly(type, value, column) }
    func decode(_ type: Float.Type) throws -> Float { Float(try decode(Double.self)) }
    func decode(_ type: Int.Type) throws -> Int { try number(type) }
    func decode(_ type: Int8.Type) throws -> Int8 { try number(type) }
    func decode(_ type: Int16.Type) throws -> Int16 { try number(type) }
    func decode(_ type: Int32.Type) throws -> Int32 { try number(type) }
    func decode(_ type: Int64.Type) throws -> Int64 { try number(type) }
    func decode(_ type: UInt.Type) throws -> UInt { try number(type) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try number(type) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try number(type) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try number(type) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try number(type) }
}

extension SQLiteRow {
    func integer(at position: Int) -> Int? {
        guard position < values.count, case .integer(let value) = values[position] else { return nil }
        return Int(value)
    }

    func text(at position: Int) -> String? {
        guard position < values.count, case .text(let value) = values[position] else { return nil }
        return value
    }
}

extension SQLRow {
    /// The integer column `name`, at `position` in the statement's columns: by position for
    /// SQLite's rows, without a look-up of the name per value (a report reading hundreds of
    /// thousands of rows), by name for others (PostgreSQL's).
    public func integer(_ name: String, at position: Int) throws -> Int {
        if let row = self as? SQLiteRow, let value = row.integer(at: position) { return value }
        return try decode(column: name, as: Int.self)
    }

    /// The text column `name` at `position` (`nil` when NULL), as ``integer(_:at:)``.
    public func text(_ name: String, at position: Int) throws -> String? {
        if let row = self as? SQLiteRow, let value = row.text(at: position) { return value }
        return try decode(column: name, as: String?.self)
    }
}

extension SQLDatabase {
    /// Runs `query`, whose first `columns` columns are integers, and hands `body` each row's
    /// values in order (NULL as 0). On SQLite no row is made: a report reading hundreds of
    /// thousands of rows spends its time in SQLite, not in building rows; on PostgreSQL the rows
    /// are read by name.
    public func integerRows(_ query: any SQLExpression, columns: Int,
                            _ body: @escaping @Sendable (UnsafeBufferPointer<Int>) -> Void) async throws {
        if let sqlite = self as? SQLiteDatabase {
            var serializer = SQLSerializer(database: self)
            query.serialize(to: &serializer)
            return try await sqlite.connection.executeIntegers(serializer.sql, serializer.binds, columns: columns, body)
        }
        let failure = FailureBox()
        try await execute(sql: query) { row in
            guard failure.error == nil else { return }
            do {
                let names = row.allColumns
                guard names.count >= columns else {
                    throw StoreError(.unsupported, "the statement has \(names.count) columns, not \(columns)")
                }
                let values = try names.prefix(columns).map { try row.decode(column: $0, as: Int?.self) ?? 0 }
                values.withUnsafeBufferPointer(body)
            } catch {
                failure.error = error
            }
        }
        if let error = failure.error { throw error }
    }
}

private final class FailureBox: @unchecked Sendable {
    var error: (any Error)?
}
