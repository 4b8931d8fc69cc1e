import Devices
import Logging
import ServiceLifecycle
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite struct ScanServiceTests {
    final class Received: Sendable {
        let texts = Mutex<[String]>([])
    }

    @Test func aScannerServiceDeliversScansAndStopsOnGracefulShutdown() async throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        // Not inherited by processes other tests start (a PostgreSQL server), which would keep it open.
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        defer {
            close(fds[0])
            close(fds[1])
        }
        let received = Received()
        let service = ScanService(source: StandardInputSource(fileDescriptor: fds[0], name: "dock-1")) { event in
            received.texts.withLock { $0.append(event.text) }
        }
        let group = ServiceGroup(services: [service], logger: Logger(label: "test"))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            send("0109501101530003\nLOT-7\n", to: fds[1])
            #expect(try await eventually { received.texts.withLock { $0.count } == 2 })
            // The input stays open: only the shutdown ends the service, and it must end promptly.
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        #expect(received.texts.withLock { $0 } == ["0109501101530003", "LOT-7"])
    }
}
