public import Foundation
public import GS1
import SQLKit
public import Store

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
        let store = try await SQLStores.open(location)
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

    /// The registry's tables and their versions (`tracemark migrate --check`).
    public static var schema: ComponentSchema { Schema.component }

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

    /// An instant as the registry stores it (``Timestamp``): ISO 8601 in UTC with microseconds,
    /// so that text order is time order.
    public static func timestamp(_ date: Date) -> String {
        Timestamp.string(date)
    }
}
