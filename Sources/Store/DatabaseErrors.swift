import Foundation
import NIOCore
import NIOPosix
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
            if error.serverInfo?[.sqlState] == "40P01" {
                return "PostgreSQL: this and another connection's transaction each waited for a lock the other held (a deadlock), and this one was ended to break it (a document's posting runs again several times before this is said): nothing was written, try again (SQLSTATE 40P01)"
            }
            if error.serverInfo?[.sqlState] == "55P03" {
                return "PostgreSQL: another connection has held a lock this needs for longer than lock_timeout allows (a long transaction, or a process stopped in the middle of one; pg_stat_activity shows it): nothing was written, try again (SQLSTATE 55P03)"
            }
            if let message = error.serverInfo?[.message] {
                let code = error.serverInfo?[.sqlState] ?? ""
                let state = code.isEmpty ? "" : " (SQLSTATE \(code))"
                // The server going away is not a statement it refused (a fault of ours, in the
                // README's words): a restart, a failover, an administrator ending connections.
                if code.hasPrefix("57P") || code.hasPrefix("08") {
                    return "the connection to PostgreSQL was closed by the server (\(message)\(state)): it is stopping or restarting, or an administrator ended the connection; nothing was written, try again"
                }
                return "PostgreSQL refused a statement: \(message)\(state)"
            }
            return "PostgreSQL connection failed (\(reason(error) ?? "\(error.code)"))"
        }
        if let error = error as? SQLiteError {
            return "SQLite failed: \(error.message)"
        }
        return nil
    }

    /// Whether PostgreSQL ended this transaction to break a deadlock (rolled back whole).
    public static func isDeadlock(_ error: any Error) -> Bool {
        (error as? PSQLError)?.serverInfo?[.sqlState] == "40P01"
    }

    /// Whether a driver's error is a wait for another connection's lock that gave up (PostgreSQL's
    /// `lock_timeout`, a deadlock): said as `locked`, as SQLite's busy database is, so that a
    /// client retrying on the code does the same on both (found by a QA run).
    public static func isLockWait(_ error: any Error) -> Bool {
        guard let error = error as? PSQLError, let state = error.serverInfo?[.sqlState] else { return false }
        return state == "55P03" || state == "40P01"
    }

    /// Whether a driver's error says the database is out of reach or busy for now (a connection
    /// lost, a server starting or shutting down, out of resources, a lock, a deadlock), so that the
    /// same request may pass later; false for a statement the database refused for what it asked
    /// (a value out of range, a constraint), which asking again does not change: a fault of ours.
    public static func isTransient(_ error: any Error) -> Bool {
        if let error = error as? PSQLError {
            guard let state = error.serverInfo?[.sqlState] else { return true }
            return ["08", "40", "53", "55", "57", "58"].contains(String(state.prefix(2)))
        }
        if let error = error as? SQLiteError {
            return error.isTransient
        }
        return true
    }

    /// The system's words for why a PostgreSQL connection failed or could not be opened
    /// ("Connection timed out", "Connection refused", "no answer within 10 s", "the host name …
    /// is not known"), from the socket error under `error`, if there is one.
    static func reason(_ error: any Error) -> String? {
        switch error {
        case let error as PSQLError:
            if error.code == .sslUnsupported { return "the server does not support TLS, and the URL's sslmode requires it" }
            return error.underlying.flatMap(reason)
        case let error as NIOConnectionError:
            if let failure = error.connectionErrors.first { return reason(failure.error) }
            return error.dnsAError != nil || error.dnsAAAAError != nil ? "the host name \(error.host) is not known" : nil
        case let error as IOError:
            return String(cString: strerror(error.errnoCode))
        case let error as PostgresConnector.SocketFailure:
            return "socket \(error.path): \(String(cString: strerror(error.underlying.errnoCode)))"
        case let error as ChannelError:
            switch error {
            case .connectTimeout(let after): return "no answer within \(after.nanoseconds / 1_000_000_000) s"
            case .eof, .alreadyClosed, .ioOnClosedChannel, .outputClosed, .inputClosed: return "closed"
            default: return "\(error)"
            }
        default:
            return nil
        }
    }
}
