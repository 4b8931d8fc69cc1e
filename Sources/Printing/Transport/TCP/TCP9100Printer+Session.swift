import Foundation
import TracemarkSystem

extension TCP9100Printer {
    /// The outcome of connecting and asking the printer's status.
    struct Exchange: Sendable {
        var status: PrinterStatus
        /// The open connection, when the printer was reached and answered (or is not asked).
        var socket: PrinterSocket?
        /// Whether the connection was one kept from before.
        var reused: Bool
    }

    enum DeliverOutcome: Sendable {
        /// Every byte reached the printer; the connection to keep open, if any, and whether a ZPL
        /// printer confirmed reading all of it (`nil`: not asked).
        case delivered(PrinterSocket?, receiptConfirmed: Bool?)
        case failed(PrintingError)
    }

    /// The blocking steps of talking to one printer; each runs on a thread of its own.
    struct Session: Sendable {
        let printer: PrinterConfig
        let host: String
        let port: Int

        private var endpoint: String { PrinterAddress.tcp(host: host, port: port).description }

        /// Connects, or reuses `kept` if the printer has not dropped it, and asks `~HS` (with the
        /// label counter) of a ZPL printer. A kept connection that turns out dead is replaced once:
        /// mobile printers sleep and drop idle connections.
        func exchange(reusing kept: PrinterSocket?, askCounter: Bool) -> Exchange {
            var socket = kept.flatMap { $0.isUsable ? $0 : nil }
            var reused = socket != nil
            while true {
                if socket == nil {
                    switch PrinterSocket.connect(host: host, port: port, timeout: printer.connectTimeout) {
                    case .success(let fresh):
                        socket = fresh
                    case .failure(.timedOut):
                        return Exchange(status: .offline("no connection to \(endpoint) within \(printer.connectTimeout) s"), socket: nil, reused: false)
                    case .failure(let failure):
                        return Exchange(status: .offline("cannot connect to \(endpoint): \(failure.text)"), socket: nil, reused: false)
                    }
                }
                guard let open = socket else { continue }
                guard printer.language == .zpl else {
                    return Exchange(status: .notAsked("\(printer.language.rawValue.uppercased()) printers have no status query"),
                                    socket: open, reused: reused)
                }
                guard printer.statusQuery else {
                    return Exchange(status: .notAsked("printer \(printer.name) is set to be asked no status (--no-status-query)"),
                                    socket: open, reused: reused)
                }
                switch ask(open, askCounter: askCounter) {
                case .answered(let status, let usable):
                    return Exchange(status: status, socket: usable ? open : nil, reused: reused)
                case .broken where reused:
                    socket = nil
                    reused = false
                case .broken(let why):
                    return Exchange(status: .noAnswer("\(endpoint) closed the connection without answering ~HS (\(why))"), socket: nil, reused: reused)
                case .silent:
                    return Exchange(status: .noAnswer("no answer to ~HS within \(printer.statusTimeout) s"), socket: nil, reused: reused)
                }
            }
        }

        private enum Answer {
            case answered(PrinterStatus, usable: Bool)
            case broken(String)
            case silent
        }

        private func ask(_ socket: PrinterSocket, askCounter: Bool) -> Answer {
            socket.discardInput()
            var query = ZPLReplyReader.hostStatusQuery
            if askCounter { query += ZPLReplyReader.labelCounterQuery }
            let (_, failure) = query.withUnsafeBytes { socket.send($0, stallTimeout: printer.statusTimeout) }
            switch failure {
            case .none: break
            case .timedOut: return .silent
            case .some(let failure): return .broken(failure.text)
            }
            let deadline = Monotonic.now + printer.statusTimeout
            var counterDeadline = deadline
            var reader = ZPLReplyReader()
            var host: ZPLReplyReader.Reply?
            var counter: String?
            var usable = true
            var buffer = [UInt8](repeating: 0, count: 4096)
            reading: while host == nil || (askCounter && counter == nil) {
                let result = buffer.withUnsafeMutableBytes { socket.receive(into: $0, until: host == nil ? deadline : counterDeadline) }
                switch result {
                case .success(let count):
                    reader.feed(buffer[..<count])
                    for reply in reader.take() {
                        switch reply {
                        case .hostStatus, .unreadableHostStatus:
                            if host == nil {
                                host = reply
                                // The counter's answer follows at once from a printer that knows it.
                                counterDeadline = min(deadline, Monotonic.now + min(0.5, printer.statusTimeout))
                            }
                        case .variable(let value):
                            counter = value
                        }
                    }
                case .failure(.timedOut):
                    if host == nil { return .silent }
                    break reading
                case .failure(let failure):
                    if host == nil { return .broken(failure.text) }
                    usable = false
                    break reading
                }
            }
            let labelCounter = counter.flatMap(ZPLReplyReader.labelCounter(fromVariable:))
            switch host {
            case .hostStatus(let status)?:
                return .answered(status.printerStatus(labelCounter: labelCounter), usable: usable)
            case .unreadableHostStatus(let text)?:
                return .answered(PrinterStatus(conditions: [.other], labelCounter: labelCounter, answered: true,
                                               message: "unreadable ~HS answer: \(text)"), usable: usable)
            case .variable?, nil:
                return .silent
            }
        }

        /// Writes the payload whole and ends the job as configured. `reused` allows one fresh
        /// connection when a kept one turns out dead before any byte went out.
        func deliver(_ bytes: Data, on socket: PrinterSocket, reused: Bool) -> DeliverOutcome {
            var socket = socket
            var reused = reused
            while true {
                let (sent, failure) = bytes.withUnsafeBytes { socket.send($0, stallTimeout: printer.writeTimeout) }
                if let failure {
                    if sent == 0, reused, case .success(let fresh) = PrinterSocket.connect(host: host, port: port, timeout: printer.connectTimeout) {
                        socket = fresh
                        reused = false
                        continue
                    }
                    return .failed(error(failure, after: sent, of: bytes.count, nothingSent: sent == 0))
                }
                break
            }
            switch printer.endOfJob {
            case .close, .keepOpen:
                var pending = 0
                if let failure = socket.waitUntilSent(stallTimeout: printer.writeTimeout, pending: &pending) {
                    return .failed(error(failure, after: bytes.count - pending, of: bytes.count, nothingSent: false))
                }
                // Bytes in the printer's receive window are not yet read: a printer that resets the
                // connection now has lost them, and the sender would never know. A ZPL printer
                // answers ~HS only after reading everything before it, so its answer confirms
                // receipt. A slow reader (a large payload, a busy mobile printer) is asked again
                // for as long as a write may stall; one that never answers leaves receipt in doubt.
                var confirmed: Bool?
                if printer.language == .zpl, printer.statusQuery {
                    let until = Monotonic.now + printer.writeTimeout
                    asking: while true {
                        switch ask(socket, askCounter: false) {
                        case .broken(let why):
                            return .failed(PrintingError(.interrupted,
                                "the connection to printer \(printer.name) at \(endpoint) broke before it confirmed receiving the job (\(why)): part of the job may have printed"))
                        case .answered:
                            confirmed = true
                            break asking
                        case .silent where Monotonic.now < until:
                            continue asking
                        case .silent:
                            confirmed = false
                            break asking
                        }
                    }
                }
                guard printer.endOfJob == .keepOpen, confirmed != false, socket.discardInput() else {
                    socket.discardInput()
                    return .delivered(nil, receiptConfirmed: confirmed)
                }
                return .delivered(socket, receiptConfirmed: confirmed)
            case .halfClose:
                socket.shutdownWrite()
                var pending = 0
                if let failure = socket.waitUntilSent(stallTimeout: printer.writeTimeout, pending: &pending) {
                    return .failed(error(failure, after: bytes.count - pending, of: bytes.count, nothingSent: false))
                }
                // Every byte went out; the printer closes once it has read them. One that keeps the
                // connection open is closed after the write timeout: the job is delivered.
                _ = socket.waitForPeerClose(until: Monotonic.now + printer.writeTimeout)
                return .delivered(nil, receiptConfirmed: nil)
            }
        }

        private func error(_ failure: PrinterSocket.Failure, after sent: Int, of total: Int, nothingSent: Bool) -> PrintingError {
            if nothingSent {
                return PrintingError(.unreachable, "printer \(printer.name) at \(endpoint) took none of the job (\(failure.text)); nothing was sent: the job can be sent again")
            }
            switch failure {
            case .timedOut:
                return PrintingError(.timeout, "printer \(printer.name) at \(endpoint) took no data for \(printer.writeTimeout) s after \(sent) of \(total) bytes: part of the job may have printed; check the printer before sending it again")
            case .closedByPeer, .failed:
                return PrintingError(.interrupted, "the connection to printer \(printer.name) at \(endpoint) broke after \(sent) of \(total) bytes (\(failure.text)): part of the job may have printed; check the printer before sending it again")
            }
        }
    }
}

extension PrinterSocket.Failure {
    var text: String {
        switch self {
        case .timedOut: "timed out"
        case .closedByPeer: "closed by the printer"
        case .failed(let why): why
        }
    }
}
