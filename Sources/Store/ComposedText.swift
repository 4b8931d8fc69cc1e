import Foundation
import Problems
public import SQLKit

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
