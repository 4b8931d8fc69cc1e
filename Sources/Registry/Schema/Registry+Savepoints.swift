import SQLKit
import Store

extension Registry {
    /// Runs `body` inside a savepoint, so that when it fails (a unique index refusing a row) the
    /// transaction can go on to explain why: PostgreSQL refuses every further statement of a
    /// transaction after an error unless the failed part is rolled back to a savepoint.
    static func guarded<T>(_ db: any SQLDatabase, _ body: () async throws -> T) async throws -> T {
        try await db.raw("SAVEPOINT tracemark_guard").run()
        do {
            let result = try await body()
            try await db.raw("RELEASE SAVEPOINT tracemark_guard").run()
            return result
        } catch {
            try await db.raw("ROLLBACK TO SAVEPOINT tracemark_guard").run()
            try await db.raw("RELEASE SAVEPOINT tracemark_guard").run()
            throw error
        }
    }
}
