public import ArgumentParser
import Foundation
import GS1
import Registry
import Store

/// Options every command takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The registry: an SQLite file (created when missing by a command that records something) or a postgres:// URL.",
                                            valueName: "path-or-url"))
    var db: String = ProcessInfo.processInfo.environment["TRACEMARK_DB"] ?? "./tracemark.sqlite"

    @Flag(name: .long, help: "Print JSON for scripts instead of text.")
    var json = false

    /// Opens the registry, runs `body`, and closes it again whatever happens.
    func withRegistry<T: Sendable>(_ body: (Registry) async throws -> T) async throws -> T {
        let registry = try await Registry.open(db)
        do {
            let result = try await body(registry)
            await registry.close()
            return result
        } catch {
            await registry.close()
            throw error
        }
    }

    /// Opens a registry that must be there already, for a command that only reads it: given a
    /// mistyped --db, `stock` and the reports made an empty database and answered "(none)", and
    /// `backup` backed up nothing, each with exit status 0.
    func withExistingRegistry<T: Sendable>(_ body: (Registry) async throws -> T) async throws -> T {
        try requireExistingDatabase()
        return try await withRegistry(body)
    }

    /// Refuses an SQLite file that is not there (a mistyped --db, an empty TRACEMARK_DB), for a
    /// command that only reads the registry.
    func requireExistingDatabase() throws {
        if databaseIsMissing { throw ValidationError(missingDatabase) }
    }

    /// Whether --db names an SQLite file that is not there.
    var databaseIsMissing: Bool {
        !SQLStores.isPostgres(db) && (db.isEmpty || !FileManager.default.fileExists(atPath: db))
    }

    /// Why ``requireExistingDatabase()`` refuses.
    var missingDatabase: String {
        let source = ProcessInfo.processInfo.environment["TRACEMARK_DB"] == db ? "TRACEMARK_DB" : "--db"
        return "there is no database at \(db.isEmpty ? "\"\"" : db) (\(source)): check the path; this command reads a registry and does not make one"
    }

    /// Prints `value` as JSON, or `text()` for people.
    func emit<T: Encodable>(_ value: T, text: () -> String) throws {
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            encoder.dateEncodingStrategy = .iso8601
            print(String(decoding: try encoder.encode(value), as: UTF8.self))
        } else {
            let out = text()
            if !out.isEmpty { print(Terminal.visible(out)) }
        }
    }
}

/// Parses a `YYYY-MM-DD` date argument.
func parseDate(_ text: String, what: String) throws -> CalendarDate {
    guard let date = CalendarDate(iso: text) else {
        throw ValidationError("\(what) \"\(text)\" is not a date: write YYYY-MM-DD")
    }
    return date
}

/// Refuses a period whose first day (`--from`) is after its last (`--to`): a bad command line.
func checkPeriod(from: CalendarDate, through: CalendarDate) throws {
    guard from <= through else { throw ValidationError("--from \(from) is after --to \(through): give the first day, then the last") }
}

/// Parses an optional GTIN argument with the GS1 target's message.
func parseGTIN(_ text: String?) throws -> GTIN? {
    guard let text else { return nil }
    do { return try GTIN(text) } catch { throw RegistryError(.invalidInput, error.message) }
}

/// A plain text table with aligned columns.
func table(_ header: [String], _ rows: [[String]]) -> String {
    guard !rows.isEmpty else { return "(none)" }
    let all = [header] + rows
    let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
    return all.map { row in
        row.enumerated().map { index, cell in
            index == row.count - 1 ? cell : padded(cell, to: widths[index])
        }.joined(separator: "  ")
    }.joined(separator: "\n")
}

/// `text` with spaces after it up to `width` characters. Not Foundation's `padding(toLength:)`,
/// which counts UTF-16 units and so cut a lot number with a character beyond them (`𠮷野家-2026`
/// showed as `𠮷野家-202`; found by a QA run).
func padded(_ text: String, to width: Int) -> String {
    let count = text.count
    return count >= width ? text : text + String(repeating: " ", count: width - count)
}

/// `name: value` lines, for showing one record.
func fields(_ pairs: [(String, String?)]) -> String {
    let width = pairs.map(\.0.count).max() ?? 0
    return pairs.compactMap { name, value in
        value.map { "\(padded(name, to: width))  \($0)" }
    }.joined(separator: "\n")
}

extension LotSerialClass.Tracking: ExpressibleByArgument {}
extension TraceTree.Direction: EnumerableFlag {}
extension LotSerialClass.SerialQuantity: ExpressibleByArgument {}
extension LotSerialClass.Assignment: ExpressibleByArgument {}
extension LotSerialClass.IssueMethod: ExpressibleByArgument {}
extension LotSerialClass.CounterScope: ExpressibleByArgument {}
extension LotSerialClass.Uniqueness: ExpressibleByArgument {}
extension Partner.Role: ExpressibleByArgument {}
extension WriteOff.Reason: ExpressibleByArgument {}
extension LotSerial.Status: ExpressibleByArgument {}
