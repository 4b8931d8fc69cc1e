import Foundation
import NIOCore
import PostgresNIO

/// Recognises the database errors that operations turn into errors of their own.
public enum DatabaseErrors {
    /// A unique index refused a row; `index` is the index's name where the driver reports it.
    public static func uniqueViolation(_ error: any Error) -> (index: String?, Void)? {
        if let error = error as? SQLiteError {
            return error.isUniqueViolation ? (error.message, ()) : nil
        }
        if let error = error as? PSQLError, error.serverInfo?[.sqlState] == "23505" {
            return (error.serverInfo?[.constraintName], ())
        }
        return nil
    }

    /// A database driver's error in words a person can act on, or nil for any other error.
    /// PostgreSQL's client hides the server's message behind a generic description (against
    /// leaking data into logs); this gives the server's own message and SQLSTATE, never the
    /// statement or its values.
    public static func readable(_ error: any Error) -> String? {
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] {
                let state = error.serverInfo?[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
                return "PostgreSQL refused a statement: \(message)\(state)"
            }
            return "PostgreSQL connection failed (\(reason(error) ?? "\(error.code)"))"
        }
        if let error = error as? SQLiteError {
            return "SQLite failed: \(error.message)"
        }
        return nil
    }

    /// The system's words for why a PostgreSQL connection failed ("Connection timed out",
    /// "Connection refused"), from the socket error under `error`, if there is one.
    static func reason(_ error: PSQLError) -> String? {
        var cause = error.underlying
        while let next = cause {
            if let io = next as? IOError { return String(cString: strerror(io.errnoCode)) }
            if let psql = next as? PSQLError { cause = psql.underlying; continue }
            if let channel = next as? ChannelError {
                switch channel {
                case .connectTimeout(let after): return "no answer within \(after.nanoseconds / 1_000_000_000) s"
                case .eof, .alreadyClosed, .ioOnClosedChannel, .outputClosed, .inputClosed: return "closed"
                default: return "\(channel)"
                }
            }
            return nil
        }
        return nil
    }
}
