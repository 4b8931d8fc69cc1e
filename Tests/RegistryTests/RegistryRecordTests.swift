import Foundation
import GS1
import Registry
import Testing

/// The registry keeps what it did visible: voided numbers, every production line, assignments,
/// and the order of receipts by their document dates.
@Suite struct RegistryRecordTests {
    @Test(arguments: Backend.available)
    func aVoidedNumberStaysVisibleAsVoidedWithWhoWhenAndWhy(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, _ in
            _ = try await registry.updateProduct(Product(article: "PHONE", gtin: try GTIN("09501101530003"), lotSerialClass: "SN"))
            let generated = try await registry.generate(product: "PHONE", count: 3)
            #expect(generated.numbers == ["SN00001", "SN00002", "SN00003"])
            try await registry.retire(product: "PHONE", number: "SN00002", reason: "label damaged", user: "eva")
            // Typed numbers never registered are recorded as voided too.
            try await registry.retire(product: "PHONE", number: "OLD-7", reason: "pre-printed label lost", user: "eva")

            let voided = try #require(try await registry.lotSerial(product: "PHONE", number: "SN00002"))
            #expect(voided.status == .voided)
            let history = try await registry.history(product: "PHONE", number: "SN00002")
            #expect(history.entries.map { "\($0.what) \($0.override ?? "") \($0.user) \($0.note)" } == [
                "status available → voided eva label damaged",
            ])
            #expect(try await registry.lotSerial(product: "PHONE", number: "OLD-7")?.status == .voided)

            // The series ledger counts it as voided, and still accounts for every number once.
            let audit = try await registry.audit(series: "CLASS-SN")
            #expect((audit.issued, audit.voided, audit.isComplete) == (2, 1, true))
            #expect(try await registry.ledger(series: "CLASS-SN").map(\.kind) == [.issued, .retired])

            // A scan of it, GS1 or plain, says it was voided; it is never taken again.
            for code in ["SN00002", "(01)09501101530003(21)SN00002"] {
                let resolution = try await registry.resolve(code)
                #expect(resolution.subject == .serial, "\(code)")
                #expect(resolution.has(.retiredNumber), "\(code)")
            }
            await expectRefusal(.numberRetired, "SN00002 of product PHONE was voided") {
                _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [.serials("PHONE", ["SN00002"])], header: header()))
            }
            await expectRefusal(.conflict, "SN00002 of PHONE is voided") {
                _ = try await registry.changeStatus(product: "PHONE", number: "SN00002", to: .available, user: "eva", reason: "oops")
            }
        }
    }

    @Test(arguments: Backend.available)
    func madeFromAndUsedInListEveryLineWithItsQuantity(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, _ in
            _ = try await registry.addClass(LotSerialClass(code: "KIT", tracking: .serial, format: "KIT{counter:4}"))
            _ = try await registry.addProduct(Product(article: "KIT", lotSerialClass: "KIT"))
            _ = try await registry.addProduct(Product(article: "LEAFLET"))
            _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [
                StockLine(product: "MILK", picks: [lot("M-1", 10, expires: 100)]), .serials("PHONE", ["P-1"]),
                StockLine(product: "BOLT", quantity: 50),
            ], header: header()))
            _ = try await registry.produce(Production(warehouse: "MAIN", inputs: [
                StockLine(product: "BOLT", quantity: 4), StockLine(product: "MILK", picks: [lot("M-1", 2, expires: 100)]),
                .serials("PHONE", ["P-1"]),
            ], outputs: [StockLine(product: "KIT", quantity: 1), StockLine(product: "LEAFLET", quantity: 3)], header: header(1)))

            let kit = try await registry.history(product: "KIT", number: "KIT0001")
            #expect(kit.madeFrom.map { "\($0.quantity) \($0.unit) \($0.product) \($0.number ?? "-") \($0.document)" } == [
                "4 pcs BOLT - PRD-000001", "2 l MILK M-1 PRD-000001", "1 pcs PHONE P-1 PRD-000001",
            ])
            let milk = try await registry.history(product: "MILK", number: "M-1")
            #expect(milk.usedIn.map { "\($0.quantity) \($0.unit) \($0.product) \($0.number ?? "-")" } == ["1 pcs KIT KIT0001", "3 pcs LEAFLET -"])
        }
    }

    @Test(arguments: Backend.available)
    func anUnknownSerialsIssueShowsItsAssignmentAsSuch(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, _ in
            _ = try await registry.addProduct(Product(article: "RADIO", lotSerialClass: "SN", allowsUnknownSerials: true))
            _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [StockLine(product: "RADIO", quantity: 5)], header: header()))
            _ = try await registry.issue(Issue(warehouse: "MAIN", customer: "ANY", lines: [.serials("RADIO", ["FOUND-1"])], header: header(1)))
            let history = try await registry.history(product: "RADIO", number: "FOUND-1")
            #expect(history.entries.map { "\($0.what) \($0.document ?? "") \($0.quantity ?? 0)" } == [
                "assigned ISS-000001 1", "issue ISS-000001 -1",
            ])
        }
    }

    @Test(arguments: Backend.available)
    func fifoFollowsTheReceiptsDocumentDate(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, _ in
            _ = try await registry.addClass(LotSerialClass(code: "FIFO", tracking: .lot, issueMethod: .fifo))
            _ = try await registry.addProduct(Product(article: "FLOUR", unit: "kg", lotSerialClass: "FIFO"))
            // Posted first but dated later; then a back-dated receipt; then two of one day.
            for (number, day) in [("NEW", 5), ("OLD", 1), ("SAME-A", 3), ("SAME-B", 3)] {
                _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [
                    StockLine(product: "FLOUR", picks: [.init(number: number, quantity: 10)]),
                ], header: header(day)))
            }
            let proposal = try await registry.proposal(product: "FLOUR", warehouse: "MAIN", quantity: 40, date: day0.adding(days: 6))
            #expect(proposal.picks.map(\.number) == ["OLD", "SAME-A", "SAME-B", "NEW"])
            #expect(proposal.picks.first?.received == day0.adding(days: 1).description)
            let issue = try await registry.issue(Issue(warehouse: "MAIN", customer: "ANY", lines: [StockLine(product: "FLOUR", quantity: 15)],
                                                       header: header(6)))
            #expect(issue.movements.compactMap(\.number) == ["OLD", "SAME-A"])
            // A scan of the newest says an older one should go first: the document date decides.
            let resolution = try await registry.resolve("NEW", options: ResolveOptions(warehouse: "MAIN", date: day0.adding(days: 6)))
            #expect(resolution.has(.betterLotAvailable))
        }
    }

    @Test(arguments: Backend.available)
    func aShortProposalSaysByHowMuchAndWhy(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, _ in
            _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [StockLine(product: "MILK", picks: [
                lot("OK-1", 4, expires: 90), lot("OK-2", 3, expires: 80), lot("OLD", 2, expires: 1), lot("SOON", 5, expires: 20),
                lot("QUA", 1, expires: 90),
            ])], header: header()))
            _ = try await registry.receive(Receipt(warehouse: "EAST", lines: [StockLine(product: "MILK", picks: [lot("E-1", 6, expires: 90)])],
                                                   header: header()))
            _ = try await registry.changeStatus(product: "MILK", number: "QUA", to: .quarantined, user: "qa", reason: "lab")
            // Ten days on, for a customer who needs 60 days, with OK-2 already picked elsewhere.
            let proposal = try await registry.proposal(product: "MILK", warehouse: "MAIN", quantity: 15, date: day0.adding(days: 10),
                                                       customer: "SHOP", excluding: ["OK-2"])
            #expect(proposal.picks.map(\.number) == ["OK-1"])
            #expect(proposal.shortfall == 11)
            #expect(proposal.withheld.map { "\($0.reason.rawValue) \($0.warehouse) \($0.quantity) \($0.numbers)" } == [
                "expired MAIN 2 [\"OLD\"]", "quarantined MAIN 1 [\"QUA\"]", "short-shelf-life MAIN 5 [\"SOON\"]",
                "excluded MAIN 3 [\"OK-2\"]", "other-warehouse EAST 6 [\"E-1\"]",
            ])
            #expect(proposal.shortfallDescription?.hasPrefix("short by 11 l: 2 l expired (OLD); 1 l quarantined (QUA);") == true)
            // Enough stock: no shortfall, and nothing is read about the rest.
            let enough = try await registry.proposal(product: "MILK", warehouse: "MAIN", quantity: 4, date: day0.adding(days: 10), customer: "SHOP")
            #expect((enough.shortfall, enough.withheld.isEmpty) == (0, true))
        }
    }

    /// A number attribute in a JSON line may be a JSON number as well as text: it was refused as
    /// "expected text" (found by a QA run). A text attribute stays text.
    @Test func aNumberAttributeMayBeAJSONNumber() throws {
        let decoder = JSONDecoder()
        for json in [#"{"type": "number", "value": 12.5}"#, #"{"type": "number", "value": "12.5"}"#] {
            #expect(try decoder.decode(Attribute.Value.self, from: Data(json.utf8)) == .number(Decimal(string: "12.5")!), "\(json)")
        }
        #expect(throws: DecodingError.self) { try decoder.decode(Attribute.Value.self, from: Data(#"{"type": "text", "value": 5}"#.utf8)) }
    }

    @Test(arguments: Backend.available)
    func stockReceivedWithoutNumbersIsNumberedInPlace(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, _ in
            // The class generates at most 3 numbers per receipt: 2 of the 5 stay without a number.
            let receipt = try await registry.receive(Receipt(warehouse: "MAIN", lines: [StockLine(product: "PHONE", quantity: 5)], header: header()))
            #expect(receipt.movements.compactMap(\.number) == ["SN00001", "SN00002", "SN00003"])
            let assigned = try await registry.assign(product: "PHONE", warehouse: "MAIN", count: 1, header: header(1))
            #expect(assigned.kind == .assignment && assigned.number == "ASG-000001")
            #expect(assigned.movements.map { "\($0.number ?? "-") \($0.quantity)" } == ["- -1", "SN00004 1"])
            // A serial of a unit the registry knows elsewhere (sold, written off) is not given to
            // stock without a number: that made a second unit of one serial, and the customer's
            // could not come back (found by a QA run).
            _ = try await registry.issue(Issue(warehouse: "MAIN", customer: "ANY", lines: [StockLine(product: "PHONE", picks: [.init(number: "SN00001")])],
                                               header: header(1)))
            await expectRefusal(.duplicate, "serial SN00001 of PHONE is a unit the registry knows already (shipped)") {
                _ = try await registry.assign(product: "PHONE", warehouse: "MAIN", numbers: ["SN00001"], header: header(1))
            }
            _ = try await registry.assign(product: "PHONE", warehouse: "MAIN", numbers: ["IMEI-77"], header: header(1))
            #expect(try await registry.stock(product: "PHONE").map { $0.number ?? "-" } == ["IMEI-77", "SN00002", "SN00003", "SN00004"])
            await expectRefusal(.conflict, "PHONE in MAIN has no stock without a number") {
                _ = try await registry.assign(product: "PHONE", warehouse: "MAIN", count: 1)
            }
            await expectRefusal(.invalidInput, "give either a count or the numbers") {
                _ = try await registry.assign(product: "PHONE", warehouse: "MAIN")
            }
            // A lot class that numbers on use: one lot takes the quantity asked, the rest waits.
            _ = try await registry.addClass(LotSerialClass(code: "BULK", tracking: .lot, assignment: .use, format: "B{counter:3}"))
            _ = try await registry.addProduct(Product(article: "SAND", unit: "kg", lotSerialClass: "BULK"))
            _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [StockLine(product: "SAND", quantity: 10)], header: header()))
            _ = try await registry.assign(product: "SAND", warehouse: "MAIN", count: 1, quantity: 4, header: header(2))
            #expect(try await registry.stock(product: "SAND").map { "\($0.number ?? "-") \($0.quantity)" } == ["B001 4", "- 6"])
            await expectRefusal(.conflict, "SAND in MAIN has 6 kg without a number, not the 7 to number") {
                _ = try await registry.assign(product: "SAND", warehouse: "MAIN", count: 1, quantity: 7)
            }

            // The assignment is a document anyone can read back with its lines.
            let document = try await registry.document("ASG-000001")
            #expect((document.kind, document.warehouse, document.user, document.date) == (.assignment, "MAIN", "anna", day0.adding(days: 1)))
            #expect(document.movements.map { "\($0.line) \($0.product) \($0.number ?? "-") \($0.quantity) \($0.unit)" } == [
                "1 PHONE - -1 pcs", "1 PHONE SN00004 1 pcs",
            ])
            let first = try await registry.document(" RCT-000001")
            #expect(first.movements.count == 4)
            await expectRefusal(.notFound, "there is no document RCT-999999") { _ = try await registry.document("RCT-999999") }
        }
    }
}
