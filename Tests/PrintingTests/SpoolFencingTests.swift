import Foundation
import PrinterSimulator
import Registry
import Store
import SQLKit
import Testing
import TracemarkSystem
@testable import Printing

/// The spool's promise with several workers and processes: a job that cannot be sent never stops a
/// queue, a claim takes exactly what it read, a cancelled job stays cancelled, and a worker that
/// lost its printer's lease changes none of its jobs.
@Suite struct SpoolFencingTests {
    private func request(_ text: String, printer: String = "out", copies: Int = 1, payload: Data? = nil) -> PrintRequest {
        PrintRequest(printer: printer, payload: payload ?? zplLabel(text), language: .zpl, copies: copies,
                     requestedBy: "test", reason: "fencing")
    }

    /// Takes the printer's lease as a new worker and claims every job that may go.
    private func takeAndClaim(_ spool: Spool, _ printer: String) async throws -> (Lease, [PrintJob]) {
        let lease = try #require(try await spool.acquireLease(printer: printer, worker: .start(), duration: .seconds(30)))
        guard case .jobs(let claimed) = try await spool.claim(lease, limit: 10, maxBytes: 1 << 20), !claimed.isEmpty else {
            throw ClaimedNothing()
        }
        return (lease, claimed)
    }

    private struct ClaimedNothing: Error {}

    // MARK: - Poison jobs

    @Test(arguments: Backend.available)
    func aJobAskingForMoreLabelsThanAPrinterCanPrintIsRefusedWithNothingWritten(backend: Backend) async throws {
        try await withSpool(backend) { _, spool, database in
            try await spool.addPrinter(database.filePrinter())
            await expectPrintingError(.invalidRequest, "9223372036854775807 copies", "1 to 99999999") {
                try await spool.enqueue([request("x", copies: Int.max)])
            }
            await expectPrintingError(.invalidRequest, "copies") { try await spool.enqueue([request("x", copies: 0)]) }
            let huge = Data("^XA^FDx^FS^PQ99999999999999999999999^XZ".utf8)
            await expectPrintingError(.invalidRequest, "more than 99999999 labels") {
                try await spool.enqueue([request("x", payload: huge)])
            }
            let many = Data(String(repeating: "^XA^FDx^FS^PQ60000000^XZ", count: 2).utf8)
            await expectPrintingError(.invalidRequest, "120000000 labels") { try await spool.enqueue([request("x", payload: many)]) }
            #expect(try await spool.jobs().isEmpty)
        }
    }

    /// Jobs with impossible counts, as an older version let in: the worker holds them with the
    /// reason and prints the rest, instead of dying on every restart.
    @Test(arguments: Backend.available)
    func poisonJobsLeftInTheQueueAreHeldWithTheirReasonAndTheRestPrint(backend: Backend) async throws {
        try await withSpool(backend) { _, spool, database in
            let printer = database.filePrinter()
            try await spool.addPrinter(printer)
            let first = try await spool.enqueue([request("before")])
            let poison = try await spool.enqueue([request("poison 1"), request("poison 2")])
            let after = try await spool.enqueue([request("after")])
            try await spool.store.write { db in
                try await db.raw("""
                    UPDATE print_jobs SET label_count = 9223372036854775807, copies = 9223372036854775807
                    WHERE id IN (\(bind: poison[0]), \(bind: poison[1]))
                    """).run()
            }
            try await drain(spool, printer.name)
            let jobs = Dictionary(uniqueKeysWithValues: try await spool.jobs().map { ($0.id, $0) })
            #expect(jobs[first[0]]?.state == .done)
            #expect(jobs[after[0]]?.state == .done)
            for id in poison {
                #expect(jobs[id]?.state == .held)
                #expect(jobs[id]?.error.contains("a job prints 1 to 99999999 labels") == true, "\(jobs[id]?.error ?? "")")
            }
            let written = try FileManager.default.contentsOfDirectory(atPath: database.folder.appendingPathComponent(printer.name).path)
                .map { try String(contentsOf: database.folder.appendingPathComponent(printer.name).appendingPathComponent($0), encoding: .utf8) }
                .joined()
            #expect(written.contains("before") && written.contains("after") && !written.contains("poison"))
        }
    }

    // MARK: - Claims

    /// Between reading the jobs and claiming them, an operator retries a held job whose id lies
    /// among them and cancels one that was read: the claim takes neither.
    @Test(arguments: Backend.available)
    func aClaimTakesExactlyTheJobsItReadAndStillQueued(backend: Backend) async throws {
        try await withSpool(backend) { _, spool, database in
            let printer = database.filePrinter()
            try await spool.addPrinter(printer)
            let ids = try await spool.enqueue((1...4).map { request("job \($0)") })
            // Job 2 is held (say its printer refused it before): a claim does not read it.
            try await spool.store.write { db in
                try await db.raw("UPDATE print_jobs SET state = 'held' WHERE id = \(bind: ids[1])").run()
            }
            var hooked = spool
            hooked.testHooks.betweenClaimStatements = { db in
                try await db.raw("UPDATE print_jobs SET state = 'queued' WHERE id = \(bind: ids[1])").run()
                try await db.raw("UPDATE print_jobs SET state = 'cancelled' WHERE id = \(bind: ids[2])").run()
            }
            let (lease, claimed) = try await takeAndClaim(hooked, printer.name)
            #expect(claimed.map(\.id) == [ids[0], ids[3]])
            let states = Dictionary(uniqueKeysWithValues: try await spool.jobs().map { ($0.id, $0.state) })
            #expect(states == [ids[0]: .sending, ids[1]: .queued, ids[2]: .cancelled, ids[3]: .sending])
            try await spool.markDone(claimed, confirmed: true, message: "printed", lease)
            #expect(try await spool.job(ids[1]).state == .queued, "the retried job is still to be sent")
            try await spool.releaseLease(lease)
        }
    }

    // MARK: - Cancel

    /// A job cancelled while the printer holds it is not brought back by the worker's next step,
    /// whatever that step is.
    @Test(arguments: Backend.available)
    func aCancelledJobStaysCancelledWhateverTheWorkerDoesNext(backend: Backend) async throws {
        try await withSpool(backend) { _, spool, database in
            let printer = database.filePrinter()
            try await spool.addPrinter(printer)
            let ids = try await spool.enqueue((1...3).map { request("job \($0)") })
            let (lease, claimed) = try await takeAndClaim(spool, printer.name)
            try await spool.markPrinting(claimed, lease)
            try await spool.cancel(ids[0])
            try await spool.cancel(ids[1])
            // Cancelled in the printer's hands: a folder or raw printer cannot call a job back,
            // so the job says it may have printed (a QA run's printed though shown cancelled).
            let cancelled = try await spool.job(ids[0])
            #expect(cancelled.error.contains("while it was in the printer: it may have printed"), "\(cancelled.error)")
            #expect(try await spool.events(job: ids[0]).last?.message == cancelled.error)
            // Nothing printed: the jobs go back to the queue, except the cancelled ones.
            try await spool.settle(claimed, printedLabels: 0, maxAttempts: 3, lease)
            #expect(try await spool.job(ids[0]).state == .cancelled)
            #expect(try await spool.job(ids[1]).state == .cancelled)
            #expect(try await spool.job(ids[2]).state == .queued)
            // A failure, a doubt, a finished print: none of them touch a cancelled job either.
            try await spool.markFailed(claimed, error: "broken", maxAttempts: 3, lease)
            try await spool.requeueInDoubt(claimed, because: "unknown", lease)
            try await spool.markDone(claimed, confirmed: true, message: "printed", lease)
            #expect(try await spool.job(ids[0]).state == .cancelled)
            #expect(try await spool.job(ids[1]).state == .cancelled)
            #expect(try await spool.job(ids[2]).state == .queued)
        }
    }

    /// A failed send counts an attempt on each job of the batch from the job's own count: a job
    /// sent again for its last attempt is held for an operator, the others wait for their retry;
    /// a job cancelled meanwhile stays cancelled, and each job's history says what happened.
    @Test(arguments: Backend.available)
    func aFailedBatchCountsEachJobsOwnAttempts(backend: Backend) async throws {
        try await withSpool(backend) { _, spool, database in
            let printer = database.filePrinter()
            try await spool.addPrinter(printer)
            let ids = try await spool.enqueue((1...4).map { request("job \($0)") })
            try await spool.store.write { db in
                try await db.raw("UPDATE print_jobs SET attempts = 2 WHERE id = \(bind: ids[1])").run()
                try await db.raw("UPDATE print_jobs SET attempts = 1 WHERE id = \(bind: ids[3])").run()
            }
            let (lease, claimed) = try await takeAndClaim(spool, printer.name)
            #expect(claimed.map(\.id) == ids)
            try await spool.markPrinting(claimed, lease)
            try await spool.cancel(ids[2])
            try await spool.markFailed(claimed, error: "connection reset", maxAttempts: 3, lease)
            var jobs: [PrintJob] = []
            for id in ids { jobs.append(try await spool.job(id)) }
            #expect(jobs.map(\.state) == [.failed, .held, .cancelled, .failed])
            #expect(jobs.map(\.attempts) == [1, 3, 0, 2])
            #expect(jobs[0].nextAttemptAt != nil && jobs[3].nextAttemptAt != nil && jobs[1].nextAttemptAt == nil)
            #expect(jobs[0].nextAttemptAt! < jobs[3].nextAttemptAt!, "the second attempt waits longer than the first")
            #expect(jobs[1].error == "connection reset; held after 3 attempts: retry, cancel or move it")
            #expect(jobs[0].error == "connection reset")
            for (index, expected) in [(0, JobState.failed), (1, .held), (3, .failed)] {
                let last = try await spool.events(job: ids[index]).last
                #expect(last?.state == expected)
                #expect(last?.message == jobs[index].error)
            }
            #expect(try await spool.events(job: ids[2]).last?.state == .cancelled)
        }
    }

    // MARK: - Leases

    /// A lease taken over (the holder could not renew it in time) fences the old holder: none of
    /// its writes lands, and the new holder owns the jobs.
    @Test(arguments: Backend.available)
    func aWorkerWhoseLeaseWasTakenOverChangesNoJob(backend: Backend) async throws {
        try await withSpool(backend) { _, spool, database in
            let printer = database.filePrinter()
            try await spool.addPrinter(printer)
            try await spool.enqueue([request("one"), request("two")])
            let (old, claimed) = try await takeAndClaim(spool, printer.name)
            // Another worker, while the lease is live, is refused.
            #expect(try await spool.acquireLease(printer: printer.name, worker: .start(), duration: .seconds(30)) == nil)
            // The lease lapses (the holder hung): force it, as the database's clock would.
            try await spool.store.write { db in try await db.raw("UPDATE printers SET lease_expires = 0 WHERE name = \(bind: printer.name)").run() }
            let new = try #require(try await spool.acquireLease(printer: printer.name, worker: .start(), duration: .seconds(30)))
            #expect(new.epoch == old.epoch + 1)
            await expectPrintingError(.leaseLost, "lost printer \(printer.name)") {
                try await spool.markDone(claimed, confirmed: true, message: "printed", old)
            }
            await expectPrintingError(.leaseLost) { try await spool.renew(old) }
            await expectPrintingError(.leaseLost) { _ = try await spool.claim(old, limit: 10, maxBytes: 1 << 20) }
            #expect(try await spool.jobs().allSatisfy { $0.state == .sending }, "the old holder's write did not land")
            // The new holder settles them as a crash would be settled: the file printer has no file, so both go again.
            try await spool.settle(claimed, printedLabels: 0, new)
            #expect(Set(try await spool.jobs().map(\.state)) == [.queued])
            try await spool.releaseLease(old)
            #expect(try await spool.acquireLease(printer: printer.name, worker: .start(), duration: .seconds(30)) == nil,
                    "releasing a lost lease does not free the new holder's")
            try await spool.releaseLease(new)
        }
    }

    /// Expiry is decided by the database's clock: a station whose own clock runs an hour ahead
    /// does not see a live lease as expired.
    @Test(arguments: Backend.available)
    func aStationWhoseClockRunsAheadDoesNotTakeALiveLease(backend: Backend) async throws {
        try await withSpool(backend) { _, spool, database in
            let printer = database.filePrinter()
            try await spool.addPrinter(printer)
            let ahead = try await Spool(store: spool.store, clock: { Date().addingTimeInterval(3600) })
            let holder = try #require(try await spool.acquireLease(printer: printer.name, worker: .start(), duration: .seconds(60)))
            #expect(try await ahead.acquireLease(printer: printer.name, worker: .start(), duration: .seconds(60)) == nil)
            try await spool.releaseLease(holder)
            #expect(try await ahead.acquireLease(printer: printer.name, worker: .start(), duration: .seconds(60)) != nil)
        }
    }

    @Test func aHolderOnAnotherMachineIsNotJudgedByALocalProcessTable() throws {
        let local = try #require(ProcessIdentity(parsing: ProcessIdentity.start().description))
        #expect(local.machine == ProcessIdentity.localMachine && !local.machine.isEmpty)
        // The same host name, another machine, a process id that does not run here: alive until its lease expires.
        var gone: Int32 = 4_000_000
        while kill(gone, 0) == 0 || errno != ESRCH { gone -= 1 }
        let elsewhere = try #require(ProcessIdentity(parsing: "\(local.host)/0123456789abcdef0123456789abcdef/\(gone)/abcd1234"))
        #expect(elsewhere.isAlive)
        let here = try #require(ProcessIdentity(parsing: "\(local.host)/\(local.machine)/\(gone)/abcd1234"))
        #expect(!here.isAlive)
        // A lease written by an older version names no machine: alive until it expires.
        #expect(try #require(ProcessIdentity(parsing: "\(local.host)/\(gone)/abcd1234")).isAlive)
        // A process of this machine killed and not yet reaped by its parent (a zombie) is gone:
        // it answered kill(pid, 0), and a restarted service waited out its claim (a QA run).
        var child: pid_t = 0
        let arguments: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/sleep"), strdup("60"), nil]
        defer { arguments.forEach { free($0) } }
        #expect(posix_spawn(&child, "/bin/sleep", nil, nil, arguments, environ) == 0)
        let running = try #require(ProcessIdentity(parsing: "\(local.host)/\(local.machine)/\(child)/abcd1234"))
        #expect(running.isAlive)
        kill(child, SIGKILL)
        var zombie = false
        for _ in 0..<500 where !zombie {
            zombie = ProcessIdentity.isZombie(child)
            if !zombie { usleep(10_000) }
        }
        #expect(zombie && !running.isAlive)
        var status: Int32 = 0
        waitpid(child, &status, 0)
    }

    // MARK: - Removed printers

    /// Removing a printer keeps what it printed: its finished jobs, their history and the reprints
    /// that point at them stay readable (a trace or an audit asks which label printed where, and by
    /// whom). Nothing prints on it any more, in words that say it was removed; a worker still
    /// holding its lease loses it; adding the name again takes its history back. Removal used to
    /// delete the jobs and their history with the printer (found in review).
    @Test(arguments: Backend.available)
    func aPrinterRemovedKeepsItsFinishedJobsAndTheirHistory(backend: Backend) async throws {
        try await withSpool(backend) { _, spool, database in
            let out = database.filePrinter()
            let other = database.filePrinter("other")
            try await spool.addPrinter(out)
            try await spool.addPrinter(other)
            let ids = try await spool.enqueue((1...2).map {
                PrintRequest(printer: out.name, payload: zplLabel("U\($0)"), language: .zpl, requestedBy: "line-1", reason: "run")
            })
            try await drain(spool, out.name)
            let reprint = try await spool.reprint(ids[0], requestedBy: "supervisor", reason: "label torn")
            try await drain(spool, out.name)
            let lease = try #require(try await spool.acquireLease(printer: out.name, worker: .start(), duration: .seconds(30)))

            try await spool.removePrinter(out.name)
            #expect(try await spool.printers().map(\.config.name).contains(out.name) == false)
            #expect(try await spool.printerNames().contains(out.name) == false)
            let kept = try await spool.jobs(printer: out.name)
            #expect(kept.map(\.state) == [.done, .done, .done])
            #expect(try await spool.job(reprint).reprintOf == ids[0])
            #expect(try await spool.events(job: ids[0]).map(\.state) == [.queued, .sending, .done])
            await expectPrintingError(.leaseLost, "lost printer \(out.name)") { try await spool.renew(lease) }
            await expectPrintingError(.notFound, "printer \(out.name) was removed", "configured are", other.name) {
                _ = try await spool.enqueue([PrintRequest(printer: out.name, payload: zplLabel("late"), language: .zpl,
                                                          requestedBy: "t", reason: "r")])
            }
            await expectPrintingError(.notFound, "printer \(out.name) was removed") {
                _ = try await spool.reprint(ids[1], requestedBy: "t", reason: "r")
            }
            await expectPrintingError(.notFound, "printer \(out.name) was removed") {
                _ = try await spool.acquireLease(printer: out.name, worker: .start(), duration: .seconds(30))
            }
            await expectPrintingError(.notFound, "printer \(out.name) was removed") { try await spool.removePrinter(out.name) }
            // One of its labels reprinted elsewhere points at the job it printed first.
            let elsewhere = try await spool.reprint(ids[1], printer: other.name, requestedBy: "supervisor", reason: "printer gone")
            #expect(try await spool.job(elsewhere).reprintOf == ids[1])
            #expect(try await spool.job(elsewhere).printer == other.name)

            // Added again: listed, its history under its name, and sent to as before.
            try await spool.addPrinter(out)
            #expect(try await spool.printers(named: out.name).first?.state == "unknown")
            await expectPrintingError(.invalidConfiguration, "exists already") { try await spool.addPrinter(out) }
            let next = try await spool.enqueue([PrintRequest(printer: out.name, payload: zplLabel("U3"), language: .zpl,
                                                             requestedBy: "line-1", reason: "run")])
            try await drain(spool, out.name)
            #expect(try await spool.job(next[0]).state == .done)
            #expect(try await spool.jobs(printer: out.name).count == 4)
        }
    }

    // MARK: - Folder printers

    @Test(arguments: Backend.available)
    func aFolderPrinterIsAbsoluteAndItsFilesNameTheirDatabase(backend: Backend) async throws {
        try await withSpool(backend) { _, spool, database in
            try await spool.addPrinter(PrinterConfig(name: "relative", uri: "file:some/labels", language: .zpl))
            let stored = try await spool.printer("relative").uri
            #expect(stored == "file://" + URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("some/labels").path)
            #expect(try await spool.printer("file").uri.hasPrefix("file:///"), "the default printer too")
            try await spool.removePrinter("relative")

            // Another database's file for the same job id in the same folder: not this job's.
            let printer = database.filePrinter()
            try await spool.addPrinter(printer)
            let other = FilePrinter(printer, directory: database.folder.appendingPathComponent(printer.name).path, databaseID: "another-database")
            let mine = FilePrinter(printer, directory: database.folder.appendingPathComponent(printer.name).path, databaseID: spool.databaseID)
            let payload = PrintPayload(jobIDs: [1], bytes: zplLabel("x"), language: .zpl, labelCount: 1)
            _ = try await other.send(payload) { _ in }
            #expect(await mine.inquire(about: payload, delivery: nil) == .printed(labels: 0))
            #expect(await other.inquire(about: payload, delivery: nil) == .printed(labels: 1))
            #expect(mine.fileName(for: payload) != other.fileName(for: payload))
        }
    }

    // MARK: - Two processes

    /// The printer's lease as the database has it, and the database's clock.
    static func lease(_ spool: Spool, _ printer: String) async throws -> (epoch: Int64, expires: Int64?, now: Int64) {
        try await spool.store.read { db in
            let row = try #require(try await db.raw("""
                SELECT lease_epoch, lease_expires, \(unsafeRaw: spool.clockMillis) AS now FROM printers WHERE name = \(bind: printer)
                """).first())
            return (try row.decode(column: "lease_epoch", as: Int64.self), try row.decode(column: "lease_expires", as: Int64?.self),
                    try row.decode(column: "now", as: Int64.self))
        }
    }

    /// Worker A sends a production run to a printer that stops reading part-way; worker B, another
    /// process, starts after A's lease would have lapsed had A not renewed it while sending. B
    /// leaves the printer to A, and every label prints once.
    @Test(arguments: Backend.available)
    func aSecondProcessStartedWhileASlowSendOutlastsTheLeaseLeavesThePrinterToIt(backend: Backend) async throws {
        let simulator = try await SimulatedPrinter.start(.init(receiveBufferSize: 4096))
        try await withSpool(backend) { _, spool, database in
            let config = PrinterConfig(name: "line", uri: "tcp://127.0.0.1:\(simulator.port)", language: .zpl, connectTimeout: 2,
                                       writeTimeout: 600, statusTimeout: 5, printTimeout: 600, maxAttempts: 5)
            try await spool.addPrinter(config)
            let count = 300
            try await spool.enqueue(SpoolOverTCPTests.requests(count, printer: config.name))
            simulator.stallReading(afterBytes: 4000)
            let arguments = ["jobs", "run", "--printer", config.name, "--until-idle", "--lease", "1", "--poll", "0.05",
                             "--db", database.location]
            let first = try TracemarkProcess.launch(arguments)
            // A is in the middle of its send: its jobs are sending and the printer has stopped reading.
            #expect(try await eventually {
                try await spool.jobs(printer: config.name, states: [.sending], limit: count).count == count
                    && simulator.formatBytesReceived > 0
            })
            let taken = try await Self.lease(spool, config.name)
            let lapsed = try #require(taken.expires)
            // Past the moment its lease would have lapsed without renewal, by the database's clock.
            #expect(try await eventually { try await Self.lease(spool, config.name).now > lapsed + 1000 })
            let second = try TracemarkProcess.launch(arguments)
            // B runs through a few more of A's leases, then the printer reads again.
            let late = try await Self.lease(spool, config.name).now
            #expect(try await eventually { try await Self.lease(spool, config.name).now > late + 2500 })
            #expect(try await Self.lease(spool, config.name).epoch == taken.epoch, "nobody took the printer over")
            simulator.resumeReading()
            #expect(await first.ended.value == 0)
            #expect(await second.ended.value == 0)
            let jobs = try await spool.jobs(printer: config.name, limit: count + 10)
            #expect(jobs.count == count && jobs.allSatisfy { $0.state == .done })
            #expect(!jobs.contains { $0.possiblyDuplicated })
            let counts = SpoolOverTCPTests.printedCounts(simulator)
            #expect(counts.count == count, "labels missing: \(count - counts.count)")
            #expect(counts.values.allSatisfy { $0 == 1 }, "printed twice: \(counts.filter { $0.value > 1 }.keys.sorted())")
        }
        await simulator.stop()
    }
}
