import Foundation
import Crypto
import Registry
import SQLKit
public import Store

/// What a caller of the API may do. Each role may do what the roles before it may.
public enum Role: String, Sendable, Codable, CaseIterable, Comparable {
    /// Reads.
    case viewer
    /// Scans, prints, and opens and completes station tasks.
    case `operator`
    /// Makes the overrides: accepts expired goods, releases quarantine, cancels, reprints, voids.
    case supervisor
    /// Changes configuration, printers and tokens.
    case admin

    public static func < (lhs: Role, rhs: Role) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// An API token as it is listed: never its secret.
public struct APIToken: Sendable, Codable, Hashable {
    public var name: String
    public var role: Role
    public var createdAt: String
    public var createdBy: String
    public var revokedAt: String?
    public var lastUsedAt: String?
    /// An operator's session: the badge that signed in (who the writes are by), and the station
    /// the session is bound to.
    public var user: String?
    public var station: String?
    /// An operator's session: its id in `api_sessions`.
    public var session: Int64?
}

/// The API's tokens: created with a role and shown once, stored as their SHA-256, listed and
/// revoked by name. A revoked token is refused at once, by every process on the database.
public struct APITokens: Sendable {
    let store: any SQLStore

    /// The API's tables and their versions (`tracemark migrate --check`).
    public static let schema = ComponentSchema(component: "server", ledger: "server_migrations", migrations: ServerSchema.migrations)

    /// Tokens in `store`, creating the API's tables if needed.
    public init(store: any SQLStore) async throws {
        self.store = store
        try await store.migrate(ledger: "server_migrations", component: "server", migrations: ServerSchema.migrations,
                                now: Timestamp.string(Date()))
    }

    /// A new token named `name` with `role`; returns it and its secret, which is not stored.
    public func create(name: String, role: Role, by creator: String) async throws -> (token: APIToken, secret: String) {
        guard !name.isEmpty, name.count <= 64, name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.@".contains($0) }) else {
            throw RegistryError(.invalidInput, "token name \"\(name)\": use 1 to 64 letters, digits, -, _, . or @")
        }
        let secret = Self.secret(prefix: "tm_")
        let now = Timestamp.string(Date())
        do {
            try await store.write { db in
                try await db.raw("""
                    INSERT INTO api_tokens (name, role, hash, created_at, created_by)
                    VALUES (\(bind: name), \(bind: role.rawValue), \(bind: Self.hash(secret)), \(bind: now), \(bind: creator))
                    """).run()
            }
        } catch let error where DatabaseErrors.uniqueViolation(error) != nil {
            // A revoked token keeps its name: the scan log and documents name their writer by it.
            throw RegistryError(.duplicate, "a token named \(name) exists already (a revoked one too keeps its name, which the scan log and documents record): choose another name")
        }
        return (APIToken(name: name, role: role, createdAt: now, createdBy: creator), secret)
    }

    public func list() async throws -> [APIToken] {
        try await store.read { db in
            try await db.raw("SELECT name, role, created_at, created_by, revoked_at, last_used_at FROM api_tokens ORDER BY name")
                .all().map(Self.token)
        }
    }

    /// Revokes the token named `name`; refused when there is none (or it is revoked already).
    public func revoke(name: String) async throws {
        let now = Timestamp.string(Date())
        let revoked = try await store.write { db in
            try await db.raw("""
                UPDATE api_tokens SET revoked_at = \(bind: now) WHERE name = \(bind: name) AND revoked_at IS NULL RETURNING name
                """).all().count
        }
        guard revoked == 1 else { throw RegistryError(.notFound, "no token named \(name) is in use") }
    }

    /// The token whose secret this is, unless it is unknown or revoked; an operator's session
    /// (`tms_…`) unless it ended or expired.
    func authenticate(_ secret: String) async throws -> APIToken? {
        let hash = Self.hash(secret)
        if secret.hasPrefix(OperatorSessions.prefix) {
            return try await OperatorSessions(store: store).authenticate(hash: hash)
        }
        return try await store.read { db in
            try await db.raw("""
                SELECT name, role, created_at, created_by, revoked_at, last_used_at FROM api_tokens
                WHERE hash = \(bind: hash) AND revoked_at IS NULL
                """).first().map(Self.token)
        }
    }

    /// 32 random bytes, base64url, after `prefix`.
    static func secret(prefix: String) -> String {
        var bytes = [UInt8](repeating: 0, count: 32)
        var generator = SystemRandomNumberGenerator()
        for index in bytes.indices { bytes[index] = UInt8.random(in: .min ... .max, using: &generator) }
        return prefix + Data(bytes).base64URLEncoded
    }

    /// The token a request sends (`Authorization: Bearer <token>`), or nil when it sends none.
    static func bearer(_ headers: [String: String]) -> String? {
        guard let authorization = headers["authorization"], authorization.lowercased().hasPrefix("bearer ") else { return nil }
        return String(authorization.dropFirst("bearer ".count)).trimmingCharacters(in: .whitespaces)
    }

    static func hash(_ secret: String) -> String {
        SHA256.hash(data: Data(secret.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    private static func token(_ row: any SQLRow) throws -> APIToken {
        APIToken(name: try row.decode(column: "name", as: String.self),
                 role: Role(rawValue: try row.decode(column: "role", as: String.self)) ?? .viewer,
                 createdAt: try row.decode(column: "created_at", as: String.self),
                 createdBy: try row.decode(column: "created_by", as: String.self),
                 revokedAt: try row.decode(column: "revoked_at", as: String?.self),
                 lastUsedAt: try row.decode(column: "last_used_at", as: String?.self))
    }
}
