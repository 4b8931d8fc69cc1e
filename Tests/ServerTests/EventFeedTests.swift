import Foundation
import PrinterSimulator
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A client of the event feed over a plain socket: what arrived so far, read on a thread of its
/// own so that a stream that does not end never holds the test.
final class FeedClient: Sendable {
    private let descriptor: Int32
    private let received = Mutex([UInt8]())

    init(port: Int, path: String, headers: [String: String]) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        descriptor = fd
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw Command.Failure("cannot connect to the feed: errno \(errno)") }
        let request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
            + headers.map { "\($0.key): \($0.value)\r\n" }.joined() + "\r\n"
        _ = request.withCString { write(fd, $0, strlen($0)) }
        Thread.detachNewThread { [self] in
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = read(fd, &buffer, buffer.count)
                if count <= 0 { break }
                self.received.withLock { $0 += buffer[0..<count] }
            }
        }
    }

    /// Everything received: the response's head, then its body as sent (chunked).
    var text: String { String(decoding: received.withLock { $0 }, as: UTF8.self) }

    /// The body's complete chunks, decoded: the event stream as the server wrote it.
    var stream: String {
        let bytes = received.withLock { $0 }
        guard let head = bytes.indices.first(where: { bytes[$0...].starts(with: Array("\r\n\r\n".utf8)) }) else { return "" }
        var position = head + 4, body: [UInt8] = []
        while let end = bytes[position...].indices.first(where: { bytes[$0...].starts(with: Array("\r\n".utf8)) }),
              let size = Int(String(decoding: bytes[position..<end], as: UTF8.self), radix: 16), size > 0,
              end + 2 + size <= bytes.count {
            body += bytes[(end + 2)..<(end + 2 + size)]
            position = end + 2 + size + 2
            if position > bytes.count { break }
        }
        return String(decoding: body, as: UTF8.self)
    }

    /// The complete events so far: (id, kind, data) of each block that has data.
    var events: [(id: String?, kind: String, data: String)] {
        stream.components(separatedBy: "\n\n").dropLast().compactMap { block in
            var id: String?, kind = "message", data: String?
            for line in block.split(separator: "\n") {
                let line = line.hasSuffix("\r") ? line.dropLast() : line
                if line.hasPrefix("id: ") { id = String(line.dropFirst(4)) }
                if line.hasPrefix("event: ") { kind = String(line.dropFirst(7)) }
                if line.hasPrefix("data: ") { data = String(line.dropFirst(6)) }
            }
            return data.map { (id, kind, $0) }
        }
    }

    func close() { shutdown(descriptor, Int32(SHUT_RDWR)); Glibc.close(descriptor) }
}

@Suite struct EventFeedTests {
    /// Scans' verdicts and the labels' jobs come on the feed as they happen; a client that lost its
    /// connection resumes with Last-Event-ID and misses nothing, sees nothing twice; TERM ends
    /// the feed and the service with a client connected.
    @Test(arguments: Backend.available)
    func theFeedResumesAfterADisconnect(backend: Backend) async throws {
        let service = try await APIService.start(backend)
        defer { service.serve.killIfRunning() }
        let port = Int(service.base.split(separator: ":").last!)!
        let auth = ["Authorization": "Bearer \(service.tokens["viewer"]!)"]
        let first = try FeedClient(port: port, path: "/api/v1/events?station=dock-1", headers: auth)
        #expect(try await eventually { first.text.contains(": connected at") })
        #expect(first.text.contains("Content-Type: text/event-stream"))
        let expiry = relativeDate(days: 300, format: "yyMMdd")
        func scan(_ raw: String) async throws {
            let answer = try await service.request("POST", "/api/v1/stations/dock-1/scans", role: "operator",
                                                   body: try service.json(["raw": raw]))
            #expect(answer.status == 200, "\(answer.text)")
        }
        try await scan("(01)09501101530003(17)\(expiry)(10)FEED-1(30)2")
        try await scan("(01)09501101530003(17)\(expiry)(10)FEED-2(30)2")
        #expect(try await eventually { first.events.filter { $0.kind == "scan" }.count == 2 })
        let seen = first.events.filter { $0.kind == "scan" }
        #expect(seen[0].data.contains("FEED") || seen[0].data.contains("added-to-receipt"))
        let resumeFrom = try #require(seen[1].id, "\(first.stream.debugDescription)")
        first.close()

        // While nobody listens: a third line, and the receipt posted.
        try await scan("(01)09501101530003(17)\(expiry)(10)FEED-3(30)2")
        let done = try await service.request("POST", "/api/v1/stations/dock-1/task/complete", role: "operator")
        #expect(done.object["action"] as? String == "receipt-posted")

        let second = try FeedClient(port: port, path: "/api/v1/events?station=dock-1",
                                    headers: auth.merging(["Last-Event-ID": resumeFrom]) { $1 })
        #expect(try await eventually { second.events.filter { $0.kind == "scan" }.count >= 2 })
        let resumed = second.events.filter { $0.kind == "scan" }
        #expect(resumed.count == 2, "only what came after \(resumeFrom): \(resumed.map(\.data))")
        #expect(resumed.first?.data.contains("\"action\":\"added-to-receipt\"") == true)
        #expect(resumed.last?.data.contains("\"action\":\"receipt-posted\"") == true)
        second.close()

        // Unfiltered, from the start of the logs: the labels' jobs too, each to done.
        let all = try FeedClient(port: port, path: "/api/v1/events", headers: auth.merging(["Last-Event-ID": "0.0"]) { $1 })
        #expect(try await eventually {
            all.events.filter { $0.kind == "job" && $0.data.contains("\"state\":\"done\"") && $0.data.contains("dock-label") }.count == 3
        })
        let refused = try await service.request("GET", "/api/v1/events", role: "viewer", headers: ["Last-Event-ID": "yesterday"])
        #expect(refused.status == 400)
        // TERM with a client still following the feed: the service ends it and stops.
        try await service.stop()
        all.close()
    }

    /// A backup restored into the live database takes the event logs back: a client following
    /// the feed is told to reload (`reset`) and then gets the scans that come after, instead of
    /// waiting silently until the logs' ids pass where it was; one resuming from beyond the logs'
    /// end starts at their end.
    @Test func aRestoreIntoTheLiveDatabaseResetsTheFeed() async throws {
        let service = try await APIService.start(.sqlite)
        defer { service.serve.killIfRunning() }
        let port = Int(service.base.split(separator: ":").last!)!
        let auth = ["Authorization": "Bearer \(service.tokens["viewer"]!)"]
        let expiry = relativeDate(days: 300, format: "yyMMdd")
        func scan(_ lot: String) async throws {
            let answer = try await service.request("POST", "/api/v1/stations/dock-1/scans", role: "operator",
                                                   body: try service.json(["raw": "(01)09501101530003(17)\(expiry)(10)\(lot)(30)2"]))
            #expect(answer.status == 200, "\(answer.text)")
        }
        let backup = service.database.folder.appendingPathComponent("before.backup").path
        #expect(try await Command.tracemark(["backup", backup, "--db", service.database.location]).status == 0)
        let feed = try FeedClient(port: port, path: "/api/v1/events?station=dock-1", headers: auth)
        #expect(try await eventually { feed.text.contains(": connected at") })
        for lot in ["GONE-1", "GONE-2", "GONE-3"] { try await scan(lot) }
        #expect(try await eventually { feed.events.filter { $0.kind == "scan" }.count == 3 })
        let beyond = try #require(feed.events.last?.id)

        let restored = try await Command.tracemark(["restore", backup, "--db", service.database.location])
        #expect(restored.status == 0, "\(restored.stderr)")
        #expect(try await eventually { feed.events.contains { $0.kind == "reset" } }, "\(feed.stream)")
        try await scan("AFTER-1")
        #expect(try await eventually { feed.events.contains { $0.kind == "scan" && $0.data.contains("added-to-receipt") } && feed.events.last?.kind == "scan" },
                "\(feed.stream)")
        // A client resuming from before the restore starts at the logs' end, told to reload, even
        // once the new scans' ids have passed its own (a QA run's client missed three scans so):
        // an id carries the database's, new at each restore. No scan id is given twice: the new
        // scans' ids are past those the restore took away.
        for lot in ["AFTER-2", "AFTER-3"] { try await scan(lot) }
        #expect(try await eventually { feed.events.filter { $0.kind == "scan" }.count == 6 }, "\(feed.stream)")
        let resumed = try #require(feed.events.last?.id)
        feed.close()
        #expect(Int(resumed.split(separator: ".").first ?? "") ?? 0 > Int(beyond.split(separator: ".").first ?? "") ?? .max, "\(beyond) \(resumed)")
        #expect(beyond.split(separator: ".").last != resumed.split(separator: ".").last, "\(beyond) \(resumed)")
        // Where the logs are now, as the database before the restore would have numbered it.
        let before = resumed.split(separator: ".").dropLast().joined(separator: ".") + "." + beyond.split(separator: ".").last!
        let late = try FeedClient(port: port, path: "/api/v1/events?station=dock-1", headers: auth.merging(["Last-Event-ID": before]) { $1 })
        #expect(try await eventually { late.events.first?.kind == "reset" }, "\(late.stream)")
        try await scan("AFTER-4")
        #expect(try await eventually { late.events.filter { $0.kind == "scan" }.count == 1 }, "\(late.stream)")
        late.close()
        try await service.stop()
    }

    /// A printer's state changes come on the feed as `printer` events, filtered by printer: a
    /// paused printer holds the receipt's label, and when it is ready again the label prints.
    @Test func printerStateChangesComeOnTheFeed() async throws {
        let printer = try await SimulatedPrinter.start()
        defer { Task { await printer.stop() } }
        printer.setState(.paused)
        let service = try await APIService.start(.sqlite, printers: "{uri: \"tcp://127.0.0.1:\(printer.port)\", language: zpl, dpi: 203}")
        defer { service.serve.killIfRunning() }
        let port = Int(service.base.split(separator: ":").last!)!
        let feed = try FeedClient(port: port, path: "/api/v1/events?printer=dock-label",
                                  headers: ["Authorization": "Bearer \(service.tokens["viewer"]!)"])
        #expect(try await eventually { feed.text.contains(": connected at") })
        let expiry = relativeDate(days: 300, format: "yyMMdd")
        #expect(try await service.request("POST", "/api/v1/stations/dock-1/scans", role: "operator",
                                          body: try service.json(["raw": "(01)09501101530003(17)\(expiry)(10)PAUSED-1(30)2"])).status == 200)
        #expect(try await service.request("POST", "/api/v1/stations/dock-1/task/complete", role: "operator").status == 200)
        func printerStates() -> [String] {
            feed.events.filter { $0.kind == "printer" }.compactMap { event in
                (try? JSONSerialization.jsonObject(with: Data(event.data.utf8)) as? [String: Any])?["state"] as? String
            }
        }
        #expect(try await eventually { printerStates().contains("paused") }, "\(feed.events.map(\.data))")
        printer.setState(.ready)
        #expect(try await eventually { printer.labelsPrinted == 1 })
        #expect(try await eventually { printerStates().last == "ready" }, "\(printerStates())")
        // Filtered by printer: no scan events; the same state seen again is not a new event.
        #expect(!feed.events.contains { $0.kind == "scan" })
        #expect(zip(printerStates(), printerStates().dropFirst()).allSatisfy { $0 != $1 }, "\(printerStates())")
        // Each event's id has four parts (three logs and the database), and resumes the printer events after it.
        let last = try #require(feed.events.last(where: { $0.kind == "printer" })?.id)
        #expect(last.split(separator: ".").count == 4)
        feed.close()
        try await service.stop()
    }
}
