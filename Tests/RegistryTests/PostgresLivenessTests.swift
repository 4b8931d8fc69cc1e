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
    @Test(.enabled(if: Backend.postgresURL != nil, "needs the PostgreSQL server make test starts"),
          .enabled(if: Namespace.available, "needs unshare -rn (user and network namespaces) and socat"),
          .timeLimit(.minutes(3)))
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
        let station = try Namespace.Station(socket: socket, arguments: ["resolve", "--stdin", "--json", "--db", try #require(inside.string)])
        defer { station.end() }

        let scan = "(01)09501101530003(17)391231(10)LOT42"
        let first = try #require(await station.answer(scan), "no answer before the network went down: \(station.log)")
        #expect(first["subject"] as? String == "lot", "\(first) \(station.log)")

        try await station.loopback(up: false)
        let cut = try #require(await station.answer(scan), "no answer once the network went down: \(station.log)")
        #expect(cut["code"] as? String == "database", "\(cut)")
        let message = cut["error"] as? String ?? ""
        #expect(message.contains("the connection to PostgreSQL at postgres://tracemark@127.0.0.1:5432/") && message.contains("try again"),
                "\(message)")

        try await station.loopback(up: true)
        let back = try #require(await station.answer(scan), "no answer once the network was back: \(station.log)")
        #expect(back["subject"] as? String == "lot", "\(back) \(station.log)")
    }
}

/// A `tracemark` run in a user and network namespace of its own, whose loopback can be taken down.
enum Namespace {
    static let unshare = Command.which("unshare")
    static let nsenter = Command.which("nsenter")
    static let socat = Command.which("socat")
    static let ip = Command.which("ip")

    static let available: Bool = {
        guard let unshare, nsenter != nil, socat != nil, ip != nil else { return false }
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: unshare)
        probe.arguments = ["-rn", "true"]
        probe.standardError = FileHandle.nullDevice
        guard (try? probe.run()) != nil else { return false }
        probe.waitUntilExit()
        return probe.terminationStatus == 0
    }()

    /// The station: `tracemark ARGUMENTS` behind a relay from its loopback's port 5432 to the
    /// server's socket file, answering one JSON line per scan line.
    final class Station: @unchecked Sendable {
        private let process = Process()
        private let input = Pipe()
        private let output = Pipe()
        private let errors: URL
        private var lines: AsyncStream<String>.Iterator

        init(socket: String, arguments: [String]) throws {
            errors = try Command.temporaryFolder("namespace").appendingPathComponent("stderr")
            _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
            // The relay's per-connection children are ended with it, and the relay with the station.
            let script = """
                ip link set lo up || exit 3
                socat TCP-LISTEN:5432,bind=127.0.0.1,reuseaddr,fork UNIX-CONNECT:"$1" &
                relay=$!
                # Should the station never end (stuck on a statement), the test run's end ends it.
                owner=$PPID
                (while [ -e /proc/$owner ]; do sleep 0.5; done; pkill -KILL -P $relay; pkill -KILL -P $$) &
                watcher=$!
                trap 'kill -KILL $watcher; pkill -KILL -P $relay; kill -KILL $relay' EXIT
                until (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; do sleep 0.05; done
                shift
                # The station stops if this shell is killed; the shell ends with the station, whose
                # standard input closes when the test ends.
                TRACEMARK_EXIT_WITH_PARENT=$$ "$@"
                """
            process.executableURL = URL(fileURLWithPath: try #require(unshare))
            process.arguments = ["-rn", "/bin/bash", "-c", script, "station", socket, Repository.tracemark.path] + arguments
            process.standardInput = input
            process.standardOutput = output
            process.standardError = try FileHandle(forWritingTo: errors)
            let (stream, continuation) = AsyncStream<String>.makeStream()
            lines = stream.makeAsyncIterator()
            try process.run()
            let reading = output.fileHandleForReading
            Thread.detachNewThread {
                var pending = Data()
                while true {
                    let chunk = reading.availableData
                    if chunk.isEmpty { break }
                    pending.append(chunk)
                    while let end = pending.firstIndex(of: UInt8(ascii: "\n")) {
                        continuation.yield(String(decoding: pending[pending.startIndex..<end], as: UTF8.self))
                        pending.removeSubrange(pending.startIndex...end)
                    }
                }
                continuation.finish()
            }
        }

        /// Sends one scan and waits for its answer (nil if the station ended first).
        func answer(_ scan: String) async -> [String: Any]? {
            input.fileHandleForWriting.write(Data((scan + "\n").utf8))
            guard let line = await lines.next() else { return nil }
            return (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] ?? ["unreadable": line]
        }

        /// Takes the station's loopback down (every packet dropped without a word) or up again.
        func loopback(up: Bool) async throws {
            let result = try await Command.run(try #require(nsenter), ["-t", String(process.processIdentifier), "-U", "-n", "--preserve-credentials",
                                                                       try #require(ip), "link", "set", "lo", up ? "up" : "down"])
            #expect(result.status == 0, "\(result.stderr)")
        }

        /// What the station wrote on standard error.
        var log: String { (try? String(contentsOf: errors, encoding: .utf8)) ?? "" }

        /// Ends the station: its standard input closed (a scanner unplugged), it stops, and its
        /// relay with it. Not waited for: one stuck on a statement ends with this process.
        func end() {
            try? input.fileHandleForWriting.close()
        }
    }
}
