import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
import TracemarkTesting
#endif

/// A printer on a loopback TCP port that takes every connection, reads it to the end and keeps
/// what arrived: what a CUPS queue's `socket://127.0.0.1:PORT/` device sends, byte for byte.
///
/// It closes each connection once the sender has half-closed it, as a printer does, so the socket
/// backend (which waits up to 90 s for the printer's replies) finishes at once. Accepting and
/// reading run on threads of their own, never on the cooperative pool.
///
/// The accept thread owns the listening descriptor and closes it itself when it ends: were
/// ``close()`` to close it while the thread was between two `accept` calls, the next listener
/// opened in this process (another test's printer) could be given the same descriptor number,
/// and this printer's thread would take that printer's connections and keep their bytes: a job
/// that CUPS reports sent while the printer it was sent to never saw it.
final class LoopbackPrinter: Sendable {
    let port: Int
    private let listener: Int32
    private let state = Mutex<(jobs: [Data], closed: Bool)>(([], false))

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    init() throws {
        let socket = try LoopbackSocket.bind(listening: 16)
        listener = socket.descriptor
        port = socket.port
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    deinit {
        close()
    }

    /// Stops taking connections (connections already taken are still read to the end).
    func close() {
        let wasClosed = state.withLock { state in
            defer { state.closed = true }
            return state.closed
        }
        guard !wasClosed else { return }
        // On Linux, shutting a listening socket down wakes the thread blocked in accept, and
        // every later accept on it fails: the thread then closes the descriptor.
        shutdown(listener, Int32(SHUT_RDWR))
    }

    /// Everything received, one `Data` per connection, in the order connections ended.
    var jobs: [Data] { state.withLock { $0.jobs } }

    /// Waits until `count` connections have ended, and returns what they carried.
    func waitForJobs(_ count: Int = 1, timeout: Duration = HangGuard.wait) async throws -> [Data] {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while clock.now < deadline {
            let jobs = self.jobs
            if jobs.count >= count { return jobs }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw Failure(description: "only \(jobs.count) of \(count) connections reached 127.0.0.1:\(port) in \(timeout)")
    }

    private func acceptLoop() {
        defer { Glibc.close(listener) }
        while true {
            let connection = accept(listener, nil, nil)
            if connection < 0 {
                // Only a closed listener ends the loop. A connection reset before it was taken
                // (ECONNABORTED: another test's client on a port this one was given after it)
                // or a moment without descriptors must not stop the printer taking the next.
                let failure = errno
                if state.withLock({ $0.closed }) || failure == EBADF || failure == EINVAL || failure == ENOTSOCK { return }
                if failure != EINTR { usleep(10_000) }
                continue
            }
            Thread { [self] in read(connection) }.start()
        }
    }

    private func read(_ connection: Int32) {
        var received = Data()
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(connection, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                received.append(contentsOf: buffer[0..<count])
            } else if count < 0 && errno == EINTR {
                continue
            } else {
                break
            }
        }
        Glibc.close(connection)
        state.withLock { $0.jobs.append(received) }
    }
}
