import Foundation
import GS1
import Labels
import Printing
import Registry
import SQLKit
import Stations
import Store
import Testing

@Suite struct ProductionStationTests {
    /// A line making pumps (serial) that uses paint (by lot) as a component: two lots in stock,
    /// the earlier expiring first, and an expired one that was received quarantined.
    func line(_ dock: Dock, policy: StationConfiguration.FailedVerifyPolicy = .reprint,
              template name: String = "serial-50x25", templateFile: URL? = nil, partWindow: Double = 60) async throws -> Station {
        _ = try await dock.registry.receive(Receipt(warehouse: "MAIN", supplier: "ACME", lines: [
            StockLine(product: "PAINT-5L", picks: [
                .init(number: "PA-SOON", quantity: 10, expiry: today.adding(days: 100)),
                .init(number: "PA-LATE", quantity: 10, expiry: today.adding(days: 200)),
                .init(number: "PA-OLD", quantity: 10, expiry: today.adding(days: -1)),
            ]),
        ], acceptExpired: true))
        let template = try TemplateLoader().load(contentsOf: templateFile ?? Repository.templates.appendingPathComponent("\(name).yaml"))
        var configuration = StationConfiguration(name: "line-1", kind: .production, warehouse: "MAIN", printer: dock.printer.name,
                                                 template: template, onFailedVerify: policy)
        configuration.partWindow = partWindow
        return try await Station(configuration, registry: dock.registry, spool: dock.spool)
    }

    func paint(_ lot: String, _ days: Int) -> String {
        "(01)\(Dock.paintGTIN)(17)\(yymmdd(today.adding(days: days)))(10)\(lot)"
    }

    /// What the verify scanner reads off a job's label, as an independent reader decodes it.
    func read(_ dock: Dock, job: Int64) async throws -> String {
        let payload = try await dock.spool.job(job).payload
        return try #require(try await BarcodeOracle.texts(payload, extension: "zpl").first)
    }

    /// A raw template's own quantity (`^PQ{{copies}}`) is held to 10,000 copies in one job, as
    /// a template's `copies` is: found by a QA run, which queued 99,999,999 through the API.
    @Test func aRawTemplatesQuantityIsHeldToTenThousand() async throws {
        try await withDock(.sqlite) { dock in
            let template = try TemplateLoader().load(contentsOf: Repository.templates.appendingPathComponent("raw/lot-label.zpl"))
            func data(_ copies: Int) -> LabelData {
                .object(["product": .object(["description": .string("Oil")]),
                         "lot": .object(["number": .string("L-1"), "expiry": .string("2027-01-31")]), "copies": .number(Decimal(copies))])
            }
            await #expect(throws: LabelError.self) {
                _ = try await LabelJobs.enqueue(template, data(99_999_999), printer: dock.printer.name, spool: dock.spool,
                                                requestedBy: "t", reason: "r")
            }
            let id = try await LabelJobs.enqueue(template, data(3), printer: dock.printer.name, spool: dock.spool, requestedBy: "t", reason: "r")
            #expect(try await dock.spool.job(id).labelCount == 3)
        }
    }

    /// Scans sent at once (20 clients of the HTTP API, two scanners) are handled one at a time:
    /// one TM:RUN starts the run, the others find it open. A QA run started 20 runs at once on
    /// PostgreSQL, as the station's actor interleaved the scans at each wait for the database.
    @Test(arguments: Backend.available)
    func runsSentAtOnceStartOneRun(backend: Backend) async throws {
        try await withDock(backend) { dock in
            let station = try await line(dock)
            let outcomes = await withTaskGroup(of: ScanOutcome.self) { group in
                for _ in 0..<20 { group.addTask { await station.scan("TM:RUN:PUMP-200:2") } }
                return await group.reduce(into: [ScanOutcome]()) { $0.append($1) }
            }
            #expect(outcomes.filter { $0.action == "run-started" }.count == 1, "\(outcomes.map(\.action))")
            #expect(outcomes.filter { $0.reasons.map(\.code) == ["run-open"] }.count == 19, "\(outcomes.map(\.reasons))")
            let open = try await dock.registry.store.read { db in
                try await db.raw("SELECT COUNT(*) AS n FROM station_tasks WHERE station = 'line-1' AND state = 'open'").first()?
                    .decode(column: "n", as: Int.self)
            }
            #expect(open == 1)
        }
    }

    /// The operator signed in at the line makes the units, whoever started the run (a
    /// supervisor's shell, the API): each unit's production names them, as its scan is logged,
    /// and they are still signed in after a restart. Found by a QA run: a run started from a shell
    /// named its user on every unit's document, and a restart signed the operator out.
    @Test(arguments: Backend.available)
    func theOperatorAtTheLineMakesTheUnitsWhoeverStartedTheRun(backend: Backend) async throws {
        try await withDock(backend) { dock in
            _ = try await Operators(store: dock.registry.store).add(StationOperator(badge: "B-7", name: "Bob", role: .operator))
            let station = try await line(dock)
            await station.setHeldHere(true)
            #expect(await station.scan("TM:OP:B-7").action == "operator-signed-in")
            var start = StationScan(data: Array("TM:RUN:PUMP-200:2".utf8), device: "cli", time: todayInstant)
            start.user = "root"
            #expect(await station.handle(start).action == "run-started")
            let report = try #require(try await Station.runReport(dock.registry.store, station: "line-1"))
            let jobs = report.units.compactMap(\.job)
            let verified = await station.handle(StationScan(data: Array(try await read(dock, job: jobs[0]).utf8), device: "verify",
                                                            time: todayInstant, purpose: .verify))
            #expect(verified.action == "unit-verified", "\(verified.reasons)")
            #expect(try await dock.registry.document(try #require(verified.document)).user == "B-7")

            let restarted = try await line(dock)
            await restarted.setHeldHere(true)
            let second = await restarted.handle(StationScan(data: Array(try await read(dock, job: jobs[1]).utf8), device: "verify",
                                                            time: todayInstant, purpose: .verify))
            #expect(second.action == "unit-verified", "\(second.reasons)")
            #expect(try await dock.registry.document(try #require(second.document)).user == "B-7")
        }
    }

    /// A lot that goes first but holds less than a unit takes is not advised over the one
    /// scanned: a unit takes its component from one lot. Found by a QA run, where the line
    /// advised (and recorded on every unit) a lot of 3 pcs where each unit took 5.
    @Test(arguments: Backend.available)
    func aLotTooSmallForOneUnitIsNotAdvised(backend: Backend) async throws {
        try await withDock(backend) { dock in
            let station = try await line(dock)
            #expect(await station.scan("TM:RUN:PUMP-200:2").action == "run-started")
            #expect(await station.scan("TM:QTY:11").verdict == .ok)
            let late = await station.scan(paint("PA-LATE", 200))
            #expect(late.action == "component-added" && late.verdict == .ok && late.reasons.isEmpty, "\(late)")
            #expect(await station.scan("TM:UNDO").action == "line-removed")
            #expect(await station.scan("TM:QTY:5").verdict == .ok)
            let advised = await station.scan(paint("PA-LATE", 200))
            #expect(advised.verdict == .warn && advised.reasons.map(\.code) == ["better-lot-available"], "\(advised)")
        }
    }

    /// The verify scanner compares with the label printed for the unit, kept with it, not with
    /// what the station's template makes now: a template edited between a run's print and its
    /// verification alarmed correct labels (or, renamed, stopped the check). A wrong label of a
    /// unit has the policy act on that unit, not on the oldest not verified yet; and a label
    /// printed as one barcode is not read in two parts. Found by a QA run.
    @Test(arguments: Backend.available)
    func theVerifyScannerComparesWithWhatWasPrintedForThatUnit(backend: Backend) async throws {
        try await withDock(backend) { dock in
            let station = try await line(dock)
            let started = await station.scan("TM:RUN:PUMP-200:3")
            #expect(started.jobs.count == 3)
            let labels = try await [read(dock, job: started.jobs[0]), read(dock, job: started.jobs[1]), read(dock, job: started.jobs[2])]
            var scans: [Resolution.Scan] = []
            for label in labels { scans.append(try await dock.registry.resolve(label).scan) }
            let gtin = try #require(scans[0].gtin).gtin14
            // The template now adds the article (240): the labels printed before are still right.
            let edited = try String(contentsOf: Repository.templates.appendingPathComponent("serial-50x25.yaml"), encoding: .utf8)
                .replacingOccurrences(of: "      \"21\": \"{{serial.number}}\"", with: "      \"240\": \"{{product.article}}\"\n      \"21\": \"{{serial.number}}\"")
            #expect(edited.contains("\"240\""))
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("edited-\(UUID().uuidString).yaml")
            try edited.write(to: file, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(at: file) }
            let restarted = try await line(dock, templateFile: file)
            await restarted.setHeldHere(true)
            func verify(_ text: String) async -> ScanOutcome {
                await restarted.handle(StationScan(data: Array(text.utf8), device: "verify", time: todayInstant, purpose: .verify))
            }
            #expect(await verify(labels[0]).action == "unit-verified")
            // The third unit's label with a date it was not printed with: the reprint is of the third.
            let third = try #require(scans[2].serial)
            let wrong = await verify("(01)\(gtin)(11)\(yymmdd(today))(21)\(third)")
            #expect(wrong.reasons.map(\.code) == ["wrong-label"] && wrong.action == "alarm-reprinted", "\(wrong)")
            #expect(wrong.next.contains("PUMP-200 \(third)"), "\(wrong.next)")
            // The second unit's one barcode read in two parts is not a label of it.
            let second = try #require(scans[1].serial)
            #expect(await verify("]d201\(gtin)").action == "part-read")
            let parts = await verify("]d221\(second)")
            #expect(parts.reasons.map(\.code) == ["wrong-label"] && parts.reasons.first?.message.contains("in one barcode") == true, "\(parts)")
        }
    }

    /// A raw ZPL template's label (a Code 128 of the lot) is kept with its unit as the printer
    /// reads it, and its read verifies; another text is a wrong label.
    @Test func aRawZPLTemplatesLabelVerifies() async throws {
        try await withDock(.sqlite) { dock in
            let station = try await line(dock, templateFile: Repository.templates.appendingPathComponent("raw/lot-label.zpl"))
            let started = await station.scan("TM:RUN:PAINT-5L:2:\(today.adding(days: 365))")
            #expect(started.action == "run-started", "\(started)")
            // The label's one barcode is a Code 128 of the lot, as the run names it ("… lot L…, 2 labels").
            let named = try #require(started.next.split(separator: " ").drop { $0 != "lot" }.dropFirst().first)
            let lot = String(named.dropLast())
            func verify(_ text: String) async -> ScanOutcome {
                await station.handle(StationScan(data: Array(text.utf8), device: "verify", time: todayInstant, purpose: .verify))
            }
            let verified = await verify("]C0" + lot)
            #expect(verified.action == "unit-verified", "\(lot): \(verified)")
            let kept = try await dock.registry.store.read { db in
                try await db.raw("SELECT readings FROM station_run_units ORDER BY id").all().map { try $0.decode(column: "readings", as: String?.self) }
            }
            #expect(kept.allSatisfy { $0?.contains(lot) == true }, "\(kept)")
            // The same lot in a GS1 barcode is not this label.
            let other = await verify("(01)\(Dock.paintGTIN)(10)\(lot)")
            #expect(other.reasons.map(\.code) == ["wrong-label"], "\(other)")
        }
    }

    /// A label of a number voided when an earlier run closed reads as voided, with no reprint:
    /// it read as "not in this run", and the new run's first unit was reprinted for nothing.
    @Test(arguments: Backend.available)
    func aLabelOfANumberVoidedByAnEarlierRunReadsAsVoided(backend: Backend) async throws {
        try await withDock(backend) { dock in
            let station = try await line(dock)
            let first = await station.scan("TM:RUN:PUMP-200:2")
            let labels = try await [read(dock, job: first.jobs[0]), read(dock, job: first.jobs[1])]
            func verify(_ text: String) async -> ScanOutcome {
                await station.handle(StationScan(data: Array(text.utf8), device: "verify", time: todayInstant, purpose: .verify))
            }
            #expect(await verify(labels[0]).action == "unit-verified")
            #expect(await station.scan("TM:DONE").action == "run-closed")
            #expect(await station.scan("TM:RUN:PUMP-200:1").action == "run-started")
            let old = await verify(labels[1])
            #expect(old.reasons.map(\.code) == ["voided-number"] && old.jobs.isEmpty && old.action == "alarm", "\(old)")
        }
    }

    /// An over-long read on the verify scanner is a label that did not read: an alarm, with the
    /// policy. It was refused as bad input, and the unit passed with no alarm (a QA run).
    @Test func anOverlongVerifyReadIsANoRead() async throws {
        try await withDock(.sqlite) { dock in
            let station = try await line(dock)
            #expect(await station.scan("TM:RUN:PUMP-200:1").action == "run-started")
            var long = StationScan(data: Array(repeating: UInt8(ascii: "A"), count: 100), device: "verify", time: todayInstant, purpose: .verify)
            long.overlongLength = 9000
            let outcome = await station.handle(long)
            #expect(outcome.reasons.map(\.code) == ["no-read"] && outcome.action == "alarm-reprinted", "\(outcome)")
            #expect(outcome.reasons.first?.message.contains("9000 bytes as one scan") == true, "\(outcome.reasons)")
        }
    }

    /// Past a lot that goes first but is too small for one unit, the line advises the next one
    /// that holds enough: only the first lot in the issue order was looked at, so a small lot
    /// ahead of it hid a lot that should have been taken.
    @Test(arguments: Backend.available)
    func aLotTooSmallDoesNotHideTheNextBetterLot(backend: Backend) async throws {
        try await withDock(backend) { dock in
            let station = try await line(dock)
            _ = try await dock.registry.receive(Receipt(warehouse: "MAIN", supplier: "ACME", lines: [
                StockLine(product: "PAINT-5L", picks: [.init(number: "PA-FIRST", quantity: 3, expiry: today.adding(days: 50))]),
            ]))
            #expect(await station.scan("TM:RUN:PUMP-200:2").action == "run-started")
            #expect(await station.scan("TM:QTY:5").verdict == .ok)
            let advised = await station.scan(paint("PA-LATE", 200))
            #expect(advised.verdict == .warn && advised.reasons.map(\.code) == ["better-lot-available"], "\(advised)")
            #expect(advised.reasons.first?.message.hasPrefix("lot PA-SOON ") == true, "\(advised.reasons)")
            #expect(await station.scan("TM:UNDO").action == "line-removed")
            #expect(await station.scan("TM:QTY:2").verdict == .ok)
            let first = await station.scan(paint("PA-LATE", 200))
            #expect(first.reasons.first?.message.hasPrefix("lot PA-FIRST ") == true, "\(first.reasons)")
        }
    }

    /// A label of the right unit that carries other data than the label printed for it (an AI
    /// added or missing: an old label, another template's) is a wrong label: the verify scanner
    /// compared only the product and the number, and passed it.
    @Test(arguments: Backend.available)
    func aLabelWithOtherDataThanPrintedIsAWrongLabel(backend: Backend) async throws {
        try await withDock(backend) { dock in
            let station = try await line(dock)
            let started = await station.scan("TM:RUN:PUMP-200:2")
            #expect(started.jobs.count == 2)
            let printed = try await read(dock, job: started.jobs[0])
            let scan = try await dock.registry.resolve(printed).scan
            let gtin = try #require(scan.gtin).gtin14, serial = try #require(scan.serial)
            let other = await station.handle(StationScan(data: Array("(01)\(gtin)(11)\(yymmdd(today))(21)\(serial)".utf8), device: "verify",
                                                         time: todayInstant, purpose: .verify))
            #expect(other.verdict == .block && other.reasons.map(\.code) == ["wrong-label"], "\(other)")
            #expect(other.reasons.first?.message.contains("carries (01)\(gtin)(21)\(serial)") == true, "\(other.reasons)")
            let right = await station.handle(StationScan(data: Array("(01)\(gtin)(21)\(serial)".utf8), device: "verify",
                                                           time: todayInstant, purpose: .verify))
            #expect(right.action == "unit-verified", "\(right)")
        }
    }

    /// A component whose label disagrees with the registry goes on the line with a warning that
    /// says so, not a plain ok (found by a QA run, where the resolver's warnings were dropped).
    @Test(arguments: Backend.available)
    func aComponentsLabelThatDisagreesWithTheRegistryIsSaid(backend: Backend) async throws {
        try await withDock(backend) { dock in
            let station = try await line(dock)
            #expect(await station.scan("TM:RUN:PUMP-200:2").action == "run-started")
            let mislabelled = await station.scan(paint("PA-SOON", 101))
            #expect(mislabelled.action == "component-added" && mislabelled.verdict == .warn, "\(mislabelled)")
            #expect(mislabelled.reasons.map(\.code) == ["expiry-mismatch"], "\(mislabelled.reasons)")
        }
    }

    /// A wrong component comes off the run with TM:UNDO (or Remove): a lot it took over from is
    /// used again, and units made meanwhile are named. Found by a QA run, where only cancelling
    /// the whole run got rid of it, and every unit consumed it until then.
    @Test(arguments: Backend.available)
    func aWrongComponentComesOffTheRun(backend: Backend) async throws {
        try await withDock(backend) { dock in
            let station = try await line(dock)
            #expect(await station.scan("TM:RUN:PUMP-200:2").action == "run-started")
            #expect(await station.scan(paint("PA-SOON", 100)).verdict == .ok)
            #expect(await station.scan(paint("PA-LATE", 200)).action == "component-added")
            let undone = await station.scan("TM:UNDO")
            #expect(undone.action == "line-removed" && undone.verdict == .ok, "\(undone)")
            #expect(undone.next.contains("took PAINT-5L PA-LATE off run") && undone.next.contains("PAINT-5L PA-SOON is used again"), "\(undone.next)")
            let report = try #require(try await Station.runReport(dock.registry.store, station: "line-1"))
            #expect(report.components.filter(\.current).map(\.number) == ["PA-SOON"])
            let first = try #require(report.units.first?.job)
            let verified = await station.handle(StationScan(data: Array(try await read(dock, job: first).utf8), device: "verify",
                                                            time: todayInstant, purpose: .verify))
            #expect(verified.action == "unit-verified", "\(verified.reasons)")
            let paint = try await dock.registry.stock(product: "PAINT-5L", warehouse: "MAIN")
            #expect(paint.first { $0.number == "PA-SOON" }?.quantity == 9)
            #expect(paint.first { $0.number == "PA-LATE" }?.quantity == 10)
            // Taken off after a unit was made from it: that unit is named.
            let late = await station.scan("TM:UNDO")
            #expect(late.verdict == .warn && late.reasons.map(\.code) == ["units-took-it"], "\(late)")
            #expect(await station.scan("TM:UNDO").reasons.map(\.code) == ["no-such-line"])
        }
    }

    /// A lot label split over two barcodes (a long lot) is verified from its two scans in
    /// either order, as a fixed scanner sees whichever passes first; the first part is kept
    /// without an alarm. A part whose other never comes (the next label's part came instead) is
    /// an alarm: each part alone was once a wrong-label alarm, and reprinted a label each time.
    @Test(arguments: Backend.available)
    func aSplitLabelIsVerifiedFromItsTwoBarcodesInEitherOrder(backend: Backend) async throws {
        try await withDock(backend) { dock in
            let station = try await line(dock, template: "gs1-lot-100x50")
            let started = await station.scan("TM:RUN:PAINT-5L:3:\(today.adding(days: 365))")
            #expect(started.verdict == .ok, "\(started.reasons)")
            let label = try await read(dock, job: started.jobs[0])
            let cut = try #require(label.range(of: "(10)"))
            let (product, lot) = (String(label[..<cut.lowerBound]), String(label[cut.lowerBound...]))
            func verify(_ text: String) async -> ScanOutcome {
                await station.handle(StationScan(data: Array(text.utf8), device: "verify", time: todayInstant, purpose: .verify))
            }
            let firstPart = await verify(lot)
            #expect(firstPart.verdict == .ok && firstPart.action == "part-read", "\(firstPart)")
            let whole = await verify(product)
            #expect(whole.verdict == .ok && whole.action == "unit-verified", "\(whole)")
            #expect(await verify(product).action == "part-read")
            #expect(await verify(lot).action == "unit-verified")
            // Only the product's barcode of a label, then the next label's: an alarm for the first.
            #expect(await verify(product).action == "part-read")
            let only = await verify(product)
            #expect(only.verdict == .block && only.reasons.map(\.code) == ["label-part-only"], "\(only)")
        }
    }

    /// A part followed by a whole label (its DataMatrix): the part's alarm is logged, as any
    /// alarm, and the label is verified. The alarm reached only the journal (a QA run).
    @Test func aPartFollowedByAWholeLabelIsAnAlarmOfItsOwn() async throws {
        try await withDock(.sqlite) { dock in
            let station = try await line(dock, template: "gs1-lot-100x50")
            let started = await station.scan("TM:RUN:PAINT-5L:3:\(today.adding(days: 365))")
            let label = try await read(dock, job: started.jobs[0])
            let product = String(label[..<(try #require(label.range(of: "(10)"))).lowerBound])
            func verify(_ text: String) async -> ScanOutcome {
                await station.handle(StationScan(data: Array(text.utf8), device: "verify", time: todayInstant, purpose: .verify))
            }
            #expect(await verify(product).action == "part-read")
            let whole = await verify(label)
            #expect(whole.action == "unit-verified", "\(whole)")
            let log = try await dock.registry.store.read { db in
                try await db.raw("SELECT reasons FROM station_scans WHERE station = 'line-1' ORDER BY id").all().map {
                    try $0.decode(column: "reasons", as: String.self)
                }
            }
            #expect(log.filter { $0.contains("label-part-only") }.count == 1, "\(log)")
        }
    }

    /// A part still waiting for its other barcode when the run closes is said by TM:DONE: its
    /// window's alarm then found no run open and said nothing (a QA run).
    @Test func aPartWaitingWhenTheRunClosesIsSaid() async throws {
        try await withDock(.sqlite) { dock in
            let station = try await line(dock, template: "gs1-lot-100x50")
            let started = await station.scan("TM:RUN:PAINT-5L:1:\(today.adding(days: 365))")
            let label = try await read(dock, job: started.jobs[0])
            let product = String(label[..<(try #require(label.range(of: "(10)"))).lowerBound])
            let part = await station.handle(StationScan(data: Array(product.utf8), device: "verify", time: todayInstant, purpose: .verify))
            #expect(part.action == "part-read", "\(part)")
            let done = await station.scan("TM:DONE")
            #expect(done.action == "run-closed" && done.verdict == .warn, "\(done)")
            #expect(done.reasons.contains { $0.code == "label-part-only" && $0.message.contains("before the run closed") }, "\(done.reasons)")
        }
    }

    /// A part whose other barcode never comes raises its alarm when its window passes, not only
    /// at the line's next verify scan: a line that had stopped left the unit printed and
    /// unverified without a word. The part's own scan stays logged as read.
    @Test(arguments: Backend.available)
    func aLonePartRaisesItsAlarmWhenItsWindowPasses(backend: Backend) async throws {
        try await withDock(backend) { dock in
            let station = try await line(dock, template: "gs1-lot-100x50", partWindow: 0.2)
            let started = await station.scan("TM:RUN:PAINT-5L:2:\(today.adding(days: 365))")
            #expect(started.verdict == .ok, "\(started.reasons)")
            let label = try await read(dock, job: started.jobs[0])
            let product = String(label[..<(try #require(label.range(of: "(10)"))).lowerBound])
            let part = await station.handle(StationScan(data: Array(product.utf8), device: "verify", scanID: "v-1", time: todayInstant, purpose: .verify))
            #expect(part.action == "part-read", "\(part)")
            func logged() async throws -> [String] {
                try await dock.registry.store.read { db in
                    try await db.raw("SELECT action, reasons FROM station_scans WHERE station = 'line-1' ORDER BY id").all().map {
                        "\(try $0.decode(column: "action", as: String.self)) \(try $0.decode(column: "reasons", as: String.self))"
                    }
                }
            }
            let alarmed = try await eventually { try await logged().last?.contains("label-part-only") == true }
            let log = try await logged()
            #expect(alarmed, "\(log)")
            #expect(log.filter { $0.contains("label-part-only") }.count == 1 && log.contains { $0.hasPrefix("part-read") }, "\(log)")
            #expect(log.last?.hasPrefix("alarm-reprinted") == true, "the reprint policy applies: \(log)")
        }
    }

    /// A component serial goes into one unit: the next unit made without one is a warning, not
    /// silence (found by a QA run).
    @Test(arguments: Backend.available)
    func aUnitMadeAfterItsComponentSerialsAreUsedUpIsAWarning(backend: Backend) async throws {
        try await withDock(backend) { dock in
            let station = try await line(dock, template: "gs1-lot-100x50")
            _ = try await dock.registry.receive(Receipt(warehouse: "MAIN", supplier: "ACME", lines: [.serials("PUMP-200", ["P-1"])]))
            let started = await station.scan("TM:RUN:PAINT-5L:2:\(today.adding(days: 365))")
            #expect(started.verdict == .ok, "\(started.reasons)")
            #expect(await station.scan("(01)\(Dock.pumpGTIN)(21)P-1").action == "component-added")
            let label = try await read(dock, job: started.jobs[0])
            let first = await station.handle(StationScan(data: Array(label.utf8), device: "verify", time: todayInstant, purpose: .verify))
            #expect(first.verdict == .ok && first.action == "unit-verified", "\(first)")
            let second = await station.handle(StationScan(data: Array(label.utf8), device: "verify", time: todayInstant, purpose: .verify))
            #expect(second.verdict == .warn && second.action == "unit-verified" && second.reasons.map(\.code) == ["component-used-up"], "\(second)")
            #expect(second.reasons.first?.message.contains("PUMP-200") == true)
        }
    }

    /// A run closed with labels still queued (the printer off) says they never printed, not that
    /// they were printed and never verified (a QA run's message said both at once).
    @Test(arguments: Backend.available)
    func aRunClosedWithLabelsStillQueuedSaysTheyNeverPrinted(backend: Backend) async throws {
        try await withDock(backend) { dock in
            let station = try await line(dock)
            #expect(await station.scan("TM:RUN:PUMP-200:2").action == "run-started")
            let closed = await station.scan("TM:DONE")
            #expect(closed.action == "run-closed" && closed.reasons.map(\.code) == ["units-missing"], "\(closed)")
            let message = closed.reasons.first?.message ?? ""
            #expect(message.contains("2 labels never printed") && !message.contains("printed but never verified"), "\(message)")
        }
    }

    /// A label with the unit's number but another expiry is a wrong label: an alarm, not a unit
    /// verified (a QA run's label with an expiry of 2025 was verified).
    @Test(arguments: Backend.available)
    func aLabelWithAnotherExpiryIsAWrongLabel(backend: Backend) async throws {
        try await withDock(backend) { dock in
            let station = try await line(dock, template: "gs1-lot-100x50")
            let expiry = today.adding(days: 365)
            let started = await station.scan("TM:RUN:PAINT-5L:1:\(expiry)")
            #expect(started.verdict == .ok, "\(started.reasons)")
            let label = try await read(dock, job: started.jobs[0])
            let wrong = label.replacingOccurrences(of: "(17)\(yymmdd(expiry))", with: "(17)\(yymmdd(today.adding(days: -400)))")
            #expect(wrong != label, "\(label)")
            let read = await station.handle(StationScan(data: Array(wrong.utf8), device: "verify", time: todayInstant, purpose: .verify))
            #expect(read.verdict == .block && read.reasons.map(\.code) == ["wrong-label"] && read.reasons[0].message.contains("the registry has \(expiry)"),
                    "\(read)")
        }
    }

    /// Two component serials scanned ahead go one into each unit, in the order scanned: both
    /// went into the first unit, and the second was made without one (found by a QA run).
    @Test(arguments: Backend.available)
    func componentSerialsScannedAheadGoOneIntoEachUnit(backend: Backend) async throws {
        try await withDock(backend) { dock in
            let station = try await line(dock, template: "gs1-lot-100x50")
            _ = try await dock.registry.receive(Receipt(warehouse: "MAIN", supplier: "ACME", lines: [.serials("PUMP-200", ["P-1", "P-2"])]))
            let started = await station.scan("TM:RUN:PAINT-5L:2:\(today.adding(days: 365))")
            #expect(started.verdict == .ok, "\(started.reasons)")
            for serial in ["P-1", "P-2"] { #expect(await station.scan("(01)\(Dock.pumpGTIN)(21)\(serial)").action == "component-added") }
            let label = try await read(dock, job: started.jobs[0])
            var documents: [String] = []
            for _ in 0..<2 {
                let unit = await station.handle(StationScan(data: Array(label.utf8), device: "verify", time: todayInstant, purpose: .verify))
                #expect(unit.verdict == .ok && unit.action == "unit-verified", "\(unit)")
                documents.append(unit.document ?? "")
            }
            for (serial, document) in zip(["P-1", "P-2"], documents) {
                let history = try await dock.registry.history(product: "PUMP-200", number: serial)
                #expect(history.entries.filter { $0.what == "production" }.map { $0.document ?? "" } == [document], "\(serial): \(history.entries)")
            }
        }
    }

    /// A component lot taken though another goes first is not held (the line runs on), but
    /// recorded: on the run's component, and in the note of every unit made from it, with who
    /// took it, so that an audit or a recall finds it.
    @Test(arguments: Backend.available)
    func aComponentLotTakenOutOfOrderIsRecordedOnEveryUnitMadeFromIt(backend: Backend) async throws {
        try await withDock(backend) { dock in
            let station = try await line(dock)
            #expect(await station.scan("TM:RUN:PUMP-200:1").action == "run-started")
            let later = await station.scan(paint("PA-LATE", 200))
            #expect(later.verdict == .warn && later.action == "component-added", "\(later.reasons)")
            #expect(later.reasons.map(\.code) == ["better-lot-available"])
            let report = try #require(try await Station.runReport(dock.registry.store, station: "line-1"))
            let override = try #require(report.components.first?.override)
            #expect(override.hasPrefix("better-lot-available: lot PA-SOON ") && override.hasSuffix("taken at production line line-1 by station line-1"),
                    "\(override)")
            let job = try #require(report.units.first?.job)
            let verified = await station.handle(StationScan(data: Array(try await read(dock, job: job).utf8), device: "verify",
                                                            time: todayInstant, purpose: .verify))
            #expect(verified.action == "unit-verified", "\(verified.reasons)")
            let document = try await dock.registry.document(try #require(verified.document))
            #expect(document.note.contains("PAINT-5L PA-LATE: \(override)"), "\(document.note)")
            // The lot the line was asked to use first is untouched; the one taken gave the unit its paint.
            let paint = try await dock.registry.stock(product: "PAINT-5L", warehouse: "MAIN")
            #expect(paint.first { $0.number == "PA-SOON" }?.quantity == 10)
            #expect(paint.first { $0.number == "PA-LATE" }?.quantity == 9)
        }
    }

    /// A unit whose component ran short is refused at its verify with what helps: another lot
    /// of the component, not "scan again" (found by a QA run).
    @Test func aComponentThatRunsShortAsksForAnotherLot() async throws {
        try await withDock(.sqlite) { dock in
            let station = try await line(dock)
            let started = await station.scan("TM:RUN:PUMP-200:2")
            #expect(started.jobs.count == 2, "\(started)")
            #expect(await station.scan("TM:QTY:6").action == "quantity-set")
            #expect(await station.scan(paint("PA-SOON", 100)).action == "component-added")
            let first = await station.handle(StationScan(data: Array(try await read(dock, job: started.jobs[0]).utf8), device: "verify",
                                                         time: todayInstant, purpose: .verify))
            #expect(first.action == "unit-verified", "\(first)")
            let second = await station.handle(StationScan(data: Array(try await read(dock, job: started.jobs[1]).utf8), device: "verify",
                                                          time: todayInstant, purpose: .verify))
            #expect(second.verdict == .block && second.reasons.map(\.code) == ["conflict"], "\(second)")
            #expect(second.next.contains("scan another lot of it at the line, then read this unit's label again"), "\(second.next)")
        }
    }

    /// A run prints a label per serial; component lots are checked as they go on the line; each
    /// label the verify scanner reads puts its unit into stock, made from the component lot; a
    /// label that does not read is printed again; the run report says what became of each.
    @Test(arguments: Backend.available)
    func aRunPrintsVerifiesPostsAndReports(backend: Backend) async throws {
        try await withDock(backend) { dock in
            let station = try await line(dock)
            let started = await station.scan("TM:RUN:PUMP-200:3")
            #expect(started.verdict == .ok, "\(started.reasons)")
            #expect(started.action == "run-started")
            #expect(started.jobs.count == 3)

            // Components: the later lot warns, the expired one is blocked, the first to expire is taken.
            let later = await station.scan(paint("PA-LATE", 200))
            #expect(later.verdict == .warn, "\(later.reasons)")
            #expect(later.reasons.map(\.code) == ["better-lot-available"])
            let expired = await station.scan(paint("PA-OLD", -1))
            #expect(expired.verdict == .block)
            #expect(expired.reasons.map(\.code).contains("expired"), "\(expired.reasons)")
            #expect(await station.scan("TM:QTY:2").action == "quantity-set")
            let soon = await station.scan(paint("PA-SOON", 100))
            #expect(soon.verdict == .ok, "\(soon.reasons)")
            #expect(soon.action == "component-added")

            // The verify scanner reads the first two labels as printed.
            let first = try await read(dock, job: started.jobs[0])
            let verified = await station.handle(StationScan(data: Array(first.utf8), device: "verify", time: todayInstant, purpose: .verify))
            #expect(verified.verdict == .ok, "\(verified.reasons)")
            #expect(verified.action == "unit-verified")
            let serial = try #require(verified.resolution?.scan.serial)
            let document = try #require(verified.document)
            let second = await station.handle(StationScan(data: Array(try await read(dock, job: started.jobs[1]).utf8), device: "verify",
                                                          time: todayInstant, purpose: .verify))
            #expect(second.action == "unit-verified", "\(second.reasons)")

            // The unit is in stock, made from the lot scanned last, which lost 2 per unit.
            let history = try await dock.registry.history(product: "PUMP-200", number: serial)
            #expect(history.stock.map(\.warehouse) == ["MAIN"])
            #expect(history.madeFrom.map(\.number) == ["PA-SOON"])
            #expect(history.entries.contains { $0.document == document })
            let paintStock = try await dock.registry.stock(product: "PAINT-5L", warehouse: "MAIN")
            #expect(paintStock.first { $0.number == "PA-SOON" }?.quantity == 6)
            #expect(paintStock.first { $0.number == "PA-LATE" }?.quantity == 10)

            // The same label read again is the alarm, and nothing is posted twice.
            let twice = await station.handle(StationScan(data: Array(first.utf8), device: "verify", time: todayInstant, purpose: .verify))
            #expect(twice.verdict == .block)
            #expect(twice.reasons.map(\.code) == ["read-twice"])
            // A label of another product reads wrong.
            let wrong = await station.handle(StationScan(data: Array(paint("PA-SOON", 100).utf8), device: "verify", time: todayInstant,
                                                         purpose: .verify))
            #expect(wrong.verdict == .block)
            #expect(wrong.reasons.map(\.code) == ["wrong-label"])
            // The alarm acts on the oldest label not verified, the third unit's: printed again.
            #expect(wrong.action == "alarm-reprinted" && wrong.jobs.count == 1, "\(wrong)")
            // A label that does not read before that reprint is verified: no third copy.
            let noRead = await station.handle(StationScan(data: Array("NOREAD".utf8), device: "verify", time: todayInstant, purpose: .verify))
            #expect(noRead.verdict == .block)
            #expect(noRead.reasons.map(\.code) == ["no-read"])
            #expect(noRead.jobs.isEmpty && noRead.next.contains("reprinted after wrong-label already"), "\(noRead)")

            // Open, the report tells labels queued from labels printed: none has left the spool
            // here (no worker runs), so the third unit's label is not printed yet.
            let open = try #require(try await Station.runReport(dock.registry.store, station: "line-1"))
            #expect((open.printed, open.notPrinted, open.missing.count) == (2, 1, 1), "\(open.summary)")
            #expect(open.summary.contains("2 printed (1 more not printed yet)"), "\(open.summary)")
            #expect(open.units.last?.label == "queued")
            // Each unit says so too: `printed` for a label still queued contradicted the summary
            // (found by a QA run with the printer off).
            #expect(open.units.last?.state == "queued", "\(open.units.map(\.state))")

            // Closed with one unit never verified: the report says so, and its number is voided
            // (no unit was made under it), its label cancelled as it had not printed.
            let done = await station.scan("TM:DONE")
            #expect(done.action == "run-closed")
            #expect(done.verdict == .warn)
            #expect(done.reasons.map(\.code) == ["units-missing"])
            #expect(done.reasons.first?.message.contains("its number is voided") == true, "\(done.reasons)")
            let report = try #require(try await Station.runReport(dock.registry.store, station: "line-1"))
            #expect(report.state == "closed")
            #expect((report.printed, report.verified, report.voided, report.missing.count) == (2, 2, 1, 0))
            #expect(report.units.last?.job == wrong.jobs.first)
            #expect(report.units.last?.label == "cancelled")
            #expect(report.components.map(\.number) == ["PA-LATE", "PA-SOON"])
            #expect(report.components.map(\.current) == [false, true])
            // The unit never verified never entered stock, and its number is never used again.
            let unverified = try #require(report.units.last?.number)
            #expect(try await dock.registry.history(product: "PUMP-200", number: unverified).stock.isEmpty)
            #expect(try await dock.registry.lotSerial(product: "PUMP-200", number: unverified)?.status == .voided)
            // Nor is its label printed again by a reprint (found by a QA run: `print` refused the
            // number, `jobs reprint` of its job printed it).
            let job = try #require(report.units.last?.job)
            let reprint = await #expect(throws: RegistryError.self) {
                try await LabelJobs.reprint(job, printer: nil, requestedBy: "anna", reason: "torn", spool: dock.spool, registry: dock.registry)
            }
            #expect(reprint?.code == .numberRetired && reprint?.message.contains("serial \(unverified) of PUMP-200, voided since") == true,
                    "\(String(describing: reprint))")
        }
    }

    /// Under the `void` policy a label that does not read has its number voided for good, and a
    /// new number printed in its place; verifying that one completes the run.
    @Test(arguments: Backend.available)
    func theVoidPolicyRetiresTheNumberAndPrintsANewOne(backend: Backend) async throws {
        try await withDock(backend) { dock in
            let station = try await line(dock, policy: .void)
            let started = await station.scan("TM:RUN:PUMP-200:1")
            #expect(started.jobs.count == 1, "\(started.reasons)")
            let noRead = await station.handle(StationScan(data: Array("NOREAD".utf8), device: "verify", time: todayInstant, purpose: .verify))
            #expect(noRead.action == "alarm-voided", "\(noRead.reasons)")
            let replacement = try await read(dock, job: try #require(noRead.jobs.first))
            let verified = await station.handle(StationScan(data: Array(replacement.utf8), device: "verify", time: todayInstant, purpose: .verify))
            #expect(verified.action == "unit-verified", "\(verified.reasons)")
            let report = try #require(try await Station.runReport(dock.registry.store, station: "line-1"))
            #expect((report.printed, report.verified, report.voided, report.missing.count) == (1, 1, 1, 0))
            let voided = try #require(report.units.first { $0.state == "voided" }?.number)
            // The voided number is retired: a scan of it says so.
            let resolution = try await dock.registry.resolve("(01)\(Dock.pumpGTIN)(21)\(voided)")
            #expect(resolution.warnings.map(\.kind).contains(.retiredNumber))
            // Its first label turning up at the verify scanner is a voided number's, not a label read twice.
            let old = try await read(dock, job: try #require(started.jobs.first))
            let late = await station.handle(StationScan(data: Array(old.utf8), device: "verify", time: todayInstant, purpose: .verify))
            #expect(late.verdict == .block && late.reasons.map(\.code) == ["voided-number"], "\(late.reasons)")
            #expect(late.reasons.first?.message.contains("\(voided) was voided (") == true, "\(late.reasons)")
            #expect(await station.scan("TM:DONE").verdict == .ok)
        }
    }

    /// A lot-tracked product: one lot, a label per unit; each verified label adds one to the lot.
    /// Its class tracks expiry, so the run names it.
    @Test(arguments: Backend.available)
    func aLotRunPutsEachVerifiedUnitIntoTheLot(backend: Backend) async throws {
        try await withDock(backend) { dock in
            let station = try await line(dock, template: "gs1-lot-100x50")
            let noExpiry = await station.scan("TM:RUN:PAINT-5L:2")
            #expect(noExpiry.verdict == .block)
            #expect(noExpiry.reasons.map(\.code) == ["expiry-needed"])
            // Made already expired, no unit of it could ever be received.
            let past = await station.scan("TM:RUN:PAINT-5L:2:\(today.adding(days: -4))")
            #expect(past.verdict == .block && past.reasons.map(\.code) == ["expired-run"] && past.jobs.isEmpty, "\(past)")
            let expiry = today.adding(days: 365)
            let started = await station.scan("TM:RUN:PAINT-5L:2:\(expiry)")
            #expect(started.verdict == .ok, "\(started.reasons)")
            #expect(started.jobs.count == 1)
            let report = try #require(try await Station.runReport(dock.registry.store, station: "line-1"))
            let lot = try #require(report.lot)
            // Queued, not printed: no worker runs here.
            #expect((report.printed, report.notPrinted) == (0, 2))
            #expect(report.units.map(\.state) == ["queued", "queued"])
            // The label of a lot run, as an independent reader decodes it: one per unit.
            let label = try await read(dock, job: started.jobs[0])
            #expect(label.contains("(10)\(lot)"))
            for _ in 0..<2 {
                let verified = await station.handle(StationScan(data: Array(label.utf8), device: "verify", time: todayInstant, purpose: .verify))
                #expect(verified.action == "unit-verified", "\(verified.reasons)")
            }
            let third = await station.handle(StationScan(data: Array(label.utf8), device: "verify", time: todayInstant, purpose: .verify))
            #expect(third.reasons.map(\.code) == ["read-twice"])
            let stock = try await dock.registry.stock(product: "PAINT-5L", warehouse: "MAIN")
            #expect(stock.first { $0.number == lot }?.quantity == 2)
            #expect(await station.scan("TM:DONE").verdict == .ok)
        }
    }

    /// A run needs a production line and no other open run; control codes say what is wrong.
    @Test(arguments: Backend.available)
    func runsAreRefusedWhereTheyCannotStart(backend: Backend) async throws {
        try await withDock(backend) { dock in
            let station = try await line(dock)
            let dockStation = try await dock.station("dock-9")
            #expect(await dockStation.scan("TM:RUN:PUMP-200:2").reasons.map(\.code) == ["not-a-production-line"])
            #expect(await station.scan("TM:RUN:PUMP-200:0").reasons.map(\.code) == ["invalid-control-code"])
            #expect(await station.scan(paint("PA-SOON", 100)).reasons.map(\.code) == ["no-open-run"])
            #expect(await station.scan("TM:RUN:PUMP-200:2").verdict == .ok)
            #expect(await station.scan("TM:RUN:PUMP-200:2").reasons.map(\.code) == ["run-open"])
            // A scan of the run's own product on the operator's scanner is not a component.
            let report = try #require(try await Station.runReport(dock.registry.store, station: "line-1"))
            let own = await station.scan("(01)\(Dock.pumpGTIN)(21)\(try #require(report.units.first?.number))")
            #expect(own.reasons.map(\.code) == ["not-a-component"])
            let state = try await station.state()
            #expect(state.task?.run?.missing.count == 2)
            // Cancelled: the numbers whose labels never verified are voided, not left available.
            let cancelled = await station.scan("TM:CANCEL")
            #expect(cancelled.action == "task-cancelled")
            #expect(cancelled.next.contains("run \(report.run) cancelled: 0 units verified and in stock; 2 numbers never verified voided"), "\(cancelled.next)")
            for unit in report.units {
                #expect(try await dock.registry.lotSerial(product: "PUMP-200", number: unit.number)?.status == .voided)
            }
            #expect(try await dock.spool.jobs(printer: dock.printer.name).allSatisfy { $0.state == .cancelled })
        }
    }

    /// A label of the run's product whose number this run never printed (an old label, another
    /// run's) is not a unit of the run: the unit on the line did not verify, and the line's policy
    /// reprints its label; it is not "read twice".
    @Test(arguments: Backend.available)
    func aLabelOfTheProductNotFromThisRunIsNotAUnitOfIt(backend: Backend) async throws {
        try await withDock(backend) { dock in
            let station = try await line(dock)
            let started = await station.scan("TM:RUN:PUMP-200:1")
            #expect(started.verdict == .ok, "\(started.reasons)")
            let stray = await station.handle(StationScan(data: Array("(01)\(Dock.pumpGTIN)(21)SN-STRAY".utf8), device: "verify",
                                                         time: todayInstant, purpose: .verify))
            #expect(stray.verdict == .block && stray.reasons.map(\.code) == ["not-in-run"], "\(stray)")
            #expect(stray.reasons.first?.message.contains("PUMP-200 SN-STRAY, which is not a unit of run") == true, "\(stray.reasons)")
            #expect(stray.action == "alarm-reprinted" && stray.jobs.count == 1, "\(stray)")
            // A second alarm before that reprint is verified prints no third copy of the number:
            // it names the reprint and how to print it again by hand (a QA run saw four labels
            // of one serial after three alarms).
            let again = await station.handle(StationScan(data: Array("NOREAD".utf8), device: "verify", time: todayInstant, purpose: .verify))
            #expect(again.verdict == .block && again.action == "alarm" && again.jobs.isEmpty, "\(again)")
            #expect(again.next.contains("was reprinted after not-in-run already (job \(stray.jobs[0])) and is not verified yet"), "\(again.next)")
            #expect(try await dock.spool.jobs(printer: dock.printer.name).count == 2, "the unit's label and one reprint")
        }
    }

    /// An expiry given to a run of a class that keeps none is refused: it would be printed on no
    /// label and kept nowhere.
    @Test func anExpiryForAClassWithoutExpiriesIsRefused() async throws {
        try await withDock(.sqlite) { dock in
            let station = try await line(dock)
            let refused = await station.scan("TM:RUN:PUMP-200:2:\(today.adding(days: 365))")
            #expect(refused.verdict == .block && refused.reasons.map(\.code) == ["expiry-not-tracked"], "\(refused)")
        }
    }
}
