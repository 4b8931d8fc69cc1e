import Foundation
import Logging
import Printing
import ServiceLifecycle
import Stations
import Testing

@Suite struct PrinterWorkersTests {
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
