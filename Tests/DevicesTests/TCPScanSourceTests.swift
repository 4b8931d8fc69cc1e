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
            client = listener.accept()?.0
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

    @Test func listeningTakesSeveralScannersAtOnce() async throws {
        let listener = try TCPListener(host: "127.0.0.1", port: 0)
        let collector = EventCollector(TCPScanSource(listener: listener))
        let first = try connect(listener.port), second = try connect(listener.port)
        defer { close(second) }
        send("A1\r\nA", to: first)
        send("B1\n", to: second)
        try await collector.waitFor(2)
        send("2", to: first)
        close(first)  // the end of the connection ends its last scan
        let events = try await collector.waitFor(3)
        #expect(Set(events.map(\.text)) == ["A1", "B1", "A2"])
        #expect(Set(events.map(\.source)).count == 2)
        #expect(events.allSatisfy { $0.source.hasPrefix("tcp://127.0.0.1:") })
    }

    private func connect(_ port: UInt16) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
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
