import Foundation
import Logging

#if canImport(Glibc)
import Glibc
import TracemarkSystem
#endif

/// Reads a file descriptor (terminal, socket, pipe) through a ``ScanFramer`` until it ends or the
/// loop is stopped, emitting each scan.
struct DescriptorReader {
    /// Why reading stopped.
    enum End: Equatable {
        /// End of input (EOF, the peer closed, the terminal hung up).
        case endOfInput
        /// A read failed with this `errno`.
        case failed(Int32)
        /// The consumer stopped iterating.
        case stopped
    }

    let fd: Int32
    let source: String
    var framer: ScanFramer

    init(fd: Int32, source: String, framing: ScanFraming) {
        self.fd = fd
        self.source = source
        self.framer = ScanFramer(framing)
    }

    /// What becomes of a scan the end of the input cuts off.
    enum AtEnd {
        /// Emitted: the end of a file or pipe ends its last line.
        case flush
        /// Dropped, and counted in ``cutOff``: a device that went away in the middle of a scan.
        case drop
        /// A connection's end (``ScanFramer/end()``): a scan framed by silence is emitted, one
        /// whose line end never came is dropped and counted in ``cutOff``.
        case connection
    }

    /// The bytes of a scan the end of the input cut off and ``run(_:atEnd:)`` dropped.
    private(set) var cutOff = 0

    /// Reads until the input ends.
    mutating func run(_ context: ReaderContext, atEnd: AtEnd) -> End {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let now = Monotonic.nanoseconds
            if let scan = framer.expire(at: now) { emit(scan, context) }
            let timeout = framer.deadline.map { Duration.nanoseconds(Int64($0 > now ? $0 - now : 0)) }
            switch context.wait(for: [fd], timeout: timeout) {
            case .stopped:
                let source = source
                Self.drain(fd, &framer, &buffer) { context.emit(ScanEvent($0, source: source)) }
                return .stopped
            case .timedOut:
                continue
            case .ready(let revents):
                let ready = revents[0]
                let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if count > 0 {
                    for scan in framer.receive(buffer[0..<count], at: Monotonic.nanoseconds) { emit(scan, context) }
                    continue
                }
                let error = count < 0 ? errno : 0
                if count < 0, error == EAGAIN || error == EINTR {
                    if ready & Int16(POLLHUP | POLLERR | POLLNVAL) != 0 { return finish(context, atEnd, .endOfInput) }
                    continue
                }
                // 0 bytes after poll said readable: EOF or hang-up. EIO: a terminal whose other end went away.
                if count == 0 || error == EIO { return finish(context, atEnd, .endOfInput) }
                return finish(context, atEnd, .failed(error))
            }
        }
    }

    /// Stopping (the service shuts down): the whole scans the device sent already, waiting in
    /// `fd`'s buffer (a terminal's, a socket's, a pipe's), are still read and handed to `emit`,
    /// not dropped when the descriptor is closed; a scan cut off by the stop is not a scan.
    /// Only what is there now is read (never waiting), and at most 1 MiB of it.
    static func drain(_ fd: Int32, _ framer: inout ScanFramer, _ buffer: inout [UInt8], _ emit: (FramedScan) -> Void) {
        var left = 1 << 20
        while left > 0 {
            var polled = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&polled, 1, 0) == 1, polled.revents & Int16(POLLIN) != 0 else { return }
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            guard count > 0 else { return }
            left -= count
            for scan in framer.receive(buffer[0..<count], at: Monotonic.nanoseconds) { emit(scan) }
        }
    }

    private mutating func finish(_ context: ReaderContext, _ atEnd: AtEnd, _ end: End) -> End {
        switch atEnd {
        case .flush:
            if let scan = framer.finish() { emit(scan, context) }
        case .drop:
            // Not acted on, but counted, so that the device's going away mid-scan can be said.
            cutOff = framer.partialLength
        case .connection:
            let (scan, cut) = framer.end()
            if let scan { emit(scan, context) }
            cutOff = cut
        }
        framer.reset()
        return end
    }

    private func emit(_ scan: FramedScan, _ context: ReaderContext) {
        context.emit(ScanEvent(scan, source: source))
    }
}
