import Foundation
import GS1
import Registry
import Testing

@Suite struct DocumentScenarioTests {
    /// A lot from receipt through transfer, production into a serialised kit, and sale: its history,
    /// and the kit's, read back every step with document numbers and partners.
    @Test(arguments: Backend.available)
    func aLotIsTracedFromReceiptThroughProductionIntoAKitAndItsSale(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, _ in
            _ = try await registry.addClass(LotSerialClass(code: "KIT", tracking: .serial, format: "KIT{counter:4}"))
            _ = try await registry.addProduct(Product(article: "FIRST-AID-KIT", lotSerialClass: "KIT"))
            _ = try await registry.receive(Receipt(warehouse: "MAIN", supplier: "ACME", lines: [
                StockLine(product: "MILK", picks: [lot("SUP-42", 10, expires: 100)]),
                .serials("PHONE", ["IMEI-1", "IMEI-2"]),
            ], header: header(0, user: "dock")))
            _ = try await registry.transfer(Transfer(from: "MAIN", to: "EAST", lines: [
                StockLine(product: "MILK", quantity: 4), .serials("PHONE", ["IMEI-1"]),
            ], header: header(1, user: "forklift")))
            let production = try await registry.produce(Production(warehouse: "EAST", inputs: [
                StockLine(product: "MILK", quantity: 2), .serials("PHONE", ["IMEI-1"]),
            ], outputs: [StockLine(product: "FIRST-AID-KIT", quantity: 1)], header: header(2, user: "line 1")))
            let kit = try #require(production.movements.first { $0.product == "FIRST-AID-KIT" }?.number)
            #expect(kit == "KIT0001")
            // An output made already expired is refused as such: no override makes it (the
            // message pointed to --accept-expired, which production does not take).
            await expectRefusal(.conflict, "the expiry \(day0.adding(days: 1)) is before the production date \(day0.adding(days: 2)): goods are not made already expired") {
                _ = try await registry.produce(Production(warehouse: "EAST", inputs: [StockLine(product: "MILK", quantity: 1)],
                                                          outputs: [StockLine(product: "MILK", picks: [lot("MADE-OLD", 1, expires: 1)])],
                                                          header: header(2, user: "line 1")))
            }
            _ = try await registry.issue(Issue(warehouse: "EAST", customer: "ANY", lines: [.serials("FIRST-AID-KIT", [kit])], header: header(3, user: "sales")))

            let milk = try await registry.history(product: "MILK", number: "SUP-42")
            #expect(milk.entries.map { "\($0.what) \($0.document ?? "") \($0.warehouse ?? "") \($0.partner ?? "-") \($0.quantity ?? 0)" } == [
                "receipt RCT-000001 MAIN ACME 10",
                "transfer TRF-000001 MAIN - -4",
                "transfer TRF-000001 EAST - 4",
                "production PRD-000001 EAST - -2",
            ])
            #expect(milk.usedIn.map { "\($0.product) \($0.number ?? "-") \($0.document) \($0.quantity)" } == ["FIRST-AID-KIT KIT0001 PRD-000001 1"])
            #expect(milk.stock.map { "\($0.warehouse) \($0.quantity)" } == ["EAST 2", "MAIN 6"])

            let sold = try await registry.history(product: "FIRST-AID-KIT", number: kit)
            #expect(sold.lotSerial.status == .shipped)
            #expect(sold.entries.map { "\($0.what) \($0.document ?? "") \($0.partner ?? "-") \($0.user)" } == [
                "production PRD-000001 - line 1", "issue ISS-000001 ANY sales",
            ])
            #expect(sold.madeFrom.map { "\($0.quantity) \($0.unit) \($0.product) \($0.number ?? "-")" } == ["2 l MILK SUP-42", "1 pcs PHONE IMEI-1"])
            #expect(try await registry.lotSerial(product: "PHONE", number: "IMEI-1")?.status == .consumed)
        }
    }

    @Test(arguments: Backend.available)
    func productionLinksEachOutputToTheInputsItNames(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, _ in
            _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [.serials("PHONE", ["A", "B"])], header: header()))
            _ = try await registry.addClass(LotSerialClass(code: "BOX", tracking: .serial))
            _ = try await registry.addProduct(Product(article: "BOXED", lotSerialClass: "BOX"))
            _ = try await registry.produce(Production(warehouse: "MAIN", inputs: [.serials("PHONE", ["A"]), .serials("PHONE", ["B"])],
                                                      outputs: [StockLine(product: "BOXED", picks: [.init(number: "BOX-A")], inputs: [0]),
                                                                StockLine(product: "BOXED", picks: [.init(number: "BOX-B")], inputs: [1])],
                                                      header: header()))
            #expect(try await registry.history(product: "BOXED", number: "BOX-A").madeFrom.map(\.number) == ["A"])
            #expect(try await registry.history(product: "PHONE", number: "B").usedIn.map(\.number) == ["BOX-B"])
            await expectRefusal(.notFound, "serial Z of product PHONE was never received") {
                _ = try await registry.produce(Production(warehouse: "MAIN", inputs: [.serials("PHONE", ["Z"])],
                                                          outputs: [StockLine(product: "BOXED", picks: [.init(number: "BOX-Z")])]))
            }
            #expect(try await registry.lotSerial(product: "BOXED", number: "BOX-Z") == nil)
        }
    }
}

/// Stations posting at the same moment, on separate connections.
@Suite struct DocumentConcurrencyTests {
    @Test(arguments: Backend.available)
    func twoStationsCannotBothIssueTheLastUnit(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, database in
            _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [
                .serials("PHONE", ["LAST"]), StockLine(product: "BOLT", quantity: 1)], header: header()))
            let stations = try await (0..<4).asyncMap { _ in try await database.openStation() }
            defer { Task { for station in stations { await station.close() } } }
            for line in [StockLine.serials("PHONE", ["LAST"]), StockLine(product: "BOLT", quantity: 1)] {
                let outcomes = await withTaskGroup(of: Result<PostedDocument, any Error>.self) { group in
                    for station in stations {
                        group.addTask {
                            do { return .success(try await station.issue(Issue(warehouse: "MAIN", lines: [line], header: header()))) }
                            catch { return .failure(error) }
                        }
                    }
                    return await group.reduce(into: []) { $0.append($1) }
                }
                let posted = outcomes.filter { if case .success = $0 { true } else { false } }
                #expect(posted.count == 1)
                for case .failure(let error) in outcomes {
                    let refusal = try #require(error as? RegistryError, "\(error)")
                    #expect(refusal.code == .conflict || refusal.code == .notFound, "\(refusal.message)")
                }
            }
            #expect(try await registry.stock(warehouse: "MAIN").isEmpty)
        }
    }

    @Test(arguments: Backend.available)
    func fiftyReceiptsAtOnceEachGeneratingTenSerialsGiveFiveHundredNumbers(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, database in
            var phone = try await registry.lotSerialClass("SN")
            phone.autoGenerateBatchSize = 10
            _ = try await registry.updateClass(phone)
            let stations = try await (0..<5).asyncMap { _ in try await database.openStation() }
            defer { Task { for station in stations { await station.close() } } }
            let documents = try await withThrowingTaskGroup(of: PostedDocument.self) { group in
                for index in 0..<50 {
                    let station = stations[index % stations.count]
                    group.addTask { try await station.receive(Receipt(warehouse: "MAIN", lines: [StockLine(product: "PHONE", quantity: 10)])) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let numbers = documents.flatMap { $0.movements.compactMap(\.number) }
            #expect(numbers.count == 500)
            #expect(Set(numbers).count == 500)
            #expect(Set(documents.map(\.number)).count == 50)
            #expect(try await registry.audit(series: "RECEIPT").isComplete)
            #expect(try await registry.audit(series: "CLASS-SN").isComplete)
            #expect(try await registry.stock(product: "PHONE").count == 500)
        }
    }
}
