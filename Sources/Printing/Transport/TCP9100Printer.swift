import Dispatch
public import Logging
import Synchronization
import TracemarkSystem

/// A raw TCP printer (port 9100): fixed ZPL and EPL printers, and mobile printers on WiFi.
///
/// Raw TCP gives no acknowledgement and no job id, so this transport learns what it can around
/// the bytes: before a ZPL payload it asks `~HS` and the label counter and refuses to send to a
/// printer that is paused, out of media or ribbon, open, full or silent; it counts a payload as
/// delivered once every byte went out into the printer's receive window (a printer that stops
/// reading stalls the job, which times out); and it follows the printer's buffer
/// and counter until the labels are out. One connection at a time, as the printer serves it:
/// sends, status queries and follows take turns. Blocking socket calls run on threads of their own.
public struct TCP9100Printer: PrinterTransport {
    public let printer: PrinterConfig
    public let host: String
    public let port: Int
    private let link = Link()
    private let logger: Logger

    public init(_ printer: PrinterConfig, host: String, port: Int,
                logger: Logger = Logger(label: "tracemark.printing.tcp")) {
        self.printer = printer
        self.host = host
        self.port = port
        var logger = logger
        logger[metadataKey: "printer"] = "\(printer.name)"
        self.logger = logger
    }

    private var session: Session { Session(printer: printer, host: host, port: port) }
    private var endpoint: String { PrinterAddress.tcp(host: host, port: port).description }

    public func status() async -> PrinterStatus {
        await link.gate.withTurn { await exchange(askCounter: link.asksCounter).status }
    }

    public func send(_ payload: PrintPayload, prepared: @Sendable (Delivery) async throws -> Void) async throws -> Delivery {
        try await link.gate.withTurn {
            var asked = await exchange(askCounter: link.asksCounter, keepSocket: true)
            // Labels of an earlier payload still printing would be credited to this one by a counter
            // read now: wait (as long as a print may take) until the printer is idle, and record no
            // counter if it does not get there, so that a crash leaves a doubt rather than a wrong count.
            if printer.followUntilPrinted, asked.status.labelCounter != nil, asked.status.canPrint, !asked.status.isIdle {
                await untilIdle(&asked)
            }
            let exchange = asked
            let status = exchange.status
            guard let socket = exchange.socket else {
                if status.conditions.contains(.offline) {
                    throw PrintingError(.unreachable, "printer \(printer.name) at \(endpoint) cannot be reached (\(status.message)); nothing was sent: check that it is on and on the network")
                }
                throw PrintingError(.notReady, "printer \(printer.name) did not answer its status query within \(printer.statusTimeout) s: it may be out of media or ribbon or have its head open; nothing was sent", status: status)
            }
            guard status.canPrint else {
                release(socket)
                throw PrintingError(.notReady, "printer \(printer.name) cannot print (\(status)); nothing was sent: clear it at the printer", status: status)
            }
            let delivery = Delivery(labelCounterBefore: status.isIdle ? status.labelCounter : nil)
            do {
                try await prepared(delivery)
            } catch {
                release(socket)
                throw error
            }
            let session = session
            let bytes = payload.bytes
            let outcome = await OffPool.run(on: link.queue) {
                session.deliver(bytes, on: socket, reused: exchange.reused && payload.language != .zpl)
            }
            switch outcome {
            case .delivered(let kept, let confirmed):
                if let kept { keep(kept) }
                logger.debug("sent \(bytes.count) bytes, \(payload.labelCount) labels", metadata: ["jobs": "\(payload.jobIDs)"])
                var delivered = delivery
                delivered.receiptConfirmed = confirmed
                return delivered
            case .failed(let error):
                logger.info("send failed: \(error.message)", metadata: ["jobs": "\(payload.jobIDs)"])
                throw error
            }
        }
    }

    public func follow(_ payload: PrintPayload, _ delivery: Delivery, timeout: Duration) async -> PrintProgress {
        guard payload.language == .zpl, printer.language == .zpl else {
            return .unconfirmed("\(printer.language.rawValue.uppercased()) printers have no status query: the job was delivered, not confirmed")
        }
        guard printer.statusQuery else {
            return .unconfirmed("printer \(printer.name) is asked no status (--no-status-query): the job was delivered, not confirmed")
        }
        var follower = PrintFollower(labelCount: payload.labelCount, counterBefore: delivery.labelCounterBefore,
                                     deadline: Monotonic.now + timeout.seconds, receiptConfirmed: delivery.receiptConfirmed ?? true)
        while true {
            let askCounter = delivery.labelCounterBefore != nil
            let status = await link.gate.withTurn { await exchange(askCounter: askCounter).status }
            switch follower.observe(status, now: Monotonic.now) {
            case .finish(let progress):
                return progress
            case .poll(let after):
                do {
                    try await Task.sleep(for: .seconds(after))
                } catch {
                    return .unconfirmed("following was cancelled: the job was delivered, not confirmed")
                }
            }
        }
    }

    public func inquire(about payload: PrintPayload, delivery: Delivery?) async -> DoubtAnswer {
        guard payload.language == .zpl, printer.language == .zpl else {
            return .unknown("\(printer.language.rawValue.uppercased()) printers cannot tell what they printed")
        }
        guard printer.statusQuery else {
            return .unknown("printer \(printer.name) is asked no status (--no-status-query): it cannot tell what it printed")
        }
        // Let the printer print what it holds of the payload, then read its counter.
        let deadline = Monotonic.now + printer.printTimeout
        var interval = 0.05
        while true {
            let status = await link.gate.withTurn { await exchange(askCounter: true).status }
            let stopped = !status.conditions.subtracting([.bufferFull]).isEmpty
            if status.isIdle || stopped || Monotonic.now >= deadline {
                return PrintFollower.doubtAnswer(labelCount: payload.labelCount,
                                                 counterBefore: delivery?.labelCounterBefore, status: status)
            }
            do {
                try await Task.sleep(for: .seconds(min(interval, max(0, deadline - Monotonic.now))))
            } catch {
                return .askLater("asking was cancelled")
            }
            interval = min(interval * 1.5, 1)
        }
    }

    public func close() async {
        await link.gate.withTurn { link.dropKept() }
    }

    // MARK: - Connection handling (called inside the gate)

    /// Connects (or reuses the kept connection) and asks the printer's status. With `keepSocket`,
    /// the connection comes back for the payload; otherwise it is kept (keep-open) or closed.
    private func exchange(askCounter: Bool, keepSocket: Bool = false) async -> Exchange {
        let kept = link.takeKept(idleTimeout: printer.idleTimeout)
        let session = session
        let exchange = await OffPool.run(on: link.queue) {
            session.exchange(reusing: kept, askCounter: askCounter)
        }
        if askCounter, exchange.status.answered, printer.language == .zpl {
            link.noteCounter(answered: exchange.status.labelCounter != nil)
        }
        if !keepSocket, let socket = exchange.socket { release(socket) }
        if exchange.status.conditions.contains(.offline) || exchange.status.conditions.contains(.noAnswer) {
            logger.debug("status: \(exchange.status)")
        }
        return exchange
    }

    /// Asks again until the printer has printed what it holds, or its print timeout passed;
    /// `exchange` becomes the last one, with its connection kept for the payload. The printer
    /// serves one connection at a time, so each earlier connection is let go (or kept open for
    /// reuse) before the next question.
    private func untilIdle(_ exchange: inout Exchange) async {
        let deadline = Monotonic.now + printer.printTimeout
        var interval = 0.05
        while exchange.socket != nil, exchange.status.canPrint, !exchange.status.isIdle, Monotonic.now < deadline {
            if let socket = exchange.socket { release(socket) }
            exchange.socket = nil
            do {
                try await Task.sleep(for: .seconds(min(interval, max(0, deadline - Monotonic.now))))
            } catch {
                break
            }
            interval = min(interval * 1.5, 1)
            exchange = await self.exchange(askCounter: true, keepSocket: true)
        }
    }

    /// Keeps the connection for the next payload (keep-open) or lets it close.
    private func release(_ socket: PrinterSocket) {
        if printer.endOfJob == .keepOpen, socket.isUsable { keep(socket) }
    }

    private func keep(_ socket: PrinterSocket) {
        link.keep(socket, idleTimeout: printer.idleTimeout)
    }
}

extension Duration {
    var seconds: Double {
        let (whole, fraction) = components
        return Double(whole) + Double(fraction) / 1e18
    }
}

// MARK: - Per-printer state

extension TCP9100Printer {
    /// The state the copies of one transport share: whose turn it is, the connection kept open
    /// between payloads, and whether the printer answers the label counter query.
    final class Link: Sendable {
        let gate = AsyncGate()
        /// Where this printer's blocking socket calls run, one at a time.
        let queue = DispatchQueue(label: "tracemark.printer.tcp")
        private struct Kept {
            var socket: PrinterSocket?
            var lastUsed = 0.0
            var generation = 0
            /// Nil until a printer answered a status query with or without its counter.
            var counterAnswers: Bool?
        }
        private let kept = Mutex(Kept())

        /// Whether to ask the label counter with `~HS`: a printer that did not answer it once is not
        /// asked again (each unanswered query costs a wait), except when in doubt.
        var asksCounter: Bool { kept.withLock { $0.counterAnswers ?? true } }

        func noteCounter(answered: Bool) {
            kept.withLock { $0.counterAnswers = answered }
        }

        /// The kept connection if it has not been idle too long.
        func takeKept(idleTimeout: Double) -> PrinterSocket? {
            kept.withLock { state in
                defer { state.socket = nil }
                guard Monotonic.now - state.lastUsed < idleTimeout else { return nil }
                return state.socket
            }
        }

        func keep(_ socket: PrinterSocket, idleTimeout: Double) {
            let generation = kept.withLock { state in
                state.socket = socket
                state.lastUsed = Monotonic.now
                state.generation += 1
                return state.generation
            }
            // A printer serves one connection at a time: an idle one is closed so others can print.
            DispatchQueue.global().asyncAfter(deadline: .now() + idleTimeout) { [weak self] in
                self?.expire(generation)
            }
        }

        func dropKept() {
            kept.withLock { $0.socket = nil }
        }

        private func expire(_ generation: Int) {
            let socket = kept.withLock { state -> PrinterSocket? in
                guard state.generation == generation else { return nil }
                defer { state.socket = nil }
                return state.socket
            }
            socket?.discardInput()
        }
    }
}
