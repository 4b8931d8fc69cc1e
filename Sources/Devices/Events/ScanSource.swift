/// Anything that turns a scanner into scan events: a USB HID scanner, a serial port, a TCP
/// connection, standard input.
///
/// A source is a description; ``scans()`` starts it. Its reads run on a thread of their own (they
/// block in `poll`, termios and libusb), never on the cooperative pool, and stop when the
/// consumer stops iterating or its task is cancelled. A source that loses its device (unplugged,
/// connection dropped) logs it and resumes when the device is back; the sequence ends only when
/// the input ends (standard input) or with an error it cannot recover from.
public protocol ScanSource: Sendable {
    /// The name scans from this source carry in ``ScanEvent/source``.
    var name: String { get }
    /// Starts reading and delivers each scan as it completes.
    func scans() -> ScanEvents
}

/// The scans of a ``ScanSource`` as they arrive.
public struct ScanEvents: AsyncSequence, Sendable {
    public typealias Element = ScanEvent
    let stream: AsyncThrowingStream<ScanEvent, any Error>
    let context: ReaderContext

    init(_ stream: AsyncThrowingStream<ScanEvent, any Error>, context: ReaderContext) {
        self.stream = stream
        self.context = context
    }

    /// Stops reading (if it has not stopped already) and waits until the source has let go of
    /// its device: the USB interface released and the kernel's keyboard driver attached again,
    /// the serial port or socket closed. Call it before the process exits.
    public func finish() async {
        context.stop()
        await context.waitUntilFinished()
    }

    /// Asks the source to stop reading; the scans it has read already still come, then the
    /// sequence ends.
    public func stopReading() {
        context.stop()
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: stream.makeAsyncIterator(), context: context)
    }

    /// Iterates over the scans; throws ``DevicesError`` when the source cannot go on.
    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: AsyncThrowingStream<ScanEvent, any Error>.AsyncIterator
        let context: ReaderContext

        public mutating func next() async throws -> ScanEvent? {
            let event = try await base.next()
            if event != nil { context.taken() }
            return event
        }
    }
}
