import Foundation
import GS1
import Labels
import Printing
import Registry
import SQLKit
import Stations
import Store
import Testing

@Suite struct ReceivingStationTests {
    /// An operator scans a supplier's pallet labels: each adds a line and queues the internal
    /// label, whose barcode reads back with the scanned lot and expiry; `TM:DONE` posts the
    /// receipt, and the stock is there.
    /// A scan whose label the station's template cannot fill (a supplier's label without the
    /// expiry the template prints, of a class that keeps none) is refused in words for the dock,
    /// not for the template's author.
    @Test(arguments: Backend.available)
    func aLabelTheTemplateCannotFillIsExplainedForTheDock(backend: Backend) async throws {
        try await withDock(backend) { dock in
            _ = try await dock.registry.addClass(LotSerialClass(code: "BULK", tracking: .lot, format: "B{counter:4}"))
            _ = try await dock.registry.addProduct(Product(article: "SAND", gtin: try GTIN("09501101530027"), lotSerialClass: "BULK"))
            let station = try await dock.station()
            let outcome = await station.scan("(01)09501101530027(10)NOEXPIRY(30)1")
            #expect(outcome.verdict == .block, "\(outcome)")
            let reason = try #require(outcome.reasons.first { $0.code == "label-missing-field" }, "\(outcome.reasons)")
            #expect(reason.message.hasPrefix("no label can be printed for this scan: template gs1-lot-100x50 prints lot.expiry"), "\(reason.message)")
            #expect(reason.message.contains("the barcode has no expiry date, AI 17") && !reason.message.contains("sample"), "\(reason.message)")
            #expect(!reason.message.contains("a product without a lot"), "\(reason.message)")
            // A serial-tracked product at a lot label's station: the template does not fit it,
            // which scanning again cannot help (it said the barcode had no lot, and "scan again").
            let serial = await station.scan("(01)\(Dock.pumpGTIN)(10)L1(21)SN2002")
            let misfit = try #require(serial.reasons.first { $0.code == "label-missing-field" }, "\(serial.reasons)")
            #expect(misfit.message.contains("template gs1-lot-100x50 is a label of a lot (it prints lot.number), and this product is not tracked by lot"),
                    "\(misfit.message)")
            #expect(serial.next.contains("template does not fit this product"), "\(serial.next)")
            // A label whose data is wrong reads the same again: only a misread is worth a second try.
            let month13 = await station.scan("(01)09501101530027(17)261331(10)X1")
            #expect(month13.verdict == .block && month13.next.contains("the same label reads the same"), "\(month13)")
            // Data the label cannot print (a description written right to left) prints the same
            // at the next scan: the data is what to correct ("scan again" was said; a QA run).
            _ = try await dock.registry.addProduct(Product(article: "HALAV", gtin: try GTIN("09501101530041"), description: "חלב", lotSerialClass: "BULK"))
            let hebrew = await station.scan("(01)09501101530041(17)271231(10)H1(30)1")
            #expect(hebrew.verdict == .block && hebrew.reasons.contains { $0.code == "label-unencodable" }, "\(hebrew)")
            #expect(hebrew.next.contains("the same data prints the same: have what the reason names corrected"), "\(hebrew.next)")
        }
    }

    /// A serial's label with a count (AI 30) of 3 adds one unit and says the count was not used
    /// (a QA run saw it taken as 1 in silence).
    @Test(arguments: Backend.available)
    func aSerialsLabelledCountIsSaidToBeIgnored(backend: Backend) async throws {
        try await withDock(backend) { dock in
            let station = try await dock.station(template: nil)
            let scanned = await station.scan("(01)\(Dock.pumpGTIN)(21)P-30(30)3")
            #expect(scanned.action == "added-to-receipt" && scanned.verdict == .warn, "\(scanned)")
            #expect(scanned.reasons.map(\.code) == ["quantity-ignored"])
            #expect(try #require(try await station.state().task).lines.map(\.quantity) == [1])
        }
    }

    /// The operator signed in on the open task is still signed in after a restart (a new
    /// station taken here), unless the badge was withdrawn: a QA run saw the scans after a
    /// restart logged without an operator while the task still named one.
    @Test(arguments: Backend.available)
    func theSignedInOperatorOutlivesARestart(backend: Backend) async throws {
        try await withDock(backend) { dock in
            _ = try await Operators(store: dock.registry.store).add(StationOperator(badge: "OP1", name: "Olle", role: .operator))
            let before = try await dock.station()
            await before.setHeldHere(true)
            // Caps Lock on at the scanner: the badge that reads so is meant, signed in as registered.
            #expect(await before.scan("tm:op:op1").action == "operator-signed-in")
            let expiry = yymmdd(today.adding(days: 200))
            #expect(await before.scan("(01)\(Dock.paintGTIN)(17)\(expiry)(10)R-1(30)1").action == "added-to-receipt")
            let after = try await dock.station()
            await after.setHeldHere(true)
            let scanned = await after.scan("(01)\(Dock.paintGTIN)(17)\(expiry)(10)R-2(30)1")
            #expect(scanned.action == "added-to-receipt")
            let logged = try await dock.registry.store.read { db in
                try await db.raw("SELECT operator FROM station_scans WHERE id = \(bind: try #require(scanned.scan))").first()?
                    .decode(column: "operator", as: String.self)
            }
            #expect(logged == "OP1")
            // With no task open too: the receipt posted, a restart, and the next receipt is theirs.
            #expect(await after.scan("TM:DONE").action == "receipt-posted")
            let third = try await dock.station()
            await third.setHeldHere(true)
            let next = await third.scan("(01)\(Dock.paintGTIN)(17)\(expiry)(10)R-3(30)1")
            let nextLogged = try await dock.registry.store.read { db in
                try await db.raw("SELECT operator FROM station_scans WHERE id = \(bind: try #require(next.scan))").first()?
                    .decode(column: "operator", as: String.self)
            }
            #expect(nextLogged == "OP1", "\(next)")
        }
    }

    /// A scan whose reader is cancelled while it is handled (a scanner closed, a service
    /// stopping, an HTTP client gone) is carried to its end: its answer says what was done. It was
    /// once answered "scan again" after its line had been added, and the second scan added another.
    @Test(arguments: Backend.available)
    func aScanWhoseReaderIsCancelledIsCarriedToItsEnd(backend: Backend) async throws {
        try await withDock(backend) { dock in
            let station = try await dock.station()
            let data = "(01)\(Dock.paintGTIN)(17)\(yymmdd(today.adding(days: 200)))(10)CUT-1(30)2"
            let cancelled = Task {
                withUnsafeCurrentTask { $0?.cancel() }
                return await station.scan(data)
            }
            let outcome = await cancelled.value
            #expect(outcome.verdict == .ok && outcome.action == "added-to-receipt", "\(outcome)")
            let lines = try #require(try await station.state().task).lines
            #expect(lines.map(\.number) == ["CUT-1"])
            // Cancelled at other points of its handling: each is added, once.
            for step in 0..<20 {
                let before = try await station.state().task?.lines.count ?? 0
                let scan = Task { await station.scan("(01)\(Dock.paintGTIN)(17)\(yymmdd(today.adding(days: 200)))(10)CUT-\(step + 2)(30)2") }
                for _ in 0..<step { await Task.yield() }
                scan.cancel()
                let answer = await scan.value
                #expect(answer.verdict == .ok && answer.action == "added-to-receipt", "\(answer)")
                #expect(try await station.state().task?.lines.count == before + 1)
            }
        }
    }

    /// A scan its device marked too long is refused as such, and logged, whatever its start
    /// says: a valid GS1 string at the head of 200 KB of noise is not acted on.
    @Test(arguments: Backend.available)
    func anOverlongScanIsRefusedAsSuch(backend: Backend) async throws {
        try await withDock(backend) { dock in
            let station = try await dock.station()
            let head = Array("(01)09501101530003(17)391231(10)LOT42(30)6".utf8)
            let outcome = await station.handle(StationScan(data: head, device: "tcp://scanner", time: todayInstant, overlongLength: 200_000))
            #expect(outcome.verdict == .block && outcome.scan != nil)
            #expect(outcome.reasons.first?.message.contains("the scanner sent 200000 bytes as one scan, more than any barcode holds") == true,
                    "\(outcome.reasons)")
            #expect(outcome.jobs.isEmpty && outcome.document == nil)
        }
    }

    /// A wrong scan is taken off the receipt, not the whole receipt abandoned: TM:UNDO removes the
    /// last line and cancels its label if it has not printed; a line is also removed by its id
    /// (the HTTP API's way); a printed label is named, to be taken off the item.
    @Test(arguments: Backend.available)
    func aWrongScanIsTakenOffTheReceipt(backend: Backend) async throws {
        try await withDock(backend) { dock in
            let station = try await dock.station()
            let expiry = yymmdd(today.adding(days: 400))
            let first = await station.scan("(01)\(Dock.paintGTIN)(17)\(expiry)(10)KEEP(30)4")
            let second = await station.scan("(01)\(Dock.paintGTIN)(17)\(expiry)(10)WRONG(30)9")
            let third = await station.scan("(01)\(Dock.paintGTIN)(17)\(expiry)(10)PRINTED(30)2")
            #expect([first, second, third].allSatisfy { $0.action == "added-to-receipt" && $0.jobs.count == 1 })

            // The third label has printed meanwhile: removed, the line's label is named.
            let printedJob = try #require(third.jobs.first)
            try await dock.registry.store.write { db in
                try await db.raw("UPDATE print_jobs SET state = 'done' WHERE id = \(bind: printedJob)").run()
            }
            let undone = await station.scan("TM:UNDO")
            #expect(undone.action == "line-removed" && undone.verdict == .warn, "\(undone)")
            #expect(undone.reasons.map(\.message) == ["the line's label (job \(printedJob)) was printed already: take it off the item"])
            #expect(undone.next.contains("removed PAINT-5L PRINTED × 2 from the receipt"), "\(undone.next)")

            // The wrong one by its id: its label had not printed and is cancelled.
            let lines = try #require(try await station.state().task).lines
            #expect(lines.map(\.number) == ["KEEP", "WRONG"])
            let wrong = try #require(lines.last)
            let removed = await station.scan("TM:UNDO:\(wrong.id)")
            #expect(removed.action == "line-removed" && removed.verdict == .ok, "\(removed)")
            #expect(removed.next.contains("its label (job \(try #require(second.jobs.first))) was cancelled before printing"), "\(removed.next)")
            #expect(try await dock.spool.job(try #require(second.jobs.first)).state == .cancelled)
            // Withdrawn: its label names goods that were not received, and never prints (a QA run
            // retried and reprinted it).
            let withdrawn = try #require(second.jobs.first)
            #expect(try await dock.spool.events(job: withdrawn).last?.message.contains("cancelled by station dock-1: its line was taken off the task (TM:UNDO)") == true)
            await #expect(throws: PrintingError.self) { try await dock.spool.retry(withdrawn) }
            // Moved to another printer, or cancelled by an operator, before its line is taken off:
            // withdrawn wherever it is (a QA run printed the moved copy, and retried the cancelled one).
            let spare = PrinterConfig(name: "spare", uri: "file://\(dock.database.folder.appendingPathComponent("spare").path)", language: .zpl)
            try await dock.spool.addPrinter(spare)
            let moving = await station.scan("(01)\(Dock.paintGTIN)(17)\(expiry)(10)MOVED(30)1")
            let movedTo = try await dock.spool.move(try #require(moving.jobs.first), to: "spare")
            let undoneMoved = await station.scan("TM:UNDO")
            #expect(undoneMoved.next.contains("moved as job \(movedTo)) was cancelled before printing"), "\(undoneMoved.next)")
            #expect(try await dock.spool.job(movedTo).state == .cancelled)
            await #expect(throws: PrintingError.self) { try await dock.spool.retry(movedTo) }
            let byHand = try #require(await station.scan("(01)\(Dock.paintGTIN)(17)\(expiry)(10)BYHAND(30)1").jobs.first)
            try await dock.spool.cancel(byHand, by: "bo", reason: "wrong printer")
            #expect(await station.scan("TM:UNDO").action == "line-removed")
            await #expect(throws: PrintingError.self) { try await dock.spool.retry(byHand) }
            #expect(try await dock.spool.job(byHand).error.hasPrefix("withdrawn, never to print: cancelled by station dock-1"))
            #expect(await station.scan("TM:UNDO:\(wrong.id)").reasons.map(\.code) == ["no-such-line"])
            #expect(await station.scan("TM:UNDO:abc").reasons.map(\.code) == ["invalid-control-code"])

            // A quantity the product is not counted in is refused at the scan, not at TM:DONE.
            #expect(await station.scan("TM:QTY:1.5").action == "quantity-set")
            let half = await station.scan("(01)\(Dock.paintGTIN)(17)\(expiry)(10)HALF")
            #expect(half.reasons.map(\.message) == ["PAINT-5L is counted in whole pcs, not 1.5"], "\(half)")

            // A line added after removals gets an id of its own, never a removed line's; a label's
            // own quantity wins over TM:QTY, and the answer says so.
            #expect(await station.scan("TM:QTY:2").action == "quantity-set")
            let added = await station.scan("(01)\(Dock.paintGTIN)(17)\(expiry)(10)MORE(30)3")
            #expect(added.reasons.map(\.message) == ["the label says 3: TM:QTY:2 was not used"], "\(added)")
            let more = try #require(try await station.state().task?.lines.last)
            #expect(more.number == "MORE" && more.quantity == 3 && more.id > wrong.id, "\(more)")
            #expect(await station.scan("TM:UNDO").action == "line-removed")

            // TM:QTY is its scanner's: another scanner's next item at the station is received as
            // 1, and the quantity waits for the scanner that set it (a QA run saw TM:QTY:5 on the
            // dock's scanner taken by a tablet's scan).
            #expect(await station.scan("TM:QTY:5", device: "tcp://dock-scanner").action == "quantity-set")
            let tablet = await station.handle(StationScan(data: Array("(01)\(Dock.paintGTIN)(17)\(expiry)(10)TABLET".utf8), device: "api",
                                                          time: todayInstant, user: "qa-token"))
            #expect(tablet.action == "added-to-receipt", "\(tablet)")
            // Its label was asked for by who scanned it, not by the badge the task was opened under.
            #expect(try await dock.spool.job(try #require(tablet.jobs.first)).requestedBy == "qa-token")
            #expect(try await station.state().task?.lines.last.map { "\($0.number ?? "") \($0.quantity)" } == "TABLET 1")
            #expect(await station.scan("(01)\(Dock.paintGTIN)(17)\(expiry)(10)DOCK", device: "tcp://dock-scanner").action == "added-to-receipt")
            #expect(try await station.state().task?.lines.last.map { "\($0.number ?? "") \($0.quantity)" } == "DOCK 5")
            // An undo after a TM:QTY says the quantity still waits.
            #expect(await station.scan("TM:QTY:7").action == "quantity-set")
            let undoneWaiting = await station.scan("TM:UNDO")
            #expect(undoneWaiting.action == "line-removed" && undoneWaiting.next.contains("TM:QTY:7 still waits for the next item"), "\(undoneWaiting.next)")
            #expect(await station.scan("(01)\(Dock.paintGTIN)(17)\(expiry)(10)DOCK").action == "added-to-receipt")
            #expect(try await station.state().task?.lines.last.map { "\($0.number ?? "") \($0.quantity)" } == "DOCK 7")
            #expect(await station.scan("TM:UNDO").action == "line-removed")
            #expect(await station.scan("TM:UNDO").action == "line-removed")

            let done = await station.scan("TM:DONE")
            #expect(done.action == "receipt-posted", "\(done)")
            #expect(try await dock.registry.stock(product: "PAINT-5L").map { "\($0.number ?? "-") \($0.quantity)" } == ["KEEP 4"])
            #expect(await station.scan("TM:UNDO").reasons.map(\.code) == ["no-open-task"])
            let line = try await dock.station("line-1", kind: .production, template: nil)
            // A production line takes a component off its run; with no run open, it says so.
            #expect(await line.scan("TM:UNDO").reasons.map(\.code) == ["no-open-run"])
        }
    }

    /// A label whose lot is in a second barcode (GS1 lets one be split when a symbol would be too
    /// wide, and our lot label does so for a lot of 16 to 20 characters) is received from its two
    /// scans: the first is refused for its missing lot and kept, the second completes it. Before,
    /// such a lot blocked the dock: its label did not fit, and half a label was never joined.
    @Test(arguments: Backend.available)
    func aLotInTheLabelsSecondBarcodeIsReadWithTheFirst(backend: Backend) async throws {
        try await withDock(backend) { dock in
            let station = try await dock.station()
            let expiry = yymmdd(today.adding(days: 400))
            let lot = "LT2026-12-06-ABCD-99"
            let first = await station.scan("]C1" + "01\(Dock.paintGTIN)17\(expiry)")
            #expect(first.verdict == .block && first.reasons.map(\.code) == ["lot-missing"], "\(first)")
            #expect(first.next.contains("other barcode"), "\(first.next)")
            let second = await station.scan("]C1" + "10\(lot)\u{1D}304")
            #expect(second.verdict == .ok && second.action == "added-to-receipt", "\(second)")
            let line = try #require(try await station.state().task?.lines.first)
            #expect(line.number == lot && line.quantity == 4 && line.expiry != nil, "\(line)")
            // The log keeps each scan as it came.
            let raw = try await dock.registry.store.read { db in
                try await db.raw("SELECT raw FROM station_scans WHERE id = \(bind: try #require(second.scan))").first()?
                    .decode(column: "raw", as: Data.self)
            }
            #expect(raw.map { String(decoding: $0, as: UTF8.self) } == "]C110\(lot)\u{1D}304")
            // Its own label prints the lot in a second GS1-128, as an independent reader sees it.
            let job = try await dock.spool.job(try #require(second.jobs.first))
            let read = try await BarcodeOracle.texts(job.payload, extension: "zpl")
            #expect(Set(read) == ["(01)\(Dock.paintGTIN)(17)\(expiry)(10)\(lot)", "(01)\(Dock.paintGTIN)(17)\(expiry)", "(10)\(lot)"], "\(read)")

            // The rest of a label comes from the same scanner, within a minute, and names no
            // product of its own; a control code in between lets the part go.
            let later = StationScan(data: Array("(10)LATE".utf8), device: "test", time: todayInstant.addingTimeInterval(61))
            _ = await station.scan("(01)\(Dock.paintGTIN)(17)\(expiry)")
            #expect(await station.handle(later).verdict == .block)
            // Another scanner's scan is not this one's rest, and does not let this one's part go.
            _ = await station.scan("(01)\(Dock.paintGTIN)(17)\(expiry)")
            #expect(await station.scan("(10)OTHER", device: "another").verdict == .block)
            #expect(await station.scan("(10)SECOND-LOT").action == "added-to-receipt")
            _ = await station.scan("(01)\(Dock.paintGTIN)(17)\(expiry)")
            #expect(await station.scan("TM:QTY:2").action == "quantity-set")
            // The other order: the lot's barcode alone is refused for naming no product and kept,
            // and the product's barcode scanned next completes it.
            let rest = await station.scan("(10)AFTER")
            #expect(rest.verdict == .block && rest.reasons.map(\.code) == ["product-missing"], "\(rest)")
            #expect(await station.scan("(01)\(Dock.paintGTIN)(17)\(expiry)").action == "added-to-receipt")
            // A second barcode that contradicts the first (another expiry) is another label's.
            _ = await station.scan("(01)\(Dock.paintGTIN)(17)\(expiry)")
            let disagreeing = await station.scan("(17)\(yymmdd(today.adding(days: 9)))(10)X")
            // Said as such, not "scan the label's other barcode", which was just scanned.
            #expect(disagreeing.verdict == .block && disagreeing.reasons.map(\.code) == ["label-parts-disagree"], "\(disagreeing)")
            #expect(disagreeing.reasons.first?.message.contains("(17) \(yymmdd(today.adding(days: 9))) is not the (17) \(expiry) of the barcode scanned before it") == true,
                    "\(disagreeing.reasons)")
            #expect(try await station.state().task?.lines.map(\.number) == [lot, "SECOND-LOT", "AFTER"])
        }
    }

    @Test(arguments: Backend.available)
    func supplierLabelsAddToTheReceiptPrintAndPostOnDone(backend: Backend) async throws {
        try await withDock(backend) { dock in
            let station = try await dock.station()
            let expiry = today.adding(days: 400)
            let first = await station.scan("]C1" + "01\(Dock.paintGTIN)17\(yymmdd(expiry))10LOT42\u{1D}3012")
            #expect(first.verdict == .ok, "\(first.reasons)")
            #expect(first.action == "added-to-receipt")
            #expect(first.jobs.count == 1)
            #expect(first.resolution?.product?.article == "PAINT-5L")
            #expect(await station.scan("TM:QTY:5").action == "quantity-set")
            let second = await station.scan("(01)\(Dock.paintGTIN)(17)\(yymmdd(expiry))(10)LOT43")
            #expect(second.verdict == .ok, "\(second.reasons)")

            // The label queued for the first scan carries what was scanned, as an independent reader sees it.
            let job = try await dock.spool.job(try #require(first.jobs.first))
            let read = try await BarcodeOracle.texts(job.payload, extension: "zpl")
            // The template carries the data twice (GS1-128 and GS1 DataMatrix).
            #expect(!read.isEmpty)
            #expect(Set(read) == ["(01)\(Dock.paintGTIN)(17)\(yymmdd(expiry))(10)LOT42"])

            let done = await station.scan("TM:DONE")
            #expect(done.verdict == .ok, "\(done.reasons)")
            #expect(done.action == "receipt-posted")
            let document = try #require(done.document)
            let stock = try await dock.registry.stock(product: "PAINT-5L", warehouse: "MAIN")
            #expect(Dictionary(uniqueKeysWithValues: stock.compactMap { b in b.number.map { ($0, b.quantity) } }) == ["LOT42": 12, "LOT43": 5])
            let history = try await dock.registry.history(product: "PAINT-5L", number: "LOT42")
            #expect(history.entries.contains { $0.document == document })
            // Nothing left open: the next TM:DONE (a second scanner's, say) is told it was posted.
            let again = await station.scan("TM:DONE")
            #expect(again.reasons.map(\.code) == ["already-posted"], "\(again)")
            #expect(again.reasons.first?.message == "the receipt was posted already as \(document): nothing more to post")
        }
    }

    /// What must not enter stock is blocked, with a reason an operator can act on, and nothing of
    /// it is written but the scan log entry.
    @Test(arguments: Backend.available)
    func whatMustNotBeReceivedIsBlockedWithAReason(backend: Backend) async throws {
        try await withDock(backend) { dock in
            let lots = try await dock.station()
            let serials = try await dock.station("dock-2", template: "serial-50x25")
            let expiry = today.adding(days: 400)
            let unknown = await lots.scan("(01)09501101530027(10)X1")
            #expect(unknown.verdict == .block)
            #expect(unknown.reasons.map(\.code) == ["unknown-gtin"])
            #expect(unknown.reasons.first?.message.contains("map this GTIN to a product") == true)

            #expect(await lots.scan("(01)\(Dock.paintGTIN)(17)\(yymmdd(expiry))").reasons.map(\.code) == ["lot-missing"])
            #expect(await lots.scan("not a GS1 label").verdict == .block)
            #expect(await lots.scan("TM:QTY:-2").reasons.map(\.code) == ["invalid-control-code"])
            #expect(await lots.scan("TM:QTY:1.1234567").reasons.map(\.message) == ["TM:QTY takes at most 6 decimals; got \"1.1234567\""])
            // A scanner with Caps Lock on sends control codes in lower case: still control codes.
            #expect(await lots.scan("tm:qty:2").action == "quantity-set")
            #expect(await lots.scan("tm:cancel").reasons.map(\.code) != ["not-a-supplier-label"])

            // A known lot whose expiry differs from the barcode.
            _ = try await dock.registry.receive(Receipt(warehouse: "MAIN", supplier: "ACME", lines: [
                StockLine(product: "PAINT-5L", picks: [.init(number: "LOT7", quantity: 3, expiry: expiry)]),
            ]))
            let mismatch = await lots.scan("(01)\(Dock.paintGTIN)(17)\(yymmdd(expiry.adding(days: 30)))(10)LOT7")
            #expect(mismatch.reasons.map(\.code) == ["expiry-mismatch"])
            // More of a lot under recall stays outside the door, open recall or held.
            let recall = try await dock.registry.openRecall(product: "PAINT-5L", numbers: ["LOT7"], reason: "wrong pigment", user: "qa")
            let recalled = await lots.scan("(01)\(Dock.paintGTIN)(17)\(yymmdd(expiry))(10)LOT7")
            #expect(recalled.verdict == .block && recalled.reasons.map(\.code) == ["recalled"], "\(recalled.reasons)")
            _ = try await dock.registry.closeRecall(recall.id, note: "false alarm", user: "qa")

            // The same serial twice on one receipt, and a serial already in stock.
            #expect(await serials.scan("(01)\(Dock.pumpGTIN)(21)P-1").verdict == .ok)
            #expect(await serials.scan("(01)\(Dock.pumpGTIN)(21)P-1").reasons.map(\.code) == ["serial-on-receipt"])
            #expect(await serials.scan("TM:DONE").action == "receipt-posted")
            #expect(await serials.scan("(01)\(Dock.pumpGTIN)(21)P-1").reasons.map(\.code) == ["serial-in-stock"])

            // Blocked scans wrote no line and queued no label.
            let (lines, jobs, logged) = try await dock.registry.store.read { db in
                (try await db.raw("SELECT COUNT(*) AS n FROM station_task_lines").first()?.decode(column: "n", as: Int.self),
                 try await db.raw("SELECT COUNT(*) AS n FROM print_jobs").first()?.decode(column: "n", as: Int.self),
                 try await db.raw("SELECT COUNT(*) AS n FROM station_scans WHERE verdict = 'block'").first()?.decode(column: "n", as: Int.self))
            }
            #expect(lines == 1)
            #expect(jobs == 1)
            #expect(logged == 9)
        }
    }

    /// Expired goods are received only as quarantined, and only once a supervisor confirms them
    /// with a reason: the receipt waits for it.
    @Test(arguments: Backend.available)
    func expiredGoodsAreReceivedQuarantinedOnceASupervisorConfirms(backend: Backend) async throws {
        try await withDock(backend) { dock in
            let station = try await dock.station()
            let expired = await station.scan("(01)\(Dock.paintGTIN)(17)\(yymmdd(today.adding(days: -3)))(10)OLD1(30)4")
            #expect(expired.verdict == .warn)
            #expect(expired.reasons.map(\.code) == ["expired"])
            #expect(await station.scan("TM:DONE").reasons.map(\.code) == ["confirmation-needed"])
            let confirmed = try await station.confirm(scan: try #require(expired.scan), reason: "returned for destruction", user: "supervisor eva")
            #expect(confirmed.action == "confirmed")
            let done = await station.scan("TM:DONE")
            #expect(done.action == "receipt-posted", "\(done.reasons)")
            let lot = try #require(try await dock.registry.lotSerial(product: "PAINT-5L", number: "OLD1"))
            #expect(lot.status == .quarantined)
            #expect(try await dock.registry.stock(product: "PAINT-5L", warehouse: "MAIN").first { $0.number == "OLD1" }?.quantity == 4)
        }
    }

    /// At a station with a scanner and no screen, a supervisor confirms expired goods with their
    /// badge (TM:OK): an operator's badge, an unknown one, and a badge before any are managed do
    /// not; once badges are managed, only the listed ones sign in.
    @Test(arguments: Backend.available)
    func aSupervisorsBadgeConfirmsAtTheStation(backend: Backend) async throws {
        try await withDock(backend) { dock in
            let station = try await dock.station()
            // No badge managed yet: any badge signs in, and none confirms.
            #expect(await station.scan("TM:OP:walk-in").action == "operator-signed-in")
            #expect(await station.scan("TM:OK:walk-in").reasons.map(\.code) == ["unknown-badge"])
            let operators = try await Operators(store: dock.registry.store)
            try await operators.add(StationOperator(badge: "B-100", name: "Anna", role: .operator))
            try await operators.add(StationOperator(badge: "B-900", name: "Bo", role: .supervisor))
            #expect(await station.scan("TM:OP:walk-in").reasons.map(\.code) == ["unknown-badge"])
            let anna = await station.scan("TM:OP:B-100")
            #expect(anna.action == "operator-signed-in")
            #expect(anna.next.contains("Anna (B-100)"))

            let expired = await station.scan("(01)\(Dock.paintGTIN)(17)\(yymmdd(today.adding(days: -3)))(10)OLD2(30)2")
            #expect(expired.verdict == .warn)
            // The open task names who works on it, as the page shows it.
            let task = try #require(try await station.state().task)
            #expect((task.operatorName, task.operatorBadge) == ("Anna (B-100)", "B-100"))
            #expect(await station.scan("TM:OK:B-100").reasons.map(\.code) == ["not-a-supervisor"])
            #expect(await station.scan("TM:OK:B-555").reasons.map(\.code) == ["unknown-badge"])
            #expect(await station.scan("TM:DONE").reasons.map(\.code) == ["confirmation-needed"])
            let approved = await station.scan("TM:OK:B-900")
            #expect(approved.action == "confirmed", "\(approved.reasons)")
            #expect(approved.reasons.map(\.code) == ["expired"])
            #expect(await station.scan("TM:OK:B-900").reasons.map(\.code) == ["nothing-to-confirm"])
            let done = await station.scan("TM:DONE")
            #expect(done.action == "receipt-posted", "\(done.reasons)")
            #expect(try await dock.registry.lotSerial(product: "PAINT-5L", number: "OLD2")?.status == .quarantined)
            let document = try await dock.registry.history(product: "PAINT-5L", number: "OLD2").entries.first { $0.document == done.document }
            #expect(document?.note.contains("confirmed by supervisor Bo (B-900)") == true, "\(String(describing: document))")
            #expect(document?.user == "B-100")
            // A badge withdrawn while it is signed in signs out at its next scan, which does
            // nothing: no document is posted in the name of someone who has left.
            try await operators.remove(badge: "B-100")
            let left = await station.scan("(01)\(Dock.paintGTIN)(17)\(yymmdd(today.adding(days: 90)))(10)AFTER(30)1")
            #expect(left.verdict == .block && left.reasons.map(\.code) == ["badge-withdrawn"] && left.jobs.isEmpty, "\(left)")
            #expect(try await station.state().task == nil)
            // A withdrawn badge signs in no more, nor is it given out again.
            #expect(await station.scan("TM:OP:B-100").reasons.map(\.code) == ["unknown-badge"])
            await #expect {
                _ = try await operators.add(StationOperator(badge: "B-100", name: "Carl", role: .operator))
            } throws: { error in
                guard let error = error as? RegistryError else { return false }
                return error.code == .duplicate && error.message.contains("badge B-100 was Anna's and is withdrawn") && error.message.contains("give another badge")
            }
            // Withdrawn twice is said, not answered "removed"; a badge without a name is refused.
            await #expect {
                try await operators.remove(badge: "B-100")
            } throws: { error in
                (error as? RegistryError)?.code == .conflict && (error as? RegistryError)?.message.contains("badge B-100 (Anna (B-100)) was withdrawn already") == true
            }
            await #expect {
                _ = try await operators.add(StationOperator(badge: "B-101", name: " ", role: .operator))
            } throws: { error in
                (error as? RegistryError)?.code == .invalidInput && (error as? RegistryError)?.message.contains("the operator's name is empty") == true
            }
        }
    }

    /// A client that sends the same scan id twice (a retry after a timeout, a scanner that
    /// reconnects) gets the first answer, and the scan acts once.
    @Test(arguments: Backend.available)
    func aScanSentTwiceWithOneIdActsOnce(backend: Backend) async throws {
        try await withDock(backend) { dock in
            let station = try await dock.station()
            let code = "(01)\(Dock.paintGTIN)(17)\(yymmdd(today.adding(days: 200)))(10)LOT9(30)4"
            let first = await station.scan(code, id: "handheld-7/0001")
            let again = await station.scan(code, id: "handheld-7/0001")
            #expect(first.verdict == .ok)
            #expect(!first.replayed)
            #expect(again.replayed)
            #expect(again.scan == first.scan)
            #expect(again.jobs == first.jobs)
            // The replayed answer shows the product and lot too (the log keeps no resolution).
            #expect(again.resolution?.product?.article == "PAINT-5L" && again.resolution?.scan.lot == "LOT9")
            let other = await station.scan(code, id: "handheld-7/0002")
            #expect(!other.replayed)
            #expect(try await dock.spool.jobs(printer: dock.printer.name).count == 2)
            // The same id twice at once: one acts, the other gets its answer, neither is refused.
            let code3 = "(01)\(Dock.paintGTIN)(17)\(yymmdd(today.adding(days: 200)))(10)LOT10(30)4"
            async let one = station.scan(code3, id: "handheld-7/0003")
            async let two = station.scan(code3, id: "handheld-7/0003")
            let (a, b) = await (one, two)
            #expect(a.verdict == .ok && b.verdict == .ok && a.scan == b.scan && a.replayed != b.replayed, "\(a) \(b)")
            #expect(try await dock.spool.jobs(printer: dock.printer.name).count == 3)
        }
    }

    /// A database locked by another process answers the scan once the busy timeout has passed,
    /// with a reason that says so, and does not wait as long again to log the refusal (the scan
    /// log could not take it either): nothing is written.
    @Test func aScanOnALockedDatabaseIsRefusedOnceAndUnlogged() async throws {
        try await withDock(.sqlite) { dock in
            let waiter = try await Registry(store: try await SQLiteStore(path: dock.database.location, busyTimeoutMilliseconds: 200),
                                            clock: { todayInstant })
            let station = try await Station(StationConfiguration(name: "dock-2", kind: .receiving, warehouse: "MAIN", supplier: "ACME"),
                                            registry: waiter, spool: try await Spool(store: waiter.store))
            let (locked, signal) = AsyncStream.makeStream(of: Void.self)
            let (released, release) = AsyncStream.makeStream(of: Void.self)
            async let held: Void = dock.registry.store.write { db in
                try await db.raw("INSERT INTO warehouses (code, name) VALUES ('HOLDER', '')").run()
                signal.yield()
                for await _ in released { break }
            }
            for await _ in locked { break }
            let outcome = await station.scan("(01)\(Dock.paintGTIN)(17)\(yymmdd(today.adding(days: 200)))(10)LOCKED1(30)4")
            release.yield()
            try await held
            #expect(outcome.verdict == .block && outcome.reasons.map(\.code) == ["database-locked"], "\(outcome)")
            #expect(outcome.scan == nil)
            let logged = try await waiter.store.read { db in
                try await db.raw("SELECT COUNT(*) AS n FROM station_scans WHERE station = 'dock-2'").first()!.decode(column: "n", as: Int.self)
            }
            #expect(logged == 0)
            await waiter.close()
        }
    }

    /// A look-up station resolves and shows; it changes nothing but the scan log.
    @Test(arguments: Backend.available)
    func aLookUpStationOnlyLooks(backend: Backend) async throws {
        try await withDock(backend) { dock in
            _ = try await dock.registry.receive(Receipt(warehouse: "MAIN", supplier: "ACME", lines: [
                StockLine(product: "PAINT-5L", picks: [.init(number: "LOT1", quantity: 3, expiry: today.adding(days: 10))]),
            ]))
            let station = try await dock.station("look-1", kind: .lookup, template: nil)
            let soon = await station.scan("(01)\(Dock.paintGTIN)(10)LOT1")
            #expect(soon.verdict == .warn)
            #expect(soon.reasons.map(\.code) == ["expires-soon"])
            #expect(soon.resolution?.lotSerial?.number == "LOT1")
            #expect(await station.scan("(01)\(Dock.paintGTIN)(10)NOPE").verdict == .block)
            #expect(await station.scan("TM:DONE").reasons.map(\.code) == ["no-open-task"])
            let tasks = try await dock.registry.store.read { db in
                try await db.raw("SELECT COUNT(*) AS n FROM station_tasks").first()?.decode(column: "n", as: Int.self)
            }
            #expect(tasks == 0)
            #expect(try await dock.spool.jobs(printer: dock.printer.name).isEmpty)
        }
    }

    /// A statement the database refuses (a table gone, as in the middle of a restore) is said in
    /// the database's words, not the driver's placeholder ("PSQLError – Generic description").
    @Test(arguments: Backend.available.filter { $0 == .postgres })
    func aDatabaseErrorIsSaidInTheDatabasesWords(backend: Backend) async throws {
        try await withDock(backend) { dock in
            let station = try await dock.station()
            try await dock.registry.store.write { db in try await db.raw("ALTER TABLE station_tasks RENAME TO station_tasks_away").run() }
            let scan = await station.scan("(01)\(Dock.paintGTIN)(17)\(yymmdd(today.adding(days: 200)))(10)GONE(30)1")
            try await dock.registry.store.write { db in try await db.raw("ALTER TABLE station_tasks_away RENAME TO station_tasks").run() }
            #expect(scan.verdict == .block && scan.reasons.first?.code == "database-refused", "\(scan)")
            let message = scan.reasons.first?.message ?? ""
            #expect(message.contains("PostgreSQL refused a statement") && message.contains("station_tasks") && !message.contains("Generic description"),
                    "\(message)")
        }
    }

    /// A restore under a running service keeps who holds each station and each printer's lease
    /// as they are: the backup's expired claims let a standing-by process take the stations
    /// while the one running them went on (found by a QA run).
    @Test func aRestoreKeepsWhoHoldsTheStationsAndPrinters() async throws {
        try await withDock(.sqlite) { dock in
            _ = try await dock.station()
            let store = dock.registry.store
            @Sendable func claims() async throws -> [String] {
                try await store.read { db in
                    try await db.raw("SELECT station, holder, claimed_until FROM station_claims ORDER BY station").all().map {
                        "\(try $0.decode(column: "station", as: String.self)) \(try $0.decode(column: "holder", as: String.self)) \(try $0.decode(column: "claimed_until", as: Int64.self))"
                    }
                }
            }
            try await store.write { db in
                try await db.raw("DELETE FROM station_claims").run()
                try await db.raw("INSERT INTO station_claims (station, holder, claimed_until) VALUES ('dock-1', 'pid 1 on before', 0)").run()
                try await db.raw("UPDATE printers SET worker = 'pid 1 on before', lease_epoch = 3, lease_expires = 0").run()
            }
            let backup = dock.database.folder.appendingPathComponent("claims.backup").path
            try await (try #require(store as? SQLiteStore)).backup(to: backup)
            try await store.write { db in
                try await db.raw("UPDATE station_claims SET holder = 'pid 2 on now', claimed_until = 4102444800000").run()
                try await db.raw("UPDATE printers SET worker = 'pid 2 on now', lease_epoch = 7, lease_expires = 4102444800000").run()
            }
            _ = try await dock.registry.restore(from: backup)
            #expect(try await claims() == ["dock-1 pid 2 on now 4102444800000"])
            let lease = try await store.read { db in
                try await db.raw("SELECT worker, lease_epoch FROM printers WHERE name = 'dock-label'").first().map {
                    "\(try $0.decode(column: "worker", as: String?.self) ?? "-") \(try $0.decode(column: "lease_epoch", as: Int64.self))"
                }
            }
            #expect(lease == "pid 2 on now 7")
        }
    }

    /// What must change with a restore's rows changes in its transaction (`tracemark restore`
    /// renews the spool's database id so): it sees the backup's rows, and when it fails nothing is
    /// restored. Done after the restore's commit, a live service read the backup's logs with the
    /// old id in between, and its event feed numbered the scans after as the database before
    /// (seen once in CI).
    @Test func aRestoreRunsWhatMustChangeWithItsRowsInItsTransaction() async throws {
        struct Refused: Error {}
        try await withDock(.sqlite) { dock in
            let store = dock.registry.store
            @Sendable func id(_ db: any SQLDatabase) async throws -> String? {
                try await db.raw("SELECT value FROM spool_settings WHERE name = 'database_id'").first()?.decode(column: "value", as: String.self)
            }
            try await store.write { db in try await db.raw("UPDATE spool_settings SET value = 'before' WHERE name = 'database_id'").run() }
            let backup = dock.database.folder.appendingPathComponent("id.backup").path
            try await (try #require(store as? SQLiteStore)).backup(to: backup)
            try await store.write { db in try await db.raw("UPDATE spool_settings SET value = 'now' WHERE name = 'database_id'").run() }

            await #expect(throws: Refused.self) { _ = try await dock.registry.restore(from: backup, inside: { _ in throw Refused() }) }
            #expect(try await store.read(id) == "now")
            _ = try await dock.registry.restore(from: backup, inside: { db in
                guard try await id(db) == "before" else { throw Refused() }
                try await db.raw("UPDATE spool_settings SET value = 'renewed' WHERE name = 'database_id'").run()
            })
            #expect(try await store.read(id) == "renewed")
        }
    }

    /// A pallet of one item with its GS1 logistics label ((00) SSCC, (02) the goods' GTIN, (37)
    /// their count) is received as those goods, counted by (37); the log keeps the label as read.
    @Test(arguments: Backend.available)
    func aPalletLabelOfOneItemIsReceivedAsItsGoods(backend: Backend) async throws {
        try await withDock(backend) { dock in
            let station = try await dock.station()
            let expiry = today.adding(days: 300)
            let raw = "(00)309501100000000012(02)\(Dock.paintGTIN)(37)12(17)\(yymmdd(expiry))(10)CASE1"
            let pallet = await station.scan(raw)
            #expect(pallet.verdict == .ok && pallet.action == "added-to-receipt" && pallet.jobs.count == 1, "\(pallet)")
            let logged = try await dock.registry.store.read { db in
                try await db.raw("SELECT raw FROM station_scans WHERE id = \(bind: try #require(pallet.scan))").first()?.decode(column: "raw", as: Data.self)
            }
            #expect(logged.map { String(decoding: $0, as: UTF8.self) } == raw)
            #expect(await station.scan("TM:DONE").action == "receipt-posted")
            let stock = try await dock.registry.stock(product: "PAINT-5L", warehouse: "MAIN").first { $0.number == "CASE1" }
            #expect(stock?.quantity == 12 && stock?.expiry == expiry, "\(String(describing: stock))")
        }
    }

    /// Lines the receipt could never post are refused at the scan (a count of 0, a lot already
    /// on it with another expiry), and a known lot's label without a date takes the registry's
    /// expiry rather than being refused as missing one (found by a QA run).
    @Test(arguments: Backend.available)
    func linesThatCouldNeverPostAreRefusedAtTheScan(backend: Backend) async throws {
        try await withDock(backend) { dock in
            let station = try await dock.station()
            let (soon, late) = (today.adding(days: 300), today.adding(days: 600))
            let zero = await station.scan("(01)\(Dock.paintGTIN)(17)\(yymmdd(soon))(10)ZERO1(30)0")
            #expect(zero.verdict == .block && zero.reasons.map(\.code) == ["quantity-not-counted"] && zero.jobs.isEmpty, "\(zero)")
            // TM:QTY cannot mend a label's own count, so the advice is not to scan it.
            #expect(zero.next.contains("the label's own (30)/(37), which TM:QTY does not change"), "\(zero.next)")
            #expect(await station.scan("(01)\(Dock.paintGTIN)(17)\(yymmdd(soon))(10)TWIN1(30)1").verdict == .ok)
            let twin = await station.scan("(01)\(Dock.paintGTIN)(17)\(yymmdd(late))(10)TWIN1(30)1")
            #expect(twin.verdict == .block && twin.reasons.map(\.code) == ["expiry-mismatch"] && twin.jobs.isEmpty, "\(twin)")
            _ = try await dock.registry.receive(Receipt(warehouse: "MAIN", supplier: "ACME", lines: [
                StockLine(product: "PAINT-5L", picks: [.init(number: "KNOWN1", quantity: 1, expiry: late)])]))
            let undated = await station.scan("(01)\(Dock.paintGTIN)(10)KNOWN1(30)2")
            #expect(undated.verdict == .ok && undated.jobs.count == 1, "\(undated)")
            // A new lot without a date, of a class that keeps expiry dates: said so, not blamed
            // on the label's template.
            let unknown = await station.scan("(01)\(Dock.paintGTIN)(10)NEWNOEXP(30)2")
            #expect(unknown.verdict == .block && unknown.reasons.map(\.code) == ["expiry-missing"] && unknown.jobs.isEmpty, "\(unknown)")
            #expect(unknown.reasons.first?.message.contains("PAINT-5L lot NEWNOEXP has no expiry date: class PAINT keeps one") == true, "\(unknown.reasons)")
            let label = try await BarcodeOracle.texts(try await dock.spool.job(undated.jobs[0]).payload, extension: "zpl")
            #expect(label.contains { $0.contains("(17)\(yymmdd(late))(10)KNOWN1") }, "\(label)")
            let done = await station.scan("TM:DONE")
            #expect(done.action == "receipt-posted", "\(done)")
        }
    }

    /// The shipped control sheet drives a station: what an independent reader decodes from it
    /// sets the quantity, cancels and completes, as the codes say.
    @Test func theControlSheetDrivesAStation() async throws {
        try await withDock(.sqlite) { dock in
            let station = try await dock.station()
            let template = try TemplateLoader().load(contentsOf: Repository.templates.appendingPathComponent("control-sheet-100x150.yaml"))
            let zpl = try LabelRendering.render(template, .object(["station": .string("dock-1")]), language: .zpl)
            let codes = try await BarcodeOracle.texts(zpl, extension: "zpl", gs1Only: false)
            #expect(Set(codes) == ["TM:DONE", "TM:CANCEL", "TM:UNDO", "TM:QTY:1", "TM:QTY:6", "TM:QTY:12"])
            let expiry = today.adding(days: 400)
            #expect(await station.scan("TM:QTY:12").action == "quantity-set")
            let abandoned = await station.scan("(01)\(Dock.paintGTIN)(17)\(yymmdd(expiry))(10)SHEET-1")
            #expect(abandoned.verdict == .ok && abandoned.jobs.count == 1)
            #expect(await station.scan("TM:CANCEL").action == "task-cancelled")
            // The abandoned line's label, not printed yet, is not printed for goods never received.
            for job in abandoned.jobs { #expect(try await dock.spool.job(job).state == .cancelled) }
            #expect(await station.scan("TM:QTY:6").action == "quantity-set")
            #expect(await station.scan("(01)\(Dock.paintGTIN)(17)\(yymmdd(expiry))(10)SHEET-2").verdict == .ok)
            #expect(await station.scan("(01)\(Dock.paintGTIN)(17)\(yymmdd(expiry))(10)SHEET-3").verdict == .ok)
            #expect(await station.scan("TM:UNDO").action == "line-removed")
            #expect(await station.scan("TM:DONE").action == "receipt-posted")
            let stock = try await dock.registry.stock(product: "PAINT-5L", warehouse: "MAIN")
            #expect(stock.map(\.number) == ["SHEET-2"])
            #expect(stock.first?.quantity == 6)
        }
    }

    /// A station taken over by a process whose configuration defines it otherwise (another kind,
    /// another warehouse) does not carry on the open task it finds: carried on, a receipt was
    /// posted as an issue, or into the other warehouse. Only TM:CANCEL is taken until it is gone.
    @Test(arguments: Backend.available)
    func anOpenTaskOfAnotherDefinitionOfTheStationIsNotCarriedOn(backend: Backend) async throws {
        try await withDock(backend) { dock in
            _ = try await dock.registry.addWarehouse(Warehouse(code: "SHOP"))
            let receiving = try await dock.station("xs")
            await receiving.setHeldHere(true)
            let added = await receiving.scan("(01)\(Dock.paintGTIN)(17)\(yymmdd(today.adding(days: 200)))(10)XS-1(30)2")
            #expect(added.action == "added-to-receipt", "\(added)")

            // The same station, now defined as picking, or as receiving into another warehouse.
            for configuration in [StationConfiguration(name: "xs", kind: .picking, warehouse: "MAIN"),
                                  StationConfiguration(name: "xs", kind: .receiving, warehouse: "SHOP", supplier: "ACME")] {
                let other = try await Station(configuration, registry: dock.registry, spool: dock.spool)
                await other.setHeldHere(true)
                let done = await other.scan("TM:DONE")
                #expect(done.verdict == .block && done.reasons.map(\.code) == ["task-of-another-definition"], "\(done)")
                #expect(done.reasons.first?.message.contains(configuration.kind == .picking ? "it is a receipt, and this station is picking"
                                                                                           : "it is in warehouse MAIN, and this station in SHOP") == true,
                        "\(done.reasons)")
                let label = await other.scan("(01)\(Dock.paintGTIN)(17)\(yymmdd(today.adding(days: 200)))(10)XS-2(30)1")
                #expect(label.verdict == .block && label.reasons.map(\.code) == ["task-of-another-definition"])
            }
            #expect(try await dock.registry.stock(product: "PAINT-5L", warehouse: "MAIN").isEmpty)
            #expect(try await dock.registry.stock(product: "PAINT-5L", warehouse: "SHOP").isEmpty)

            // Cancelled there, the station works as it is now defined.
            let picking = try await Station(StationConfiguration(name: "xs", kind: .picking, warehouse: "MAIN"), registry: dock.registry, spool: dock.spool)
            await picking.setHeldHere(true)
            #expect(await picking.scan("TM:CANCEL").action == "task-cancelled")
            let pick = await picking.scan("TM:PICK:SHOP-CUSTOMER")
            #expect(!pick.reasons.map(\.code).contains("task-of-another-definition"), "\(pick)")
        }
    }
}
