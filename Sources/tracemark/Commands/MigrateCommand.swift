import ArgumentParser
import Foundation
import Printing
import Registry
import Server
import Stations
import Store

/// `migrate`: brings every component's tables to this Tracemark's schema, or says what it would do.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate", abstract: "Bring the database's schema up to this Tracemark (--check: only say what would change).",
        discussion: """
            Every command and the service migrate a database when they open it, each component in one \
            transaction; a database newer than this Tracemark is refused. `migrate --check` opens it \
            without changing anything and lists, per component (registry, printing, stations, server), \
            the versions it has and the steps that would run (--json with their SQL). Back up first: \
            tracemark backup FILE.
            """)
    @OptionGroup var options: GlobalOptions
    @Flag(help: "Change nothing: say what would be applied.") var check = false

    static let schemas = [Registry.schema, Spool.schema, Station.schema, APITokens.schema]

    func run() async throws {
        // Opening an SQLite path that is not there creates it: a check leaves no file behind.
        let created = check && !SQLStores.isPostgres(options.db) && !FileManager.default.fileExists(atPath: options.db)
        defer {
            if created { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: options.db + suffix) } }
        }
        // A check opens an existing SQLite file read-only: not even its journal mode changes.
        let store = try await SQLStores.open(options.db, readOnly: check && !created)
        do {
            var plans: [MigrationPlan] = []
            for schema in Self.schemas { plans.append(try await store.plan(schema)) }
            if !check {
                // Each component migrates itself, with the rows its versions add.
                try await Self.migrate(store)
            }
            await store.close()
            try options.emit(plans) { Self.describe(plans, applied: !check) }
            if check, plans.contains(where: \.isNewer) { throw ExitCode(1) }
        } catch {
            await store.close()
            throw error
        }
    }

    /// Brings every component's tables of the SQLite file at `path` up to this Tracemark.
    static func migrateAll(_ path: String) async throws {
        let store = try await SQLStores.open(path)
        do {
            try await migrate(store)
        } catch {
            await store.close()
            throw error
        }
        await store.close()
    }

    /// Every component migrates itself, with the rows its versions add.
    static func migrate(_ store: any SQLStore) async throws {
        _ = try await Registry(store: store)
        _ = try await Spool(store: store)
        try await Station.prepare(store)
        _ = try await APITokens(store: store)
    }

    static func describe(_ plans: [MigrationPlan], applied: Bool) -> String {
        plans.map { plan in
            let has = plan.applied.isEmpty ? "no tables yet" : "version \(plan.applied.max()!)"
            if plan.isNewer {
                return "\(plan.component): \(has), newer than this Tracemark (\(plan.known)): upgrade Tracemark"
            }
            if plan.pending.isEmpty { return "\(plan.component): \(has), up to date" }
            let steps = plan.pending.map { "  \($0.version) \($0.name) (\($0.statements.count) statement\($0.statements.count == 1 ? "" : "s"))" }
            return "\(plan.component): \(has); \(applied ? "applied" : "would apply"):\n" + steps.joined(separator: "\n")
        }.joined(separator: "\n")
    }
}
