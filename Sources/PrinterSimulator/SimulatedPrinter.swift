public import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
import TracemarkSystem
#endif

/// A ZPL printer on loopback for tests and benchmarks.
///
/// It listens on `127.0.0.1` and, like a real raw TCP printer, serves one connection at a time
/// (the next waits in the backlog, or is reset). It keeps every byte it received per connection,
/// prints each format (`^XA … ^XZ`, `^PQ` copies) at once or at a set rate, counts labels, answers
/// `~HS` with its state and SGD `getvar "odometer.total_label_count"` with its counter — and, like
/// a real printer, does not answer `~HS` while out of paper or ribbon or with its head open.
/// Faults: reading late, a small receive buffer, dropping or stalling a connection after some
/// bytes, never answering, being switched off (`stop()`) and on again on the same port.
///
/// ```swift
/// let printer = try await SimulatedPrinter.start()
/// printer.setState(.paperOut)
/// ```
public final class SimulatedPrinter: Sendable {
    /// How the printer behaves, fixed when it starts.
    public struct Configuration: Sendable {
        /// Labels printed per second; nil prints each format the moment its `^XZ` arrives.
        public var labelsPerSecond: Double?
        public var labelCounter: LabelCounter
        /// What a second connection meets while one is served.
        public var whenBusy: WhenBusy
        /// Seconds between accepting a connection and reading from it (a slow printer).
        public var readDelay: Double
        /// The socket's receive buffer in bytes (small: the sender's writes stall sooner).
        public var receiveBufferSize: Int?
        /// Keep every byte received (off for benchmarks that send hundreds of megabytes).
        public var recordsBytes: Bool
        /// Keep each printed format's text.
        public var recordsFormats: Bool
        /// The printer enters this state once it has printed this many labels (paper running out
        /// mid-job, an operator pausing it), whatever the machine's speed.
        public var haltsAfter: (labels: Int, state: State)?

        public init(labelsPerSecond: Double? = nil, labelCounter: LabelCounter = .odometer(startingAt: 1000),
                    whenBusy: WhenBusy = .backlog, readDelay: Double = 0, receiveBufferSize: Int? = nil,
                    recordsBytes: Bool = true, recordsFormats: Bool = true, haltsAfter: (labels: Int, state: State)? = nil) {
            self.labelsPerSecond = labelsPerSecond
            self.labelCounter = labelCounter
            self.whenBusy = whenBusy
            self.readDelay = readDelay
            self.receiveBufferSize = receiveBufferSize
            self.recordsBytes = recordsBytes
            self.recordsFormats = recordsFormats
            self.haltsAfter = haltsAfter
        }
    }

    /// Whether and how the printer tells its label counter.
    public enum LabelCounter: Sendable, Equatable {
        /// `getvar "odometer.total_label_count"` answers the count, starting here.
        case odometer(startingAt: Int)
        /// An older printer: the variable is unknown, answered `"?"`.
        case unknownVariable
        /// SGD is not answered at all.
        case none
    }

    public enum WhenBusy: Sendable, Equatable {
        /// The connection waits in the listen backlog until the current one ends.
        case backlog
        /// The connection is accepted and reset at once.
        case reset
    }

    /// What the printer reports (and does). Several can hold at once.
    public struct State: OptionSet, Sendable, Hashable {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }

        public static let ready: State = []
        /// Out of media: prints nothing, does not answer `~HS`.
        public static let paperOut = State(rawValue: 1 << 0)
        /// Out of ribbon: prints nothing, does not answer `~HS`.
        public static let ribbonOut = State(rawValue: 1 << 1)
        /// Head open: prints nothing, does not answer `~HS`.
        public static let headOpen = State(rawValue: 1 << 2)
        /// Paused: prints nothing, answers `~HS` with the pause flag.
        public static let paused = State(rawValue: 1 << 3)
        /// Reports its receive buffer full.
        public static let bufferFull = State(rawValue: 1 << 4)
        /// Answers nothing at all (a hung printer, or one whose firmware ignores queries).
        public static let silent = State(rawValue: 1 << 5)

        /// States in which a printer prints nothing.
        static let halted: State = [.paperOut, .ribbonOut, .headOpen, .paused]
        /// States in which a ZPL printer ignores `~HS`.
        static let mute: State = [.paperOut, .ribbonOut, .headOpen, .silent]
    }

    /// One format the printer printed, with its copies.
    public struct PrintedFormat: Sendable, Equatable {
        /// The format's text, `^XA` to `^XZ` (empty when formats are not recorded).
        public var text: String
        public var copies: Int
    }

    public let configuration: Configuration
    let model: Mutex<Model>
    private let run = Mutex<Run?>(nil)
    private let boundPort = Atomic<Int>(0)

    /// The port it listens on (the same after ``restart()``).
    public var port: Int { boundPort.load(ordering: .acquiring) }

    private init(_ configuration: Configuration) {
        self.configuration = configuration
        var model = Model(configuration: configuration)
        model.lastAdvance = Self.now
        self.model = Mutex(model)
    }

    /// Starts a printer listening on `127.0.0.1:port` (0: a free port, see ``port``).
    public static func start(_ configuration: Configuration = Configuration(), port: Int = 0) async throws -> SimulatedPrinter {
        let printer = SimulatedPrinter(configuration)
        guard port == 0 else {
            try printer.powerOn(port: port)
            return printer
        }
        // A free port below the kernel's ephemeral range (32768–60999 by default), which is
        // where port 0 and every outgoing connection take theirs: a port in that range can be
        // taken by some client connection while the printer is off, and ``restart()`` could not
        // bind it again.
        for _ in 0..<64 {
            if (try? printer.powerOn(port: Int.random(in: 20_000..<32_768))) != nil { return printer }
        }
        try printer.powerOn(port: 0)
        return printer
    }

    deinit {
        run.withLock { $0?.stop() }
    }

    // MARK: - Controls

    /// Sets what the printer reports; leaving a halted state lets it print what it holds.
    public func setState(_ state: State) {
        model.withLock { model in
            model.advance(to: Self.now)
            model.state = state
        }
    }

    public var state: State { model.withLock { $0.state } }

    /// The next connection is dropped (reset, like a pulled cable) once it received `bytes` bytes,
    /// status queries included.
    public func dropConnection(afterBytes bytes: Int) {
        dropConnections(afterBytes: bytes, times: 1)
    }

    /// The next `times` connections that reach `bytes` bytes are dropped there (a flaky cable).
    public func dropConnections(afterBytes bytes: Int, times: Int) {
        model.withLock { model in
            model.dropAfter = times > 0 ? bytes : nil
            model.dropsAfterNext = max(0, times - 1)
        }
    }

    /// Connections stop being read once they received `bytes` bytes, until ``resumeReading()``:
    /// the sender's writes stall.
    public func stallReading(afterBytes bytes: Int) {
        model.withLock { $0.stallAfter = bytes }
    }

    /// Reads a stalled connection again.
    public func resumeReading() {
        model.withLock { $0.stallAfter = nil }
        run.withLock { $0?.wake() }
    }

    /// Switches the printer off: the open connection is closed and new ones are refused.
    public func stop() async {
        guard let current = run.withLock({ run -> Run? in defer { run = nil }; return run }) else { return }
        current.stop()
        await current.finished()
    }

    /// Switches the printer on again, on the same port.
    ///
    /// The port can still be in use for a moment after ``stop()`` closed it: a process that the
    /// test process is starting at that instant (any test's `tracemark`, `psql`, a shell) holds a
    /// copy of every descriptor, the listening socket too, from its fork until its exec closes
    /// them. The listener is then still there, and binding its port is refused ("Address already
    /// in use", seen once in CI on a busy machine; this is its likely cause, not a proven one);
    /// trying again a little later finds it free. A port held for longer
    /// (some other listener took it) fails as before, after a few hundred tries.
    public func restart() async throws {
        await stop()
        for _ in 0..<300 {
            if (try? powerOn(port: port)) != nil { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        try powerOn(port: port)
    }

    // MARK: - What it received and printed

    /// Every byte received, one entry per connection, in order (when bytes are recorded).
    public var connections: [Data] { model.withLock { $0.connections } }
    /// How many connections it accepted and served.
    public var connectionCount: Int { model.withLock { $0.connectionCount } }
    /// Bytes that were part of formats (not status queries), over all connections.
    public var formatBytesReceived: Int { model.withLock { $0.formatBytes } }
    /// Each format received so far, with when its `^XZ` arrived on ``SimulatedPrinter/now`` (seconds
    /// of `CLOCK_MONOTONIC`): for latency benchmarks that know when they sent what led to it.
    public var formatArrivals: [(text: String, at: Double)] { model.withLock { $0.arrivals } }

    /// Formats printed so far, in order.
    public var printedFormats: [PrintedFormat] {
        model.withLock { model in
            model.advance(to: Self.now)
            return model.printed
        }
    }
    /// Labels printed so far (formats × copies).
    public var labelsPrinted: Int {
        model.withLock { model in
            model.advance(to: Self.now)
            return model.labelsPrinted
        }
    }
    /// Whether someone waits for labels (the printer's thread then looks every 10 ms).
    var hasWaiters: Bool { model.withLock { !$0.waiters.isEmpty } }

    /// Formats received whole and not yet printed, and labels still to print.
    public var buffer: (formats: Int, labels: Int) {
        model.withLock { model in
            model.advance(to: Self.now)
            return (model.queue.count, model.queue.reduce(0) { $0 + $1.remaining })
        }
    }
    /// The label counter (odometer), when it has one.
    public var labelCounter: Int? {
        model.withLock { model in
            model.advance(to: Self.now)
            return model.odometer
        }
    }
    /// `~HS` queries answered.
    public var statusQueriesAnswered: Int { model.withLock { $0.statusAnswers } }

    /// Waits until `count` labels were printed in all; false after `timeout`.
    public func waitForLabels(_ count: Int, timeout: Duration = .seconds(30)) async -> Bool {
        let deadline = Self.now + timeout.seconds
        while true {
            if labelsPrinted >= count { return true }
            if Self.now >= deadline { return false }
            guard run.withLock({ $0 != nil }) else {
                // Switched off: nothing will wake us.
                try? await Task.sleep(for: .milliseconds(10))
                continue
            }
            // The printer's thread resumes us as labels print (and at least every 10 ms).
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = model.withLock { model -> Bool in
                    if model.labelsPrinted >= count { return true }
                    model.waiters.append(Waiter(count: count, deadline: deadline, continuation: continuation))
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        }
    }

    /// Resumes the waiters whose labels printed or whose time is up (all of them with `all`).
    func wakeWaiters(all: Bool = false) {
        let ready = model.withLock { model -> [CheckedContinuation<Void, Never>] in
            guard !model.waiters.isEmpty else { return [] }
            let now = Self.now
            model.advance(to: now)
            let printed = model.labelsPrinted
            var ready: [CheckedContinuation<Void, Never>] = []
            model.waiters.removeAll { waiter in
                guard all || waiter.count <= printed || waiter.deadline <= now else { return false }
                ready.append(waiter.continuation)
                return true
            }
            return ready
        }
        for continuation in ready { continuation.resume() }
    }

    /// The simulator's clock: seconds of `CLOCK_MONOTONIC`.
    public static var now: Double { Monotonic.now }

    private func powerOn(port requested: Int) throws {
        let started = try Run.start(printer: self, port: requested == 0 ? port : requested)
        boundPort.store(started.port, ordering: .releasing)
        run.withLock { $0 = started }
    }
}

extension Duration {
    var seconds: Double {
        let (whole, fraction) = components
        return Double(whole) + Double(fraction) / 1e18
    }
}

/// Why the simulator could not start.
public struct SimulatorError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
