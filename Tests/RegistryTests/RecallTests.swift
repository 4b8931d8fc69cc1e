import Foundation
import GS1
import Registry
import Testing

/// Traceability and recall across two production levels and a split: the trace both ways, and a
/// recall that blocks every affected lot still in stock and lists every customer who holds some.
@Suite struct RecallTests {
    /// Milk lot M1 becomes cheese C1; part of C1 is split off into a new lot; pizza P1 is made from
    /// the split lot, pizza P2 from C1 and from cheese C2 (made from an unaffected milk lot M2).
    /// Some of each goes to customers.
    func scenario(_ registry: Registry) async throws -> String {
        _ = try await registry.addPartner(Partner(code: "DAIRY", name: "Dairy Co", role: .supplier))
        _ = try await registry.addPartner(Partner(code: "DELI", name: "Deli Shop", role: .customer, contact: "Ann Berg",
                                                  email: "ann@deli.example", phone: "+46 8 123 456"))
        _ = try await registry.addProduct(Product(article: "CHEESE", unit: "kg", lotSerialClass: "FOOD"))
        _ = try await registry.addProduct(Product(article: "PIZZA", lotSerialClass: "FOOD"))
        _ = try await registry.receive(Receipt(warehouse: "MAIN", supplier: "ACME", lines: [
            StockLine(product: "MILK", picks: [lot("M1", 100, expires: 300)]),
        ], header: header(0)))
        _ = try await registry.receive(Receipt(warehouse: "MAIN", supplier: "DAIRY", lines: [
            StockLine(product: "MILK", picks: [lot("M2", 100, expires: 300)]),
        ], header: header(0)))
        _ = try await registry.produce(Production(warehouse: "MAIN", inputs: [
            StockLine(product: "MILK", picks: [.init(number: "M1", quantity: 40)]),
        ], outputs: [StockLine(product: "CHEESE", picks: [lot("C1", 10, expires: 200)])], header: header(1)))
        _ = try await registry.produce(Production(warehouse: "MAIN", inputs: [
            StockLine(product: "MILK", picks: [.init(number: "M2", quantity: 40)]),
        ], outputs: [StockLine(product: "CHEESE", picks: [lot("C2", 10, expires: 200)])], header: header(1)))
        let (_, child) = try await registry.split(product: "CHEESE", lot: "C1", warehouse: "MAIN", quantity: 4, newNumber: "C1-B",
                                                  header: header(2))
        _ = try await registry.produce(Production(warehouse: "MAIN", inputs: [
            StockLine(product: "CHEESE", picks: [.init(number: child, quantity: 2)]),
        ], outputs: [StockLine(product: "PIZZA", picks: [lot("P1", 20, expires: 30)])], header: header(3)))
        _ = try await registry.produce(Production(warehouse: "MAIN", inputs: [
            StockLine(product: "CHEESE", picks: [.init(number: "C1", quantity: 3)]),
            StockLine(product: "CHEESE", picks: [.init(number: "C2", quantity: 3)]),
        ], outputs: [StockLine(product: "PIZZA", picks: [lot("P2", 20, expires: 30)])], header: header(3)))
        _ = try await registry.issue(Issue(warehouse: "MAIN", customer: "DELI", lines: [
            StockLine(product: "CHEESE", picks: [.init(number: "C1", quantity: 2)]),
            StockLine(product: "PIZZA", picks: [.init(number: "P2", quantity: 20)]),
        ], header: header(4)))
        _ = try await registry.issue(Issue(warehouse: "MAIN", customer: "ANY", lines: [
            StockLine(product: "PIZZA", picks: [.init(number: "P1", quantity: 5)]),
            StockLine(product: "CHEESE", picks: [.init(number: "C2", quantity: 1)]),
        ], header: header(4)))
        return child
    }

    @Test(arguments: Backend.available)
    func aTraceFollowsProductionAndSplitsToTheCustomersAndBackToTheSuppliers(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, _ in
            _ = try await scenario(registry)
            let forward = try await registry.trace(product: "MILK", number: "M1", direction: .forward)
            #expect(forward.count == 5)
            #expect(forward.partners == ["DELI", "ANY"].sorted())
            #expect(forward.text == """
                MILK lot M1 [available] expires 2027-09-19
                └─ CHEESE lot C1 [available] expires 2027-06-11 (via PRD-000001: 40 l M1 → 10 kg C1)
                   │  to DELI (Deli Shop): 2 kg in ISS-000001 on 2026-11-27 at MAIN
                   ├─ PIZZA lot P2 [shipped] expires 2026-12-23 (via PRD-000004: 3 kg C1 → 20 pcs P2)
                   │     to DELI (Deli Shop): 20 pcs in ISS-000001 on 2026-11-27 at MAIN
                   └─ CHEESE lot C1-B [available] expires 2027-06-11 (split)
                      └─ PIZZA lot P1 [available] expires 2026-12-23 (via PRD-000003: 2 kg C1-B → 20 pcs P1)
                            to ANY: 5 pcs in ISS-000002 on 2026-11-27 at MAIN
                """, "\(forward.text)")
            let backward = try await registry.trace(product: "PIZZA", number: "P2", direction: .backward)
            #expect(backward.partners == ["ACME", "DAIRY"])
            #expect(backward.root.children.map(\.number) == ["C1", "C2"])
            // Each input with what the production consumed of it and made of the lot above (a
            // recall drill asks how much, not only which; found by a QA run).
            #expect(backward.root.children.map { "\($0.number) \($0.consumed ?? -1) \($0.unit) → \($0.made ?? -1)" } == ["C1 3 kg → 20", "C2 3 kg → 20"])
            // Each amount says its unit: the input's and the output's, whichever way the walk goes
            // (forward, a pizza lot's `unit` is pcs and what it consumed was kilograms of cheese).
            #expect(backward.root.children.map { "\($0.consumedUnit ?? "-") \($0.madeUnit ?? "-")" } == ["kg pcs", "kg pcs"])
            let pizzas = try #require(forward.root.children.first).children.filter { $0.via == "PRD-000004" }
            #expect(pizzas.map { "\($0.number) \($0.consumed ?? -1) \($0.consumedUnit ?? "-") → \($0.made ?? -1) \($0.madeUnit ?? "-")" } == ["P2 3 kg → 20 pcs"])
            #expect(forward.root.consumedUnit == nil && forward.root.children.first { $0.via == "split" }?.consumedUnit == nil)
            #expect(backward.text.contains("CHEESE lot C2 [available] expires 2027-06-11 (via PRD-000004: 3 kg C2 → 20 pcs P2)"), "\(backward.text)")
            #expect(backward.text.contains("MILK lot M2 [available] expires 2027-09-19 (via PRD-000002: 40 l M2 → 10 kg C2)"), "\(backward.text)")
            #expect(backward.dot.contains("\"CHEESE C2\" -> \"PIZZA P2\" [label=\"PRD-000004\\n3 kg → 20 pcs\"]"), "\(backward.dot)")
            #expect(backward.root.children.flatMap { $0.children.map(\.number) } == ["M1", "M2"])
            // A depth limit says where it cut the tree.
            let shallow = try await registry.trace(product: "MILK", number: "M1", direction: .forward, depth: 1)
            #expect(shallow.root.children.map(\.number) == ["C1"])
            #expect(shallow.root.children[0].cutOff && shallow.root.children[0].children.isEmpty)
            // DOT names every lot once and draws the customers as boxes.
            #expect(forward.dot.contains("\"PIZZA P1\" -> \"partner ANY\""))
            #expect(forward.dot.components(separatedBy: "[label=\"CHEESE\\nlot C1\\n").count == 2)
            await expectRefusal(.notFound, "product MILK has no lot or serial NONE") {
                _ = try await registry.trace(product: "MILK", number: "NONE", direction: .forward)
            }
        }
    }

    @Test(arguments: Backend.available)
    func aRecallBlocksEveryAffectedLotInStockAndListsEveryCustomer(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, _ in
            let child = try await scenario(registry)
            let recall = try await registry.openRecall(product: "MILK", numbers: ["M1"], reason: "supplier reports listeria", user: "qa")
            #expect(recall.state == .open)
            #expect(Set(recall.lots.map { "\($0.product) \($0.number) \($0.seed ? "seed" : String($0.depth))" })
                    == ["MILK M1 seed", "CHEESE C1 1", "CHEESE \(child) 2", "PIZZA P2 2", "PIZZA P1 3"])

            let hold = try await registry.holdRecall(recall.id, user: "qa")
            let (held, blocked) = (hold.recall, hold.blocked)
            #expect(held.state == .held && held.heldBy == "qa")
            // P2 went to the customer whole: nothing of it is left to block. The unaffected lots are untouched.
            #expect(Set(blocked.map(\.number)) == ["M1", "C1", child, "P1"])
            for number in ["M1", "C1", child, "P1"] {
                let product = number.hasPrefix("M") ? "MILK" : number.hasPrefix("P") ? "PIZZA" : "CHEESE"
                #expect(try await registry.lotSerial(product: product, number: number)?.status == .blocked, "\(number)")
            }
            #expect(try await registry.lotSerial(product: "PIZZA", number: "P2")?.status == .shipped)
            #expect(try await registry.lotSerial(product: "MILK", number: "M2")?.status == .available)
            #expect(try await registry.lotSerial(product: "CHEESE", number: "C2")?.status == .available)
            // Holding again blocks nothing more.
            #expect(try await registry.holdRecall(recall.id, user: "qa").blocked.isEmpty)

            let report = try await registry.recallReport(recall.id)
            #expect(report.exposure.map { "\($0.customer ?? "-") \($0.document) \($0.product) \($0.number) \($0.quantity)" } == [
                "ANY ISS-000002 PIZZA P1 5", "DELI ISS-000001 CHEESE C1 2", "DELI ISS-000001 PIZZA P2 20",
            ])
            #expect(report.exposure.last?.contact == "Ann Berg" && report.exposure.last?.phone == "+46 8 123 456")
            #expect(report.stock.map { "\($0.warehouse) \($0.product) \($0.number ?? "") \($0.quantity)" } == [
                "MAIN CHEESE C1 1", "MAIN CHEESE \(child) 2", "MAIN MILK M1 60", "MAIN PIZZA P1 15",
            ])
            #expect(report.exposureCSV.hasPrefix("customer,name,contact,phone,email,document,date,product,number,quantity,unit\r\nANY,"))
            #expect(report.exposureCSV.contains("DELI,Deli Shop,Ann Berg,'+46 8 123 456,ann@deli.example,ISS-000001,2026-11-27,PIZZA,P2,20,pcs\r\n"))

            // The recall is in each affected lot's history: opened, held (the block names it), closed.
            let closed = try await registry.closeRecall(recall.id, note: "all stock destroyed, customers called", user: "qa")
            #expect(closed.state == .closed)
            let history = try await registry.history(product: "CHEESE", number: "C1")
            #expect(history.entries.filter { $0.what == "recall" }.map { $0.override ?? "" } == ["opened", "held", "closed"])
            #expect(history.entries.contains { $0.what == "status" && $0.note == "recall \(recall.id): supplier reports listeria" })
            await expectRefusal(.conflict, "recall \(recall.id) is closed") { _ = try await registry.holdRecall(recall.id, user: "qa") }
            await expectRefusal(.invalidInput, "a recall needs its reason") {
                _ = try await registry.openRecall(product: "MILK", numbers: ["M2"], reason: " ", user: "qa")
            }
            await expectRefusal(.notFound, "product MILK has no lot or serial M9") {
                _ = try await registry.openRecall(product: "MILK", numbers: ["M2", "M9"], reason: "x", user: "qa")
            }
            #expect(try await registry.recalls().map(\.id) == [recall.id])
        }
    }
}

/// The expiry report: in stock per warehouse, at customers, and today taken from the clock at
/// each call, so that a lot is expired exactly from the midnight after its expiry date.
@Suite struct ExpiryReportTests {
    @Test(arguments: Backend.available)
    func theExpiredSetChangesExactlyAtMidnight(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, database in
            _ = try await registry.receive(Receipt(warehouse: "MAIN", supplier: "ACME", lines: [
                StockLine(product: "MILK", picks: [lot("E-1", 10, expires: 10), lot("E-2", 10, expires: 11), lot("E-9", 10, expires: 90)]),
            ], header: header(0)))
            _ = try await registry.transfer(Transfer(from: "MAIN", to: "EAST", lines: [
                StockLine(product: "MILK", picks: [.init(number: "E-2", quantity: 4)]),
            ], header: header(1)))
            _ = try await registry.issue(Issue(warehouse: "MAIN", customer: "ANY", lines: [
                StockLine(product: "MILK", picks: [.init(number: "E-1", quantity: 3)]),
            ], header: header(2)))
            // The last minute of E-1's expiry date, and the first of the next day (UTC).
            let expiry = day0.adding(days: 10)
            let midnight = Date(timeIntervalSince1970: TimeInterval(expiry.daysSinceEpoch + 1) * 86_400)
            let before = try await Registry(store: try await database.openStore(), clock: { midnight.addingTimeInterval(-60) })
            let after = try await Registry(store: try await database.openStore(), clock: { midnight.addingTimeInterval(60) })
            defer { Task { await before.close(); await after.close() } }

            let lastMinute = try await before.expiryReport(within: 1, includeSold: true)
            #expect(lastMinute.today == expiry)
            #expect(lastMinute.stock.map { "\($0.number) \($0.warehouse) \($0.quantity) \($0.daysLeft) \($0.expired)" } == [
                "E-1 MAIN 7 0 false", "E-2 EAST 4 1 false", "E-2 MAIN 6 1 false",
            ])
            #expect(lastMinute.sold?.map { "\($0.customer ?? "-") \($0.number) \($0.quantity) \($0.expired)" } == ["ANY E-1 3 false"])
            let firstMinute = try await after.expiryReport(within: 1, includeSold: true)
            #expect(firstMinute.stock.filter(\.expired).map(\.number) == ["E-1"])
            #expect(firstMinute.stock.first?.daysLeft == -1)
            #expect(firstMinute.sold?.first?.expired == true)
            // One warehouse; nothing beyond the window; the CSV keeps negative days as numbers.
            #expect(try await after.expiryReport(within: 1, warehouse: "EAST").stock.map(\.number) == ["E-2"])
            #expect(try await after.expiryReport(within: 0).stock.map(\.number) == ["E-1", "E-2", "E-2"])
            #expect(firstMinute.csv.contains("stock,MILK,E-1,MAIN,,7,l,available,\(expiry),-1,\r\n"), "\(firstMinute.csv)")
            await expectRefusal(.notFound, "warehouse NOWHERE does not exist") { _ = try await after.expiryReport(within: 1, warehouse: "NOWHERE") }
        }
    }
}

extension RecallTests {
    /// Between a recall's opening and its hold, stock may go on moving (split, or by a supervisor's
    /// override): a lot split off the recalled one, a product made from it, and what was sold of
    /// them join the recall (its hold blocks
    /// them, its exposure lists their customers); and a recalled serial that a customer returns
    /// after the hold comes back blocked, so that it is neither sold again nor passed at a scan.
    @Test(arguments: Backend.available)
    func aRecallFollowsWhatIsMadeFromItsLotsAndBlocksWhatComesBack(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, _ in
            _ = try await registry.addProduct(Product(article: "CHEESE", unit: "kg", lotSerialClass: "FOOD"))
            _ = try await registry.receive(Receipt(warehouse: "MAIN", supplier: "ACME", lines: [
                StockLine(product: "MILK", picks: [lot("M1", 100, expires: 300)]), .serials("PHONE", ["K-1"]),
            ], header: header(0)))
            _ = try await registry.issue(Issue(warehouse: "MAIN", customer: "ANY", lines: [.serials("PHONE", ["K-1"])], header: header(1)))
            let recall = try await registry.openRecall(product: "MILK", numbers: ["M1"], reason: "listeria", user: "qa")
            let phones = try await registry.openRecall(product: "PHONE", numbers: ["K-1"], reason: "faulty", user: "qa")

            let (_, child) = try await registry.split(product: "MILK", lot: "M1", warehouse: "MAIN", quantity: 7, newNumber: "M1-B", header: header(2))
            _ = try await registry.issue(Issue(warehouse: "MAIN", customer: "ANY", lines: [StockLine(product: "MILK", picks: [.init(number: child, quantity: 4)])],
                                               allowRecalled: true, header: header(2)))
            _ = try await registry.produce(Production(warehouse: "MAIN", inputs: [StockLine(product: "MILK", picks: [.init(number: "M1", quantity: 10)])],
                                                      outputs: [StockLine(product: "CHEESE", picks: [lot("CK-2", 2, expires: 100)])],
                                                      allowRecalled: true, header: header(2)))
            _ = try await registry.issue(Issue(warehouse: "MAIN", customer: "SHOP", lines: [StockLine(product: "CHEESE", picks: [.init(number: "CK-2", quantity: 1)])],
                                               allowRecalled: true, header: header(2)))

            // In the trace's graph, what came back points from the customer to the lot, as a receipt does.
            _ = try await registry.returnFromCustomer(CustomerReturn(warehouse: "MAIN", customer: "SHOP", lines: [
                StockLine(product: "CHEESE", picks: [.init(number: "CK-2", quantity: 1)]),
            ], header: header(2)))
            let dot = try await registry.trace(product: "CHEESE", number: "CK-2", direction: .forward).dot
            #expect(dot.contains("\"CHEESE CK-2\" -> \"partner SHOP\" [label=\"ISS-") && dot.contains("\"partner SHOP\" -> \"CHEESE CK-2\" [label=\"RET-"),
                    "\(dot)")
            let affected = try await registry.recall(recall.id).lots.map { "\($0.product) \($0.number) \($0.depth)" }
            // A split is one step from its parent, as a trace counts it, whether made before the
            // recall was opened or after.
            #expect(Set(affected) == ["MILK M1 0", "MILK M1-B 1", "CHEESE CK-2 1"], "\(affected)")
            // CK-2 was made after the recall opened: its history has it join the recall when it
            // was made, not an opening before the lot existed.
            let made = try await registry.history(product: "CHEESE", number: "CK-2").entries
            let joined = try #require(made.firstIndex { $0.what == "recall" })
            #expect(made[joined].override == "joined" && made[joined].note.contains("made from a lot under recall \(recall.id)"), "\(made)")
            #expect(made.firstIndex { $0.what == "production" }.map { $0 < joined } == true, "\(made.map(\.what))")
            let hold = try await registry.holdRecall(recall.id, user: "qa")
            #expect(Set(hold.blocked.map(\.number)) == ["M1", "M1-B", "CK-2"])  // CK-2: the returned kilogram is in stock
            let report = try await registry.recallReport(recall.id)
            #expect(Set(report.exposure.map { "\($0.customer ?? "-") \($0.number) \($0.quantity)" }) == ["ANY M1-B 4", "SHOP CK-2 1", "SHOP CK-2 -1"],
                    "\(report.exposure)")
            // Who still holds some: SHOP sent its cheese back, ANY keeps its milk.
            #expect(report.holdings.map { "\($0.customer ?? "-") \($0.number) \($0.quantity)" } == ["ANY M1-B 4"], "\(report.holdings)")

            _ = try await registry.holdRecall(phones.id, user: "qa")
            _ = try await registry.returnFromCustomer(CustomerReturn(warehouse: "MAIN", customer: "ANY", lines: [.serials("PHONE", ["K-1"])], header: header(3)))
            let back = try #require(try await registry.lotSerial(product: "PHONE", number: "K-1"))
            #expect(back.status == .blocked)
            let history = try await registry.history(product: "PHONE", number: "K-1")
            #expect(history.entries.contains { $0.what == "status" && $0.note.contains("recall \(phones.id): faulty") }, "\(history.entries)")
            await expectRefusal(.recalled, "serial K-1 of PHONE is blocked by recall \(phones.id) (held)") {
                _ = try await registry.issue(Issue(warehouse: "MAIN", customer: "SHOP", lines: [.serials("PHONE", ["K-1"])], header: header(4)))
            }
            // Written off, then received again (a write-off corrected, a unit bought back): a held
            // recall still covers it, so it arrives blocked, never available to ship.
            _ = try await registry.writeOff(WriteOff(warehouse: "MAIN", reason: .damaged, lines: [.serials("PHONE", ["K-1"])], header: header(4)))
            _ = try await registry.receive(Receipt(warehouse: "MAIN", supplier: "ACME", lines: [.serials("PHONE", ["K-1"])], header: header(5)))
            #expect(try await registry.lotSerial(product: "PHONE", number: "K-1")?.status == .blocked)
        }
    }

    /// A serial consumed in a production is part of what was made there: it is not received
    /// again, and a production's output is a new unit, never a serial the registry knows.
    @Test(arguments: Backend.available)
    func aConsumedOrKnownSerialIsNoNewUnit(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, _ in
            _ = try await registry.receive(Receipt(warehouse: "MAIN", supplier: "ACME", lines: [.serials("PHONE", ["P-1", "P-2"])], header: header(0)))
            let made = try await registry.produce(Production(warehouse: "MAIN", inputs: [.serials("PHONE", ["P-1"])],
                                                             outputs: [.serials("PHONE", ["P-9"])], header: header(1)))
            await expectRefusal(.conflict, "serial P-1 of PHONE was consumed by \(made.number) and is part of what was made there") {
                _ = try await registry.receive(Receipt(warehouse: "MAIN", supplier: "ACME", lines: [.serials("PHONE", ["P-1"])], header: header(2)))
            }
            _ = try await registry.writeOff(WriteOff(warehouse: "MAIN", reason: .damaged, lines: [.serials("PHONE", ["P-2"])], header: header(2)))
            await expectRefusal(.duplicate, "serial P-2 of PHONE exists already (written-off): a production makes new units") {
                _ = try await registry.produce(Production(warehouse: "MAIN", inputs: [.serials("PHONE", ["P-9"])],
                                                          outputs: [.serials("PHONE", ["P-2"])], header: header(3)))
            }
            #expect(try await registry.lotSerial(product: "PHONE", number: "P-2")?.status == .writtenOff)
        }
    }

    /// Between opening a recall and holding it, its lots are under investigation: the registry
    /// proposes none of them, refuses an issue or a production that names one unless an issue is
    /// overridden (the override recorded), and a scan of one says so; a held recall's blocked lot
    /// names the recall, and its lot already shipped still says it is recalled.
    @Test(arguments: Backend.available)
    func aLotOfAnOpenRecallIsNeitherProposedNorIssuedUnlessOverridden(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, _ in
            let child = try await scenario(registry)
            let recall = try await registry.openRecall(product: "MILK", numbers: ["M1"], reason: "supplier reports listeria", user: "qa")
            let proposal = try await registry.proposal(product: "MILK", warehouse: "MAIN", quantity: 100, date: day0.adding(days: 5))
            #expect(proposal.picks.map(\.number) == ["M2"])
            #expect(proposal.shortfallDescription == "short by 40 l: 60 l under recall (M1)")
            // Stock, the expiry report and the lot itself say so, though M1's status is still available.
            let stock = try await registry.stock(product: "MILK")
            #expect(stock.first { $0.number == "M1" }?.recall == recall.id && stock.first { $0.number == "M2" }?.recall == nil, "\(stock)")
            #expect(try await registry.expiryReport(within: 36_000, product: "MILK").stock.first { $0.number == "M1" }?.recall == recall.id)
            #expect(try await registry.activeRecalls(product: "MILK", number: "M1") == [RecallMark(id: recall.id, state: .open, reason: "supplier reports listeria")])
            #expect(try await registry.activeRecalls(product: "MILK", number: "M2").isEmpty)
            await expectRefusal(.recalled, "lot M1 of MILK is under recall \(recall.id) (open): it must not move until the recall is closed, unless a supervisor overrides it") {
                _ = try await registry.issue(Issue(warehouse: "MAIN", customer: "ANY", lines: [
                    StockLine(product: "MILK", picks: [.init(number: "M1", quantity: 1)]),
                ], header: header(5)))
            }
            await expectRefusal(.recalled, "lot M1 of MILK is under recall \(recall.id) (open)") {
                _ = try await registry.produce(Production(warehouse: "MAIN", inputs: [
                    StockLine(product: "MILK", picks: [.init(number: "M1", quantity: 1)]),
                ], outputs: [StockLine(product: "CHEESE", picks: [lot("C9", 1, expires: 200)])], header: header(5)))
            }
            // An issue that lets the registry choose takes the other lot; one that names M1 needs the override.
            let chosen = try await registry.issue(Issue(warehouse: "MAIN", customer: "ANY", lines: [StockLine(product: "MILK", quantity: 10)],
                                                        header: header(5)))
            #expect(chosen.movements.map { $0.number } == ["M2"])
            let overridden = try await registry.issue(Issue(warehouse: "MAIN", customer: "ANY", lines: [
                StockLine(product: "MILK", picks: [.init(number: "M1", quantity: 1)]),
            ], allowRecalled: true, header: header(5)))
            #expect(overridden.movements.map { $0.override } == ["under recall \(recall.id) (open)"])

            let options = ResolveOptions(expiryWarningDays: 30, date: day0.adding(days: 5))
            let open = try await registry.resolve("M1", options: options)
            #expect(open.warnings.first?.kind == .recalled)
            #expect(open.warnings.first?.message == "lot M1 of MILK is under recall \(recall.id), open (supplier reports listeria): do not use or ship it, put it aside until the recall is closed")
            // The lot to take first is never one under the recall.
            _ = try await registry.receive(Receipt(warehouse: "MAIN", supplier: "ACME", lines: [
                StockLine(product: "MILK", picks: [lot("M3", 10, expires: 400)]),
            ], header: header(5)))
            let later = try await registry.resolve("M3", options: options)
            #expect(later.warnings.filter { $0.kind == .betterLotAvailable }.map(\.message).allSatisfy { $0.hasPrefix("lot M2 ") })
            #expect(later.warnings.contains { $0.kind == .betterLotAvailable })

            _ = try await registry.holdRecall(recall.id, user: "qa")
            let held = try await registry.resolve("C1", options: options)
            let heldKinds: [ResolutionWarning.Kind] = held.warnings.map(\.kind).filter { [.blocked, .recalled].contains($0) }
            #expect(heldKinds == [.blocked])
            #expect(held.warnings.first?.message == "lot C1 of CHEESE is blocked by recall \(recall.id) (supplier reports listeria): do not use or ship it, put it aside")
            let shipped = try await registry.resolve("P2", options: options)
            #expect(shipped.warnings.contains(ResolutionWarning(.recalled, "lot P2 of PIZZA is in recall \(recall.id), held (supplier reports listeria): do not use or ship it, put it aside")))

            await expectRefusal(.recalled, "lot C1 of CHEESE is blocked by recall \(recall.id) (held): it cannot be issued") {
                _ = try await registry.issue(Issue(warehouse: "MAIN", customer: "ANY", lines: [
                    StockLine(product: "CHEESE", picks: [.init(number: "C1", quantity: 1)]),
                ], allowRecalled: true, header: header(5)))
            }
            // Released from the block by hand while its recall is held: still under the recall until it is closed.
            _ = try await registry.changeStatus(product: "CHEESE", number: "C1", to: .available, user: "qa", reason: "tested clean")
            let released = try await registry.proposal(product: "CHEESE", warehouse: "MAIN", quantity: 1, date: day0.adding(days: 5))
            #expect(!released.picks.contains { $0.number == "C1" })
            await expectRefusal(.recalled, "lot C1 of CHEESE is under recall \(recall.id) (held)") {
                _ = try await registry.issue(Issue(warehouse: "MAIN", customer: "ANY", lines: [
                    StockLine(product: "CHEESE", picks: [.init(number: "C1", quantity: 1)]),
                ], header: header(5)))
            }
            #expect(try await registry.resolve("C1", options: options).warnings.first?.kind == .recalled)

            _ = try await registry.closeRecall(recall.id, note: "destroyed", user: "qa")
            #expect(try await registry.proposal(product: "CHEESE", warehouse: "MAIN", quantity: 1, date: day0.adding(days: 5)).picks.map(\.number) == ["C1"])
            #expect(!(try await registry.resolve("P2", options: options)).warnings.contains { $0.kind == .recalled })
            _ = child
        }
    }

    /// A lot blocked by a recall stays blocked once that recall is closed; another recall, open
    /// and never held, did not block it. A refusal named the open one as the block's cause and
    /// the scan the closed one (found by a QA run): it says the block's own reason, and the open
    /// recall beside it.
    @Test(arguments: Backend.available)
    func aBlockOutlivingItsClosedRecallIsNotBlamedOnAnotherOpenRecall(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, _ in
            _ = try await registry.receive(Receipt(warehouse: "MAIN", supplier: "ACME", lines: [StockLine(product: "MILK", picks: [lot("E10", 50, expires: 300)])],
                                                   header: header(0)))
            let first = try await registry.openRecall(product: "MILK", numbers: ["E10"], reason: "first report", user: "qa")
            _ = try await registry.holdRecall(first.id, user: "qa")
            let second = try await registry.openRecall(product: "MILK", numbers: ["E10"], reason: "second report", user: "qa")
            await expectRefusal(.recalled, "lot E10 of MILK is blocked by recall \(first.id) (held): it cannot be issued") {
                _ = try await registry.issue(Issue(warehouse: "MAIN", customer: "ANY", lines: [StockLine(product: "MILK", picks: [.init(number: "E10", quantity: 1)])],
                                                   allowRecalled: true, header: header(1)))
            }
            _ = try await registry.closeRecall(first.id, note: "supplier cleared it", user: "qa")
            await expectRefusal(.recalled,
                "lot E10 of MILK is blocked (recall \(first.id): first report): it cannot be issued until it is released (status --set available); it is also under recall \(second.id) (open)") {
                _ = try await registry.issue(Issue(warehouse: "MAIN", customer: "ANY", lines: [StockLine(product: "MILK", picks: [.init(number: "E10", quantity: 1)])],
                                                   allowRecalled: true, header: header(1)))
            }
        }
    }
    /// An edge through a production counts what the input lines the output was made of consumed:
    /// a lot on two input lines, each for another output, was counted whole on both edges (found
    /// by a QA run); an input line shared by two outputs says so.
    @Test(arguments: Backend.available)
    func aTraceCountsWhatEachOutputsInputLinesConsumed(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, _ in
            _ = try await registry.addProduct(Product(article: "CAKE", lotSerialClass: "FOOD"))
            _ = try await registry.receive(Receipt(warehouse: "MAIN", supplier: "ACME", lines: [
                StockLine(product: "MILK", picks: [lot("TF-1", 50, expires: 300), lot("TS-1", 50, expires: 300)]),
            ], header: header(0)))
            var cakeA = StockLine(product: "CAKE", picks: [lot("TC-A", 10, expires: 100)])
            cakeA.inputs = [0, 2]
            var cakeB = StockLine(product: "CAKE", picks: [lot("TC-B", 6, expires: 100)])
            cakeB.inputs = [1, 2]
            _ = try await registry.produce(Production(warehouse: "MAIN", inputs: [
                StockLine(product: "MILK", picks: [.init(number: "TF-1", quantity: 3)]),
                StockLine(product: "MILK", picks: [.init(number: "TF-1", quantity: 2)]),
                StockLine(product: "MILK", picks: [.init(number: "TS-1", quantity: 4)]),
            ], outputs: [cakeA, cakeB], header: header(1)))
            let flour = try await registry.trace(product: "MILK", number: "TF-1", direction: .forward)
            #expect(flour.root.children.map { "\($0.number) \($0.consumed ?? -1) \($0.shared ?? true) \($0.made ?? -1)" } == ["TC-A 3 false 10", "TC-B 2 false 6"])
            let sugar = try await registry.trace(product: "MILK", number: "TS-1", direction: .forward)
            #expect(sugar.root.children.map { "\($0.number) \($0.consumed ?? -1) \($0.shared ?? false)" } == ["TC-A 4 true", "TC-B 4 true"])
            #expect(sugar.text.contains("(via PRD-000001: 4 l TS-1, shared with other outputs → 10 pcs TC-A)"), "\(sugar.text)")
            let back = try await registry.trace(product: "CAKE", number: "TC-B", direction: .backward)
            #expect(back.root.children.map { "\($0.number) \($0.consumed ?? -1)" }.sorted() == ["TF-1 2", "TS-1 4"])
            #expect(sugar.dot.contains("PRD-000001\\n4 l (shared) → 10 pcs"), "\(sugar.dot)")
            // One output lot on two output lines, each of other inputs: each edge counts what its
            // input's lines made (it counted both lines' 5; a QA run).
            var twoA = StockLine(product: "CAKE", picks: [lot("K5", 2, expires: 100)])
            twoA.inputs = [0]
            var twoB = StockLine(product: "CAKE", picks: [lot("K5", 3, expires: 100)])
            twoB.inputs = [1]
            _ = try await registry.produce(Production(warehouse: "MAIN", inputs: [
                StockLine(product: "MILK", picks: [.init(number: "TF-1", quantity: 1)]),
                StockLine(product: "MILK", picks: [.init(number: "TS-1", quantity: 1)]),
            ], outputs: [twoA, twoB], header: header(2)))
            let k5 = try await registry.trace(product: "CAKE", number: "K5", direction: .backward)
            #expect(k5.root.children.map { "\($0.number) \($0.consumed ?? -1) → \($0.made ?? -1)" }.sorted() == ["TF-1 1 → 2", "TS-1 1 → 3"])
            await expectRefusal(.invalidInput, "outputs[0].inputs[0]: 2 is not an input: there are 2 inputs (inputs[0] to inputs[1])") {
                var wrong = StockLine(product: "CAKE", picks: [lot("K6", 1, expires: 100)])
                wrong.inputs = [2]
                _ = try await registry.produce(Production(warehouse: "MAIN", inputs: [
                    StockLine(product: "MILK", picks: [.init(number: "TF-1", quantity: 1)]),
                    StockLine(product: "MILK", picks: [.init(number: "TS-1", quantity: 1)]),
                ], outputs: [wrong], header: header(2)))
            }
        }
    }

    /// An issue that named no customer still took the goods out: the recall's deliveries and
    /// holdings, the forward trace and the expiry report's sold list show it, without a customer.
    /// They left it out (a join on the partner), and the kilogram that left was accounted for
    /// nowhere but in the lot's history (found by a QA run).
    @Test(arguments: Backend.available)
    func goodsIssuedWithoutACustomerStayOnTheRecallAndTheTrace(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, _ in
            _ = try await registry.receive(Receipt(warehouse: "MAIN", supplier: "ACME", lines: [
                StockLine(product: "MILK", picks: [lot("NC-1", 5, expires: 300)]),
            ], header: header(0)))
            let issued = try await registry.issue(Issue(warehouse: "MAIN", customer: nil, lines: [
                StockLine(product: "MILK", picks: [.init(number: "NC-1", quantity: 1)]),
            ], header: header(1)))
            let recall = try await registry.openRecall(product: "MILK", numbers: ["NC-1"], reason: "mould", user: "qa")
            let report = try await registry.recallReport(recall.id)
            #expect(report.exposure.map { "\($0.customer ?? "none") \($0.document) \($0.quantity)" } == ["none \(issued.number) 1"])
            #expect(report.holdings.map { "\($0.customer ?? "none") \($0.number) \($0.quantity)" } == ["none NC-1 1"])
            #expect(report.exposureCSV.contains("\r\n,(no customer recorded on the issue),"), "\(report.exposureCSV)")
            let trace = try await registry.trace(product: "MILK", number: "NC-1", direction: .forward)
            #expect(trace.root.parties.map { "\($0.what) \($0.partner ?? "none") \($0.quantity)" } == ["issue none 1"])
            #expect(trace.partners.isEmpty)
            #expect(trace.text.contains("to (no customer recorded): 1 l in \(issued.number)"), "\(trace.text)")
            #expect(trace.dot.contains("(no customer recorded)"), "\(trace.dot)")
            let expiry = try await registry.expiryReport(within: 36_000, warehouse: nil, product: "MILK", includeSold: true)
            #expect(expiry.sold?.map { "\($0.customer ?? "none") \($0.number) \($0.quantity)" } == ["none NC-1 1"])
        }
    }
}
