import Foundation
import Registry
import SQLKit
public import Store

/// A person who works at the stations, known by the badge they scan (`TM:OP:<badge>`).
public struct StationOperator: Codable, Sendable, Hashable {
    public enum Role: String, Codable, Sendable, CaseIterable {
        /// Scans, receives, picks, runs the line.
        case `operator`
        /// Also makes the overrides at a station: confirms expired goods and later lots (`TM:OK:<badge>`).
        case supervisor
    }

    public var badge: String
    public var name: String
    public var role: Role
    public var active: Bool
    public var createdAt: String

    public init(badge: String, name: String, role: Role, active: Bool = true, createdAt: String = "") {
        self.badge = badge
        self.name = name
        self.role = role
        self.active = active
        self.createdAt = createdAt
    }

    /// How documents and the scan log name them.
    public var signature: String { name.isEmpty ? badge : "\(name) (\(badge))" }
}

/// The badges the stations accept. Until the first operator is added, any badge signs in (a
/// small site that does not manage badges); from then on, only the badges listed, and only a
/// supervisor's badge confirms an override at a station.
public struct Operators: Sendable {
    let store: any SQLStore

    public init(store: any SQLStore) async throws {
        self.store = store
        try await Station.prepare(store)
    }

    /// Adds an operator; a badge that exists is refused.
    @discardableResult
    public func add(_ person: StationOperator) async throws -> StationOperator {
        try Self.validate(badge: person.badge)
        guard person.name.count <= 200 else { throw RegistryError(.invalidInput, "an operator's name has at most 200 characters") }
        var added = person
        added.createdAt = Timestamp.string(Date())
        return try await store.write { db in
            if try await Self.find(db, person.badge) != nil {
                throw RegistryError(.duplicate, "badge \(person.badge) exists already: remove it first, or use another")
            }
            try await db.raw("""
                INSERT INTO station_operators (badge, name, role, active, created_at)
                VALUES (\(bind: added.badge), \(bind: added.name), \(bind: added.role.rawValue), 1, \(bind: added.createdAt))
                """).run()
            return added
        }
    }

    /// Every operator, active or not, by badge.
    public func all() async throws -> [StationOperator] {
        try await store.read { db in
            try await db.raw("SELECT badge, name, role, active, created_at FROM station_operators ORDER BY badge").all().map(Self.decode)
        }
    }

    /// Withdraws a badge: it signs in no more. Its name stays on what it did.
    public func remove(badge: String) async throws {
        try await store.write { db in
            guard try await Self.find(db, badge) != nil else { throw RegistryError(.notFound, "there is no badge \(badge)") }
            try await db.raw("UPDATE station_operators SET active = 0 WHERE badge = \(bind: badge)").run()
        }
    }

    /// What a scanned badge is: the operator, `.unknown` when badges are managed and it is not
    /// among them (or withdrawn), `.unmanaged` when no badge was ever added.
    public enum Lookup: Sendable, Equatable {
        case known(StationOperator)
        case unknown
        case unmanaged
    }

    static func lookup(_ db: any SQLDatabase, _ badge: String) async throws -> Lookup {
        if let person = try await find(db, badge), person.active { return .known(person) }
        let any = try await db.raw("SELECT COUNT(*) AS n FROM station_operators").first()?.decode(column: "n", as: Int.self) ?? 0
        return any == 0 ? .unmanaged : .unknown
    }

    static func find(_ db: any SQLDatabase, _ badge: String) async throws -> StationOperator? {
        try await db.raw("SELECT badge, name, role, active, created_at FROM station_operators WHERE badge = \(bind: badge)")
            .first().map(decode)
    }

    static func decode(_ row: any SQLRow) throws -> StationOperator {
        StationOperator(badge: try row.decode(column: "badge", as: String.self), name: try row.decode(column: "name", as: String.self),
                        role: StationOperator.Role(rawValue: try row.decode(column: "role", as: String.self)) ?? .operator,
                        active: try row.decode(column: "active", as: Int.self) != 0,
                        createdAt: try row.decode(column: "created_at", as: String.self))
    }

    /// A badge is what a control code can carry: 1 to 64 characters, no colon, no control characters.
    static func validate(badge: String) throws(RegistryError) {
        guard !badge.isEmpty, badge.count <= 64, !badge.contains(":"),
              !badge.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || $0 == " " }) else {
            throw RegistryError(.invalidInput, "badge \"\(badge)\": a badge is 1 to 64 characters without spaces, colons or control characters")
        }
    }
}
