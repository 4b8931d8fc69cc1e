import PostgresNIO
import SQLiteNIO

/// Recognises the database errors that operations turn into registry errors of their own.
enum DatabaseErrors {
    /// A unique index refused a row; `index` is the index's name where the driver reports it.
    static func uniqueViolation(_ error: any Error) -> (index: String?, Void)? {
        if let error = error as? SQLiteError {
            switch error.reason {
            case .constraintUniqueFailed, .constraintPrimaryKeyFailed: return (error.message, ())
            case .constraint where error.message.contains("UNIQUE"): return (error.message, ())
            default: return nil
            }
        }
        if let error = error as? PSQLError, error.serverInfo?[.sqlState] == "23505" {
            return (error.serverInfo?[.constraintName], ())
        }
        return nil
    }
}
