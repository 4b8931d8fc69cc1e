import Foundation
import Logging
import Printing
import ServiceLifecycle
import Stations
import Store
import Testing
import TracemarkTesting

@Suite struct CrossProcessWakeupTests {
    /// Several `serve` processes on one PostgreSQL: a job one of them commits wakes the printer's
    /// worker in another through LISTEN/NOTIFY. The worker here looks for jobs only once an hour
    /// on its own, so the job prints only if the notification woke it.
    @Test(.enabled(if: Backend.postgresURL != nil, "needs the PostgreSQL server make test starts"))
    func aJobCommittedByAnotherProcessWakesTheWorker() async throws {
        try await withSpool(.postgres) { _, spool, database in
            let printer = database.filePrinter()
            try await spool.addPrinter(printer)
            // The other process: its own store and spool on the same database.
            let otherStore = try await database.openStore()
            defer { Task { await otherStore.close() } }
            let other = try await Spool(store: otherStore)
            var options = PrinterWorker.Options()
            options.pollInterval = .seconds(3600)
            let workers = PrinterWorkers(spool: spool, printers: [printer.name], options: options)
            let group = ServiceGroup(configuration: .init(services: [.init(service: workers)], logger: Logger(label: "test")))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                // A first job from this process, woken in-process: once it is done, the worker has
                // made its first look and waits.
                let first = try await spool.enqueue([PrintRequest(printer: printer.name, payload: zplLabel("here"), language: .zpl,
                                                                  requestedBy: "test", reason: "wakeup")])[0]
                spool.notify([printer.name])
                #expect(try await eventually { try await spool.job(first).state == .done })
                // Jobs committed by the other process, one every 200 ms until one is sent: the first
                // ones may be committed before this process's listener is connected.
                var sent: [Int64] = []
                let woken = try await eventually(looks: Int(HangGuard.wait / .milliseconds(200)), every: .milliseconds(200)) {
                    sent += try await other.enqueue([PrintRequest(printer: printer.name, payload: zplLabel("there"), language: .zpl,
                                                                  requestedBy: "test", reason: "wakeup")])
                    for id in sent where try await spool.job(id).state == .done { return true }
                    return false
                }
                #expect(woken)
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
        }
    }
}
