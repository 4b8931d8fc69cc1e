import Foundation
public import SQLKit

extension String {
    /// The text in Unicode's composed form (NFC): "É" as one character, not "E" and a combining
    /// accent. The two forms look and print the same, and Swift compares them as equal, but
    /// SQLite and PostgreSQL compare bytes: a lot `CAFÉ` typed on one keyboard and pasted from
    /// another system would be two lots nobody can tell apart. So every text the store binds is
    /// composed (and the registry's version 11 composed the numbers that were there).
    /// ASCII, nearly every code and number, is returned as it is.
    public var composed: String {
        if utf8.allSatisfy({ $0 < 0x80 }) { return self }
        return precomposedStringWithCanonicalMapping
    }
}

/// A bound value with its text composed (``Swift/String/composed``); any other value as it is.
func composedBind(_ value: any Encodable & Sendable) -> any Encodable & Sendable {
    if let text = value as? String { return text.composed }
    if let optional = value as? String?, let text = optional { return Optional(text.composed) }
    return value
}

/// A statement serialized already: its text is written as it is, its values bound in order
/// (for a database that serializes it again).
public struct SerializedStatement: SQLExpression {
    public let sql: String
    public let binds: [any Encodable & Sendable]

    public init(sql: String, binds: [any Encodable & Sendable]) {
        self.sql = sql
        self.binds = binds
    }

    public func serialize(to serializer: inout SQLSerializer) {
        serializer.write(sql)
        serializer.binds.append(contentsOf: binds)
    }
}
