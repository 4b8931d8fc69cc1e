import Foundation
import Registry
import SQLKit
import Store
import Testing

/// A registry on PostgreSQL over TLS, as `sslmode` asks, against a server with a self-signed
/// certificate; and a password never in a message.
@Suite struct PostgresTLSTests {
    @Test(.enabled(if: Backend.postgresURL != nil, "needs the PostgreSQL server binaries"))
    func sslModesAreHonouredAndPasswordsNeverShown() async throws {
        let server = try await PrivatePostgres.start(tls: true)
        defer { Task { await server.stop() } }
        func url(_ query: String) -> String { server.url + "?" + query }

        // require: TLS without checking the certificate; verify-full with the server's own CA.
        // A connect timeout of minutes: on a loaded machine a handshake outlasted the default 10 s
        // (seen once in CI), which says nothing of TLS.
        for query in ["sslmode=require", "sslmode=verify-full&sslrootcert=\(server.certificate)",
                      "sslmode=verify-ca&sslrootcert=\(server.certificate)", "sslmode=prefer", "sslmode=disable"] {
            let registry = try await Registry.open(url(query + "&connect_timeout=300"))
            let encrypted = try await registry.store.read { db in
                try await db.raw("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").first()!.decode(column: "ssl", as: Bool.self)
            }
            #expect(encrypted == (query != "sslmode=disable"), "\(query)")
            await registry.close()
        }
        // verify-full against the system's CAs: the self-signed certificate is refused.
        await #expect(throws: (any Error).self) { _ = try await Registry.open(url("sslmode=verify-full")) }
        await expectStoreError(.unsupported, "sslmode sometimes is not one of disable, prefer, require, verify-ca, verify-full") {
            _ = try await Registry.open(url("sslmode=sometimes"))
        }
        // A misspelt parameter is refused, as psql refuses it: `sslmod=verify-full` connected
        // with the default prefer, the certificate unchecked (found by a QA run).
        await expectStoreError(.unsupported, "unknown parameter sslmod (Tracemark takes") {
            _ = try await Registry.open(url("sslmod=verify-full"))
        }

        // A password in the URL is never printed, whatever goes wrong.
        let secret = "s3cret-Passw0rd"
        let withPassword = server.url.replacingOccurrences(of: "tracemark@", with: "tracemark:\(secret)@")
        for location in [withPassword.replacingOccurrences(of: "127.0.0.1:", with: "127.0.0.1:1") + "9",
                         withPassword + "?sslmode=sometimes", "postgres://tracemark:\(secret)@/nohost"] {
            let run = try await Command.tracemark(["stock", "--db", location])
            #expect(run.status != 0 && !run.stderr.contains(secret) && !run.stdout.contains(secret), "\(run.stderr)")
        }
    }
}
