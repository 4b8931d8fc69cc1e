import Foundation
import Testing
import TracemarkTesting

#if canImport(Glibc)
import Glibc
#endif

/// Network scanners whose side of TCP falls silent (a handheld out of Wi-Fi range, a fixed
/// scanner powered off) are given up once their keepalives go unanswered (`keepalive=SECONDS` in
/// the device address; Sources/Devices/Scanners/TCPSocket.swift).
@Suite struct SilentScannerTests {
    /// `tracemark scan --json` reading `device` in a namespace of its own, with a registry in a
    /// folder of the test's.
    private static func station(reading device: String) async throws -> (NetworkNamespace.Station, URL) {
        let folder = try Command.temporaryFolder("silent-scanner")
        let station = try await NetworkNamespace.Station.alone([
            "scan", "--device", device, "--json", "--db", folder.appendingPathComponent("registry.sqlite").path,
        ])
        return (station, folder)
    }

    /// Takes the station's loopback down (its scanners fall silent) until its log says `line`,
    /// then up again.
    private static func silence(_ station: NetworkNamespace.Station, until line: String) async throws {
        try await station.loopback(up: false)
        #expect(try await eventually { station.log.contains(line) }, "the silent scanner was kept: \(station.log)")
        try await station.loopback(up: true)
    }

    /// A handheld that left (its connection silent, not closed) is dropped, so that with one
    /// place (`max-clients=1`) the handheld that connects next is taken and its scan read, not
    /// refused because the silent one still holds the place.
    ///
    /// The station listens in a network namespace of its own, its handhelds connect inside it,
    /// and taking the namespace's loopback down drops every packet without a word.
    @Test(.enabled(if: NetworkNamespace.available, "needs unshare -rn (user and network namespaces)"), .hangGuard)
    func aHandheldThatWentSilentIsDroppedAndItsPlaceGoesToTheNext() async throws {
        let (station, folder) = try await Self.station(reading: "tcp-listen://127.0.0.1:9000?keepalive=3&max-clients=1")
        defer {
            station.end()
            try? FileManager.default.removeItem(at: folder)
        }
        var handhelds: [ChildProcess] = []
        defer { for handheld in handhelds { handheld.send(SIGKILL) } }
        // A handheld connects (again until the station listens), sends one scan and stays connected.
        func handheld(_ scan: String) throws {
            handhelds.append(try station.inside("""
                until exec 3<>/dev/tcp/127.0.0.1/9000; do sleep 0.05; done 2>/dev/null
                printf '\(scan)\\r\\n' >&3
                exec sleep 600
                """))
        }

        try handheld("HANDHELD-1")
        let first = try #require(await station.next(), "no scan from the first handheld: \(station.log)")
        #expect(first["data"] as? String == "HANDHELD-1", "\(first)")

        try await Self.silence(station, until: "scanner lost: Connection timed out")
        try handheld("HANDHELD-2")
        let second = try #require(await station.next(), "no scan from the second handheld: \(station.log)")
        #expect(second["data"] as? String == "HANDHELD-2", "\(second)")
        #expect(!station.log.contains("scanner refused"), "\(station.log)")
    }

    /// A fixed scanner this side connects to, gone silent (powered off, rebooted, its cable
    /// pulled): the connection is given up and made again once the scanner answers, instead of
    /// waiting for ever on a connection the scanner no longer knows. Each connection to the
    /// scanner brings one scan, so the second scan is the second connection's.
    @Test(.enabled(if: NetworkNamespace.available, "needs unshare -rn (user and network namespaces)"), .hangGuard)
    func aFixedScannerThatWentSilentIsConnectedToAgain() async throws {
        let (station, folder) = try await Self.station(reading: "tcp://127.0.0.1:9000?keepalive=3")
        defer {
            station.end()
            try? FileManager.default.removeItem(at: folder)
        }
        // The scanner: one scan to each connection, which it then keeps open.
        let scanner = try station.inside("""
            exec python3 -c '
            import socket
            server = socket.socket()
            server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            server.bind(("127.0.0.1", 9000))
            server.listen()
            kept = []
            while True:
                connection, _ = server.accept()
                connection.sendall(b"FIXED\\r\\n")
                kept.append(connection)
            '
            """)
        defer { scanner.send(SIGKILL) }

        let first = try #require(await station.next(), "no scan from the scanner: \(station.log)")
        #expect(first["data"] as? String == "FIXED", "\(first)")

        try await Self.silence(station, until: "connection lost: Connection timed out; reconnecting")
        let second = try #require(await station.next(), "no scan after the scanner came back: \(station.log)")
        #expect(second["data"] as? String == "FIXED", "\(second)")
    }
}
