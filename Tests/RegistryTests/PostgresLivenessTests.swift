import Foundation
import SQLKit
@testable import Store
import Testing
import TracemarkTesting

/// A PostgreSQL server gone silent (its host off, its network cut: no FIN, no reset) is noticed
/// by the sockets' keepalives and user timeout (Sources/Store/PostgresConnector), instead of a
/// station waiting for the kernel's retransmissions, about fifteen minutes.
@Suite struct PostgresLivenessTests {
    @Test func theURLSetsTheLivenessAndAWrongValueIsNamed() throws {
        let location = "postgres://tracemark@db.example/tracemark"
        let defaults = try PostgresConnector.Liveness([], location: location)
        #expect(defaults == PostgresConnector.Liveness())
        #expect(defaults.keepalives && defaults.idle + defaults.interval * defaults.count == 25 && defaults.userTimeout == 25_000)

        let items = ["keepalives_idle=30", "keepalives_interval=10", "keepalives_count=4", "tcp_user_timeout=60000", "connect_timeout=3"]
            .map { URLQueryItem(name: String($0.split(separator: "=")[0]), value: String($0.split(separator: "=")[1])) }
        let set = try PostgresConnector.Liveness(items, location: location)
        #expect(set.idle == 30 && set.interval == 10 && set.count == 4 && set.userTimeout == 60_000 && set.connectTimeout == 3)
        #expect(try PostgresConnector.Liveness([URLQueryItem(name: "keepalives", value: "0")], location: location).keepalives == false)

        let wrong = #expect(throws: StoreError.self) {
            try PostgresConnector.Liveness([URLQueryItem(name: "keepalives_idle", value: "0")], location: location)
        }
        #expect(wrong?.message == "database \(location): keepalives_idle=0 is not a whole number of at least 1")
        let text = #expect(throws: StoreError.self) {
            try PostgresConnector.Liveness([URLQueryItem(name: "tcp_user_timeout", value: "30s")], location: location)
        }
        #expect(text?.message.contains("tcp_user_timeout=30s is not a whole number") == true)
    }

    /// A station resolving scans from a keyboard-wedge scanner (`tracemark resolve --stdin`)
    /// whose database falls silent mid-shift: the scan it sends then is answered, within the
    /// URL's user timeout, by an error that says the connection was lost, not by a silence; and
    /// once the network is back, the next scan resolves on a new connection.
    ///
    /// The station runs in a network namespace of its own and reaches the server through a
    /// relay on its loopback; taking that loopback down drops every packet without a word, as a
    /// cut cable does.
    /// A URL whose search_path names no schema that exists is refused when the store opens,
    /// naming the schema: the server's own refusal at the first statement never does. A server
    /// without TLS, asked for it, is said in those words too.
    @Test(.enabled(if: Backend.postgresURL != nil, "needs the PostgreSQL server make test starts"))
    func aMissingSchemaAndARequiredTLSTheServerLacksAreNamed() async throws {
        let base = try #require(Backend.postgresURL)
        let separator = base.contains("?") ? "&" : "?"
        let missing = await #expect(throws: StoreError.self) {
            _ = try await PostgresStore(url: "\(base)\(separator)search_path=no_such_schema_here", connections: 1)
        }
        #expect(missing?.message.contains("no schema no_such_schema_here (the URL's search_path) exists") == true, "\(String(describing: missing))")
        let tls = await #expect(throws: StoreError.self) {
            _ = try await PostgresStore(url: "\(base)\(separator)sslmode=require", connections: 1)
        }
        #expect(tls?.message.contains("the server does not support TLS, and the URL's sslmode requires it") == true, "\(String(describing: tls))")
    }

    @Test(.enabled(if: Backend.postgresURL != nil, "needs the PostgreSQL server make test starts"),
          .enabled(if: NetworkNamespace.available, "needs unshare -rn (user and network namespaces) and socat"),
          .hangGuard)
    func aStationWhoseDatabaseFallsSilentSaysSoAndResolvesAgainOnceItIsBack() async throws {
        let database = try await TestDatabase.make(.postgres)
        defer { Task { await database.drop() } }
        let demo = try await Command.tracemark(["demo", "--db", database.location])
        #expect(demo.status == 0, "\(demo.stderr)")

        // The server's own socket file, which a process in another network namespace still reaches.
        let store = try await PostgresStore(url: database.location, connections: 1)
        let (folder, port) = try await store.read { db in
            (try await db.raw("SHOW unix_socket_directories").first()?.decode(column: "unix_socket_directories", as: String.self),
             try await db.raw("SHOW port").first()?.decode(column: "port", as: String.self))
        }
        await store.close()
        let socket = "\(try #require(folder?.split(separator: ",").first).trimmingCharacters(in: .whitespaces))/.s.PGSQL.\(try #require(port))"

        var inside = try #require(URLComponents(string: database.location))
        inside.host = "127.0.0.1"
        inside.port = 5432
        inside.queryItems = (inside.queryItems ?? []) + [
            URLQueryItem(name: "tcp_user_timeout", value: "1000"), URLQueryItem(name: "keepalives_idle", value: "1"),
            URLQueryItem(name: "keepalives_interval", value: "1"), URLQueryItem(name: "keepalives_count", value: "2"),
        ]
        let station = try await NetworkNamespace.Station.relayed(to: socket, ["resolve", "--stdin", "--json", "--db", try #require(inside.string)])
        defer { station.end() }

        let scan = "(01)09501101530003(17)391231(10)LOT42"
        let first = try #require(await station.answer(scan), "no answer before the network went down: \(station.log)")
        #expect(first["subject"] as? String == "lot", "\(first) \(station.log)")

        try await station.loopback(up: false)
        let cut = try #require(await station.answer(scan), "no answer once the network went down: \(station.log)")
        #expect(cut["code"] as? String == "database", "\(cut)")
        let message = cut["error"] as? String ?? ""
        // The connection in hand was lost; or, on a busy machine, the keepalives had already found
        // it gone before the scan came, and a new one could not be made: either is said plainly.
        #expect((message.contains("the connection to PostgreSQL at postgres://tracemark@127.0.0.1:5432/") && message.contains("try again"))
                || message.contains("cannot connect to PostgreSQL at postgres://tracemark@127.0.0.1:5432/"), "\(message)")

        try await station.loopback(up: true)
        // Resolved again once it is back: at once, or, after a failed connect, once the pool tries
        // the server again (it answers every caller with that failure for 5 s meanwhile).
        var back: [String: Any] = [:]
        for _ in 0..<30 {
            back = try #require(await station.answer(scan), "no answer once the network was back: \(station.log)")
            if back["subject"] as? String == "lot" { break }
            try await Task.sleep(for: .seconds(1))
        }
        #expect(back["subject"] as? String == "lot", "\(back) \(station.log)")
    }

    /// The server watches a station's session the same way: a station that falls silent has its
    /// session ended by the server (its transaction rolled back, its locks given up) once the
    /// keepalives go unanswered, not after the server's default two hours of silence.
    ///
    /// The server runs in the station's network namespace, and is watched from outside through
    /// its socket file while the namespace's loopback is down.
    @Test(.enabled(if: Backend.postgresURL != nil, "needs the PostgreSQL server binaries make test installs"),
          .enabled(if: NetworkNamespace.available && getuid() == 0, "needs unshare -n as root (the server runs as its own user)"),
          .hangGuard)
    func theServerEndsTheSessionOfAStationThatFellSilent() async throws {
        let folder = try Command.temporaryFolder("postgres").appendingPathComponent("pg")
        let station = try await NetworkNamespace.Station.besideServer(in: folder.path, [
            "resolve", "--stdin", "--json", "--db",
        ])
        defer { station.end() }
        defer { Task { _ = try? await Command.run("/bin/bash", [Repository.root.appendingPathComponent("scripts/postgres.sh").path, "stop", folder.path]) } }

        let answer = try #require(await station.answer("(01)09501101530003(10)LOT42"), "no answer: \(station.log)")
        #expect(answer["subject"] != nil, "\(answer)")
        let port = try String(contentsOf: folder.appendingPathComponent("port"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        // Sessions over TCP, seen from outside through the server's socket file.
        func sessions() async throws -> Int? {
            let result = try await Command.run("psql", ["-h", folder.path, "-p", port, "-U", "tracemark", "-d", "tracemark", "-Atc",
                                                      "SELECT count(*) FROM pg_stat_activity WHERE client_addr IS NOT NULL"])
            return result.status == 0 ? Int(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) : nil
        }
        #expect(try await sessions() ?? 0 >= 1, "the station's session is not there: \(station.log)")

        try await station.loopback(up: false)
        #expect(try await eventually { try await sessions() == 0 }, "the server kept the silent station's session")
    }

    /// A process stopped in the middle of a transaction (SIGSTOP, a debugger, a paused VM) holds
    /// the receipts' counter: a station posting a receipt meanwhile is told so once the URL's
    /// lock timeout passes, exit 69, instead of waiting for ever; nothing of its receipt is
    /// written, and once the holder ends the same receipt posts with the next number, no gap.
    @Test(.enabled(if: Backend.postgresURL != nil, "needs the PostgreSQL server make test starts"), .hangGuard)
    func aWriterWaitingForALockHeldByAStoppedProcessGivesUpAndSaysWhy() async throws {
        let database = try await TestDatabase.make(.postgres)
        defer { Task { await database.drop() } }
        for setup in [["warehouse", "add", "MAIN"], ["partner", "add", "ACME", "--role", "supplier"],
                      ["class", "add", "FOOD", "--tracking", "lot"], ["product", "add", "MILK", "--class", "FOOD"]] {
            let run = try await Command.tracemark(setup + ["--db", database.location])
            #expect(run.status == 0, "\(setup): \(run.stderr)")
        }
        let receive = ["receive", "--warehouse", "MAIN", "--supplier", "ACME", "--product", "MILK", "--quantity", "5", "--lot", "L-1", "--json",
                       "--db", "\(database.location)&lock_timeout=300ms"]
        let holder = try await PostgresStore(url: database.location, connections: 1)
        let held = AsyncStream<Void>.makeStream(), release = AsyncStream<Void>.makeStream()
        let holding = Task {
            try await holder.write { db in
                try await db.raw("SELECT next_value FROM number_series WHERE code = 'RECEIPT' FOR UPDATE").run()
                held.continuation.yield()
                for await _ in release.stream { break }
            }
        }
        for await _ in held.stream { break }
        let blocked = try await Command.tracemark(receive)
        release.continuation.yield()
        try await holding.value
        await holder.close()
        #expect(blocked.status == 69, "\(blocked.stdout) \(blocked.stderr)")
        #expect(blocked.stderr.contains("another connection has held a lock this needs"), "\(blocked.stderr)")
        #expect(blocked.stderr.contains("nothing was written"), "\(blocked.stderr)")

        let posted = try await Command.tracemark(receive)
        #expect(posted.status == 0, "\(posted.stderr)")
        #expect(posted.stdout.contains("RCT-000001"), "\(posted.stdout)")
        let stock = try await Command.tracemark(["stock", "--product", "MILK", "--db", database.location])
        #expect(stock.stdout.contains("L-1") && stock.stdout.contains("5"), "\(stock.stdout)")
    }
}
