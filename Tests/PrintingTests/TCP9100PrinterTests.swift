import Foundation
import PrinterSimulator
import Synchronization
import Testing
@testable import Printing

/// The raw TCP transport against a simulated ZPL printer on loopback: every test its own printer.
@Suite struct TCP9100PrinterTests {
    private func transport(_ simulator: SimulatedPrinter, language: PrinterLanguage = .zpl, endOfJob: EndOfJob = .close,
                           statusTimeout: Double = 0.5, writeTimeout: Double = 0.5, idleTimeout: Double = 10,
                           connectTimeout: Double = 1) -> TCP9100Printer {
        transport(port: simulator.port, language: language, endOfJob: endOfJob, statusTimeout: statusTimeout,
                  writeTimeout: writeTimeout, idleTimeout: idleTimeout, connectTimeout: connectTimeout)
    }

    private func transport(port: Int, language: PrinterLanguage = .zpl, endOfJob: EndOfJob = .close,
                           statusTimeout: Double = 0.5, writeTimeout: Double = 0.5, idleTimeout: Double = 10,
                           connectTimeout: Double = 1) -> TCP9100Printer {
        let config = PrinterConfig(name: "sim-\(port)", uri: "tcp://127.0.0.1:\(port)", language: language,
                                   connectTimeout: connectTimeout, writeTimeout: writeTimeout, idleTimeout: idleTimeout,
                                   statusTimeout: statusTimeout, endOfJob: endOfJob, printTimeout: 10)
        return TCP9100Printer(config, host: "127.0.0.1", port: port)
    }

    /// `count` distinct formats, each `copies` labels, padded to about `size` bytes.
    private func payload(_ count: Int, copies: Int = 1, size: Int = 80, first: Int = 1) -> PrintPayload {
        var text = ""
        for number in first..<(first + count) {
            let pad = String(repeating: "X", count: max(0, size - 60))
            text += "^XA^FO20,20^A0N,30,30^FH\\^FDlabel \(number) \(pad)^FS^PQ\(copies)^XZ\r\n"
        }
        return PrintPayload(jobIDs: [Int64(first)], bytes: Data(text.utf8), language: .zpl, labelCount: count * copies)
    }

    private func labelNumbers(_ printer: SimulatedPrinter) -> [Int] {
        printer.printedFormats.compactMap { format in
            format.text.split(separator: " ").dropFirst().first.flatMap { Int($0) }
        }
    }

    /// Records what `prepared` was given.
    final class Prepared: Sendable {
        let deliveries = Mutex<[Delivery]>([])
        var last: Delivery? { deliveries.withLock { $0.last } }
        var calls: Int { deliveries.withLock { $0.count } }
        var callback: @Sendable (Delivery) async throws -> Void {
            { delivery in self.deliveries.withLock { $0.append(delivery) } }
        }
    }

    private func expectError(_ code: PrintingError.Code, _ body: () async throws -> Void) async -> PrintingError? {
        do {
            try await body()
            Issue.record("expected \(code), got success")
            return nil
        } catch let error as PrintingError {
            #expect(error.code == code, "\(error.message)")
            return error
        } catch {
            Issue.record("unexpected \(error)")
            return nil
        }
    }

    // MARK: - States

    @Test(arguments: [
        (SimulatedPrinter.State.paperOut, PrinterStatus.Condition.noAnswer),
        (.ribbonOut, .noAnswer),
        (.headOpen, .noAnswer),
        (.silent, .noAnswer),
        (.paused, .paused),
        (.bufferFull, .bufferFull),
    ])
    func printerThatCannotPrintRefusesAndReceivesNoLabel(state: SimulatedPrinter.State, condition: PrinterStatus.Condition) async throws {
        let simulator = try await SimulatedPrinter.start()
        simulator.setState(state)
        let printer = transport(simulator)
        let status = await printer.status()
        #expect(status.conditions.contains(condition), "\(status)")
        #expect(!status.canPrint)
        let prepared = Prepared()
        let error = await expectError(.notReady) { _ = try await printer.send(payload(3), prepared: prepared.callback) }
        #expect(error?.status?.conditions.contains(condition) == true)
        #expect(error?.mayHaveReachedPrinter == false)
        #expect(prepared.calls == 0)
        #expect(simulator.formatBytesReceived == 0)
        #expect(simulator.labelsPrinted == 0)
        // Only queries went over the wire.
        for bytes in simulator.connections {
            #expect(!String(decoding: bytes, as: UTF8.self).contains("^XA"))
        }
    }

    @Test func readyPrinterReportsItsCounterAndPrintsEveryLabelOnce() async throws {
        let simulator = try await SimulatedPrinter.start(.init(labelCounter: .odometer(startingAt: 500)))
        let printer = transport(simulator)
        let before = await printer.status()
        #expect(before.answered && before.isIdle && before.labelCounter == 500)
        let prepared = Prepared()
        let delivery = try await printer.send(payload(10, copies: 2), prepared: prepared.callback)
        #expect(delivery.labelCounterBefore == 500)
        #expect(prepared.last?.labelCounterBefore == delivery.labelCounterBefore)
        // The printer answered ~HS after the payload on its connection: it read all of it.
        #expect(delivery.receiptConfirmed == true)
        #expect(await simulator.waitForLabels(20))
        #expect(labelNumbers(simulator) == Array(1...10))
        #expect(simulator.printedFormats.allSatisfy { $0.copies == 2 })
        #expect(await printer.status().labelCounter == 520)
        // status, the check before sending, the ~HS after the job that confirms it was read, status.
        #expect(simulator.statusQueriesAnswered == 4)
    }

    @Test(arguments: [SimulatedPrinter.LabelCounter.unknownVariable, .none])
    func printerWithoutACounterHasNone(counter: SimulatedPrinter.LabelCounter) async throws {
        let simulator = try await SimulatedPrinter.start(.init(labelCounter: counter))
        let printer = transport(simulator)
        #expect(await printer.status().labelCounter == nil)
        let delivery = try await printer.send(payload(2), prepared: { _ in })
        #expect(delivery.labelCounterBefore == nil)
        #expect(await simulator.waitForLabels(2))
        guard case .unknown = await printer.inquire(about: payload(2), delivery: delivery) else {
            Issue.record("a printer without a counter cannot tell how many labels printed")
            return
        }
    }

    // MARK: - Connection faults

    @Test func printerSwitchedOffIsUnreachableFast() async throws {
        // A port held without listening: refused like a printer that is off, and never handed to
        // another test's listener meanwhile.
        let off = try ClosedPort()
        // A refused connection is known at once, not after the connect timeout: the status says
        // it was refused (a timeout would say "no connection within 30 s"). Said by the outcome,
        // not by a stopwatch, which a loaded machine can stop for seconds.
        let printer = transport(port: off.port, connectTimeout: 30)
        let status = await printer.status()
        #expect(status.conditions == [.offline])
        #expect(status.message.contains("refused"), "\(status.message)")
        let prepared = Prepared()
        let error = await expectError(.unreachable) { _ = try await printer.send(payload(1), prepared: prepared.callback) }
        #expect(error?.mayHaveReachedPrinter == false)
        #expect(error?.message.contains("refused") == true, "\(error?.message ?? "")")
        #expect(prepared.calls == 0)
    }

    @Test func cablePulledMidJobIsInterruptedAndInquireCountsThePrintedLabels() async throws {
        let simulator = try await SimulatedPrinter.start(.init(receiveBufferSize: 4096))
        simulator.dropConnection(afterBytes: 20_000)
        let printer = transport(simulator, writeTimeout: 5)
        let job = payload(2000, size: 200)
        let prepared = Prepared()
        let error = await expectError(.interrupted) { _ = try await printer.send(job, prepared: prepared.callback) }
        #expect(error?.mayHaveReachedPrinter == true)
        let delivery = try #require(prepared.last)
        let printed = simulator.labelsPrinted
        #expect(printed > 0 && printed < 2000)
        #expect(await printer.inquire(about: job, delivery: delivery) == .printed(labels: printed))
        #expect(labelNumbers(simulator) == Array(1...printed))
    }

    @Test func stalledWritesTimeOutAfterTheWriteTimeout() async throws {
        let simulator = try await SimulatedPrinter.start(.init(receiveBufferSize: 4096))
        simulator.stallReading(afterBytes: 10_000)
        let printer = transport(simulator, writeTimeout: 0.5)
        let started = ContinuousClock.now
        let error = await expectError(.timeout) { _ = try await printer.send(payload(2000, size: 200), prepared: { _ in }) }
        #expect(error?.mayHaveReachedPrinter == true)
        // The stall is the write timeout without progress, as the sending thread measured it. No
        // upper bound on the wall clock: on a loaded machine the awaiting task may resume late
        // (BENCHMARKS.md, "Stalls"), which says nothing about the transport.
        #expect(error?.message.contains("took no data for 0.5 s") == true, "\(error?.message ?? "")")
        #expect(ContinuousClock.now - started >= .milliseconds(500))
    }

    /// The counter recorded before a send must not predate labels of an earlier payload still
    /// printing: after a crash they would be credited to this payload, and its unprinted labels
    /// marked done. The transport waits for the printer to be idle, or records no counter.
    @Test func theCounterBeforeASendCountsNoLabelOfAnEarlierPayloadStillPrinting() async throws {
        let simulator = try await SimulatedPrinter.start(.init(labelsPerSecond: 40))
        let printer = transport(simulator, statusTimeout: 5, writeTimeout: 5)
        let first = try await printer.send(payload(10), prepared: { _ in })
        #expect(first.labelCounterBefore == 1000)
        let second = try await printer.send(payload(5, first: 11), prepared: { _ in })
        // The printer's odometer starts at 1000: 1010 once the first ten are out; nil only if it
        // never got idle within the print timeout. Anything else is a wrong count.
        #expect(second.labelCounterBefore == 1010 || second.labelCounterBefore == nil, "\(second)")
        #expect(await simulator.waitForLabels(15))
        await printer.close()
    }

    @Test func slowAcceptWithinTheStatusTimeoutStillPrints() async throws {
        let simulator = try await SimulatedPrinter.start(.init(readDelay: 0.2))
        let printer = transport(simulator, statusTimeout: 2)
        _ = try await printer.send(payload(5), prepared: { _ in })
        #expect(await simulator.waitForLabels(5))
    }

    @Test func acceptSlowerThanTheStatusTimeoutIsNoAnswerAndSendsNothing() async throws {
        let simulator = try await SimulatedPrinter.start(.init(readDelay: 3))
        let printer = transport(simulator, statusTimeout: 0.3)
        let error = await expectError(.notReady) { _ = try await printer.send(payload(5), prepared: { _ in }) }
        #expect(error?.status?.conditions == [.noAnswer])
        #expect(simulator.formatBytesReceived == 0)
    }

    // MARK: - End of job

    @Test(arguments: EndOfJob.allCases)
    func everyEndOfJobDeliversTheWholeJob(endOfJob: EndOfJob) async throws {
        let simulator = try await SimulatedPrinter.start()
        let printer = transport(simulator, endOfJob: endOfJob)
        _ = try await printer.send(payload(300, size: 300), prepared: { _ in })
        _ = try await printer.send(payload(300, size: 300, first: 301), prepared: { _ in })
        #expect(await simulator.waitForLabels(600))
        #expect(labelNumbers(simulator) == Array(1...600))
        #expect(simulator.connectionCount == (endOfJob == .keepOpen ? 1 : 2))
        await printer.close()
    }

    @Test func mobilePrinterRestartedBetweenJobsStillGetsTheNextJob() async throws {
        let simulator = try await SimulatedPrinter.start()
        let printer = transport(simulator, endOfJob: .keepOpen)
        _ = try await printer.send(payload(3), prepared: { _ in })
        #expect(await simulator.waitForLabels(3))
        try await simulator.restart()  // left WiFi and came back: the kept connection is gone
        _ = try await printer.send(payload(3, first: 4), prepared: { _ in })
        #expect(await simulator.waitForLabels(6))
        #expect(labelNumbers(simulator) == Array(1...6))
        #expect(simulator.connectionCount == 2)
        await printer.close()
    }

    @Test func keptConnectionIsClosedAfterTheIdleTimeout() async throws {
        let simulator = try await SimulatedPrinter.start(.init(whenBusy: .reset))
        let printer = transport(simulator, endOfJob: .keepOpen, idleTimeout: 0.2)
        _ = try await printer.send(payload(1), prepared: { _ in })
        try await Task.sleep(for: .milliseconds(600))
        // Another host may print now: the printer is free.
        let other = transport(simulator)
        _ = try await other.send(payload(1, first: 2), prepared: { _ in })
        #expect(await simulator.waitForLabels(2))
    }

    @Test func concurrentStatusQueriesAndASendTakeTurns() async throws {
        let simulator = try await SimulatedPrinter.start()
        let printer = transport(simulator)
        try await withThrowingTaskGroup(of: PrinterStatus?.self) { group in
            group.addTask {
                _ = try await printer.send(self.payload(500, size: 300), prepared: { _ in })
                return nil
            }
            for _ in 0..<8 { group.addTask { await printer.status() } }
            for try await status in group {
                if let status { #expect(status.answered, "\(status)") }
            }
        }
        #expect(await simulator.waitForLabels(500))
        #expect(simulator.connectionCount == 9)
    }

    @Test func gateLetsOneTaskThroughAtATimeInOrder() async {
        final class Inside: Sendable {
            let state = Mutex((now: 0, most: 0, order: [Int]()))
        }
        let gate = AsyncGate()
        let inside = Inside()
        await withTaskGroup(of: Void.self) { group in
            for number in 0..<50 {
                group.addTask {
                    await gate.withTurn {
                        inside.state.withLock { $0.now += 1; $0.most = max($0.most, $0.now); $0.order.append(number) }
                        try? await Task.sleep(for: .microseconds(200))
                        inside.state.withLock { $0.now -= 1 }
                    }
                }
            }
        }
        #expect(inside.state.withLock { $0.most } == 1)
        #expect(inside.state.withLock { $0.order.count } == 50)
    }

    // MARK: - Following

    /// Follow says printed once the printer has printed every label, however long that takes
    /// it. (That a printer still printing is asked again, not taken as done, is PrintFollower's
    /// `idlePrinterIsPrinted`, without a clock: this test once also bounded the time follow took
    /// from below, which a busy machine broke: its send took the whole five seconds of printing.)
    @Test func followWaitsUntilTheLabelsArePrinted() async throws {
        let simulator = try await SimulatedPrinter.start(.init(labelsPerSecond: 4))
        let printer = transport(simulator)
        let job = payload(20)
        let delivery = try await printer.send(job, prepared: { _ in })
        #expect(await printer.follow(job, delivery, timeout: .seconds(30)) == .printed)
        #expect(simulator.labelsPrinted == 20)
        #expect(simulator.buffer.labels == 0 && simulator.buffer.formats == 0)
    }

    @Test func followNeverReportsPrintedWhileThePrinterIsSilent() async throws {
        // Its paper runs out after five labels, however fast or slow the machine is.
        let simulator = try await SimulatedPrinter.start(.init(haltsAfter: (labels: 5, state: .paperOut)))
        let printer = transport(simulator, statusTimeout: 0.2)
        let job = payload(20)
        let delivery = try await printer.send(job, prepared: { _ in })
        guard case .unconfirmed = await printer.follow(job, delivery, timeout: .seconds(1)) else {
            Issue.record("a silent printer was taken as having printed")
            return
        }
        #expect(simulator.labelsPrinted == 5)
        simulator.setState(.ready)
        #expect(await printer.follow(job, delivery, timeout: .seconds(30)) == .printed)
    }

    @Test func followReportsAPausedPrinterAsWaiting() async throws {
        // Paused by its operator after five labels, however fast or slow the machine is.
        let simulator = try await SimulatedPrinter.start(.init(haltsAfter: (labels: 5, state: .paused)))
        let printer = transport(simulator)
        let job = payload(20)
        let delivery = try await printer.send(job, prepared: { _ in })
        guard case .waiting(let status) = await printer.follow(job, delivery, timeout: .seconds(5)) else {
            Issue.record("a paused printer holds the job")
            return
        }
        #expect(status.conditions == [.paused])
        #expect(status.labelsRemaining == 15)
    }

    // MARK: - EPL

    @Test func eplPrinterIsNotAskedAndNotConfirmed() async throws {
        let simulator = try await SimulatedPrinter.start()
        let printer = transport(simulator, language: .epl)
        let status = await printer.status()
        #expect(status.canPrint && !status.answered)
        let job = PrintPayload(jobIDs: [1], bytes: Data("N\nA50,50,0,3,1,1,N,\"LOT-4711\"\nP1\n".utf8), language: .epl, labelCount: 1)
        let delivery = try await printer.send(job, prepared: { _ in })
        #expect(delivery.labelCounterBefore == nil)
        guard case .unconfirmed = await printer.follow(job, delivery, timeout: .seconds(1)) else {
            Issue.record("EPL cannot be confirmed")
            return
        }
        try await Task.sleep(for: .milliseconds(100))
        #expect(simulator.statusQueriesAnswered == 0)
        #expect(simulator.connections.map { String(decoding: $0, as: UTF8.self) }.joined() == String(decoding: job.bytes, as: UTF8.self))
    }
}
