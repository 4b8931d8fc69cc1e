import Devices
import Foundation
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
        let (input, output) = scannerPipe()
        let fds = [input, output]
        defer {
            close(input)
            close(output)
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

    /// Scans the device sent that are still in its descriptor's buffer when the service stops
    /// (the reader was waiting for the consumer) are read and handled, not dropped with the
    /// descriptor: a serial or piped scanner loses nothing to a restart, as a network one.
    @Test func scansLeftInTheDevicesBufferAreHandledOnShutdown() async throws {
        let (input, output) = scannerPipe()
        let fds = [input, output]
        defer {
            close(input)
            close(output)
        }
        let received = Received()
        let released = Mutex(false)
        let service = ScanService(source: StandardInputSource(fileDescriptor: fds[0], name: "dock-1")) { event in
            // The station is busy with the first scan until the shutdown has begun.
            while received.texts.withLock({ $0.isEmpty }) && !released.withLock({ $0 }) {
                try await Task.sleep(for: .milliseconds(5))
            }
            received.texts.withLock { $0.append(event.text) }
        }
        let count = 4000
        let lines = (0..<count).map { String(format: "SCAN-%04d\n", $0) }.joined()
        let group = ServiceGroup(services: [service], logger: Logger(label: "test"))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            send(lines, to: fds[1])
            // The reader stops reading once 1,024 scans wait for the busy station; the rest stays
            // in the pipe.
            func unread() -> Int32 {
                var bytes: Int32 = 0
                _ = ioctl(fds[0], UInt(FIONREAD), &bytes)
                return bytes
            }
            #expect(try await eventually { unread() < Int32(lines.utf8.count) })
            // It cannot take more than about 1,025 of the 4,000 while the station is busy.
            #expect(unread() > 0, "the reader read everything: the test proves nothing")
            await group.triggerGracefulShutdown()
            released.withLock { $0 = true }
            try await tasks.waitForAll()
        }
        let texts = received.texts.withLock { $0 }
        #expect(texts.count == count)
        #expect(texts == (0..<count).map { String(format: "SCAN-%04d", $0) })
    }
}
