import Foundation
import Testing
@testable import PrinterSimulator

@Suite struct SimulatedPrinterTests {
    private func scan(_ text: String, chunk: Int = .max) -> [ZPLStreamScanner.Event] {
        var scanner = ZPLStreamScanner(recordsText: true)
        var events: [ZPLStreamScanner.Event] = []
        let bytes = Array(text.utf8)
        var start = 0
        while start < bytes.count {
            let end = min(bytes.count, start + chunk)
            bytes[start..<end].withUnsafeBytes { scanner.scan($0) { events.append($0) } }
            start = end
        }
        return events
    }

    @Test func formatsCopiesAndQueriesAreToldApartAcrossAnyCut() {
        let stream = "~HS! U1 getvar \"odometer.total_label_count\"\r\n^XA^FDone^FS^PQ3,0,1,Y^XZ\r\n^xa^FDtwo~HS^FS^xz"
        let expected: [ZPLStreamScanner.Event] = [
            .hostStatusQuery, .getVariable("odometer.total_label_count"),
            .format(text: Array("^XA^FDone^FS^PQ3,0,1,Y^XZ".utf8), copies: 3),
            .hostStatusQuery,
            .format(text: Array("^xa^FDtwo^FS^xz".utf8), copies: 1),
        ]
        for chunk in 1...8 {
            #expect(scan(stream, chunk: chunk) == expected, "chunks of \(chunk)")
        }
    }

    @Test func statusQueriesAreNotLabelData() async throws {
        let simulator = try await SimulatedPrinter.start()
        let socket = try LoopbackClient(port: simulator.port)
        try socket.write("~HS")
        let answer = try socket.read(until: { $0.filter { $0 == 0x03 }.count == 3 })
        #expect(answer.filter { $0 == 0x02 }.count == 3)
        try socket.write("^XA^FDx^FS^PQ2^XZ")
        #expect(await simulator.waitForLabels(2))
        #expect(simulator.formatBytesReceived == "^XA^FDx^FS^PQ2^XZ".utf8.count)
        #expect(simulator.labelCounter == 1002)
    }

    @Test func mutePrinterStatesDoNotAnswerHostStatus() async throws {
        let simulator = try await SimulatedPrinter.start()
        simulator.setState(.headOpen)
        let socket = try LoopbackClient(port: simulator.port)
        try socket.write("~HS")
        try await Task.sleep(for: .milliseconds(200))
        #expect(socket.available().isEmpty)
        #expect(simulator.statusQueriesAnswered == 0)
    }
}

/// A bare blocking client for poking at the simulator.
final class LoopbackClient {
    let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else { throw POSIXError(.ECONNREFUSED) }
    }

    deinit { close(fd) }

    func write(_ text: String) throws {
        let bytes = Array(text.utf8)
        guard send(fd, bytes, bytes.count, Int32(MSG_NOSIGNAL)) == bytes.count else { throw POSIXError(.EPIPE) }
    }

    func read(until done: ([UInt8]) -> Bool) throws -> [UInt8] {
        var all: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1024)
        while !done(all) {
            let count = recv(fd, &buffer, buffer.count, 0)
            guard count > 0 else { throw POSIXError(.ECONNRESET) }
            all += buffer[..<count]
        }
        return all
    }

    func available() -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 1024)
        let count = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
        return count > 0 ? Array(buffer[..<count]) : []
    }
}
