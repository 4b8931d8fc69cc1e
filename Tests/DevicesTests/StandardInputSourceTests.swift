import Devices
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite struct StandardInputSourceTests {
    @Test func eachLineIsAScanAndTheSequenceEndsWithTheInput() async throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        // Not inherited by processes other tests start (a PostgreSQL server), which would keep it open.
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        defer { close(fds[0]) }
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
