import Foundation
import Labels
import Registry
import Testing
import TracemarkTesting
@testable import Printing

/// The CUPS transport against a real cupsd (``TestCUPS``), with queues whose device is a TCP
/// listener of the test's own (``LoopbackPrinter``): what the printer would receive is checked,
/// byte for byte or through an independent barcode reader. Each test has its own queue and port.
@Suite struct CUPSPrinterTests {
    /// A queue on the test cupsd with a loopback printer behind it; `done()` removes both.
    struct Fixture {
        let server: String
        let queue: String
        let device: LoopbackPrinter
        let printer: CUPSPrinter

        static func make(_ prefix: String, language: PrinterLanguage = .zpl, model: String? = nil, options: [String] = [],
                         width: Double? = nil, length: Double? = nil) async throws -> Fixture {
            let server = try await TestCUPS.server()
            let device = try LoopbackPrinter()
            let queue = TestCUPS.uniqueName(prefix)
            try await TestCUPS.addQueue(queue, server: server, port: device.port, model: model, options: options)
            let config = PrinterConfig(name: queue, uri: "cups://\(queue)", language: language,
                                       widthMillimetres: width, lengthMillimetres: length)
            return Fixture(server: server, queue: queue, device: device, printer: CUPSPrinter(config, queue: queue, server: server))
        }

        func done() async {
            await TestCUPS.deleteQueue(queue, server: server)
            device.close()
        }
    }

    static let zpl = Data("^XA^FO50,50^A0N,40,40^FDTracemark ^FS^FO50,120^BCN,80,Y,N,N^FD>;12345678^FS^XZ\r\n".utf8)

    /// A payload whose title no other test uses (titles are how a crashed send is found again).
    static func payload(_ bytes: Data = zpl, language: PrinterLanguage = .zpl, labels: Int = 1) -> PrintPayload {
        PrintPayload(jobIDs: [Int64.random(in: 1...Int64(Int32.max))], bytes: bytes, language: language, labelCount: labels)
    }

    @Test func aZPLJobOnARawQueueArrivesByteForByteAndIsFollowedToPrinted() async throws {
        let fixture = try await Fixture.make("raw")
        let payload = Self.payload()
        let recorded = Recorded()
        let delivery = try await fixture.printer.send(payload) { delivery in recorded.set(delivery) }
        let id = try #require(delivery.cupsJobID)
        #expect(recorded.value == delivery, "prepared runs with the CUPS job id before the document goes out")
        let progress = await fixture.printer.follow(payload, delivery, timeout: .seconds(60))
        #expect(progress == .printed)
        let received = try await fixture.device.waitForJobs(1)
        #expect(received == [Self.zpl])
        let job = try await fixture.printer.client.job(id)
        #expect(job.state == .completed && job.title == payload.title && job.queue == fixture.queue)
        await fixture.done()
    }

    /// Copies of a ZPL label are its `^PQ`: CUPS is not asked for them again, so a raw queue sends
    /// the bytes once and 3 labels print, not 3 × 3 (found by a QA run).
    @Test func aZPLJobsCopiesAreAskedForOnceInItsBytes() async throws {
        let fixture = try await Fixture.make("copies")
        let bytes = Data("^XA^FO50,50^A0N,40,40^FDThree^FS^PQ3^XZ\r\n".utf8)
        let payload = PrintPayload(jobIDs: [Int64.random(in: 1...Int64(Int32.max))], bytes: bytes, language: .zpl, labelCount: 3, copies: 3)
        #expect(fixture.printer.options(for: payload)["copies"] == nil)
        let delivery = try await fixture.printer.send(payload) { _ in }
        #expect(await fixture.printer.follow(payload, delivery, timeout: .seconds(60)) == .printed)
        #expect(try await fixture.device.waitForJobs(1) == [bytes])
        #expect(try await fixture.printer.client.job(try #require(delivery.cupsJobID)).state == .completed)
        #expect(fixture.device.jobs == [bytes], "the bytes once")
        await fixture.done()
    }

    /// A PNG label goes through CUPS' own Zebra driver (imagetoraster, rastertolabel) and comes
    /// out as ZPL with a `~DG` graphic: read by an independent renderer and decoder, it carries
    /// the same GS1 data as the PNG we rendered.
    @Test func aPNGLabelThroughTheZebraDriverArrivesAsZPLWithTheSameGS1Barcodes() async throws {
        let fixture = try await Fixture.make("png", language: .png, model: "drv:///sample.drv/zebra.ppd",
                                             options: ["Resolution=203dpi"], width: 100, length: 50)
        let template = try TemplateLoader().load(contentsOf: TestCUPS.repository.appendingPathComponent("Templates/gs1-lot-100x50.yaml"))
        let label = try template.layout(template.sample, dpi: 203, copies: 1)
        let png = try PNGRenderer().png(label, preview: false)
        let rendered = try await BarcodeOracle.texts(png, extension: "png")
        try #require(rendered.count == 2, "the template has a GS1-128 and a GS1 DataMatrix: \(rendered)")

        let options = try await Command.check("lpoptions", ["-h", fixture.server, "-p", fixture.queue, "-l"])
        #expect(options.stdout.contains("*203dpi"), "the queue's resolution is the PNG's: \(options.stdout)")

        let payload = Self.payload(png, language: .png)
        let delivery = try await fixture.printer.send(payload) { _ in }
        #expect(await fixture.printer.follow(payload, delivery, timeout: .seconds(120)) == .printed)
        let arrived: [Data]
        do {
            arrived = try await fixture.device.waitForJobs(1)
        } catch {
            // Say what CUPS thinks happened to the job, to tell a slow machine from a broken filter.
            let jobs = try? await Command.run("lpstat", ["-h", fixture.server, "-W", "all", "-l", "-o", fixture.queue])
            let queue = try? await Command.run("lpstat", ["-h", fixture.server, "-l", "-p", fixture.queue])
            Issue.record("\(error); CUPS jobs: \(jobs?.stdout ?? "?") \(jobs?.stderr ?? ""); queue: \(queue?.stdout ?? "?")")
            await fixture.done()
            return
        }
        let zpl = try #require(arrived.first)
        #expect(zpl.starts(with: Data("~DG".utf8)), "rastertolabel sends the image as a ~DG graphic")
        #expect(try await BarcodeOracle.texts(zpl, extension: "zpl") == rendered)
        await fixture.done()
    }

    @Test func listingShowsEveryQueueWithItsStateDeviceAndModel() async throws {
        let raw = try await Fixture.make("list-raw")
        let png = try await Fixture.make("list-png", language: .png, model: "drv:///sample.drv/zebra.ppd")
        try await Command.check("cupsreject", ["-h", raw.server, raw.queue])
        let queues = try await CUPSClient(server: raw.server).queues()
        let first = try #require(queues.first { $0.name == raw.queue })
        let second = try #require(queues.first { $0.name == png.queue })
        #expect(first.state == .idle && !first.isAcceptingJobs)
        #expect(first.deviceURI == "socket://127.0.0.1:\(raw.device.port)/")
        #expect(first.status.conditions == [.queueRejecting])
        #expect(second.state == .idle && second.isAcceptingJobs && second.status.canPrint)
        #expect(second.makeAndModel?.contains("Zebra") == true, "\(second)")
        await raw.done()
        await png.done()
    }

    @Test func aDisabledQueueIsStoppedAndSendRefusesWithoutCreatingAJob() async throws {
        let fixture = try await Fixture.make("disabled")
        try await Command.check("cupsdisable", ["-h", fixture.server, "-r", "changing the ribbon", fixture.queue])
        let status = await fixture.printer.status()
        #expect(status.conditions.contains(.queueStopped))
        #expect(status.conditions.contains(.paused))
        #expect(status.message.contains("changing the ribbon"))
        let payload = Self.payload()
        let recorded = Recorded()
        await #expect {
            _ = try await fixture.printer.send(payload) { delivery in recorded.set(delivery) }
        } throws: { error in
            let error = error as? PrintingError
            return error?.code == .notReady && error?.status?.conditions.contains(.queueStopped) == true
                && error?.mayHaveReachedPrinter == false
        }
        #expect(recorded.value == nil)
        #expect(try await fixture.printer.client.jobs(queue: fixture.queue).isEmpty)
        await fixture.done()
    }

    @Test func anUnknownQueueIsOfflineSayingItDoesNotExistAndHowToListQueues() async throws {
        let server = try await TestCUPS.server()
        let name = TestCUPS.uniqueName("missing")
        let printer = CUPSPrinter(PrinterConfig(name: "missing", uri: "cups://\(name)", language: .zpl), queue: name, server: server)
        let status = await printer.status()
        #expect(status.conditions == [.offline])
        #expect(status.message.contains("CUPS queue \(name) does not exist"), "\(status.message)")
        #expect(status.message.contains("tracemark devices"))
        await #expect {
            _ = try await CUPSClient(server: server).queue(name)
        } throws: { error in
            (error as? PrintingError)?.code == .notFound
        }
        await #expect {
            _ = try await printer.send(Self.payload()) { _ in }
        } throws: { error in
            (error as? PrintingError)?.code == .notReady
        }
    }

    @Test func aCUPSServerThatIsNotRunningIsOffline() async throws {
        // A port that was free a moment ago: nothing listens there.
        let device = try LoopbackPrinter()
        let port = device.port
        device.close()
        let printer = CUPSPrinter(PrinterConfig(name: "nowhere", uri: "cups://nowhere", language: .zpl, connectTimeout: 2),
                                  queue: "nowhere", server: "127.0.0.1:\(port)")
        let status = await printer.status()
        #expect(status.conditions == [.offline] && !status.answered)
        #expect(status.message.contains("cannot reach CUPS at 127.0.0.1:\(port)"), "\(status.message)")
        #expect(!status.message.contains("Bad file descriptor"), "\(status.message)")
        await #expect {
            _ = try await printer.send(Self.payload()) { _ in }
        } throws: { error in
            (error as? PrintingError)?.code == .unreachable
        }
    }

    @Test func aHeldJobWaitsAndOnceCancelledFollowSaysItFailed() async throws {
        let fixture = try await Fixture.make("held")
        let payload = Self.payload()
        let client = fixture.printer.client
        let id = try await client.createJob(queue: fixture.queue, title: payload.title, options: ["job-hold-until": "indefinite"])
        try await client.sendDocument(queue: fixture.queue, job: id, title: payload.title, format: "application/vnd.cups-raw",
                                      bytes: payload.bytes)
        let delivery = Delivery(cupsJobID: id)
        guard case .waiting(let status) = await fixture.printer.follow(payload, delivery, timeout: .seconds(5)) else {
            Issue.record("a held job waits")
            return
        }
        #expect(status.message.contains("held"), "\(status.message)")
        // After a crash the held job is found by its title, to be followed instead of sent again.
        #expect(await fixture.printer.inquire(about: payload, delivery: nil) == .held(delivery))

        try await fixture.printer.cancel(delivery)
        guard case .failed(let reason) = await fixture.printer.follow(payload, delivery, timeout: .seconds(10)) else {
            Issue.record("a cancelled job fails")
            return
        }
        #expect(reason.contains("cancelled"), "\(reason)")
        // Cancelled before it was processed: nothing reached the printer, safe to send again.
        #expect(await fixture.printer.inquire(about: payload, delivery: delivery) == .printed(labels: 0))
        #expect(fixture.device.jobs.isEmpty)
        await fixture.done()
    }

    /// A job CUPS holds (its printer cannot be reached, so CUPS keeps trying), followed by a
    /// `jobs run` worker: `body` gets the spool, the job and its CUPS job; then the worker is
    /// stopped, and must end cleanly with the job cancelled.
    private func withHeldCUPSJob(_ prefix: String,
                                 _ body: (Fixture, SpoolDatabase, Spool, Int64, Int) async throws -> Void) async throws {
        let fixture = try await Fixture.make(prefix)
        fixture.device.close()
        let database = try await SpoolDatabase.make(.sqlite)
        let (registry, spool) = try await database.open()
        let config = PrinterConfig(name: "held", uri: "cups://\(fixture.queue)", language: .zpl, printTimeout: 1)
        try await spool.addPrinter(config)
        let id = try #require(try await spool.enqueue([PrintRequest(printer: config.name, payload: Self.zpl, language: .zpl,
                                                                    requestedBy: "test", reason: prefix)]).first)
        let worker = try TracemarkProcess.launch(["jobs", "run", "--printer", config.name, "--poll", "0.05", "--db", database.location],
                                                 environment: ["CUPS_SERVER": fixture.server])
        #expect(try await eventually { try await spool.job(id).state == .printing })
        let cupsID = try #require(try await spool.delivery(batch: [try await spool.job(id)])?.cupsJobID)
        #expect(try await fixture.printer.client.job(cupsID).state.isFinished == false)
        try await body(fixture, database, spool, id, cupsID)
        kill(worker.process.processIdentifier, SIGTERM)
        #expect(await worker.ended.value == 0)
        #expect(try await spool.job(id).state == .cancelled)
        await registry.close()
        await database.drop()
        await fixture.done()
    }

    /// `tracemark jobs cancel` on a job CUPS holds cancels the CUPS job too, and the worker never
    /// brings the spool's job back.
    @Test func cancellingASpooledJobThatCUPSHoldsCancelsTheCUPSJob() async throws {
        try await withHeldCUPSJob("cancel") { fixture, database, spool, id, cupsID in
            let cancel = try await Command.tracemark(["jobs", "cancel", String(id), "--db", database.location],
                                                     environment: ["CUPS_SERVER": fixture.server])
            #expect(cancel.status == 0, "\(cancel.stderr)")
            #expect(try await eventually { try await fixture.printer.client.job(cupsID).state == .cancelled })
            // The worker goes on following its printer: the job stays cancelled.
            try await Task.sleep(for: .seconds(2))
            #expect(try await spool.job(id).state == .cancelled)
        }
    }

    /// A job an operator cancels at CUPS (`cancel`, the web interface) is cancelled in the spool
    /// too, not sent again: found by a QA run, where the worker took the cancel for a send cut
    /// short and queued the job again, and it printed once the printer was back.
    @Test func aJobCancelledAtCUPSIsCancelledInTheSpoolAndNotSentAgain() async throws {
        try await withHeldCUPSJob("cancelled-there") { fixture, _, spool, id, cupsID in
            try await fixture.printer.client.cancel(job: cupsID, queue: fixture.queue)
            #expect(try await eventually { try await spool.job(id).state == .cancelled })
            let error = try await spool.job(id).error
            #expect(error.contains("was cancelled on queue \(fixture.queue), not by Tracemark: not sent again"), "\(error)")
            let jobs = try await fixture.printer.client.jobs(queue: fixture.queue, title: "tracemark-\(spool.databaseID.prefix(12))-job-\(id)")
            #expect(jobs.map(\.id) == [cupsID], "\(jobs.map(\.summary))")
        }
    }

    /// `printers add` asks the CUPS server for the queue: a typo is refused with the queues it
    /// has; `--no-check` (a queue made later) and a server that does not answer let it through.
    @Test func addingAPrinterForAQueueCUPSDoesNotHaveIsRefused() async throws {
        let fixture = try await Fixture.make("add")
        let folder = try Command.temporaryFolder("cups-add")
        defer { try? FileManager.default.removeItem(at: folder) }
        let db = folder.appendingPathComponent("spool.sqlite").path
        let environment = ["CUPS_SERVER": fixture.server]
        let typo = try await Command.tracemark(["printers", "add", "office", "--uri", "cups://\(fixture.queue)-typo", "--db", db],
                                               environment: environment)
        #expect(typo.status != 0 && typo.stderr.contains("the CUPS server has no queue \(fixture.queue)-typo (it has ")
                && typo.stderr.contains("add the queue first, or give --no-check"), "\(typo.stderr)")
        let right = try await Command.tracemark(["printers", "add", "office", "--uri", "cups://\(fixture.queue)", "--db", db],
                                                environment: environment)
        #expect(right.status == 0, "\(right.stderr)")
        let later = try await Command.tracemark(["printers", "add", "later", "--uri", "cups://not-yet", "--no-check", "--db", db],
                                                environment: environment)
        #expect(later.status == 0, "\(later.stderr)")
        let port = try LoopbackSocket.freePort()
        let down = try await Command.tracemark(["printers", "add", "away", "--uri", "cups://anything", "--db", db],
                                               environment: ["CUPS_SERVER": "127.0.0.1:\(port)"])
        #expect(down.status == 0 && down.stderr.contains("note: CUPS queue anything not checked"), "\(down.stderr)")
        await fixture.done()
    }

    @Test func inquireFindsAJobByItsTitleAfterACrashThatForgotTheJobID() async throws {
        let fixture = try await Fixture.make("crash")
        let payload = Self.payload(labels: 3)
        // The process "dies" after sending: the delivery recorded in `prepared` is lost.
        let delivery = try await fixture.printer.send(payload) { _ in }
        #expect(await fixture.printer.follow(payload, delivery, timeout: .seconds(60)) == .printed)
        #expect(await fixture.printer.inquire(about: payload, delivery: nil) == .printed(labels: 3))
        // A payload CUPS never saw: nothing arrived, safe to send again.
        #expect(await fixture.printer.inquire(about: Self.payload(), delivery: nil) == .printed(labels: 0))
        await fixture.done()
    }

    /// The crash came between Create-Job and the upload: the job can never print, so asking about
    /// it cancels it and says nothing was printed.
    @Test func aJobThatNeverGotItsDocumentIsCancelledAndCountsAsNothingPrinted() async throws {
        let fixture = try await Fixture.make("nodoc")
        let payload = Self.payload()
        let id = try await fixture.printer.client.createJob(queue: fixture.queue, title: payload.title)
        #expect(await fixture.printer.inquire(about: payload, delivery: Delivery(cupsJobID: id)) == .printed(labels: 0))
        let job = try await fixture.printer.client.job(id)
        #expect(job.state == .cancelled)
        await fixture.done()
    }

    /// Job ids are only unique within one database: two spools (two sites, or a copy restored
    /// from a backup) on one queue each find only their own job by title after a crash, and
    /// neither cancels nor counts the other's job of the same id.
    @Test func aCrashedSendIsFoundByItsOwnDatabasesTitleOnly() async throws {
        let fixture = try await Fixture.make("twodb")
        let config = fixture.printer.printer
        let ours = CUPSPrinter(config, queue: fixture.queue, server: fixture.server, databaseID: "aaaaaaaaaaaa" + UUID().uuidString.prefix(8))
        let theirs = CUPSPrinter(config, queue: fixture.queue, server: fixture.server, databaseID: "bbbbbbbbbbbb" + UUID().uuidString.prefix(8))
        let payload = Self.payload()
        #expect(ours.title(for: payload) != theirs.title(for: payload))
        #expect(ours.title(for: payload).hasPrefix("tracemark-aaaaaaaaaaaa-job-"), "\(ours.title(for: payload))")
        // Theirs crashed between Create-Job and the upload: a job of the same id, no document.
        let id = try await theirs.client.createJob(queue: fixture.queue, title: theirs.title(for: payload))
        #expect(try await theirs.client.job(id).title == theirs.title(for: payload))
        // Ours asks about its own payload of that id: CUPS never saw it, and theirs is left alone.
        #expect(await ours.inquire(about: payload, delivery: nil) == .printed(labels: 0))
        #expect(try await ours.client.job(id).state != .cancelled)
        // Theirs finds its own job by its title, and cancels it as one that can never print.
        #expect(await theirs.inquire(about: payload, delivery: nil) == .printed(labels: 0))
        #expect(try await theirs.client.job(id).state == .cancelled)
        await fixture.done()
    }

    /// `prepared` failing (the spool could not record the delivery) leaves no job behind.
    @Test func aFailingPreparedCancelsTheEmptyJob() async throws {
        let fixture = try await Fixture.make("prepfail")
        let payload = Self.payload()
        let recorded = Recorded()
        await #expect(throws: TestCUPS.Failure.self) {
            _ = try await fixture.printer.send(payload) { delivery in
                recorded.set(delivery)
                throw TestCUPS.Failure(description: "database gone")
            }
        }
        let id = try #require(recorded.value?.cupsJobID)
        #expect(try await fixture.printer.client.job(id).state == .cancelled)
        await fixture.done()
    }

    @Test func devicesListsTheCUPSQueues() async throws {
        let fixture = try await Fixture.make("devices")
        let run = try await Command.tracemark(["devices", "--json"], environment: ["CUPS_SERVER": fixture.server])
        #expect(run.status == 0, "\(run.stderr)")
        let listing = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
        let queues = listing?["cups"] as? [[String: Any]]
        let queue = queues?.first { $0["name"] as? String == fixture.queue }
        #expect(queue?["state"] as? String == "idle", "\(run.stdout)")
        #expect(queue?["deviceURI"] as? String == "socket://127.0.0.1:\(fixture.device.port)/")

        let text = try await Command.tracemark(["devices"], environment: ["CUPS_SERVER": fixture.server])
        #expect(text.stdout.contains(fixture.queue), "\(text.stdout)")
        await fixture.done()
    }

    @Test func devicesSaysInOneLineWhenCUPSCannotBeReached() async throws {
        let device = try LoopbackPrinter()
        let port = device.port
        device.close()
        let run = try await Command.tracemark(["devices"], environment: ["CUPS_SERVER": "127.0.0.1:\(port)"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("cannot reach CUPS at 127.0.0.1:\(port)"), "\(run.stdout)")
        #expect(run.stdout.contains("Serial ports"), "scanners are still listed")
    }
}

/// A delivery handed out of a `@Sendable` closure.
final class Recorded: @unchecked Sendable {
    private let lock = NSLock()
    private var delivery: Delivery?
    func set(_ value: Delivery) { lock.withLock { delivery = value } }
    var value: Delivery? { lock.withLock { delivery } }
}
