import Crypto
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
    /// Whether the operator has a PIN to sign in with where there is no badge reader.
    public var hasPIN: Bool

    public init(badge: String, name: String, role: Role, active: Bool = true, createdAt: String = "", hasPIN: Bool = false) {
        self.hasPIN = hasPIN
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

    /// The badges of a store whose stations' tables are created already (a running service).
    public init(prepared store: any SQLStore) {
        self.store = store
    }

    /// Adds an operator, with a PIN (4 to 12 digits) if given; a badge that exists is refused,
    /// and so is a PIN another active operator has (a PIN alone must say who signs in).
    @discardableResult
    public func add(_ person: StationOperator, pin: String? = nil) async throws -> StationOperator {
        try Self.validate(badge: person.badge)
        guard person.name.count <= 200 else { throw RegistryError(.invalidInput, "an operator's name has at most 200 characters") }
        // Documents and the scan log sign with the name; an empty one read "badge B9 is 's already".
        guard !person.name.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw RegistryError(.invalidInput, "the operator's name is empty: give the name documents and the scan log sign with (--name)")
        }
        if let pin, !(4...12).contains(pin.count) || !pin.allSatisfy({ $0.isASCII && $0.isNumber }) {
            throw RegistryError(.invalidInput, "a PIN is 4 to 12 digits")
        }
        var added = person
        added.createdAt = Timestamp.string(Date())
        added.hasPIN = pin != nil
        let salt = pin.map { _ in Self.salt() }
        let pinHash = pin.flatMap { pin in salt.map { Self.hash(pin: pin, salt: $0) } }
        return try await store.write { db in
            if let existing = try await Self.find(db, person.badge) {
                // A withdrawn badge is not given out again: what was done under it stays its holder's.
                throw RegistryError(.duplicate, existing.active
                    ? "badge \(person.badge) is \(existing.name)'s already: remove it first, or use another"
                    : "badge \(person.badge) was \(existing.name)'s and is withdrawn: a badge is never given out again, so that what was done under it stays theirs; give another badge")
            }
            if let pin, try await Self.identify(db, pin: pin) != nil {
                throw RegistryError(.duplicate, "another operator has this PIN: choose another")
            }
            try await db.raw("""
                INSERT INTO station_operators (badge, name, role, active, created_at, pin_salt, pin_hash)
                VALUES (\(bind: added.badge), \(bind: added.name), \(bind: added.role.rawValue), 1, \(bind: added.createdAt),
                        \(bind: salt), \(bind: pinHash))
                """).run()
            return added
        }
    }

    /// The active operator with this badge, if any.
    public func find(badge: String) async throws -> StationOperator? {
        try await store.read { db in try await Self.find(db, badge) }.flatMap { $0.active ? $0 : nil }
    }

    /// The active operator whose PIN this is, if any.
    public func identify(pin: String) async throws -> StationOperator? {
        try await store.read { db in try await Self.identify(db, pin: pin) }
    }

    static func identify(_ db: any SQLDatabase, pin: String) async throws -> StationOperator? {
        for row in try await db.raw("""
            SELECT badge, name, role, active, created_at, pin_salt, pin_hash FROM station_operators WHERE active = 1 AND pin_hash IS NOT NULL
            """).all() {
            let salt = try row.decode(column: "pin_salt", as: String.self)
            if Self.hash(pin: pin, salt: salt) == (try row.decode(column: "pin_hash", as: String.self)) { return try decode(row) }
        }
        return nil
    }

    static func salt() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<16).map { _ in String(format: "%02x", UInt8.random(in: .min ... .max, using: &generator)) }.joined()
    }

    static func hash(pin: String, salt: String) -> String {
        SHA256.hash(data: Data((salt + ":" + pin).utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// The badge as the stations know it: a person, unknown, or no badges registered at all.
    public func lookup(badge: String) async throws -> Lookup {
        try await store.read { db in try await Self.lookup(db, badge) }
    }

    /// Every operator, active or not, by badge.
    public func all() async throws -> [StationOperator] {
        try await store.read { db in
            try await db.raw("SELECT badge, name, role, active, created_at, pin_hash FROM station_operators ORDER BY badge").all().map(Self.decode)
        }
    }

    /// Withdraws a badge: it signs in no more. Its name stays on what it did.
    public func remove(badge: String) async throws {
        try await store.write { db in
            guard let person = try await Self.find(db, badge) else { throw RegistryError(.notFound, "there is no badge \(badge)") }
            // Withdrawn already: said, not answered "removed" again.
            guard person.active else { throw RegistryError(.conflict, "badge \(badge) (\(person.signature)) was withdrawn already") }
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
        // A scanner with Caps Lock on inverts the badge's case: the one active badge that reads
        // so is meant (badges are compared as written everywhere else).
        let folded = try await db.raw("SELECT badge, name, role, active, created_at, pin_hash FROM station_operators WHERE active = 1 AND LOWER(badge) = \(bind: badge.lowercased())")
            .all().map(decode)
        if folded.count == 1, let person = folded.first { return .known(person) }
        let any = try await db.raw("SELECT COUNT(*) AS n FROM station_operators").first()?.decode(column: "n", as: Int.self) ?? 0
        return any == 0 ? .unmanaged : .unknown
    }

    static func find(_ db: any SQLDatabase, _ badge: String) async throws -> StationOperator? {
        try await db.raw("SELECT badge, name, role, active, created_at, pin_hash FROM station_operators WHERE badge = \(bind: badge)")
            .first().map(decode)
    }

    static func decode(_ row: any SQLRow) throws -> StationOperator {
        StationOperator(badge: try row.decode(column: "badge", as: String.self), name: try row.decode(column: "name", as: String.self),
                        role: StationOperator.Role(rawValue: try row.decode(column: "role", as: String.self)) ?? .operator,
                        active: try row.decode(column: "active", as: Int.self) != 0,
                        createdAt: try row.decode(column: "created_at", as: String.self),
                        hasPIN: try row.decode(column: "pin_hash", as: String?.self) != nil)
    }

    /// A badge is what a control code can carry: 1 to 64 characters, no colon, no control characters.
    static func validate(badge: String) throws(RegistryError) {
        guard !badge.isEmpty, badge.count <= 64, !badge.contains(":"),
              !badge.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || $0 == " " }) else {
            throw RegistryError(.invalidInput, "badge \"\(badge)\": a badge is 1 to 64 characters without spaces, colons or control characters")
        }
    }
}
