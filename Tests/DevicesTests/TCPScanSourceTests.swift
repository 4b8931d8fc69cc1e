@testable import Devices
import Testing
import TracemarkTesting

#if canImport(Glibc)
import Glibc
#endif

@Suite struct TCPScanSourceTests {
    /// A port nothing listens on (bound, then released).
    private func freePort() throws -> UInt16 {
        UInt16(try LoopbackSocket.freePort())
    }

    /// The next connection to `listener`, waiting without blocking.
    private func accepted(_ listener: TCPListener) async throws -> TCPSocket? {
        var client: TCPSocket?
        _ = try await eventually {
            if case .client(let socket, _, _) = listener.accept() { client = socket }
            return client != nil
        }
        return client
    }

    @Test func itConnectsWhenTheScannerComesUpAndReconnectsAfterADrop() async throws {
        let port = try freePort()
        let source = TCPScanSource(host: "127.0.0.1", port: port,
                                   backoff: .init(initial: .milliseconds(20), maximum: .milliseconds(100)))
        #expect(source.name == "tcp://127.0.0.1:\(port)")
        let collector = EventCollector(source)
        // Nothing listens yet: the source retries with backoff until the scanner is up.
        try await Task.sleep(for: .milliseconds(300))
        let scanner = try TCPListener(host: "127.0.0.1", port: port)
        var connection: TCPSocket? = try await accepted(scanner)
        try #require(connection != nil)
        send("]d2010950110153000310LOT1\r\n", to: connection!.fd)
        try await collector.waitFor(1)
        // The scanner drops the connection; the next scan comes over a new one.
        connection = nil
        let again = try #require(try await accepted(scanner))
        send("SECOND\n", to: again.fd)
        let events = try await collector.waitFor(2)
        #expect(events.map(\.text) == ["010950110153000310LOT1", "SECOND"])
        #expect(events.first?.symbologyIdentifier == "]d2")
        #expect(events.allSatisfy { $0.source == "tcp://127.0.0.1:\(port)" })
    }

    /// `tcp-listen://localhost:PORT` listens on loopback: the name was refused as "not an IPv4
    /// address", and serve ran the station without its scanner. A name nothing resolves is
    /// refused, saying so.
    @Test func aScannerListensOnANameTheMachineResolves() async throws {
        let listener = try TCPListener(host: "localhost", port: 0)
        let collector = EventCollector(TCPScanSource(listener: listener))
        let client = try connect(listener.port)
        defer { close(client) }
        send("BY-NAME\n", to: client)
        #expect(try await collector.waitFor(1).map(\.text) == ["BY-NAME"])
        let error = #expect(throws: DevicesError.self) { _ = try TCPListener(host: "no-such-host.invalid", port: 0) }
        #expect(error?.message.contains("no-such-host.invalid is neither an IPv4 address nor a name this machine resolves") == true,
                "\(String(describing: error))")
    }

    /// Something that sends 200 KB without an end of line (a scanner set to the wrong
    /// terminator, or not a scanner) gives one scan marked too long, not 25 scans cut from it,
    /// and the scanner's next line is read as usual.
    @Test func anOverlongLineIsOneScanMarkedTooLong() async throws {
        let listener = try TCPListener(host: "127.0.0.1", port: 0)
        let collector = EventCollector(TCPScanSource(listener: listener))
        let client = try connect(listener.port)
        defer { close(client) }
        send(String(repeating: "0123456789", count: 20_000) + "\nNEXT\n", to: client)
        let events = try await collector.waitFor(2)
        #expect(events.map(\.overlongLength) == [200_000, nil])
        #expect(events.first?.data.count == ScanFraming.lines.maximumLength)
        #expect(events.last?.text == "NEXT")
    }

    @Test func listeningTakesSeveralScannersAtOnce() async throws {
        let listener = try TCPListener(host: "127.0.0.1", port: 0)
        let collector = EventCollector(TCPScanSource(listener: listener))
        let first = try connect(listener.port), second = try connect(listener.port)
        defer { close(second) }
        send("A1\r\nA", to: first)
        send("B1\n", to: second)
        try await collector.waitFor(2)
        send("2", to: first)
        // A line the scanner never ended (it closed, or the connection was reset) is cut off:
        // no scan, whatever it looks like ("A2" might be the start of "A2345").
        close(first)
        send("B2\n", to: second)
        let events = try await collector.waitFor(3)
        #expect(events.map(\.text).sorted() == ["A1", "B1", "B2"])
        #expect(Set(events.map(\.source)).count == 2)
        #expect(events.allSatisfy { $0.source.hasPrefix("tcp://127.0.0.1:") })
    }

    /// A client beyond max-clients, or from outside the allow list, is closed at once and its
    /// scans are not taken; the ones allowed go on (#17 item 3).
    @Test func listeningRefusesClientsBeyondTheLimitOrOutsideTheAllowList() async throws {
        var access = TCPAccess()
        access.maxClients = 1
        let listener = try TCPListener(host: "127.0.0.1", port: 0)
        let collector = EventCollector(TCPScanSource(listener: listener, access: access))
        let first = try connect(listener.port)
        defer { close(first) }
        send("FIRST\n", to: first)
        try await collector.waitFor(1)
        let second = try connect(listener.port)
        defer { close(second) }
        #expect(try await eventually { Self.isClosedByPeer(second) }, "the second client was not closed")
        send("FIRST-AGAIN\n", to: first)
        let events = try await collector.waitFor(2)
        #expect(events.map(\.text) == ["FIRST", "FIRST-AGAIN"])

        var closed = TCPAccess()
        closed.allow = [try #require(TCPAccess.Network(parsing: "10.0.0.0/8"))]
        let guarded = try TCPListener(host: "127.0.0.1", port: 0)
        let none = EventCollector(TCPScanSource(listener: guarded, access: closed))
        let outsider = try connect(guarded.port)
        defer { close(outsider) }
        send("OUTSIDER\n", to: outsider)
        #expect(try await eventually { Self.isClosedByPeer(outsider) }, "a client from 127.0.0.1 was taken despite allow=10.0.0.0/8")
        #expect(none.all.isEmpty)
    }

    /// Connections that never sent a byte (a port check, a tool left connected) cannot lock the
    /// scanners out: when all places are taken, the oldest of them makes room for the newcomer.
    /// A connection that has sent scans keeps its place, and the newcomer is refused then.
    @Test func aSilentConnectionMakesRoomForAScannerOneThatScannedDoesNot() async throws {
        var access = TCPAccess()
        access.maxClients = 2
        let listener = try TCPListener(host: "127.0.0.1", port: 0)
        let collector = EventCollector(TCPScanSource(listener: listener, access: access))
        let idle = try connect(listener.port)
        defer { close(idle) }
        let scanner = try connect(listener.port)
        defer { close(scanner) }
        send("FIRST\n", to: scanner)
        try await collector.waitFor(1)
        let newcomer = try connect(listener.port)
        defer { close(newcomer) }
        send("NEWCOMER\n", to: newcomer)
        try await collector.waitFor(2)
        #expect(try await eventually { Self.isClosedByPeer(idle) }, "the connection that never sent was kept")
        let refused = try connect(listener.port)
        defer { close(refused) }
        send("REFUSED\n", to: refused)
        #expect(try await eventually { Self.isClosedByPeer(refused) }, "a fourth client was taken beyond max-clients=2")
        send("FIRST-AGAIN\n", to: scanner)
        send("NEWCOMER-AGAIN\n", to: newcomer)
        let events = try await collector.waitFor(4)
        #expect(events.map(\.text).sorted() == ["FIRST", "FIRST-AGAIN", "NEWCOMER", "NEWCOMER-AGAIN"])
    }

    /// A connection that sent bytes but never a whole scan (one byte, no end of line) holds no
    /// place either: sixteen such connections locked every scanner out (found by a QA run).
    @Test func aLineNeverEndedMakesRoomForAScanner() async throws {
        var access = TCPAccess()
        access.maxClients = 2
        let listener = try TCPListener(host: "127.0.0.1", port: 0)
        let collector = EventCollector(TCPScanSource(listener: listener, access: access))
        let partial = try connect(listener.port)
        defer { close(partial) }
        send("x", to: partial)
        let scanner = try connect(listener.port)
        defer { close(scanner) }
        send("FIRST\n", to: scanner)
        try await collector.waitFor(1)
        let newcomer = try connect(listener.port)
        defer { close(newcomer) }
        send("NEWCOMER\n", to: newcomer)
        let events = try await collector.waitFor(2)
        #expect(events.map(\.text) == ["FIRST", "NEWCOMER"])
        #expect(try await eventually { Self.isClosedByPeer(partial) }, "the connection that never ended a line was kept")
    }

    /// A scanner that sends faster than the consumer takes: the reader waits (TCP slows the
    /// scanner) and no scan is lost.
    @Test func aFloodIsHeldBackNotDropped() async throws {
        let listener = try TCPListener(host: "127.0.0.1", port: 0)
        let events = TCPScanSource(listener: listener).scans()
        let client = try connect(listener.port)
        let lines = (0..<3000).map { "S\($0)\n" }.joined()
        let writer = Task.detached {
            var sent = 0
            let bytes = Array(lines.utf8)
            while sent < bytes.count {
                let count = bytes[sent...].withUnsafeBytes { write(client, $0.baseAddress, $0.count) }
                if count > 0 { sent += count } else { usleep(1000) }
            }
            close(client)
        }
        var received: [String] = []
        for try await event in events {
            received.append(event.text)
            if received.count == 3000 { break }
        }
        await writer.value
        await events.finish()
        #expect(received == (0..<3000).map { "S\($0)" })
    }

    private static func isClosedByPeer(_ fd: Int32) -> Bool {
        var byte: UInt8 = 0
        var pollfd = Glibc.pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&pollfd, 1, 0) == 1 else { return false }
        return recv(fd, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT)) == 0 || errno == ECONNRESET
    }

    private func connect(_ port: UInt16) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(status == 0)
        return fd
    }
}
