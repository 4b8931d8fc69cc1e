import ArgumentParser
import Foundation
import Registry
import SQLKit
import Store

/// The tool ``PostgresTools/run(_:_:password:output:application:)`` waits for, which an INT or
/// TERM of this process is passed on to (read in a signal handler: a plain global).
nonisolated(unsafe) private var runningTool: pid_t = 0

/// PostgreSQL's own `pg_dump` and `pg_restore`, run for `backup` and `restore` with the
/// database named as Tracemark's `--db` names it.
enum PostgresTools {
    /// The libpq parameters a URL of ours may carry; the others (`plan_cache_mode`,
    /// `search_path`) are Tracemark's and unknown to libpq.
    static let libpqParameters: Set<String> = [
        "host", "port", "sslmode", "sslrootcert", "sslcert", "sslkey", "connect_timeout",
        "keepalives", "keepalives_idle", "keepalives_interval", "keepalives_count", "tcp_user_timeout", "application_name",
    ]

    /// How a tool reaches the database of `url`: a libpq URI without the password (given through
    /// `PGPASSWORD`, never on a command line that `ps` shows), and the schema Tracemark's tables
    /// are in when the URL sets `search_path` (then only that schema is dumped and restored).
    struct Target {
        var uri: String
        var password: String?
        var schema: String?
    }

    static func target(_ url: String) throws -> Target {
        guard var components = URLComponents(string: url) else {
            throw ValidationError("database URL \(SQLStores.redacted(url)) is not a URL")
        }
        let password = components.password
        components.password = nil
        let items = components.queryItems ?? []
        let schema = items.first { $0.name == "search_path" }?.value
        let kept = items.filter { libpqParameters.contains($0.name) }
        components.queryItems = kept.isEmpty ? nil : kept
        components.scheme = "postgresql"
        guard let uri = components.string else { throw ValidationError("database URL \(SQLStores.redacted(url)) cannot be given to PostgreSQL's tools") }
        return Target(uri: uri, password: password, schema: schema)
    }

    /// Runs `tool` with `arguments`; returns what it wrote to standard error when it fails, and
    /// with `output` what it wrote to standard output (otherwise thrown away).
    /// `application` names the tool's session (for ``cancelWhenLockedOut(_:application:)``).
    /// Interrupted (INT, TERM), the tool is stopped too: it went on alone, and wrote its file later.
    static func run(_ tool: String, _ arguments: [String], password: String?,
                    output: Bool = false, application: String? = nil) throws -> (status: Int32, errors: String, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool] + arguments
        var environment = ProcessInfo.processInfo.environment
        if let password { environment["PGPASSWORD"] = password }
        if let application { environment["PGAPPNAME"] = application }
        process.environment = environment
        let errors = Pipe()
        let standardOutput = output ? Pipe() : nil
        process.standardError = errors
        process.standardOutput = standardOutput ?? FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw RegistryError(.unsupportedDatabase, "cannot run \(tool) (\(error.localizedDescription)): install PostgreSQL's client tools (apt install postgresql-client)")
        }
        // A plain handler (libdispatch's signal sources read a signalfd, which an ignored signal
        // never reaches), and KILL: the tool inherits the spawning thread's mask, TERM blocked.
        // A pg_restore killed rolls back its one transaction; pg_dump's partial file is removed.
        runningTool = process.processIdentifier
        for number in [SIGINT, SIGTERM] {
            signal(number) { _ in if runningTool > 0 { kill(runningTool, SIGKILL) } }
        }
        defer {
            signal(SIGINT, SIG_DFL)
            signal(SIGTERM, SIG_DFL)
            runningTool = 0
        }
        // Standard output first: a listing larger than a pipe's buffer would otherwise stall the tool.
        let written = standardOutput.map { String(decoding: $0.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) } ?? ""
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        if process.terminationStatus == 127 {
            throw RegistryError(.unsupportedDatabase, "\(tool) is not installed: install PostgreSQL's client tools (apt install postgresql-client)")
        }
        if process.terminationReason == .uncaughtSignal {
            // Stopped by us (INT or TERM passed on as KILL) or by someone, or crashed by itself:
            // a pg_restore that crashed on a damaged archive was said to have been stopped
            // (found by a QA run).
            let signal = process.terminationStatus
            let why = [SIGKILL, SIGINT, SIGTERM, SIGHUP].contains(signal)
                ? "interrupted: \(tool) was stopped" : "\(tool) crashed (signal \(signal))\(text.isEmpty ? "" : ": \(tail(text))")"
            return (128 + signal, why, written)
        }
        return (process.terminationStatus, text.trimmingCharacters(in: .whitespacesAndNewlines), written)
    }

    /// Cancels the statement of the session named `application` once it has waited for a lock
    /// as long as the service's statements may (checked each second); true if it did.
    static func cancelWhenLockedOut(_ url: String, application: String) async throws -> Bool {
        let store = try await SQLStores.open(url)
        defer { Task { await store.close() } }
        let limit = SQLiteStore.defaultBusyTimeoutMilliseconds / 1000
        var waited = 0
        while !Task.isCancelled {
            try await Task.sleep(for: .seconds(1))
            let pids = try await store.read { db in
                try await db.raw("""
                    SELECT pid FROM pg_stat_activity WHERE application_name = \(bind: application) AND wait_event_type = 'Lock'
                    """).all().map { try $0.decode(column: "pid", as: Int.self) }
            }
            waited = pids.isEmpty ? 0 : waited + 1
            guard waited > limit, let pid = pids.first else { continue }
            try await store.read { db in try await db.raw("SELECT pg_cancel_backend(CAST(\(bind: pid) AS INTEGER))").run() }
            return true
        }
        return false
    }

    /// Whether a tool's errors say it waited too long for a lock, or deadlocked.
    static func lockTrouble(_ errors: String) -> Bool {
        ["lock timeout", "deadlock detected", "could not obtain lock", "55P03", "40P01"].contains { errors.contains($0) }
            // pg_dump's --lock-wait-timeout is a statement timeout on its LOCK TABLE.
            || (errors.contains("statement timeout") && errors.contains("LOCK TABLE"))
    }

    /// What a pg_dump archive holds, from one `pg_restore --list`: the schemas its tables are in
    /// (where pg_restore writes them, whatever schema the restore's URL names), its tables, and
    /// those whose rows it holds (`TABLE DATA` entries: an empty table has one too, a
    /// `--schema-only` dump none).
    struct ArchiveListing {
        var schemas: Set<String> = []
        var tables: Set<String> = []
        var withData: Set<String> = []
    }

    static func archiveListing(_ file: String) throws -> ArchiveListing {
        let (status, failure, listing) = try run("pg_restore", ["--list", file], password: nil, output: true)
        guard status == 0 else { throw unreadable(file, failure) }
        // "597; 1259 362220 TABLE zz accounting_exports owner": the type, the schema, the table;
        // "3367; 0 16390 TABLE DATA public movements owner".
        var archive = ArchiveListing()
        for line in listing.split(separator: "\n") where !line.hasPrefix(";") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 6, fields[3] == "TABLE" else { continue }
            if fields[4] == "DATA" {
                if fields.count >= 7 { archive.withData.insert(String(fields[6])) }
            } else {
                archive.schemas.insert(String(fields[4]))
                archive.tables.insert(String(fields[5]))
            }
        }
        return archive
    }

    /// The versions each of `ledgers` (the `*_migrations` tables) holds in the archive `file`,
    /// read from its data (`pg_restore --data-only` to standard output: COPY blocks).
    static func archiveVersions(_ file: String, ledgers: [String]) throws -> [String: [Int]] {
        guard !ledgers.isEmpty else { return [:] }
        let (status, failure, text) = try run("pg_restore", ["--data-only", "--file=-"] + ledgers.map { "--table=\($0)" } + [file],
                                              password: nil, output: true)
        guard status == 0 else { throw unreadable(file, failure) }
        var versions: [String: [Int]] = [:]
        var current: String?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("COPY ") {
                // "COPY public.printing_migrations (version, name, applied_at) FROM stdin;"
                let name = line.dropFirst(5).prefix { $0 != " " }
                current = String(name.split(separator: ".").last ?? name).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
                versions[current!] = []
            } else if line == "\\." {
                current = nil
            } else if let table = current, let version = Int(line.prefix { $0 != "\t" }) {
                versions[table, default: []].append(version)
            }
        }
        return versions.mapValues { $0.sorted() }
    }

    /// An archive pg_restore cannot read: damaged, as an SQLite backup that is, a bad file given
    /// (64), as there.
    static func unreadable(_ file: String, _ failure: String) -> ValidationError {
        ValidationError("pg_restore cannot read \(file) (\(tail(failure))): it is damaged, or not a pg_dump archive; nothing was restored")
    }

    /// The last lines a tool wrote, for a message.
    static func tail(_ text: String) -> String {
        let lines = text.split(separator: "\n").suffix(3).joined(separator: "; ")
        return lines.isEmpty ? "no message" : lines
    }
}
