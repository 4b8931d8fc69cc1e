import Devices
import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
import TracemarkTesting
#endif

/// Reads a source's scans in the background and lets a test wait for them without blocking.
final class EventCollector: Sendable {
    private final class State: Sendable {
        let events = Mutex<[ScanEvent]>([])
        let ending = Mutex<(finished: Bool, error: String?)>((false, nil))
    }

    private let state = State()
    private let task: Task<Void, Never>

    init(_ source: some ScanSource) {
        let state = state
        let scans = source.scans()
        task = Task {
            do {
                for try await event in scans { state.events.withLock { $0.append(event) } }
                state.ending.withLock { $0.finished = true }
            } catch {
                state.ending.withLock { $0 = (true, "\(error)") }
            }
        }
    }

    deinit {
        task.cancel()
    }

    var all: [ScanEvent] { state.events.withLock { $0 } }
    var texts: [String] { all.map(\.text) }
    var finished: Bool { state.ending.withLock { $0.finished } }
    var error: String? { state.ending.withLock { $0.error } }

    /// Waits until `count` scans arrived (or the sequence ended), at most `timeout`.
    @discardableResult
    func waitFor(_ count: Int, timeout: Duration = HangGuard.wait) async throws -> [ScanEvent] {
        let clock = ContinuousClock()
        let end = clock.now + timeout
        while all.count < count && !finished && clock.now < end {
            try await Task.sleep(for: .milliseconds(10))
        }
        return all
    }

    /// Waits until the sequence ended, at most `timeout`.
    func waitForEnd(timeout: Duration = HangGuard.wait) async throws {
        let clock = ContinuousClock()
        let end = clock.now + timeout
        while !finished && clock.now < end { try await Task.sleep(for: .milliseconds(10)) }
    }

    func stop() {
        task.cancel()
    }
}

/// Waits (without blocking a thread) until `condition` holds, at most `timeout`. The default is generous: with the whole suite running on two cores,
/// CPU-bound label tests can hold the cooperative pool for seconds; a passing condition returns at once.
func eventually(timeout: Duration = HangGuard.wait, _ condition: () -> Bool) async throws -> Bool {
    let clock = ContinuousClock()
    let end = clock.now + timeout
    while !condition() {
        if clock.now >= end { return false }
        try await Task.sleep(for: .milliseconds(10))
    }
    return true
}

/// Writes all of `text` to `fd` (pipes, sockets and terminals take small writes at once).
func send(_ text: String, to fd: Int32) {
    var bytes = Array(text.utf8)
    while !bytes.isEmpty {
        let written = write(fd, bytes, bytes.count)
        guard written > 0 else { return }
        bytes.removeFirst(written)
    }
}

/// A pipe for a test scanner: (read end, write end), close-on-exec so that processes other
/// tests start (a PostgreSQL server) do not inherit it and keep it open.
func scannerPipe() -> (read: Int32, write: Int32) {
    var fds: [Int32] = [0, 0]
    #expect(pipe(&fds) == 0)
    for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
    return (fds[0], fds[1])
}
