import Foundation
import GS1
import Labels
import Printing
import Registry
import SQLKit
import Stations
import Store
import Testing

@Suite struct PickingStationTests {
    /// Stock to pick from: two lots of paint expiring 100 and 200 days from now, a quarantined
    /// one, and two pumps; a customer without a shelf-life rule and one that takes 150 days.
    func stock(_ dock: Dock) async throws {
        _ = try await dock.registry.addPartner(Partner(code: "ANY", role: .customer))
        _ = try await dock.registry.addPartner(Partner(code: "SHOP", role: .customer, minimumShelfLifeDays: 150))
        _ = try await dock.registry.receive(Receipt(warehouse: "MAIN", supplier: "ACME", lines: [
            StockLine(product: "PAINT-5L", picks: [.init(number: "LOT-A", quantity: 10, expiry: today.adding(days: 100))]),
            StockLine(product: "PAINT-5L", picks: [.init(number: "LOT-B", quantity: 10, expiry: today.adding(days: 200))]),
            StockLine(product: "PAINT-5L", picks: [.init(number: "LOT-Q", quantity: 5, expiry: today.adding(days: 300))]),
            .serials("PUMP-200", ["P-1", "P-2"]),
        ]))
        _ = try await dock.registry.changeStatus(product: "PAINT-5L", number: "LOT-Q", to: .quarantined, user: "qa", reason: "test")
    }

    func paint(_ lot: String, quantity: Int? = nil) -> String {
        "(01)\(Dock.paintGTIN)(10)\(lot)" + (quantity.map { "(30)\($0)" } ?? "")
    }

    /// TM:DONE refused because the stock went meanwhile (another station issued it) posts
    /// nothing, and says so: the operator puts it right and scans TM:DONE again, not the items.
    @Test(arguments: Backend.available)
    func aRefusedDoneSaysNothingWasPostedAndWhatToScan(backend: Backend) async throws {
        try await withDock(backend) { dock in
            try await stock(dock)
            let station = try await dock.station("pick-1", kind: .picking, template: nil)
            #expect(await station.scan("TM:PICK:ANY").action == "issue-opened")
            #expect(await station.scan(paint("LOT-A", quantity: 8)).verdict == .ok)
            _ = try await dock.registry.issue(Issue(warehouse: "MAIN", customer: "ANY", lines: [
                StockLine(product: "PAINT-5L", picks: [.init(number: "LOT-A", quantity: 5)]),
            ]))
            let done = await station.scan("TM:DONE")
            #expect(done.verdict == .block && done.action != "issue-posted", "\(done)")
            #expect(done.next == "nothing was posted: put right what the reason says, then scan TM:DONE again", "\(done.next)")
            #expect(try await station.state().task?.lines.count == 1)
            let left = try await dock.registry.stock(product: "PAINT-5L", warehouse: "MAIN").first { $0.number == "LOT-A" }?.quantity
            #expect(left == 5)
        }
    }

    /// A lot label whose lot is in its second GS1-128 (a long lot) is picked from its two scans;
    /// the first alone names the product, and the answer says to scan the other barcode.
    @Test(arguments: Backend.available)
    func aLotInTheLabelsSecondBarcodeIsPickedFromBothScans(backend: Backend) async throws {
        try await withDock(backend) { dock in
            try await stock(dock)
            let station = try await dock.station("pick-1", kind: .picking, template: nil)
            #expect(await station.scan("TM:PICK:ANY").action == "issue-opened")
            let expiry = yymmdd(today.adding(days: 100))
            let first = await station.scan("(01)\(Dock.paintGTIN)(17)\(expiry)")
            #expect(first.verdict == .block && first.reasons.map(\.code) == ["lot-missing"], "\(first)")
            #expect(first.next.contains("other barcode"), "\(first.next)")
            let second = await station.scan("(10)LOT-A")
            #expect(second.verdict == .ok && second.action == "added-to-issue", "\(second)")
            #expect(try await station.state().task?.lines.map(\.number) == ["LOT-A"])
        }
    }

    /// An order picked with a scanner: each scan checked against what may go to the customer, a
    /// lot that is not the first to go confirmed with a reason, `TM:DONE` posting the issue.
    @Test(arguments: Backend.available)
    func anOrderIsPickedCheckedConfirmedAndPosted(backend: Backend) async throws {
        try await withDock(backend) { dock in
            try await stock(dock)
            let station = try await dock.station("pick-1", kind: .picking, template: nil)
            #expect(await station.scan(paint("LOT-A")).reasons.map(\.code) == ["no-open-issue"])
            #expect(await station.scan("TM:PICK:NOPE").reasons.map(\.code) == ["unknown-customer"])
            #expect(await station.scan("TM:PICK:ACME").reasons.map(\.message) == ["ACME is a supplier, not a customer: goods are picked for customers"])
            // Caps Lock on at the scanner: the one customer whose code reads so is meant.
            #expect(await station.scan("tm:pick:any").action == "issue-opened")
            #expect(try await station.state().task?.partner == "ANY")
            #expect(await station.scan("TM:PICK:ANY").reasons.map(\.code) == ["task-open"])

            let later = await station.scan(paint("LOT-B"))
            #expect(later.verdict == .warn)
            #expect(later.reasons.map(\.code) == ["better-lot-available"])
            #expect(await station.scan("TM:DONE").reasons.map(\.code) == ["confirmation-needed"])
            let confirmed = try await station.confirm(scan: try #require(later.scan), reason: "the customer asked for the later lot", user: "anna")
            #expect(confirmed.action == "confirmed")

            #expect(await station.scan(paint("LOT-A", quantity: 2)).verdict == .ok)
            #expect(await station.scan("(01)\(Dock.pumpGTIN)(21)P-1").verdict == .ok)
            #expect(await station.scan("(01)\(Dock.pumpGTIN)(21)P-1").reasons.map(\.code) == ["serial-on-pick"])
            #expect(await station.scan(paint("LOT-Q")).reasons.map(\.code) == ["quarantined"])
            #expect(await station.scan("(01)\(Dock.pumpGTIN)(21)P-9").verdict == .block)
            // One too many: taken off the pick again.
            #expect(await station.scan(paint("LOT-A")).verdict == .ok)
            let undone = await station.scan("TM:UNDO")
            #expect(undone.action == "line-removed" && undone.next.contains("removed PAINT-5L LOT-A × 1 from the issue"), "\(undone)")
            let quantity = await station.scan("TM:QTY:50")
            #expect(quantity.action == "quantity-set" && quantity.next == "scan the item: it is picked as 50", "\(quantity)")
            #expect(await station.scan(paint("LOT-A")).reasons.map(\.code) == ["not-enough-stock"])

            let done = await station.scan("TM:DONE")
            #expect(done.action == "issue-posted", "\(done.reasons)")
            let stock = try await dock.registry.stock(product: "PAINT-5L", warehouse: "MAIN")
            let left = Dictionary(uniqueKeysWithValues: stock.compactMap { b in b.number.map { ($0, b.quantity) } })
            #expect(left["LOT-A"] == 8)
            #expect(left["LOT-B"] == 9)
            #expect(try await dock.registry.stock(product: "PUMP-200", warehouse: "MAIN").compactMap(\.number) == ["P-2"])
            let history = try await dock.registry.history(product: "PAINT-5L", number: "LOT-B")
            #expect(history.entries.contains { $0.document == done.document })
            let confirmation = try await dock.registry.store.read { db in
                try await db.raw("SELECT confirmation FROM station_task_lines WHERE number = 'LOT-B'").first()?
                    .decode(column: "confirmation", as: String?.self)
            }
            #expect(confirmation == "better-lot-available confirmed by anna: the customer asked for the later lot")
        }
    }

    /// A customer's minimum shelf life is checked at the scan, not only when the issue posts.
    @Test(arguments: Backend.available)
    func goodsBelowTheCustomersShelfLifeAreBlocked(backend: Backend) async throws {
        try await withDock(backend) { dock in
            try await stock(dock)
            let station = try await dock.station("pick-2", kind: .picking, template: nil)
            #expect(await station.scan("TM:PICK:SHOP").action == "issue-opened")
            let short = await station.scan(paint("LOT-A"))
            #expect(short.reasons.map(\.code) == ["below-shelf-life"])
            #expect(short.reasons.first?.message.contains("SHOP takes at least 150") == true)
            // An expired lot is refused as expired, not as having -5 days of shelf life left.
            _ = try await dock.registry.receive(Receipt(warehouse: "MAIN", supplier: "ACME", lines: [
                StockLine(product: "PAINT-5L", picks: [.init(number: "LOT-X", quantity: 1, expiry: today.adding(days: -5))])], acceptExpired: true))
            let expired = await station.scan(paint("LOT-X"))
            #expect(expired.verdict == .block && !expired.reasons.map(\.code).contains("below-shelf-life"), "\(expired.reasons)")
            #expect(!expired.reasons.contains { $0.message.contains("-5 days") }, "\(expired.reasons)")
            // LOT-A expires sooner, but SHOP would refuse it: for SHOP, LOT-B is the first to go.
            let longer = await station.scan(paint("LOT-B"))
            #expect(longer.verdict == .ok, "\(longer.reasons)")
            #expect(await station.scan("TM:CANCEL").action == "task-cancelled")
            #expect(try await dock.registry.stock(product: "PAINT-5L", warehouse: "MAIN").first { $0.number == "LOT-B" }?.quantity == 10)
        }
    }

    /// A lot of a recall that is open (not yet held, so still available) is refused at the scan,
    /// and is no better lot to take first: the next lot by expiry picks without a warning.
    @Test(arguments: Backend.available)
    func aLotOfAnOpenRecallIsRefusedAtTheScan(backend: Backend) async throws {
        try await withDock(backend) { dock in
            try await stock(dock)
            let recall = try await dock.registry.openRecall(product: "PAINT-5L", numbers: ["LOT-A"], reason: "wrong pigment", user: "qa")
            let station = try await dock.station("pick-3", kind: .picking, template: nil)
            #expect(await station.scan("TM:PICK:ANY").action == "issue-opened")
            let recalled = await station.scan(paint("LOT-A"))
            #expect(recalled.verdict == .block)
            #expect(recalled.reasons.map(\.code) == ["recalled"])
            #expect(recalled.reasons.first?.message.contains("under recall \(recall.id), open (wrong pigment)") == true, "\(recalled.reasons)")
            let next = await station.scan(paint("LOT-B"))
            #expect(next.verdict == .ok, "\(next.reasons)")
        }
    }

    /// A picking station with a pallet label: each posted issue takes the next SSCC of the series
    /// in its transaction and queues the label; a pallet of one lot carries its content and lot,
    /// a mixed one the SSCC alone. An independent reader reads what was queued.
    @Test(arguments: Backend.available)
    func aPostedIssuePrintsItsSSCCPalletLabel(backend: Backend) async throws {
        try await withDock(backend) { dock in
            try await stock(dock)
            _ = try await dock.registry.addPartner(Partner(code: "BIG", name: "Big Shop, Dock 4", role: .customer))
            _ = try await dock.registry.addSeries(NumberSeries(code: "SSCC", format: "{counter}", start: 41, purpose: .document))
            func template(_ name: String) throws -> Template {
                try TemplateLoader().load(contentsOf: Repository.templates.appendingPathComponent("\(name).yaml"))
            }
            let pallet = StationConfiguration.PalletLabel(series: "SSCC", companyPrefix: "0950110", extensionDigit: 3, sender: "Nordic Fluids AB",
                                                          template: try template("pallet-sscc-100x150"),
                                                          mixedTemplate: try template("pallet-sscc-mixed-100x150"))
            let station = try await Station(StationConfiguration(name: "pick-9", kind: .picking, warehouse: "MAIN", printer: dock.printer.name,
                                                                 palletLabel: pallet),
                                            registry: dock.registry, spool: dock.spool)
            #expect(await station.scan("TM:PICK:BIG").action == "issue-opened")
            #expect(await station.scan(paint("LOT-A", quantity: 4)).verdict == .ok)
            let single = await station.scan("TM:DONE")
            #expect(single.action == "issue-posted", "\(single.reasons)")
            let first = try await dock.spool.job(try #require(single.jobs.first))
            let expiry = yymmdd(today.adding(days: 100))
            // 3 + 0950110 + 000000041, and its check digit.
            #expect(Set(try await BarcodeOracle.texts(first.payload, extension: "zpl"))
                    == ["(00)309501100000000418", "(02)\(Dock.paintGTIN)(17)\(expiry)(37)4(10)LOT-A"])
            #expect(single.next.contains("309501100000000418"))

            #expect(await station.scan("TM:PICK:BIG").action == "issue-opened")
            #expect(await station.scan(paint("LOT-A")).verdict == .ok)
            #expect(await station.scan("(01)\(Dock.pumpGTIN)(21)P-1").verdict == .ok)
            let mixed = await station.scan("TM:DONE")
            #expect(mixed.action == "issue-posted", "\(mixed.reasons)")
            let second = try await dock.spool.job(try #require(mixed.jobs.first))
            #expect(try await BarcodeOracle.texts(second.payload, extension: "zpl") == ["(00)309501100000000425"])
            // Both numbers are accounted for in the series, each with its issue.
            let ledger = try await dock.registry.ledger(series: "SSCC")
            #expect(ledger.count == 2)
            #expect(try await dock.registry.audit(series: "SSCC").gaps.isEmpty)
        }
    }
}
