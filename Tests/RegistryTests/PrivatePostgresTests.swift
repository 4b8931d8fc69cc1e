import Foundation
import Testing
import TracemarkTesting

/// The throw-away PostgreSQL servers tests start for themselves outlive a test run killed midway
/// (pg_ctl detaches them) unless something stops them: `scripts/postgres.sh` watches the process
/// that owns each one, and stops the server and removes its files once that process has ended.
@Suite struct PrivatePostgresTests {
    @Test(.enabled(if: Backend.postgresURL != nil, "needs the PostgreSQL server binaries"))
    func aServerWhoseOwnerEndsIsStoppedAndRemoved() async throws {
        let owner = try StandInOwner()
        let server = try await PrivatePostgres.start(owner: owner.pid)
        defer { Task { await server.stop() } }
        let data = server.folder.appendingPathComponent("data")
        #expect(FileManager.default.fileExists(atPath: data.path))
        #expect(try await Command.run("psql", [server.url, "-Atc", "SELECT 1"]).stdout == "1\n")

        await owner.end()
        #expect(try await eventually { !FileManager.default.fileExists(atPath: server.folder.path) },
                "the server outlived the process that owned it")
        #expect(try await Command.run("psql", [server.url, "-Atc", "SELECT 1"]).status != 0)
    }
}
