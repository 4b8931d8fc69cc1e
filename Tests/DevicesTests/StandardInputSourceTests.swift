import Devices
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite struct StandardInputSourceTests {
    @Test func eachLineIsAScanAndTheSequenceEndsWithTheInput() async throws {
        let (input, output) = scannerPipe()
        let fds = [input, output]
        defer { close(input) }
        let collector = EventCollector(StandardInputSource(fileDescriptor: fds[0]))
        send("]C1010950110153000310ABC\u{1D}21X\r\n", to: fds[1])
        try await collector.waitFor(1)
        send("plain\nlast-without-newline", to: fds[1])
        close(fds[1])
        try await collector.waitForEnd()
        #expect(collector.finished && collector.error == nil)
        #expect(collector.texts == ["010950110153000310ABC\u{1D}21X", "plain", "last-without-newline"])
        #expect(collector.all.map(\.symbologyIdentifier) == ["]C1", nil, nil])
        #expect(collector.all.allSatisfy { $0.source == "stdin" })
    }
}
