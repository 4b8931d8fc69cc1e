public import Foundation
public import GS1
import SQLKit

/// The record of which products are tracked, how their lot and serial numbers are made, and
/// which numbers exist.
///
/// Every operation is one transaction on the store: all of it is written, or none of it.
/// The same code runs on SQLite and on PostgreSQL.
public struct Registry: Sendable {
    public let store: any SQLStore
    /// The clock, replaceable in tests.
    let clock: @Sendable () -> Date
    /// What the resolver learnt of products from earlier scans (shared by copies of this value).
    let resolveHints = ResolveHints()

    /// Opens the registry at `location` (an SQLite path or a `postgres://` URL) and brings its
    /// schema up to date.
    public static func open(_ location: String) async throws -> Registry {
        let store = try await SQLiteStore.openStore(location)
        do {
            return try await Registry(store: store)
        } catch {
            await store.close()
            throw error
        }
    }

    /// Wraps an open store, running its migrations.
    public init(store: any SQLStore, clock: @escaping @Sendable () -> Date = Date.init) async throws {
        self.store = store
        self.clock = clock
        try await Schema.migrate(store, now: Self.timestamp(clock()))
    }

    public func close() async {
        await store.close()
    }

    /// Now, as stored: ISO 8601 in UTC with microseconds.
    var now: String { Self.timestamp(clock()) }

    /// Today's date in UTC.
    public var today: CalendarDate {
        let days = Int((clock().timeIntervalSince1970 / 86_400).rounded(.down))
        return CalendarDate(daysSinceEpoch: days)
    }

    /// An instant as the registry stores it: ISO 8601 in UTC with microseconds, so that text order is time order.
    public static func timestamp(_ date: Date) -> String {
        let seconds = date.timeIntervalSince1970
        let whole = Int(seconds.rounded(.down))
        let micros = Int(((seconds - Double(whole)) * 1_000_000).rounded(.down))
        let day = CalendarDate(daysSinceEpoch: whole >= 0 ? whole / 86_400 : (whole - 86_399) / 86_400)
        let secondOfDay = whole - day.daysSinceEpoch * 86_400
        return "\(day)T\(NumberFormat.pad(secondOfDay / 3600, 2)):\(NumberFormat.pad(secondOfDay / 60 % 60, 2)):\(NumberFormat.pad(secondOfDay % 60, 2)).\(NumberFormat.pad(micros, 6))Z"
    }
}

extension SQLiteStore {
    /// `SQLStore.open` under a name reachable from a concrete type.
    static func openStore(_ location: String) async throws -> any SQLStore {
        if location.hasPrefix("postgres://") || location.hasPrefix("postgresql://") {
            return try await PostgresStore(url: location)
        }
        if location.contains("://") {
            throw RegistryError(.unsupportedDatabase,
                "database \(location): only postgres:// URLs and SQLite file paths are supported")
        }
        return try await SQLiteStore(path: location)
    }
}
