import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
import TracemarkSystem
#endif

/// Runs a source's blocking loop on a thread of its own and hands its scans to an async sequence.
///
/// The loop waits in `poll(2)` on its device and on a pipe that is written when the consumer stops
/// iterating, so it ends promptly without polling a flag. It is not a `Task`: reading a terminal,
/// a socket or libusb blocks, and blocking the cooperative pool would stall everything else.
enum ReaderThread {
    /// Starts `body` on a new thread; its scans and its end (return or throw) go to the sequence.
    static func start(name: String, _ body: @escaping @Sendable (ReaderContext) throws -> Void) -> ScanEvents {
        let (stream, continuation) = AsyncThrowingStream<ScanEvent, any Error>.makeStream()
        let context = ReaderContext(continuation: continuation)
        continuation.onTermination = { _ in context.stop() }
        let thread = Thread {
            do {
                try body(context)
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
            context.markFinished()
        }
        thread.name = "tracemark \(name)"
        thread.start()
        return ScanEvents(stream, context: context)
    }
}

/// What a reader loop needs: a way to emit scans, to learn it should stop, and to wait for a file
/// descriptor or a pause without missing the stop.
final class ReaderContext: Sendable {
    private let continuation: AsyncThrowingStream<ScanEvent, any Error>.Continuation
    private let stopped = Atomic<Bool>(false)
    /// Whether the loop has returned (and so let go of its device), and who waits for that.
    private let finished = Mutex<(done: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))
    /// The pipe `stop()` writes to; both ends are closed in `deinit`, when neither side can use them.
    private let wakeRead: Int32
    private let wakeWrite: Int32

    init(continuation: AsyncThrowingStream<ScanEvent, any Error>.Continuation) {
        self.continuation = continuation
        var fds: [Int32] = [-1, -1]
        if pipe(&fds) == 0 {
            for fd in fds { setNonBlockingCloseOnExec(fd) }
        } else {
            fds = [-1, -1]
        }
        wakeRead = fds[0]
        wakeWrite = fds[1]
    }

    deinit {
        if wakeRead >= 0 { close(wakeRead) }
        if wakeWrite >= 0 { close(wakeWrite) }
    }

    /// True once the consumer stopped iterating.
    var isStopped: Bool { stopped.load(ordering: .acquiring) }

    /// Asks the loop to end (the consumer went away).
    func stop() {
        stopped.store(true, ordering: .releasing)
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
    }

    /// Called by the thread when the loop has returned.
    func markFinished() {
        let waiters = finished.withLock { state in
            state.done = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Waits until the loop has returned.
    func waitUntilFinished() async {
        await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
            let done = finished.withLock { state in
                if !state.done { state.waiters.append(waiter) }
                return state.done
            }
            if done { waiter.resume() }
        }
    }

    /// Scans handed over and not yet taken by the consumer.
    private let pending = Atomic<Int>(0)
    /// At most this many scans wait for the consumer; past it the reader waits too (and so stops
    /// reading its device: a TCP client that floods us is slowed by TCP itself).
    static let capacity = 1024

    /// Hands a scan to the consumer, waiting while ``capacity`` scans are waiting already.
    func emit(_ event: ScanEvent) {
        while pending.load(ordering: .acquiring) >= Self.capacity, !isStopped {
            _ = pause(.milliseconds(2))
        }
        pending.add(1, ordering: .acquiringAndReleasing)
        continuation.yield(event)
    }

    /// The consumer took a scan.
    func taken() {
        pending.subtract(1, ordering: .acquiringAndReleasing)
    }

    /// What waiting for descriptors found.
    enum Wait {
        /// The descriptors that are ready, with their `revents`, in the order given.
        case ready([Int16])
        case timedOut
        case stopped
    }

    /// Waits until one of `fds` is ready for `events`, `timeout` passes, or the loop is stopped.
    func wait(for fds: [Int32], events: Int16 = Int16(POLLIN), timeout: Duration?) -> Wait {
        if isStopped { return .stopped }
        var polled = fds.map { pollfd(fd: $0, events: events, revents: 0) }
        polled.append(pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0))
        let milliseconds: Int32 = timeout.map { Int32(clamping: max(0, $0.milliseconds)) } ?? -1
        let result = poll(&polled, nfds_t(polled.count), milliseconds)
        if isStopped { return .stopped }
        if result == 0 { return .timedOut }
        if result < 0 { return errno == EINTR ? .timedOut : .stopped }
        return .ready(polled.dropLast().map(\.revents))
    }

    /// Pauses for `duration` unless stopped first; returns false when stopped.
    func pause(_ duration: Duration) -> Bool {
        switch wait(for: [], timeout: duration) {
        case .stopped: false
        default: true
        }
    }
}

extension Duration {
    /// Whole milliseconds, rounded up so a short timeout never becomes a busy loop.
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
    }
}

