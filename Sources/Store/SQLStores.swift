import Foundation

/// Opening a store by where it is.
public enum SQLStores {
    /// `location` with any password in it replaced by `***`, for messages and logs.
    public static func redacted(_ location: String) -> String {
        guard var components = URLComponents(string: location), components.password != nil else { return location }
        components.password = "***"
        return components.string ?? location
    }

    /// The operating system's name for the user this process runs as, if it has one: who a
    /// socket-file login is (libpq's default user), and who a command's documents are by.
    public static var systemUserName: String? {
        guard let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name else { return nil }
        return String(cString: name)
    }

    /// Whether `location` names a PostgreSQL database (`postgres://` or `postgresql://`).
    public static func isPostgres(_ location: String) -> Bool {
        location.hasPrefix("postgres://") || location.hasPrefix("postgresql://")
    }

    /// Opens the database at `location`: a `postgres://` (or `postgresql://`) URL, or else the
    /// path of an SQLite file (created if missing).
    /// `readOnly` opens an SQLite file only to read it (a PostgreSQL URL is opened as always).
    public static func open(_ location: String, readOnly: Bool = false) async throws -> any SQLStore {
        if isPostgres(location) {
            return try await PostgresStore(url: location)
        }
        if location.contains("://") {
            throw StoreError(.unsupported, "database \(redacted(location)): only postgres:// URLs and SQLite file paths are supported")
        }
        // A file this user may read but not write (an auditor's account, a copy handed out) is
        // opened to read: reports and look-ups work, and a write says the file cannot be written.
        // It was refused outright ("cannot be written", exit 69), reports included.
        let readable = access(location, R_OK) == 0, writable = access(location, W_OK) == 0
        return try await SQLiteStore(path: location, readOnly: readOnly || (readable && !writable))
    }
}
