public import Logging
public import TracemarkSystem

#if canImport(Glibc)
import Glibc
#endif

/// A network scanner, one scan per line: either this side connects to the scanner (fixed-mount
/// scanners listen on a port) and reconnects with backoff whenever the connection fails or drops,
/// or it listens on a port and takes every scanner that connects.
public struct TCPScanSource: ScanSource {
    /// How long to wait before connecting again: `initial`, doubled after each failure up to
    /// `maximum`, and back to `initial` once a connection held.
    public struct Backoff: Hashable, Sendable {
        /// The first wait.
        public var initial: Duration
        /// The longest wait.
        public var maximum: Duration
        /// 250 ms doubling up to 10 s unless told otherwise.
        public init(initial: Duration = .milliseconds(250), maximum: Duration = .seconds(10)) {
            self.initial = initial
            self.maximum = maximum
        }
    }

    enum Mode: Sendable {
        case connect(host: String, port: UInt16)
        case listen(TCPListener)
    }

    let mode: Mode
    /// Who may connect when listening.
    var access = TCPAccess()
    /// How lines are cut (CR, LF or CR LF by default).
    public let framing: ScanFraming
    /// Waiting between connection attempts.
    public let backoff: Backoff
    /// How long one connection attempt may take.
    public let connectTimeout: Duration
    /// How long a scanner whose side fell silent keeps its connection.
    public let keepalive: TCPKeepalive
    /// `tcp://HOST:PORT` or `tcp-listen://ADDR:PORT`.
    public let name: String
    let logger: Logger

    /// Connects to a scanner at `host`:`port`, reconnecting as long as the scans are read.
    public init(host: String, port: UInt16, framing: ScanFraming = .lines, backoff: Backoff = Backoff(),
                connectTimeout: Duration = .seconds(5), keepalive: TCPKeepalive = TCPKeepalive(),
                logger: Logger = Logger(label: "tracemark.devices")) {
        self.mode = .connect(host: host, port: port)
        self.keepalive = keepalive
        self.framing = framing
        self.backoff = backoff
        self.connectTimeout = connectTimeout
        self.name = "tcp://\(host.contains(":") ? "[\(host)]" : host):\(port)"
        self.logger = logger
    }

    /// Takes the scanners that connect to `listener`, several at once (those `access` allows), each line a scan.
    public init(listener: TCPListener, access: TCPAccess = TCPAccess(), framing: ScanFraming = .lines,
                keepalive: TCPKeepalive = TCPKeepalive(), logger: Logger = Logger(label: "tracemark.devices")) {
        self.mode = .listen(listener)
        self.keepalive = keepalive
        self.access = access
        self.framing = framing
        self.backoff = Backoff()
        self.connectTimeout = .seconds(5)
        self.name = "tcp-listen://\(listener.host):\(listener.port)"
        self.logger = logger
    }

    public func scans() -> ScanEvents {
        let source = self
        return ReaderThread.start(name: name) { context in
            switch source.mode {
            case .connect(let host, let port): source.runClient(host: host, port: port, context)
            case .listen(let listener): try source.runServer(listener, context)
            }
        }
    }

    // MARK: - Connecting

    private func runClient(host: String, port: UInt16, _ context: ReaderContext) {
        var delay = backoff.initial
        var lastFailure = ""
        let metadata: Logger.Metadata = ["scanner": "\(name)"]
        while !context.isStopped {
            switch TCPSocket.connect(host: host, port: port, timeout: connectTimeout, context) {
            case .stopped:
                return
            case .failed(let reason):
                if reason != lastFailure {
                    logger.warning("cannot connect: \(reason); retrying", metadata: metadata)
                    lastFailure = reason
                }
                guard context.pause(delay) else { return }
                delay = min(delay * 2, backoff.maximum)
            case .connected(let socket):
                keepalive.apply(to: socket.fd)
                // Back after a failure the log showed: said at the level the failure was seen at.
                logger.log(level: lastFailure.isEmpty ? .info : .notice, lastFailure.isEmpty ? "connected" : "connected again", metadata: metadata)
                lastFailure = ""
                delay = backoff.initial
                var reader = DescriptorReader(fd: socket.fd, source: name, framing: framing)
                let end = reader.run(context, atEnd: .connection)
                if reader.cutOff > 0 { logger.warning(Self.cutOff(reader.cutOff), metadata: metadata) }
                switch end {
                case .stopped: return
                case .endOfInput: logger.warning("connection closed by the scanner; reconnecting", metadata: metadata)
                case .failed(let error): logger.warning("connection lost: \(errnoText(error)); reconnecting", metadata: metadata)
                }
                guard context.pause(delay) else { return }
            }
        }
    }

    // MARK: - Listening

    private func runServer(_ listener: TCPListener, _ context: ReaderContext) throws {
        struct Client {
            let socket: TCPSocket
            let peer: String
            var framer: ScanFramer
            /// When it connected (monotonic nanoseconds).
            let connectedAt: UInt64
            /// Whether it has sent a whole scan: a scanner, not a connection held open by something
            /// else. A byte without an end of line is not one: sixteen connections that each sent
            /// one byte held every place, and the log said they had sent scans (found by a QA run).
            var hasScanned = false
            /// When it last sent a byte (monotonic nanoseconds), or connected.
            var lastByteAt: UInt64
        }
        var clients: [Client] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        // Out of descriptors (EMFILE): the listener stays readable and accept keeps failing; it is
        // left out of the wait until this instant, doubling up to 5 s, instead of spinning.
        var acceptPausedUntil: UInt64 = 0
        var acceptPause: UInt64 = 100_000_000
        while true {
            let now = Monotonic.nanoseconds
            var nextDeadline: UInt64?
            for index in clients.indices {
                if let scan = clients[index].framer.expire(at: now) {
                    context.emit(ScanEvent(scan, source: clients[index].peer))
                }
                if let deadline = clients[index].framer.deadline { nextDeadline = min(nextDeadline ?? deadline, deadline) }
            }
            let accepting = now >= acceptPausedUntil
            if !accepting { nextDeadline = min(nextDeadline ?? acceptPausedUntil, acceptPausedUntil) }
            let timeout = nextDeadline.map { Duration.nanoseconds(Int64($0 > now ? $0 - now : 0)) }
            // A listener left out of the wait is a descriptor poll(2) ignores (-1).
            switch context.wait(for: [accepting ? listener.fd : -1] + clients.map(\.socket.fd), timeout: timeout) {
            case .stopped:
                // Stopping (the service shuts down): what the scanners sent already, whole lines
                // in the sockets' buffers, is still read and handed on, not dropped with the
                // connection, as every descriptor reader drains.
                for index in clients.indices {
                    let peer = clients[index].peer
                    DescriptorReader.drain(clients[index].socket.fd, &clients[index].framer, &buffer) {
                        context.emit(ScanEvent($0, source: peer))
                    }
                }
                return
            case .timedOut:
                continue
            case .ready(let revents):
                var closed: [Int] = []
                for (index, client) in clients.enumerated() where revents[index + 1] != 0 {
                    let count = buffer.withUnsafeMutableBytes { read(client.socket.fd, $0.baseAddress, $0.count) }
                    let readError = count < 0 ? errno : 0
                    if count > 0 {
                        clients[index].lastByteAt = Monotonic.nanoseconds
                        for scan in clients[index].framer.receive(buffer[0..<count], at: Monotonic.nanoseconds) {
                            clients[index].hasScanned = true
                            context.emit(ScanEvent(scan, source: client.peer))
                        }
                    } else if count == 0 || (readError != EAGAIN && readError != EINTR) {
                        let (scan, cut) = clients[index].framer.end()
                        if let scan { context.emit(ScanEvent(scan, source: client.peer)) }
                        if cut > 0 { logger.warning(Self.cutOff(cut), metadata: ["scanner": "\(client.peer)"]) }
                        if count == 0 {
                            logger.info("scanner disconnected", metadata: ["scanner": "\(client.peer)"])
                        } else {
                            // ETIMEDOUT: its keepalives went unanswered (out of range, powered off).
                            logger.warning("scanner lost: \(errnoText(readError))", metadata: ["scanner": "\(client.peer)"])
                        }
                        closed.append(index)
                    }
                }
                for index in closed.reversed() { clients.remove(at: index) }
                guard accepting, revents[0] != 0 else { continue }
                switch listener.accept() {
                case .none:
                    break
                case .exhausted(let error):
                    logger.error("cannot accept a scanner: \(errnoText(error)); waiting before the next", metadata: ["scanner": "\(name)"])
                    acceptPausedUntil = Monotonic.nanoseconds + acceptPause
                    acceptPause = min(acceptPause * 2, 5_000_000_000)
                case .client(let socket, let peer, let address):
                    acceptPause = 100_000_000
                    if !access.allows(address) {
                        logger.warning("scanner refused: \(address) is not in the allow list", metadata: ["scanner": "\(peer)"])
                    } else {
                        // Full: the place of the connection silent longest that never sent a whole
                        // scan (a port check, a tool that connected and forgot, a client of the
                        // wrong port, a line never ended) goes to the newcomer, so that idle
                        // connections cannot lock the scanners out. One that has sent a scan keeps
                        // its place: the newcomer is refused then.
                        if clients.count >= access.maxClients,
                           let silent = clients.indices.filter({ !clients[$0].hasScanned }).min(by: { clients[$0].lastByteAt < clients[$1].lastByteAt }) {
                            let seconds = (Monotonic.nanoseconds - clients[silent].lastByteAt) / 1_000_000_000
                            let partial = clients[silent].framer.partialLength
                            let what = partial > 0 ? "it sent \(partial) bytes without an end of line, the last \(seconds) s ago, and no scan"
                                : "it sent nothing in the \(seconds) s since it connected"
                            logger.warning("connection closed to make room for \(peer): \(what), and \(access.maxClients) scanners (max-clients) were connected",
                                           metadata: ["scanner": "\(clients[silent].peer)"])
                            clients.remove(at: silent)
                        }
                        if clients.count >= access.maxClients {
                            logger.warning("scanner refused: \(access.maxClients) scanners (max-clients) are connected already, each of which has sent a whole scan", metadata: ["scanner": "\(peer)"])
                        } else {
                            keepalive.apply(to: socket.fd)
                            logger.info("scanner connected", metadata: ["scanner": "\(peer)"])
                            let now = Monotonic.nanoseconds
                            clients.append(Client(socket: socket, peer: peer, framer: ScanFramer(framing), connectedAt: now, lastByteAt: now))
                        }
                    }
                }
            }
        }
    }

    /// What is logged of a scan the end of a connection cut off.
    private static func cutOff(_ bytes: Int) -> Logger.Message {
        "the connection ended in the middle of a scan (\(bytes) bytes without an end of line): not read, scan it again"
    }
}
