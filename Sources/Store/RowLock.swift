public import SQLKit

/// How a read locks the rows it reads until the transaction ends, on PostgreSQL (SQLite lets one
/// writer in at a time, so a write transaction has every row to itself already): the clause each
/// component appends to its `SELECT` rather than writing its own.
public enum RowLock: Sendable {
    case none
    /// Others may read and share it, not change it: postings hold their class this way, so that
    /// a class change waits for them and they for it.
    case share
    /// Nobody else may share or change it: a change that reads the row first holds it this way.
    case update

    /// ` FOR SHARE`, ` FOR UPDATE` or nothing, for `db`.
    public func clause(_ db: any SQLDatabase) -> String {
        guard db.dialect.name == "postgresql" else { return "" }
        switch self {
        case .none: return ""
        case .share: return " FOR SHARE"
        case .update: return " FOR UPDATE"
        }
    }
}
