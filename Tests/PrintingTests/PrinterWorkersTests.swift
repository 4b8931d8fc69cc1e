import Foundation
import Logging
import Printing
import ServiceLifecycle
@testable import Stations
import Testing

@Suite struct PrinterWorkersTests {
    /// A worker that keeps stopping waits longer each time, never more than ten seconds (a
    /// minute stopped every printer after a one-second database restart), and a run that lasted
    /// brings the pause back to the shortest (the pauses grew with each outage and never came down).
    @Test func aStoppedWorkersPausesDoubleToTenSecondsAndComeBackAfterAHealthyRun() {
        var pauses = RestartPauses()
        let failing = (0..<7).map { _ in pauses.ended(after: .milliseconds(5), failed: true) }
        #expect(failing == [.milliseconds(500), .seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(10), .seconds(10)])
        #expect(pauses.failures == 7)
        #expect(pauses.ended(after: RestartPauses.healthyRun, failed: true) == .milliseconds(500))
        #expect(pauses.failures == 1)
        #expect(pauses.ended(after: .seconds(1), failed: false) == .seconds(1))
        #expect(pauses.ended(after: .seconds(31), failed: false) == .milliseconds(500))
        #expect(pauses.failures == 0)
    }

    /// `tracemark jobs run` and `serve` run every printer's worker in one service: a worker that
    /// cannot run (its printer was removed, its database connection failed) must not stop the
    /// others, nor end the service.
    @Test(arguments: Backend.available)
    func aWorkerThatFailsNeverStopsTheOthers(backend: Backend) async throws {
        try await withSpool(backend) { _, spool, database in
            let printer = database.filePrinter()
            try await spool.addPrinter(printer)
            var options = PrinterWorker.Options()
            options.pollInterval = .milliseconds(20)
            let workers = PrinterWorkers(spool: spool, printers: ["removed-printer", printer.name], options: options)
            let group = ServiceGroup(configuration: .init(services: [.init(service: workers)], logger: Logger(label: "test")))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                // Queued after the failing worker has failed at least once: the other still sends it.
                try await Task.sleep(for: .milliseconds(200))
                let id = try await spool.enqueue([PrintRequest(printer: printer.name, payload: zplLabel("after a failure"),
                                                               language: .zpl, requestedBy: "test", reason: "workers")])[0]
                let printed = try await eventually { try await spool.job(id).state == .done }
                #expect(printed)
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
        }
    }
}
