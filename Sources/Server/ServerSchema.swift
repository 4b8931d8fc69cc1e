import Store

/// The HTTP API's tables, in the registry's database and versioned on their own
/// (`server_migrations`): API tokens, and the stored responses of idempotent requests.
enum ServerSchema {
    static let migrations: [SchemaMigration] = [
        SchemaMigration(version: 1, name: "API tokens and idempotency keys", statements: [
            // A token is shown once; only its SHA-256 is kept. Revoked tokens stay, for the record
            // of who made which change.
            """
            CREATE TABLE api_tokens (
                id {id},
                name TEXT NOT NULL UNIQUE,
                role TEXT NOT NULL,
                hash TEXT NOT NULL UNIQUE,
                created_at TEXT NOT NULL,
                created_by TEXT NOT NULL,
                revoked_at TEXT,
                last_used_at TEXT
            )
            """,
            // The first response to a key, replayed for 24 hours. `state` is `running` while the
            // first request runs (the same key again then gets 409), `done` after.
            """
            CREATE TABLE api_idempotency (
                token TEXT NOT NULL,
                idempotency_key TEXT NOT NULL,
                fingerprint TEXT NOT NULL,
                state TEXT NOT NULL,
                status {int},
                content_type TEXT,
                body {blob},
                created_at TEXT NOT NULL,
                PRIMARY KEY (token, idempotency_key)
            )
            """,
            "CREATE INDEX api_idempotency_created ON api_idempotency(created_at)",
        ]),
        // Operators signed in at a station (badge or PIN): a session token bound to that station,
        // kept as its SHA-256, ending at sign-out or after a shift.
        SchemaMigration(version: 2, name: "operator sessions", statements: [
            """
            CREATE TABLE api_sessions (
                id {id},
                hash TEXT NOT NULL UNIQUE,
                badge TEXT NOT NULL,
                name TEXT NOT NULL,
                role TEXT NOT NULL,
                station TEXT NOT NULL,
                created_at TEXT NOT NULL,
                expires_at TEXT NOT NULL,
                ended_at TEXT
            )
            """,
        ]),
        SchemaMigration(version: 3, name: "the process running an idempotent request", statements: [
            "ALTER TABLE api_idempotency ADD COLUMN holder TEXT",
        ]),
        // The answer's headers (ETag, Location …) as JSON: a replay gives them again, as the
        // first answer did (a client that retried a PUT got no ETag for its next change).
        SchemaMigration(version: 4, name: "an idempotent answer's headers", statements: [
            "ALTER TABLE api_idempotency ADD COLUMN headers TEXT",
        ]),
    ]
}
