import CSQLite
import Foundation
import TracemarkSystem

/// An SQLite failure: the result code, and SQLite's message for it.
public struct SQLiteError: Error, CustomStringConvertible, Sendable {
    /// The extended result code (`SQLITE_CONSTRAINT_UNIQUE`, `SQLITE_BUSY_SNAPSHOT`, ...).
    public let code: Int32
    public let message: String

    /// The primary result code (`SQLITE_CONSTRAINT`, `SQLITE_BUSY`, ...).
    public var primaryCode: Int32 { code & 0xFF }
    public var isBusy: Bool { primaryCode == SQLITE_BUSY || primaryCode == SQLITE_LOCKED }
    /// Busy, or the file out of reach (a disk error or full, not writable now): may pass later.
    public var isTransient: Bool {
        isBusy || [SQLITE_IOERR, SQLITE_FULL, SQLITE_CANTOPEN, SQLITE_READONLY, SQLITE_PROTOCOL, SQLITE_INTERRUPT].contains(primaryCode)
    }
    public var isUniqueViolation: Bool { code == Self.constraintUnique || code == Self.constraintPrimaryKey }
    // Extended codes are macros Swift does not import: SQLITE_CONSTRAINT | (8 << 8), | (6 << 8).
    static let constraintUnique = SQLITE_CONSTRAINT | (8 << 8)
    static let constraintPrimaryKey = SQLITE_CONSTRAINT | (6 << 8)
    public var cannotWrite: Bool {
        [SQLITE_READONLY, SQLITE_PERM, SQLITE_CANTOPEN].contains(primaryCode)
    }
    public var description: String { "SQLite error \(code): \(message)" }
}

/// One connection to an SQLite file, over SQLite's C API, with its prepared statements kept by
/// SQL text and a thread of its own.
///
/// A pool gives the connection to one task at a time, and its calls happen one after the other
/// (the connection is opened without SQLite's own mutex): on its thread, or, for a short read,
/// on the caller's. A read's statement starts on the caller's thread, without waiting for a
/// lock; one that needs more than ``inlineBudgetNanoseconds`` of SQLite's work, or would wait
/// for a lock, is stopped and run again from the start on the connection's thread (a read has
/// no effects, and its rows are handed over only once it has finished). Handing work to another
/// thread and back costs about 50 µs at the median and milliseconds at the 99th percentile on a
/// virtual machine, several times a look-up's own work (BENCHMARKS.md, "The store's fast path").
final class SQLiteConnection: @unchecked Sendable {
    let thread: ConnectionThread
    private var handle: OpaquePointer?
    private let busyTimeoutMilliseconds: Int32
    /// When a statement run on the caller's thread is stopped (monotonic nanoseconds); 0: never.
    fileprivate var deadline: UInt64 = 0
    /// Whether this turn's statements may start on the caller's thread: a read's first statement
    /// that had to move sends the rest of that read to the connection's thread.
    var startsInline = false
    /// SQLite's work a statement may do on the caller's thread (a look-up takes about 10 µs).
    static let inlineBudgetNanoseconds: UInt64 = 1_000_000
    private var statements: [String: (statement: OpaquePointer, columns: SQLiteColumns)] = [:]
    /// More distinct statements than any operation of the registry has: reached only by SQL
    /// built with values in its text, which is then not worth keeping.
    private static let cacheLimit = 512

    private init(thread: ConnectionThread, handle: OpaquePointer, busyTimeoutMilliseconds: Int32) {
        self.thread = thread
        self.handle = handle
        self.busyTimeoutMilliseconds = busyTimeoutMilliseconds
    }

    /// The URI that opens `path` as immutable, when reading it otherwise cannot work: a WAL
    /// database that no process has open (no `-wal` file) in a folder this user cannot write
    /// cannot have its shared-memory index made, and every read failed with "attempt to write a
    /// readonly database". Nil when the folder is writable or a `-wal` file is there (a process
    /// has it open, and its `-shm` file serves readers).
    static func immutableURI(_ path: String) -> String? {
        let folder = (path as NSString).deletingLastPathComponent
        guard access(folder.isEmpty ? "." : folder, W_OK) != 0, access(path + "-wal", F_OK) != 0 else { return nil }
        var escaped = ""
        for character in path.unicodeScalars {
            switch character {
            case "%", "?", "#": escaped += String(format: "%%%02X", character.value)
            default: escaped.unicodeScalars.append(character)
            }
        }
        return "file:\(escaped)?immutable=1"
    }

    static func open(path: String, name: String, busyTimeoutMilliseconds: Int, readOnly: Bool = false) async throws -> SQLiteConnection {
        let thread = ConnectionThread(name: name)
        do {
            let handle = try await thread.run { () throws -> UncheckedHandle in
                var handle: OpaquePointer?
                var flags = (readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) | SQLITE_OPEN_NOMUTEX
                var name = path
                if readOnly, let immutable = Self.immutableURI(path) {
                    name = immutable
                    flags |= SQLITE_OPEN_URI
                }
                let status = sqlite3_open_v2(name, &handle, flags, nil)
                guard status == SQLITE_OK, let handle else {
                    let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
                    sqlite3_close_v2(handle)
                    throw SQLiteError(code: status, message: message)
                }
                sqlite3_extended_result_codes(handle, 1)
                return UncheckedHandle(pointer: handle)
            }
            let connection = SQLiteConnection(thread: thread, handle: handle.pointer, busyTimeoutMilliseconds: Int32(busyTimeoutMilliseconds))
            try await thread.run { connection.installHandlers() }
            return connection
        } catch {
            thread.stop()
            throw error
        }
    }

    var isClosed: Bool { handle == nil }

    /// The busy timeout, and the progress handler that stops a statement run on the caller's
    /// thread at its deadline (checked every 1,000 of SQLite's virtual machine steps).
    private func installHandlers() {
        sqlite3_busy_timeout(handle, busyTimeoutMilliseconds)
        // SQLite's own LOWER folds ASCII only: 'Ünï' stayed 'Ünï', so a search by part of a number
        // found non-English numbers on PostgreSQL and not here (found by a QA run). Unicode's
        // lowercase mapping, as PostgreSQL's LOWER under a UTF-8 locale.
        sqlite3_create_function_v2(handle, "lower", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, nil, { context, _, arguments in
            guard let argument = arguments?[0], sqlite3_value_type(argument) != SQLITE_NULL, let text = sqlite3_value_text(argument) else {
                sqlite3_result_null(context)
                return
            }
            let count = Int(sqlite3_value_bytes(argument))
            let buffer = UnsafeBufferPointer(start: text, count: count)
            if !buffer.contains(where: { $0 >= 0x80 || ($0 >= 0x41 && $0 <= 0x5A) }) {
                sqlite3_result_text(context, text, Int32(count), tm_sqlite_transient())
                return
            }
            let lowered = String(decoding: buffer, as: UTF8.self).lowercased()
            lowered.withCString { sqlite3_result_text(context, $0, -1, tm_sqlite_transient()) }
        }, nil, nil, nil)
        sqlite3_progress_handler(handle, 1000, { context in
            let connection = Unmanaged<SQLiteConnection>.fromOpaque(context!).takeUnretainedValue()
            return connection.deadline != 0 && Monotonic.nanoseconds > connection.deadline ? 1 : 0
        }, Unmanaged.passUnretained(self).toOpaque())
    }

    /// Finalizes the statements, closes the file and ends the thread.
    func close() async {
        _ = try? await thread.run { [self] in
            for (statement, _) in statements.values { sqlite3_finalize(statement) }
            statements.removeAll()
            sqlite3_close_v2(handle)
            handle = nil
        }
        thread.stop()
    }

    /// Runs `sql` with `binds` and hands each row to `onRow`: on the caller's thread when this is
    /// a read's turn (``startsInline``) and it finishes within the budget, otherwise on the
    /// connection's thread.
    func execute(_ sql: String, _ binds: [any Encodable & Sendable], _ onRow: @escaping @Sendable (SQLiteRow) -> Void) async throws {
        if thread.isCurrent { return try run(sql, binds, onRow) }
        if startsInline {
            if let rows = try runInline(sql, binds) {
                for row in rows { onRow(row) }
                return
            }
            startsInline = false
        }
        let values = UncheckedBinds(values: binds)
        try await thread.run { [self] in try run(sql, values.values, onRow) }
    }

    /// Runs a statement whose columns are integers on the connection's thread, handing `body`
    /// each row's first `columns` values (NULL as 0) without making a row of it: what a report
    /// that reads hundreds of thousands of rows needs (``SQLDatabase/integerRows(_:columns:_:)``).
    func executeIntegers(_ sql: String, _ binds: [any Encodable & Sendable], columns: Int,
                         _ body: @escaping @Sendable (UnsafeBufferPointer<Int>) -> Void) async throws {
        let values = UncheckedBinds(values: binds)
        let work: @Sendable () throws -> Void = { [self] in
            try withStatement(sql, values.values) { handle, statement, _, _ in
                guard Int(sqlite3_column_count(statement)) >= columns else {
                    throw SQLiteError(code: SQLITE_RANGE, message: "the statement has \(sqlite3_column_count(statement)) columns, not \(columns)")
                }
                let row = UnsafeMutableBufferPointer<Int>.allocate(capacity: columns)
                defer { row.deallocate() }
                while true {
                    let status = sqlite3_step(statement)
                    if status == SQLITE_DONE { return }
                    guard status == SQLITE_ROW else { throw error(handle, status) }
                    for column in 0..<columns { row[column] = Int(sqlite3_column_int64(statement, Int32(column))) }
                    body(UnsafeBufferPointer(row))
                }
            }
        }
        if thread.isCurrent { return try work() }
        try await thread.run(work)
    }

    /// Waits at most `milliseconds` for another process's lock until ``restoreBusyTimeout()``:
    /// what is left of an operation's wait once it had to queue for the connection.
    func limitBusyTimeout(milliseconds: Int) {
        guard let handle else { return }
        sqlite3_busy_timeout(handle, Int32(clamping: max(0, min(milliseconds, Int(busyTimeoutMilliseconds)))))
    }

    /// The connection's own busy timeout again.
    func restoreBusyTimeout() {
        guard let handle else { return }
        sqlite3_busy_timeout(handle, busyTimeoutMilliseconds)
    }

    /// Runs a read's statement here, without waiting for a lock and within the budget; `nil`
    /// when it was stopped (nothing was handed over).
    private func runInline(_ sql: String, _ binds: [any Encodable & Sendable]) throws -> [SQLiteRow]? {
        var rows: [SQLiteRow] = []
        sqlite3_busy_timeout(handle, 0)
        deadline = Monotonic.nanoseconds + Self.inlineBudgetNanoseconds
        defer {
            deadline = 0
            sqlite3_busy_timeout(handle, busyTimeoutMilliseconds)
        }
        do {
            try run(sql, binds) { rows.append($0) }
        } catch let error as SQLiteError where error.primaryCode == SQLITE_INTERRUPT || error.isBusy {
            return nil
        }
        return rows
    }

    private func run(_ sql: String, _ binds: [any Encodable & Sendable], _ onRow: (SQLiteRow) -> Void) throws {
        try withStatement(sql, binds) { handle, statement, columns, kept in
            var names = columns
            while true {
                let status = sqlite3_step(statement)
                if status == SQLITE_DONE { return }
                guard status == SQLITE_ROW else { throw error(handle, status) }
                // SQLite prepares a statement again after a schema change: its columns may differ.
                if sqlite3_column_count(statement) != names.names.count {
                    names = SQLiteColumns(statement)
                    if kept { statements[sql] = (statement, names) }
                }
                var values: [SQLiteValue] = []
                values.reserveCapacity(names.names.count)
                for column in 0..<Int32(names.names.count) { values.append(SQLiteValue(statement, column)) }
                onRow(SQLiteRow(columns: names, values: values))
            }
        }
    }

    /// The prepared statement for `sql` with `binds` bound, for `body`; reset (kept) or finalized
    /// after, whatever `body` does.
    private func withStatement(_ sql: String, _ binds: [any Encodable & Sendable],
                               _ body: (OpaquePointer, OpaquePointer, SQLiteColumns, Bool) throws -> Void) throws {
        guard let handle else { throw SQLiteError(code: SQLITE_MISUSE, message: "the connection is closed") }
        let (statement, columns, kept) = try prepared(sql, handle)
        defer {
            if kept {
                sqlite3_reset(statement)
                sqlite3_clear_bindings(statement)
            } else {
                sqlite3_finalize(statement)
            }
        }
        let parameters = Int(sqlite3_bind_parameter_count(statement))
        guard parameters == binds.count else {
            throw SQLiteError(code: SQLITE_RANGE, message: "the statement has \(parameters) parameters, given \(binds.count) values")
        }
        for (index, value) in binds.enumerated() {
            let status = try SQLiteValue(encoding: value).bind(to: statement, at: Int32(index + 1))
            guard status == SQLITE_OK else { throw error(handle, status) }
        }
        try body(handle, statement, columns, kept)
    }

    /// The prepared statement for `sql`, and whether it is kept for the next time.
    private func prepared(_ sql: String, _ handle: OpaquePointer) throws -> (OpaquePointer, SQLiteColumns, Bool) {
        if let (statement, columns) = statements[sql] { return (statement, columns, true) }
        var statement: OpaquePointer?
        let status = sql.utf8.withContiguousStorageIfAvailable { text in
            text.withMemoryRebound(to: CChar.self) { text in
                sqlite3_prepare_v3(handle, text.baseAddress, Int32(text.count), UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
            }
        } ?? sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard status == SQLITE_OK else { throw error(handle, status) }
        guard let statement else {
            // Only a comment or white space: nothing to run.
            throw SQLiteError(code: SQLITE_MISUSE, message: "the statement is empty")
        }
        // Statements naming an attached database must not outlive it.
        let upper = sql.prefix(8).uppercased()
        let columns = SQLiteColumns(statement)
        if upper.hasPrefix("ATTACH") || upper.hasPrefix("DETACH") || upper.hasPrefix("VACUUM") { return (statement, columns, false) }
        if statements.count >= Self.cacheLimit {
            for (kept, _) in statements.values { sqlite3_finalize(kept) }
            statements.removeAll(keepingCapacity: true)
        }
        statements[sql] = (statement, columns)
        return (statement, columns, true)
    }

    private func error(_ handle: OpaquePointer, _ status: Int32) -> SQLiteError {
        let code = sqlite3_extended_errcode(handle)
        return SQLiteError(code: code == SQLITE_OK ? status : code, message: String(cString: sqlite3_errmsg(handle)))
    }
}

/// A handle crossing from the connection's thread at open: used only there afterwards.
private struct UncheckedHandle: @unchecked Sendable { let pointer: OpaquePointer }
/// Bind values are `Sendable` one by one; the array of existentials goes to the connection's thread whole.
private struct UncheckedBinds: @unchecked Sendable { let values: [any Encodable & Sendable] }

/// The column names of a statement's result, shared by its rows.
final class SQLiteColumns: Sendable {
    let names: [String]
    /// The first column of each name (a join may repeat one).
    private let indexes: [String: Int]

    init(_ statement: OpaquePointer) {
        names = (0..<sqlite3_column_count(statement)).map { String(cString: sqlite3_column_name(statement, $0)) }
        indexes = Dictionary(names.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
    }

    func index(of name: String) -> Int? {
        indexes[name]
    }
}
