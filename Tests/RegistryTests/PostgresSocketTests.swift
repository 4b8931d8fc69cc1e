import Foundation
import SQLKit
@testable import Store
import Testing
import TracemarkTesting

/// A PostgreSQL server on the station's own host, reached through its socket file as libpq
/// reaches it (`postgres:///db?host=/var/run/postgresql`): no TCP, no password where the server
/// trusts its local users (`peer`).
@Suite struct PostgresSocketTests {
    typealias Endpoint = PostgresConnector.Endpoint

    private func endpoint(_ url: String, directories: [String] = Endpoint.socketDirectories) throws -> Endpoint {
        try Endpoint(try #require(URLComponents(string: url)), location: url, socketDirectories: directories)
    }

    @Test func theURLNamesAHostOrASocketFileAsLibpqReadsIt() throws {
        #expect(try endpoint("postgres://u@db.example:6543/t") == .tcp(host: "db.example", port: 6543))
        #expect(try endpoint("postgres://u@db.example/t") == .tcp(host: "db.example", port: 5432))
        #expect(try endpoint("postgresql://u@/t?host=/var/run/postgresql") == .socket(path: "/var/run/postgresql/.s.PGSQL.5432"))
        #expect(try endpoint("postgres://u@/t?host=/run/pg/&port=5433") == .socket(path: "/run/pg/.s.PGSQL.5433"))
        #expect(try endpoint("postgres://u@%2Frun%2Fpg/t") == .socket(path: "/run/pg/.s.PGSQL.5432"))
        #expect(try endpoint("postgres://u@%2Frun%2Fpg:5433/t") == .socket(path: "/run/pg/.s.PGSQL.5433"))
        // The query's host wins over the authority's, as in libpq.
        #expect(try endpoint("postgres://u@127.0.0.1/t?host=/run/pg") == .socket(path: "/run/pg/.s.PGSQL.5432"))
        #expect(try endpoint("postgres://u@/t?host=db.example&port=6000") == .tcp(host: "db.example", port: 6000))

        // No host: the first of libpq's directories that holds the server's socket file.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tracemark-socket-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let missing = folder.appendingPathComponent("none").path
        #expect(try endpoint("postgres:///t", directories: [missing, folder.path]) == .socket(path: "\(missing)/.s.PGSQL.5432"))
        _ = FileManager.default.createFile(atPath: folder.appendingPathComponent(".s.PGSQL.5432").path, contents: nil)
        #expect(try endpoint("postgres:///t", directories: [missing, folder.path]) == .socket(path: "\(folder.path)/.s.PGSQL.5432"))

        for (url, message) in [
            ("postgres://u@/t?host=/run/pg&port=0", "database postgres://u@/t?host=/run/pg&port=0: port=0 is not a port number (1 to 65535)"),
            ("postgres://u@/t?host=a.example,b.example", "database postgres://u@/t?host=a.example,b.example: several hosts (a.example,b.example) are not supported: name one server"),
        ] {
            let error = #expect(throws: StoreError.self) { try endpoint(url) }
            #expect(error?.message == message)
        }
        let long = "/" + String(repeating: "d", count: 110)
        let error = #expect(throws: StoreError.self) { try endpoint("postgres://u@/t?host=\(long)") }
        #expect(error?.message.hasSuffix("the socket path \(long)/.s.PGSQL.5432 is longer than the system allows (107 bytes)") == true)
    }

    /// The make-test server's socket file, as a URL to the same database and schema.
    private func socketURL(of database: TestDatabase) async throws -> (url: URLComponents, folder: String, port: String) {
        let store = try await PostgresStore(url: database.location, connections: 1)
        let (folders, portText) = try await store.read { db in
            (try await db.raw("SHOW unix_socket_directories").first()?.decode(column: "unix_socket_directories", as: String.self),
             try await db.raw("SHOW port").first()?.decode(column: "port", as: String.self))
        }
        await store.close()
        let folder = try #require(folders?.split(separator: ",").first).trimmingCharacters(in: .whitespaces)
        let port = try #require(portText)
        var url = try #require(URLComponents(string: database.location))
        url.host = nil
        url.port = nil
        url.queryItems = (url.queryItems ?? []) + [URLQueryItem(name: "host", value: folder), URLQueryItem(name: "port", value: port)]
        return (url, folder, port)
    }

    @Test(.enabled(if: Backend.postgresURL != nil, "needs the PostgreSQL server make test starts"))
    func aStationOnTheServersHostWorksThroughTheSocketFile() async throws {
        let database = try await TestDatabase.make(.postgres)
        defer { Task { await database.drop() } }
        let (components, folder, port) = try await socketURL(of: database)
        let url = try #require(components.string)

        // The commands work through it, and the session is really not a TCP one.
        let demo = try await Command.tracemark(["demo", "--db", url])
        #expect(demo.status == 0, "\(demo.stderr)")
        let scan = try await Command.tracemark(["resolve", "--json", "--db", url, "(01)09501101530003(17)391231(10)LOT42"])
        let answer = try JSONSerialization.jsonObject(with: Data(scan.stdout.utf8)) as? [String: Any]
        #expect(scan.status == 0 && answer?["subject"] as? String == "lot", "\(scan.stdout) \(scan.stderr)")
        let store = try await PostgresStore(url: url, connections: 1)
        let address = try await store.read { db in
            try await db.raw("SELECT inet_server_addr()::text AS address").first()?.decode(column: "address", as: String?.self)
        }
        await store.close()
        #expect(address == nil, "connected over TCP to \(address ?? "")")

        // No user named: the operating system's, as libpq (and a `peer` login) takes it.
        var anonymous = components
        anonymous.user = nil
        await expectStoreError(.unavailable, "role \"\(PostgresStore.systemUser)\" does not exist") {
            _ = try await PostgresStore(url: try #require(anonymous.string), connections: 1)
        }

        // A wrong folder or port says which socket file is missing.
        var wrong = components
        wrong.queryItems = (components.queryItems ?? []).map { $0.name == "port" ? URLQueryItem(name: "port", value: "1") : $0 }
        let missing = try await Command.tracemark(["stock", "--db", try #require(wrong.string)])
        #expect(missing.status == 69, "\(missing.stderr)")
        #expect(missing.stderr.contains("cannot connect to PostgreSQL at ") &&
                missing.stderr.contains("(socket \(folder)/.s.PGSQL.1: No such file or directory): is the server running and the URL right?"),
                "\(missing.stderr) (server on port \(port))")
    }
}
