import Foundation
import Testing

#if canImport(Glibc)
import Glibc
import TracemarkTesting
#endif

/// A client of the HTTP API that vanishes without closing its connection (a tablet's station page
/// gone out of Wi-Fi range, its battery dead) is given up once its side of TCP stays silent
/// (`http.keepalive`), and its place among the event feed's clients goes to the next.
@Suite struct VanishedClientTests {
    /// The service runs in a network namespace of its own, with one place for event-feed clients;
    /// its clients connect inside the namespace, and taking its loopback down drops every packet
    /// without a word.
    @Test(.enabled(if: NetworkNamespace.available, "needs unshare -rn (user and network namespaces)"), .hangGuard)
    func aVanishedEventClientIsDroppedAndItsPlaceGoesToTheNext() async throws {
        let database = try await TestDatabase.make(.sqlite)
        defer { Task { await database.drop() } }
        let demo = try await Command.tracemark(["demo", "--db", database.location], in: database.folder,
                                              environment: ["TRACEMARK_TEMPLATES": Repository.templates.path])
        #expect(demo.status == 0, "\(demo.stderr)")
        let created = try await Command.tracemark(["token", "create", "--name", "page", "--role", "viewer", "--json", "--db", database.location])
        let token = try #require((try JSONSerialization.jsonObject(with: Data(created.stdout.utf8)) as? [String: Any])?["token"] as? String,
                                 "\(created.stderr)")
        let configuration = database.folder.appendingPathComponent("serve.yaml")
        try """
            database: "\(database.location)"
            templates: "\(Repository.templates.path)"
            http: {listen: "127.0.0.1:8080", event-clients: 1, keepalive: 3}
            stations:
              lookup-1: {kind: lookup, warehouse: MAIN}
            """.write(to: configuration, atomically: true, encoding: .utf8)

        let service = try await NetworkNamespace.Station.alone(["serve", "--config", configuration.path])
        defer { service.end() }
        let events = "curl -sS -N -H 'Authorization: Bearer \(token)' http://127.0.0.1:8080/api/v1/events"
        #expect(try await eventually { try await service.run("curl -sf http://127.0.0.1:8080/api/v1/healthz").status == 0 },
                "the service did not start: \(service.log)")

        // The first page follows the events and holds the one place: a second is refused.
        let first = database.folder.appendingPathComponent("first.out")
        let page = try service.inside("exec \(events) > '\(first.path)'")
        defer { page.send(SIGKILL) }
        #expect(try await eventually { ((try? String(contentsOf: first, encoding: .utf8)) ?? "").contains(": connected") })
        let refused = try await service.run("curl -sS -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer \(token)' http://127.0.0.1:8080/api/v1/events")
        #expect(refused.stdout == "503", "\(refused.stdout) \(refused.stderr)")

        // The page vanishes: nothing more from its side. The service gives its connection up.
        try await service.loopback(up: false)
        let held = "ss -Htn state established '( sport = :8080 )'"
        let dropped = try await eventually { try await service.run(held).stdout.isEmpty }
        let kept = try await service.run(held).stdout
        #expect(dropped, "the vanished page's connection was kept: \(kept) \(service.log)")
        try await service.loopback(up: true)

        // The next page gets the place (once the feed has noticed, at its next write at the latest).
        let next = try await eventually {
            try await service.run("\(events) --max-time 2 | grep -q '^: connected'").status == 0
        }
        #expect(next, "the next page was refused: \(service.log)")
    }
}
