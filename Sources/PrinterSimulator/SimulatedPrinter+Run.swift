import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
import TracemarkSystem
#endif

extension SimulatedPrinter {
    /// One power-on of the printer: a listening socket and the thread that serves it, one
    /// connection at a time, with blocking calls (a printer's firmware does just that).
    final class Run: Sendable {
        let port: Int
        private let listenFD: Int32
        private let wakeRead: Int32
        private let wakeWrite: Int32
        private let stopped = Atomic<Bool>(false)
        private let done = Mutex<(finished: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

        private init(listenFD: Int32, port: Int, wakeRead: Int32, wakeWrite: Int32) {
            self.listenFD = listenFD
            self.port = port
            self.wakeRead = wakeRead
            self.wakeWrite = wakeWrite
        }

        deinit {
            // The listening socket is closed by the serving thread as it ends (see `serve`).
            Glibc.close(wakeRead)
            Glibc.close(wakeWrite)
        }

        static func start(printer: SimulatedPrinter, port: Int) throws -> Run {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { throw SimulatorError(message: "socket: \(String(cString: strerror(errno)))") }
            var yes: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
            if var size = printer.configuration.receiveBufferSize.map(Int32.init) {
                setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
            }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = UInt16(port).bigEndian
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard bound == 0, listen(fd, 8) == 0 else {
                let message = String(cString: strerror(errno))
                Glibc.close(fd)
                throw SimulatorError(message: "cannot listen on 127.0.0.1:\(port): \(message)")
            }
            var actual = sockaddr_in()
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafeMutablePointer(to: &actual) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
            }
            var pipeFDs: [Int32] = [-1, -1]
            guard pipe(&pipeFDs) == 0 else {
                Glibc.close(fd)
                throw SimulatorError(message: "pipe: \(String(cString: strerror(errno)))")
            }
            for pipeFD in pipeFDs { setNonBlockingCloseOnExec(pipeFD) }
            let run = Run(listenFD: fd, port: Int(UInt16(bigEndian: actual.sin_port)), wakeRead: pipeFDs[0], wakeWrite: pipeFDs[1])
            let thread = Thread { [weak printer] in
                run.serve { [weak printer] in printer }
            }
            thread.name = "simulated printer \(run.port)"
            thread.start()
            return run
        }

        func stop() {
            stopped.store(true, ordering: .releasing)
            wake()
        }

        func wake() {
            var byte: UInt8 = 1
            _ = write(wakeWrite, &byte, 1)
        }

        func finished() async {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = done.withLock { state -> Bool in
                    if state.finished { return true }
                    state.waiters.append(continuation)
                    return false
                }
                if now { continuation.resume() }
            }
        }

        private func markFinished() {
            let waiters = done.withLock { state in
                state.finished = true
                defer { state.waiters = [] }
                return state.waiters
            }
            for waiter in waiters { waiter.resume() }
        }

        /// The printer's firmware loop. Holds the printer weakly: a printer nobody references ends.
        private func serve(_ printer: () -> SimulatedPrinter?) {
            defer { markFinished() }
            // Closed before ``finished()`` returns: a printer switched on again at once on the same
            // port (`restart`) must find it free, which it is not while this run still listens.
            defer { Glibc.close(listenFD) }
            let capacity = 256 * 1024
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 16)
            defer { buffer.deallocate() }
            var connection: Int32 = -1
            var scanner = ZPLStreamScanner(recordsText: false)
            var received = 0
            var readAt = 0.0
            var dropAt: Int?
            var events: [ZPLStreamScanner.Event] = []
            func closeConnection(reset: Bool) {
                guard connection >= 0 else { return }
                if reset {
                    var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
                    setsockopt(connection, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
                }
                Glibc.close(connection)
                connection = -1
            }
            defer {
                closeConnection(reset: false)
                printer()?.wakeWaiters(all: true)
            }
            while !stopped.load(ordering: .acquiring) {
                guard let current = printer() else { return }
                let now = SimulatedPrinter.now
                let waiting = current.hasWaiters
                var fds = [pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)]
                var timeout: Int32 = waiting ? 10 : 200
                if connection < 0 {
                    fds.append(pollfd(fd: listenFD, events: Int16(POLLIN), revents: 0))
                } else {
                    let stallAfter = current.model.withLock { $0.stallAfter }
                    let stalled = stallAfter.map { received >= $0 } ?? false
                    let early = now < readAt
                    if early { timeout = min(timeout, Int32(max(1, (readAt - now) * 1000))) }
                    fds.append(pollfd(fd: connection, events: early || stalled ? 0 : Int16(POLLIN), revents: 0))
                    if current.configuration.whenBusy == .reset {
                        fds.append(pollfd(fd: listenFD, events: Int16(POLLIN), revents: 0))
                    }
                }
                let ready = poll(&fds, nfds_t(fds.count), timeout)
                if ready < 0 && errno != EINTR { return }
                if fds[0].revents != 0 {
                    var scratch = [UInt8](repeating: 0, count: 64)
                    _ = read(wakeRead, &scratch, scratch.count)
                }
                for entry in fds.dropFirst() where entry.fd == listenFD && entry.revents & Int16(POLLIN) != 0 {
                    let accepted = accept(listenFD, nil, nil)
                    guard accepted >= 0 else { continue }
                    setNonBlockingCloseOnExec(accepted)
                    if connection >= 0 {
                        // Busy, and configured to turn others away.
                        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
                        setsockopt(accepted, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
                        Glibc.close(accepted)
                        continue
                    }
                    connection = accepted
                    received = 0
                    scanner = ZPLStreamScanner(recordsText: current.configuration.recordsFormats)
                    readAt = SimulatedPrinter.now + current.configuration.readDelay
                    dropAt = current.model.withLock { model in
                        model.connectionCount += 1
                        if current.configuration.recordsBytes { model.connections.append(Data()) }
                        return model.dropAfter
                    }
                }
                if connection >= 0, let entry = fds.dropFirst().first(where: { $0.fd == connection }), entry.revents != 0 {
                    if entry.revents & Int16(POLLIN) == 0 {
                        // Hung up or reset while we were not reading.
                        closeConnection(reset: false)
                    } else {
                        // Never past a stall's byte either: one read could otherwise take the whole payload.
                        let stallAfter = current.model.withLock { $0.stallAfter }
                        let limit = max(1, min(dropAt.map { max(0, min(capacity, $0 - received)) } ?? capacity,
                                               stallAfter.map { max(1, $0 - received) } ?? capacity))
                        let count = recv(connection, buffer.baseAddress, limit, 0)
                        if count == 0 {
                            closeConnection(reset: false)
                        } else if count < 0 {
                            if errno != EAGAIN && errno != EINTR { closeConnection(reset: false) }
                        } else {
                            received += count
                            let chunk = UnsafeRawBufferPointer(rebasing: buffer[..<count])
                            let before = scanner.formatBytes
                            events.removeAll(keepingCapacity: true)
                            scanner.scan(chunk) { events.append($0) }
                            let answer = current.handle(chunk, events: events, formatBytes: scanner.formatBytes - before)
                            if !answer.isEmpty {
                                _ = answer.withUnsafeBytes { send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                            }
                            if let dropAt, received >= dropAt {
                                current.model.withLock { model in
                                    if model.dropsAfterNext > 0 { model.dropsAfterNext -= 1 } else { model.dropAfter = nil }
                                }
                                closeConnection(reset: true)
                            }
                            current.wakeWaiters()
                        }
                    }
                }
                if waiting { current.wakeWaiters() }
            }
        }
    }

    /// Applies one chunk's formats and queries; returns what to answer.
    fileprivate func handle(_ chunk: UnsafeRawBufferPointer, events: [ZPLStreamScanner.Event], formatBytes: Int) -> [UInt8] {
        let now = Self.now
        return model.withLock { model in
            if configuration.recordsBytes, !model.connections.isEmpty {
                model.connections[model.connections.count - 1].append(contentsOf: chunk)
            }
            model.formatBytes += formatBytes
            var answer: [UInt8] = []
            for event in events {
                switch event {
                case .format(let text, let copies):
                    model.receive(text, copies: copies, now: now)
                case .hostStatusQuery:
                    if let bytes = model.hostStatusAnswer(now: now) { answer += bytes }
                case .getVariable(let name):
                    if let bytes = model.variableAnswer(name, now: now) { answer += bytes }
                }
            }
            return answer
        }
    }
}
