import Foundation
import GS1
import Registry
import Testing

/// A registry with the master data most document tests share.
func withStockRegistry(_ backend: Backend, _ body: (Registry, TestDatabase) async throws -> Void) async throws {
    try await withRegistry(backend) { registry, database in
        _ = try await registry.addWarehouse(Warehouse(code: "MAIN"))
        _ = try await registry.addWarehouse(Warehouse(code: "EAST"))
        _ = try await registry.addPartner(Partner(code: "ACME", role: .supplier))
        _ = try await registry.addPartner(Partner(code: "SHOP", role: .customer, minimumShelfLifeDays: 60))
        _ = try await registry.addPartner(Partner(code: "ANY", role: .customer))
        _ = try await registry.addClass(LotSerialClass(code: "FOOD", tracking: .lot, tracksExpiry: true, issueMethod: .expiration,
                                                       format: "L{counter:4}"))
        _ = try await registry.addClass(LotSerialClass(code: "SN", tracking: .serial, autoGenerateBatchSize: 3, format: "SN{counter:5}"))
        _ = try await registry.addProduct(Product(article: "MILK", unit: "l", lotSerialClass: "FOOD"))
        _ = try await registry.addProduct(Product(article: "PHONE", lotSerialClass: "SN"))
        _ = try await registry.addProduct(Product(article: "BOLT"))
        try await body(registry, database)
    }
}

let day0 = CalendarDate(year: 2026, month: 11, day: 23)!
func header(_ offset: Int = 0, user: String = "anna") -> DocumentHeader { DocumentHeader(date: day0.adding(days: offset), user: user) }
func lot(_ number: String, _ quantity: Int, expires days: Int) -> StockLine.Pick {
    StockLine.Pick(number: number, quantity: Decimal(quantity), expiry: day0.adding(days: days))
}

@Suite struct DocumentTests {
    /// A stock row holds at most a trillion units: one more is refused with what the row holds,
    /// and nothing is posted. Found by a QA run, where two receipts of 4,612 lines of a billion
    /// took a row past 64 bits: SQLite stored it as an inexact real, and `stock`, the lot's history
    /// and the balance report failed from then on; a line whose lots added up past 64 bits crashed.
    @Test(arguments: Backend.available)
    func aStockRowPastATrillionUnitsIsRefused(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, _ in
            let billion = StockLine(product: "BOLT", quantity: 1_000_000_000)
            _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: Array(repeating: billion, count: 1000), header: header()))
            await expectRefusal(.invalidInput, "BOLT: MAIN holds 1000000000000 pcs, and 1 more would be more than 1000000000000, the most one stock row may hold") {
                _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [StockLine(product: "MILK", picks: [lot("M1", 1, expires: 30)]),
                                                                                StockLine(product: "BOLT", quantity: 1)], header: header()))
            }
            #expect(try await registry.stock(product: "BOLT", warehouse: "MAIN").map(\.quantity) == [1_000_000_000_000])
            #expect(try await registry.stock(product: "MILK", warehouse: "MAIN").isEmpty)
            await expectRefusal(.invalidInput, "line for MILK: its lots add up to more than 1000000000000, the most one stock row may hold") {
                _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [
                    StockLine(product: "MILK", picks: (0...1000).map { lot("BIG-\($0)", 1_000_000_000, expires: 30) }),
                ], header: header()))
            }
            #expect(try await registry.stock(product: "MILK", warehouse: "MAIN").isEmpty)
        }
    }

    /// A stock row is worth at most a trillion, as one line: ten lines of a trillion each into one
    /// lot were taken, and the balance and valuation reports then stopped on an arithmetic
    /// overflow (found by a QA run). The one past it is refused, saying what the row is worth, and
    /// the reports answer.
    @Test(arguments: Backend.available)
    func aStockRowWorthMoreThanATrillionIsRefused(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, _ in
            let trillion = StockLine(product: "BOLT", quantity: 1_000_000_000, unitCost: 1000)
            _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [trillion], header: header()))
            await expectRefusal(.invalidInput, "BOLT: MAIN holds 1000000000 pcs worth 1000000000000, and 0.001 more would be worth more than 1000000000000, the most one stock row may be worth") {
                _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [StockLine(product: "BOLT", quantity: 1, unitCost: 0.001)], header: header()))
            }
            let valuation = try await registry.valuation(at: day0, product: "BOLT")
            #expect(valuation.total == 1_000_000_000_000)
            #expect(try await registry.balance(at: day0, product: "BOLT").lines.map(\.quantity) == [1_000_000_000])
        }
    }

    /// A lot received before its class tracked expiry gains the date the next receipt gives,
    /// rather than the date being dropped (found by a QA run: the lot then never showed in expiry
    /// reports, and the operator had been made to type the date).
    @Test(arguments: Backend.available)
    func aLotWithoutExpiryTakesTheDateAReceiptGives(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, _ in
            // Goods without numbers have no lot to carry a date: given one, it was dropped in
            // silence (found by a QA run); refused, going in and going out.
            _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [StockLine(product: "BOLT", quantity: 2)], header: header()))
            await expectRefusal(.invalidInput, "product BOLT is not tracked: it has no lots to carry an expiry") {
                _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [StockLine(product: "BOLT", quantity: 1, expiry: day0.adding(days: 9))],
                                                       header: header()))
            }
            await expectRefusal(.invalidInput, "product BOLT is not tracked: it has no lots to carry an expiry") {
                _ = try await registry.issue(Issue(warehouse: "MAIN", customer: "ANY", lines: [StockLine(product: "BOLT", quantity: 1, expiry: day0.adding(days: 9))],
                                                   header: header()))
            }
            _ = try await registry.addClass(LotSerialClass(code: "DRUM", tracking: .lot, format: "D{counter:4}"))
            _ = try await registry.addProduct(Product(article: "OIL", lotSerialClass: "DRUM"))
            _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [StockLine(product: "OIL", picks: [.init(number: "A", quantity: 1)])],
                                                   header: header()))
            var drum = try await registry.lotSerialClass("DRUM")
            drum.tracksExpiry = true
            _ = try await registry.updateClass(drum)
            await expectRefusal(.invalidInput, "an expiry date is required") {
                _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [StockLine(product: "OIL", picks: [.init(number: "A", quantity: 1)])],
                                                       header: header()))
            }
            _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [StockLine(product: "OIL", picks: [lot("A", 1, expires: 40)])],
                                                   header: header()))
            #expect(try await registry.lotSerial(product: "OIL", number: "A")?.expiry == day0.adding(days: 40))
            await expectRefusal(.conflict, "expires on \(day0.adding(days: 40)) (as the registry, or an earlier line of this document, has it), but this line says \(day0.adding(days: 41))") {
                _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [StockLine(product: "OIL", picks: [lot("A", 1, expires: 41)])],
                                                       header: header()))
            }
        }
    }

    /// A line that gives a quantity and its lots must agree with itself: 2 with lots adding up to
    /// 1 is refused, not posted as 1.
    @Test(arguments: Backend.available)
    func aLineWhoseQuantityDisagreesWithItsLotsIsRefused(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, _ in
            await expectRefusal(.invalidInput, "line for MILK: quantity 2 but its lots add up to 1") {
                _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [
                    StockLine(product: "MILK", quantity: 2, picks: [lot("M1", 1, expires: 30)]),
                ], header: header()))
            }
            let agreed = try await registry.receive(Receipt(warehouse: "MAIN", lines: [
                StockLine(product: "MILK", quantity: 3, picks: [lot("M1", 1, expires: 30), lot("M2", 2, expires: 30)]),
            ], header: header()))
            #expect(agreed.movements.map(\.quantity) == [1, 2])
        }
    }

    /// An issue reads the first lots of all its allocated lines at once, and writes its movements
    /// and the statuses of emptied lots at the end: lines of one product take one after the
    /// other, a line its first page cannot cover reads on, and what comes out is what line-by-line
    /// posting gave (lots in first-expiry order, each taken once, shipped when empty).
    @Test(arguments: Backend.available)
    func anIssueOfSeveralLinesOfOneProductTakesEachLotOnce(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, _ in
            // Ten lots of 2 l, expiring one day apart, received in reverse order.
            _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [
                StockLine(product: "MILK", picks: (1...10).reversed().map { lot(String(format: "M%02d", $0), 2, expires: 30 + $0) }),
                StockLine(product: "BOLT", quantity: 5),
            ], header: header()))
            let posted = try await registry.issue(Issue(warehouse: "MAIN", customer: "ANY", lines: [
                StockLine(product: "MILK", quantity: 3),
                StockLine(product: "BOLT", quantity: 2),
                StockLine(product: "MILK", quantity: 3),
                StockLine(product: "MILK", quantity: 12),
            ], header: header(1)))
            let taken = posted.movements.map { "\($0.line):\($0.number ?? "-"):\($0.quantity)" }
            #expect(taken == ["0:M01:-2", "0:M02:-1", "1:-:-2", "2:M02:-1", "2:M03:-2",
                              "3:M04:-2", "3:M05:-2", "3:M06:-2", "3:M07:-2", "3:M08:-2", "3:M09:-2"])
            let left = try await registry.stock(product: "MILK", warehouse: "MAIN")
            #expect(left.map { "\($0.number ?? "-"):\($0.quantity)" } == ["M10:2"])
            for number in ["M01", "M02", "M05", "M09"] {
                #expect(try await registry.lotSerial(product: "MILK", number: number)?.status == .shipped, "\(number)")
            }
            #expect(try await registry.lotSerial(product: "MILK", number: "M10")?.status == .available)
            let record = try await registry.document(posted.number)
            #expect(record.movements.count == 11)

            // Short: refused whole, saying what there is; nothing of it written.
            await expectRefusal(.conflict, "MAIN has 2 l available to issue, not the 3 asked for") {
                _ = try await registry.issue(Issue(warehouse: "MAIN", customer: "ANY", lines: [
                    StockLine(product: "BOLT", quantity: 1), StockLine(product: "MILK", quantity: 3),
                ], header: header(1)))
            }
            #expect(try await registry.stock(product: "BOLT", warehouse: "MAIN").map(\.quantity) == [3])
            // A document dated after tomorrow is a typo (2062 for 2026): refused, nothing posted.
            let later = registry.today.adding(days: 2)
            await expectRefusal(.invalidInput, "a receipt dated \(later) is dated after today (\(registry.today))") {
                _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [StockLine(product: "BOLT", quantity: 1)],
                                                       header: DocumentHeader(date: later, user: "anna")))
            }
            #expect(try await registry.stock(product: "BOLT", warehouse: "MAIN").map(\.quantity) == [3])
            // A production short of a component says it has that much to consume, not to issue.
            await expectRefusal(.conflict, "MAIN has 2 l available to consume, not the 3 asked for") {
                _ = try await registry.produce(Production(warehouse: "MAIN", inputs: [StockLine(product: "MILK", quantity: 3)],
                                                          outputs: [StockLine(product: "BOLT", quantity: 1)], header: header(1)))
            }
        }
    }

    /// An expiry given on an issue must be the lot's (a QA run saw it posted and the date dropped).
    @Test(arguments: Backend.available)
    func anIssueThatGivesAnotherExpiryThanTheLotsIsRefused(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, _ in
            _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [StockLine(product: "MILK", picks: [lot("M1", 5, expires: 30)])],
                                                   header: header()))
            await expectRefusal(.conflict, "lot M1 of MILK expires on \(day0.adding(days: 30)) in the registry, but this document says \(day0.adding(days: 31))") {
                _ = try await registry.issue(Issue(warehouse: "MAIN", customer: "ANY", lines: [StockLine(product: "MILK", picks: [lot("M1", 1, expires: 31)])],
                                                   header: header(1)))
            }
            _ = try await registry.issue(Issue(warehouse: "MAIN", customer: "ANY", lines: [StockLine(product: "MILK", picks: [lot("M1", 1, expires: 30)])],
                                               header: header(1)))
            #expect(try await registry.stock(product: "MILK", warehouse: "MAIN").map(\.quantity) == [4])
        }
    }

    /// A lot format without a counter makes one lot per date: the day's second delivery joins
    /// it, as the README says (a QA run found it refused because the number existed).
    @Test(arguments: Backend.available)
    func aSecondDeliveryOfTheDayJoinsTheDaysLotWhenTheFormatHasNoCounter(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, _ in
            _ = try await registry.addClass(LotSerialClass(code: "DAY", tracking: .lot, format: "D{yy}{MM}{dd}"))
            _ = try await registry.addProduct(Product(article: "FLOUR", lotSerialClass: "DAY"))
            let first = try await registry.receive(Receipt(warehouse: "MAIN", lines: [StockLine(product: "FLOUR", quantity: 5)], header: header()))
            let second = try await registry.receive(Receipt(warehouse: "MAIN", lines: [StockLine(product: "FLOUR", quantity: 7)], header: header()))
            #expect(first.movements.map(\.number) == ["D261123"])
            #expect(second.movements.map(\.number) == ["D261123"])
            #expect(try await registry.stock(product: "FLOUR", warehouse: "MAIN").map { "\($0.number ?? "-") \($0.quantity)" } == ["D261123 12"])
            let next = try await registry.receive(Receipt(warehouse: "MAIN", lines: [StockLine(product: "FLOUR", quantity: 1)], header: header(1)))
            #expect(next.movements.map(\.number) == ["D261124"])
        }
    }

    /// The same for a class that numbers on use: the day's second issue numbers into the day's
    /// lot, as does a second `assign` (both were refused because the number existed, so the
    /// product could leave stock once a day; found by a QA run).
    @Test(arguments: Backend.available)
    func aSecondNumberingOnUseOfTheDayJoinsTheDaysLot(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, _ in
            _ = try await registry.addClass(LotSerialClass(code: "UDAY", tracking: .lot, assignment: .use, format: "U{yy}{MM}{dd}"))
            _ = try await registry.addProduct(Product(article: "GLUE", unit: "kg", lotSerialClass: "UDAY"))
            _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [StockLine(product: "GLUE", quantity: 10)], header: header()))
            for _ in 0..<2 {
                let issued = try await registry.issue(Issue(warehouse: "MAIN", customer: "ANY", lines: [StockLine(product: "GLUE", quantity: 2)],
                                                            header: header()))
                #expect(Set(issued.movements.compactMap(\.number)) == ["U261123"])
            }
            let assigned = try await registry.assign(product: "GLUE", warehouse: "MAIN", count: 1, quantity: 1, header: header())
            #expect(assigned.movements.compactMap(\.number) == ["U261123"])
            #expect(try await registry.stock(product: "GLUE", warehouse: "MAIN").map { "\($0.number ?? "-") \($0.quantity)" }.sorted()
                    == ["- 5", "U261123 1"])
        }
    }

    /// A lot cannot be made from itself, nor from goods made from it: found by a QA run, where
    /// such productions were posted and a trace showed a lot inside its own ingredients.
    @Test(arguments: Backend.available)
    func aProductionThatWouldMakeALotFromItselfIsRefused(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, _ in
            _ = try await registry.addClass(LotSerialClass(code: "BULK", tracking: .lot, format: "B{counter:4}"))
            _ = try await registry.addProduct(Product(article: "RESIN", lotSerialClass: "BULK"))
            _ = try await registry.addProduct(Product(article: "PAINT", lotSerialClass: "BULK"))
            _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [
                StockLine(product: "RESIN", picks: [.init(number: "R-A", quantity: 5)]),
                StockLine(product: "PAINT", picks: [.init(number: "P-2", quantity: 5)]),
            ], header: header()))
            await expectRefusal(.invalidInput, "lot P-2 of PAINT is both an input and an output of this production") {
                _ = try await registry.produce(Production(warehouse: "MAIN", inputs: [StockLine(product: "PAINT", picks: [.init(number: "P-2", quantity: 1)])],
                                                          outputs: [StockLine(product: "PAINT", picks: [.init(number: "P-2", quantity: 1)])], header: header(1)))
            }
            _ = try await registry.produce(Production(warehouse: "MAIN", inputs: [StockLine(product: "RESIN", picks: [.init(number: "R-A", quantity: 1)])],
                                                      outputs: [StockLine(product: "PAINT", picks: [.init(number: "P-9", quantity: 1)])], header: header(1)))
            await expectRefusal(.invalidInput, "lot R-A of RESIN would be made from goods that were made from it") {
                _ = try await registry.produce(Production(warehouse: "MAIN", inputs: [StockLine(product: "PAINT", picks: [.init(number: "P-9", quantity: 1)])],
                                                          outputs: [StockLine(product: "RESIN", picks: [.init(number: "R-A", quantity: 1)])], header: header(2)))
            }
            #expect(try await registry.stock(product: "PAINT", warehouse: "MAIN").map(\.quantity).reduce(0, +) == 6)
            // A production has no override for a quarantined input: it is not named (`produce`
            // refused the --allow-quarantined it was told of; found by a QA run).
            _ = try await registry.changeStatus(product: "RESIN", number: "R-A", to: .quarantined, user: "lab", reason: "COA missing")
            await expectRefusal(.conflict, "lot R-A of RESIN is quarantined: release it before it is consumed (status --set available), or use another lot") {
                _ = try await registry.produce(Production(warehouse: "MAIN", inputs: [StockLine(product: "RESIN", picks: [.init(number: "R-A", quantity: 1)])],
                                                          outputs: [StockLine(product: "PAINT", picks: [.init(number: "P-10", quantity: 1)])], header: header(2)))
            }
        }
    }

    /// A refusal about serials says what is wrong with each: every one never received, one named
    /// twice, one that is in another warehouse or in none.
    @Test(arguments: Backend.available)
    func refusalsAboutSerialsNameEverySerialAndWhereItIs(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, _ in
            _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [StockLine(product: "PHONE", quantity: 2)], header: header()))
            _ = try await registry.transfer(Transfer(from: "MAIN", to: "EAST", lines: [
                StockLine(product: "PHONE", picks: [.init(number: "SN00002", quantity: 1)]),
            ], header: header()))
            await expectRefusal(.notFound, "serials NOPE-1, NOPE-2 of product PHONE were never received") {
                _ = try await registry.issue(Issue(warehouse: "MAIN", lines: [
                    StockLine(product: "PHONE", picks: [.init(number: "NOPE-1", quantity: 1), .init(number: "NOPE-2", quantity: 1)]),
                ], header: header()))
            }
            await expectRefusal(.invalidInput, "serial SN00001 of PHONE is named twice on line 1") {
                _ = try await registry.issue(Issue(warehouse: "MAIN", lines: [
                    StockLine(product: "PHONE", picks: [.init(number: "SN00001", quantity: 1), .init(number: "SN00001", quantity: 1)]),
                ], header: header()))
            }
            await expectRefusal(.invalidInput, "serial SN00001 of PHONE is named on lines 1 and 2") {
                _ = try await registry.issue(Issue(warehouse: "MAIN", lines: [
                    StockLine(product: "PHONE", picks: [.init(number: "SN00001", quantity: 1)]),
                    StockLine(product: "PHONE", picks: [.init(number: "SN00001", quantity: 1)]),
                ], header: header()))
            }
            // A production date after the document's, or after the expiry, is refused as a typo.
            for (production, expires, message) in [(1, 90, "the production date \(day0.adding(days: 1)) is after this document's date \(day0)"),
                                                   (-1, -2, "the production date \(day0.adding(days: -1)) is after its expiry \(day0.adding(days: -2))")] {
                await expectRefusal(.invalidInput, message) {
                    _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [StockLine(product: "MILK", picks: [
                        .init(number: "MADE-\(production)", quantity: 1, expiry: day0.adding(days: expires), production: day0.adding(days: production)),
                    ])], acceptExpired: true, header: header()))
                }
            }
            // A receipt too: a serial new to the registry named on two lines is that, not one "already in stock".
            await expectRefusal(.invalidInput, "serial NEW-1 of PHONE is named on lines 1 and 2: name each serial once") {
                _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [
                    StockLine(product: "PHONE", picks: [.init(number: "NEW-1", quantity: 1)]),
                    StockLine(product: "PHONE", picks: [.init(number: "NEW-1", quantity: 1)]),
                ], header: header()))
            }
            #expect(try await registry.lotSerial(product: "PHONE", number: "NEW-1") == nil, "nothing of the refused receipt is kept")
            await expectRefusal(.conflict, "serial SN00002 of PHONE is in EAST, not in MAIN") {
                _ = try await registry.transfer(Transfer(from: "MAIN", to: "EAST", lines: [
                    StockLine(product: "PHONE", picks: [.init(number: "SN00002", quantity: 1)]),
                ], header: header()))
            }
            let shipped = try await registry.issue(Issue(warehouse: "MAIN", lines: [
                StockLine(product: "PHONE", picks: [.init(number: "SN00001", quantity: 1)]),
            ], header: header()))
            // The document that took it is named (found by a QA run: a lot a line used up was said
            // to be issued, moved out or written off).
            await expectRefusal(.conflict, "serial SN00001 of PHONE is not in MAIN, nor in any other warehouse (the last of it went with issue \(shipped.number))") {
                _ = try await registry.issue(Issue(warehouse: "MAIN", lines: [
                    StockLine(product: "PHONE", picks: [.init(number: "SN00001", quantity: 1)]),
                ], header: header()))
            }
            // A lot used up where it was: none is left, and where the last of it went.
            _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [StockLine(product: "MILK", picks: [lot("GONE-1", 2, expires: 90)])],
                                                   header: header()))
            let used = try await registry.issue(Issue(warehouse: "MAIN", lines: [
                StockLine(product: "MILK", picks: [.init(number: "GONE-1", quantity: 2)]),
            ], header: header()))
            await expectRefusal(.conflict, "lot GONE-1 of MILK: none is left in MAIN nor anywhere else (the last of it went with issue \(used.number)): take another lot") {
                _ = try await registry.issue(Issue(warehouse: "MAIN", lines: [
                    StockLine(product: "MILK", picks: [.init(number: "GONE-1", quantity: 1)]),
                ], header: header()))
            }
        }
    }

    @Test(arguments: Backend.available)
    func aReceiptTakesGivenLotsAndGeneratesSerialsUpToTheBatchSize(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, _ in
            let posted = try await registry.receive(Receipt(warehouse: "MAIN", supplier: "ACME", lines: [
                StockLine(product: "MILK", picks: [lot("SUP-1", 10, expires: 30)]),
                StockLine(product: "PHONE", quantity: 5),
                StockLine(product: "BOLT", quantity: 2),
                StockLine(product: "MILK", picks: [StockLine.Pick(number: "SUP-2", quantity: Decimal(string: "2.5")!, expiry: day0.adding(days: 30))]),
            ], header: header()))
            #expect(posted.number == "RCT-000001")
            let stock = try await registry.stock(warehouse: "MAIN")
            #expect(stock.filter { $0.product == "PHONE" }.map(\.number) == ["SN00001", "SN00002", "SN00003", nil])
            #expect(stock.first { $0.product == "PHONE" && $0.number == nil }?.quantity == 2)
            #expect(stock.first { $0.product == "MILK" && $0.number == "SUP-1" }?.quantity == 10)
            #expect(stock.first { $0.product == "MILK" && $0.number == "SUP-2" }?.quantity == Decimal(string: "2.5"))
            #expect(stock.first { $0.product == "BOLT" }?.quantity == 2)
            // BOLT is counted in pieces: whole ones only.
            await expectRefusal(.invalidInput, "BOLT is counted in whole pcs, not 2.5") {
                _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [StockLine(product: "BOLT", quantity: Decimal(string: "2.5")!)]))
            }
            // Stock that could not leave any more is not made uncountable.
            var milk = try await registry.product("MILK")
            milk.decimals = 0
            await expectRefusal(.conflict, "product MILK holds 2.5 l in MAIN (SUP-2): it cannot be counted with 0 decimals") {
                _ = try await registry.updateProduct(milk)
            }
            milk.decimals = 1
            #expect(try await registry.updateProduct(milk).decimals == 1)
            // Its quantities are litres in every document and closed month: the unit stays.
            var relabelled = milk
            relabelled.unit = "pcs"
            await expectRefusal(.conflict, "product MILK: its quantities are recorded in l since RCT-000001", "its unit cannot become pcs") {
                _ = try await registry.updateProduct(relabelled)
            }
            #expect(try await registry.product("MILK").unit == "l")
            #expect(try await registry.receive(Receipt(warehouse: "MAIN", lines: [StockLine(product: "BOLT", quantity: 1)])).number == "RCT-000002")
        }
    }

    @Test(arguments: Backend.available)
    func aBatchSerialCarriesOneNumberOnSeveralUnits(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, _ in
            _ = try await registry.addClass(LotSerialClass(code: "ROLL", tracking: .serial, serialQuantity: .multiple, format: "R{counter:3}"))
            _ = try await registry.addProduct(Product(article: "CARPET", unit: "m", lotSerialClass: "ROLL"))
            let posted = try await registry.receive(Receipt(warehouse: "MAIN", lines: [StockLine(product: "CARPET", quantity: 25)], header: header()))
            #expect(posted.movements.map { "\($0.number ?? "-") \($0.quantity)" } == ["R001 25"])
            _ = try await registry.issue(Issue(warehouse: "MAIN", lines: [StockLine(product: "CARPET", picks: [.init(number: "R001", quantity: 10)])], header: header()))
            #expect(try await registry.stock(product: "CARPET").map(\.quantity) == [15])
            await expectRefusal(.invalidInput, "a unique serial is one unit, not 2") {
                _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [StockLine(product: "PHONE", picks: [.init(number: "X", quantity: 2)])]))
            }
        }
    }

    @Test(arguments: Backend.available)
    func badReceiptsAreRefusedWithNothingWritten(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, _ in
            _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [.serials("PHONE", ["X1"])]))
            await expectRefusal(.conflict, "serial X1 of PHONE is already in stock in MAIN") {
                _ = try await registry.receive(Receipt(warehouse: "EAST", lines: [.serials("PHONE", ["X2", "X1"])]))
            }
            await expectRefusal(.invalidInput, "class FOOD tracks expiry dates, so an expiry date is required") {
                _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [StockLine(product: "MILK", picks: [.init(number: "A", quantity: 1)])]))
            }
            await expectRefusal(.notFound, "product NOPE does not exist") {
                _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [StockLine(product: "NOPE", quantity: 1)]))
            }
            await expectRefusal(.notFound, "warehouse WEST does not exist") {
                _ = try await registry.receive(Receipt(warehouse: "WEST", lines: [StockLine(product: "BOLT", quantity: 1)]))
            }
            await expectRefusal(.invalidInput, "must be more than zero") {
                _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [StockLine(product: "BOLT", quantity: 0)]))
            }
            await expectRefusal(.conflict, "expired on 2026-11-22", "explicit override") {
                _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [StockLine(product: "MILK", picks: [lot("OLD", 1, expires: -1)])], header: header()))
            }
            #expect(try await registry.lotSerial(product: "PHONE", number: "X2") == nil)
            #expect(try await registry.stock(warehouse: "EAST").isEmpty)
            // The refused documents took no number.
            #expect(try await registry.receive(Receipt(warehouse: "MAIN", lines: [StockLine(product: "BOLT", quantity: 1)])).number == "RCT-000002")
            // Expired goods received on purpose start quarantined.
            _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [StockLine(product: "MILK", picks: [lot("OLD", 1, expires: -1)])],
                                                   acceptExpired: true, header: header()))
            #expect(try await registry.lotSerial(product: "MILK", number: "OLD")?.status == .quarantined)
        }
    }

    @Test(arguments: [LotSerialClass.IssueMethod.fifo, .lifo, .sequential, .expiration], Backend.available)
    func issuesTakeStockInTheClassIssueOrder(method: LotSerialClass.IssueMethod, backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, _ in
            var food = try await registry.lotSerialClass("FOOD")
            food.issueMethod = method
            _ = try await registry.updateClass(food)
            // Received in this order; numbers and expiry dates chosen so each method differs.
            for (number, expires) in [("LOT-10", 40), ("LOT-9", 20), ("LOT-11", 20), ("LOT-2", 90)] {
                _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [StockLine(product: "MILK", picks: [lot(number, 1, expires: expires)])], header: header()))
            }
            let expected: [String] = switch method {
            case .fifo: ["LOT-10", "LOT-9", "LOT-11", "LOT-2"]
            case .lifo: ["LOT-2", "LOT-11", "LOT-9", "LOT-10"]
            case .sequential: ["LOT-2", "LOT-9", "LOT-10", "LOT-11"]
            case .expiration: ["LOT-9", "LOT-11", "LOT-10", "LOT-2"]  // ties on expiry: earlier receipt first
            case .manual: []
            }
            let proposal = try await registry.proposal(product: "MILK", warehouse: "MAIN", quantity: 4, date: day0)
            #expect(proposal.picks.map(\.number) == expected)
            let posted = try await registry.issue(Issue(warehouse: "MAIN", customer: "ANY", lines: [StockLine(product: "MILK", quantity: 3)], header: header()))
            #expect(posted.movements.map(\.number) == Array(expected.prefix(3)))
            #expect(try await registry.stock(product: "MILK").map(\.number) == [expected[3]])
        }
    }

    /// The proposal reads the issue order page by page, small pages first: 40 lots of one unit
    /// take several pages, in order. Unknown products and warehouses, and products without lots,
    /// are named.
    @Test(arguments: Backend.available)
    func aProposalReadsAcrossPagesAndNamesWhatIsMissing(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, _ in
            let picks = (0..<40).map { lot("P\($0)", 1, expires: 10 + $0) }
            _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [StockLine(product: "MILK", picks: picks)], header: header()))
            let proposal = try await registry.proposal(product: "MILK", warehouse: "MAIN", quantity: 30, date: day0)
            #expect(proposal.picks.map(\.number) == (0..<30).map { "P\($0)" })
            #expect(try await registry.proposal(product: "MILK", warehouse: "MAIN", quantity: 3, date: day0).picks.map(\.number) == ["P0", "P1", "P2"])
            // The class changes its method: the next proposal follows it.
            var food = try await registry.lotSerialClass("FOOD")
            food.issueMethod = .lifo
            _ = try await registry.updateClass(food)
            #expect(try await registry.proposal(product: "MILK", warehouse: "MAIN", quantity: 3, date: day0).picks.map(\.number) == ["P39", "P38", "P37"])
            // The first page as the product's statement reads it (on PostgreSQL): with numbers
            // excluded and a shelf life, and when it holds all there is.
            #expect(try await registry.proposal(product: "MILK", warehouse: "MAIN", quantity: 2, date: day0, minimumShelfLifeDays: 12,
                                                excluding: ["P39"]).picks.map(\.number) == ["P38", "P37"])
            let few = try await registry.proposal(product: "MILK", warehouse: "MAIN", quantity: 5, date: day0, minimumShelfLifeDays: 46)
            #expect(few.picks.map(\.number) == ["P39", "P38", "P37", "P36"])
            #expect(few.shortfall == 1)
            let all = try await registry.proposal(product: "MILK", warehouse: "MAIN", quantity: 45, date: day0)
            #expect(all.picks.count == 40)
            #expect(all.shortfall == 5)
            await expectRefusal(.notFound, "product NOPE does not exist") {
                _ = try await registry.proposal(product: "NOPE", warehouse: "MAIN", quantity: 1, date: day0)
            }
            await expectRefusal(.notFound, "warehouse NOWHERE does not exist") {
                _ = try await registry.proposal(product: "MILK", warehouse: "NOWHERE", quantity: 1, date: day0)
            }
            await expectRefusal(.invalidInput, "BOLT is not tracked by lot or serial") {
                _ = try await registry.proposal(product: "BOLT", warehouse: "MAIN", quantity: 1, date: day0)
            }
            // The issue's bounds (the CLI answered -5 with a shortfall of -5; found by a QA run).
            for quantity: Decimal in [0, -5] {
                await expectRefusal(.invalidInput, "quantity \(quantity) must be more than zero") {
                    _ = try await registry.proposal(product: "MILK", warehouse: "MAIN", quantity: quantity, date: day0)
                }
            }
            await expectRefusal(.invalidInput, "quantity 99999999999 is more than 1000000000, the most one line may take") {
                _ = try await registry.proposal(product: "MILK", warehouse: "MAIN", quantity: 99_999_999_999, date: day0)
            }
        }
    }

    /// A description is printed on labels: a control character or a line break in it is refused
    /// where it is typed, not at every scan of a receiving station (found by a QA run).
    @Test(arguments: Backend.available)
    func aDescriptionWithAControlCharacterIsRefused(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, _ in
            await expectRefusal(.invalidInput, "product OIL: the description \"Bad\\u{07}bell\" contains U+7, a control character or line break") {
                _ = try await registry.addProduct(Product(article: "OIL", description: "Bad\u{7}bell"))
            }
            var milk = try await registry.product("MILK")
            milk.description = "Milk\u{2028}3%"
            await expectRefusal(.invalidInput, "product MILK: the description", "contains U+2028") {
                _ = try await registry.updateProduct(milk)
            }
        }
    }

    /// A receipt reads which of its numbers are new in one statement per thousand rather than
    /// asking line by line (a 10,000-line opening stock took 50 s on PostgreSQL; found by a QA
    /// run): new numbers, one named on two lines, one that exists, one voided and a serial in
    /// stock already all come out as line by line.
    @Test(arguments: Backend.available)
    func aReceiptOfManyNewNumbersIsCheckedAsLineByLine(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, _ in
            _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [StockLine(product: "MILK", picks: [lot("OLD", 5, expires: 200)])], header: header()))
            _ = try await registry.retire(product: "MILK", number: "GONE", reason: "misprint")
            let milk = (1...40).map { lot("N\($0)", 1, expires: 200) }
            let posted = try await registry.receive(Receipt(warehouse: "MAIN", supplier: "ACME", lines: [
                StockLine(product: "MILK", picks: milk + [lot("OLD", 2, expires: 200)]),
                .serials("PHONE", (1...30).map { "P\($0)" }),
                StockLine(product: "MILK", picks: [lot("N1", 3, expires: 200)]),
            ], header: header()))
            #expect(posted.movements.count == 72)
            let stock = try await registry.stock(product: "MILK")
            #expect(stock.first { $0.number == "N1" }?.quantity == 4 && stock.first { $0.number == "OLD" }?.quantity == 7, "\(stock)")
            #expect(try await registry.stock(product: "PHONE").count == 30)
            // Received on the document's date (FIFO's), as a lot marked after its insert was.
            let picks = try await registry.proposal(product: "MILK", warehouse: "MAIN", quantity: 50, date: day0).picks
            #expect(picks.first { $0.number == "N7" }?.received == day0.description, "\(picks)")
            await expectRefusal(.numberRetired, "GONE of product MILK was voided") {
                _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [StockLine(product: "MILK", picks: [lot("N99", 1, expires: 200), lot("GONE", 1, expires: 200)])],
                                                       header: header()))
            }
            #expect(try await registry.stock(product: "MILK").contains { $0.number == "N99" } == false)
            await expectRefusal(.conflict, "serial P3 of PHONE is already in stock in MAIN") {
                _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [.serials("PHONE", ["P100", "P3"])], header: header()))
            }
        }
    }

    /// A manual class has no issue order: the proposal says so, as the issue does, rather than
    /// offer lots in receipt order that the issue then refuses (found by a QA run).
    @Test(arguments: Backend.available)
    func aManualClassHasNoProposal(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, _ in
            _ = try await registry.addClass(LotSerialClass(code: "MAN", tracking: .lot, issueMethod: .manual, format: "R{counter:3}"))
            _ = try await registry.addProduct(Product(article: "ROPE", unit: "m", lotSerialClass: "MAN"))
            _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [StockLine(product: "ROPE", picks: [.init(number: "R1", quantity: 10)])], header: header()))
            await expectRefusal(.invalidInput, "product ROPE: its class issues manually, so there is no order to propose: name the lots to take (tracemark stock --product ROPE --warehouse MAIN lists them)") {
                _ = try await registry.proposal(product: "ROPE", warehouse: "MAIN", quantity: 3, date: day0)
            }
        }
    }

    /// Dated back, a lot received after that day is "not held then" whatever its status now: it
    /// was said to be quarantined (releasing it would not have helped; found by a QA run). What
    /// the warehouse did hold that day keeps its own reason.
    @Test(arguments: Backend.available)
    func aBackDatedProposalSaysALotCameLaterWhateverItsStatus(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, _ in
            _ = try await registry.receive(Receipt(warehouse: "MAIN", supplier: "ACME", lines: [StockLine(product: "MILK", picks: [lot("OLD", 10, expires: 200)])],
                                                   header: header(0)))
            _ = try await registry.receive(Receipt(warehouse: "MAIN", supplier: "ACME", lines: [
                StockLine(product: "MILK", picks: [lot("NEW", 10, expires: 100), lot("HELD", 4, expires: 150)]),
            ], header: header(8)))
            _ = try await registry.receive(Receipt(warehouse: "MAIN", supplier: "ACME", lines: [StockLine(product: "MILK", picks: [lot("HELD", 6, expires: 150)])],
                                                   header: header(2)))
            _ = try await registry.changeStatus(product: "MILK", number: "NEW", to: .quarantined, user: "qa", reason: "lab")
            _ = try await registry.changeStatus(product: "MILK", number: "HELD", to: .blocked, user: "qa", reason: "lab")
            let proposal = try await registry.proposal(product: "MILK", warehouse: "MAIN", quantity: 30, date: day0.adding(days: 4))
            #expect(proposal.picks.map(\.number) == ["OLD"])
            #expect(proposal.withheld.map { "\($0.reason.rawValue) \($0.quantity) \($0.numbers)" }.sorted()
                    == ["blocked 6 [\"HELD\"]", "not-held-then 14 [\"NEW\", \"HELD\"]"].sorted(), "\(proposal.withheld)")
        }
    }

    /// Dated back, another warehouse's stock is "usable" there only as far as that warehouse held
    /// it that day and every day since: said as today's, a picker sent there was refused (found
    /// by a QA run).
    @Test(arguments: Backend.available)
    func aBackDatedProposalCountsOtherWarehousesAsTheyWereThen(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, _ in
            _ = try await registry.receive(Receipt(warehouse: "MAIN", supplier: "ACME", lines: [StockLine(product: "MILK", picks: [lot("M", 5, expires: 200)])],
                                                   header: header(0)))
            _ = try await registry.receive(Receipt(warehouse: "EAST", supplier: "ACME", lines: [
                StockLine(product: "MILK", picks: [lot("E-OLD", 3, expires: 200), lot("E-NEW", 10, expires: 200)]),
            ], header: header(8)))
            _ = try await registry.receive(Receipt(warehouse: "EAST", supplier: "ACME", lines: [StockLine(product: "MILK", picks: [lot("E-OLD", 4, expires: 200)])],
                                                   header: header(1)))
            let then = try await registry.proposal(product: "MILK", warehouse: "MAIN", quantity: 8, date: day0.adding(days: 4))
            #expect(then.shortfallDescription == "short by 3 l: 4 l usable in EAST (E-OLD)", "\(then.withheld)")
            // After every document (a date, not today: the lots expire in time).
            let now = try await registry.proposal(product: "MILK", warehouse: "MAIN", quantity: 8, date: day0.adding(days: 10))
            #expect(now.shortfallDescription == "short by 3 l: 17 l usable in EAST (E-NEW, E-OLD)", "\(now.withheld)")
            // What it says is what the issue there, dated the same, can take.
            _ = try await registry.issue(Issue(warehouse: "EAST", customer: "ANY", lines: [StockLine(product: "MILK", quantity: 4)], header: header(4)))
        }
    }

    /// A lot both expired and quarantined is withheld as expired, the reason releasing it would
    /// not cure (it was said to be quarantined only; found by a QA run).
    @Test(arguments: Backend.available)
    func anExpiredLotInQuarantineIsWithheldAsExpired(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, _ in
            _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [StockLine(product: "MILK", picks: [lot("OLD", 5, expires: 2), lot("Q", 3, expires: 90)])],
                                                   header: header()))
            for number in ["OLD", "Q"] {
                _ = try await registry.changeStatus(product: "MILK", number: number, to: .quarantined, user: "qa", reason: "lab")
            }
            let proposal = try await registry.proposal(product: "MILK", warehouse: "MAIN", quantity: 1, date: day0.adding(days: 5))
            #expect(proposal.shortfallDescription == "short by 1 l: 5 l expired (OLD); 3 l quarantined (Q)", "\(proposal.withheld)")
        }
    }

    /// Once lines name their inputs, an output naming none and an input going into none are
    /// refused: consumed and costed into the outputs but linked to none, the input was missing
    /// from its trace and recall (found by a QA run's recall drill).
    @Test(arguments: Backend.available)
    func aProductionLinksEveryInputToAnOutput(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, _ in
            _ = try await registry.addProduct(Product(article: "CHEESE", unit: "kg", lotSerialClass: "FOOD"))
            _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [
                StockLine(product: "MILK", picks: [lot("M1", 50, expires: 200)]), StockLine(product: "BOLT", quantity: 10),
            ], header: header()))
            let inputs = [StockLine(product: "MILK", picks: [.init(number: "M1", quantity: 10)]), StockLine(product: "BOLT", quantity: 2)]
            func output(_ number: String, inputs: [Int]?) -> StockLine {
                var line = StockLine(product: "CHEESE", picks: [lot(number, 2, expires: 100)])
                line.inputs = inputs
                return line
            }
            await expectRefusal(.invalidInput, "outputs[0] (CHEESE) names no input (inputs: []): name the inputs it was made from, counted from 0") {
                _ = try await registry.produce(Production(warehouse: "MAIN", inputs: inputs, outputs: [output("C1", inputs: [])], header: header()))
            }
            await expectRefusal(.invalidInput, "inputs[0] (MILK) goes into no output: add 0 to the inputs of the outputs made from it") {
                _ = try await registry.produce(Production(warehouse: "MAIN", inputs: inputs, outputs: [output("C1", inputs: [1])], header: header()))
            }
            await expectRefusal(.invalidInput, "outputs[0] (CHEESE) names inputs[1] twice: name each input once") {
                _ = try await registry.produce(Production(warehouse: "MAIN", inputs: inputs, outputs: [output("C1", inputs: [0, 1, 1])], header: header()))
            }
            #expect(try await registry.stock(product: "MILK").map(\.quantity) == [50])
            // Named, or left out (every input), each input is traced to its outputs.
            _ = try await registry.produce(Production(warehouse: "MAIN", inputs: inputs,
                                                      outputs: [output("C1", inputs: [0, 1]), output("C2", inputs: nil)], header: header()))
            let forward = try await registry.trace(product: "MILK", number: "M1", direction: .forward)
            #expect(forward.root.children.map { "\($0.number) \($0.consumed ?? -1) \($0.made ?? -1)" } == ["C1 10 2", "C2 10 2"])
        }
    }

    /// A production consumes no expired lot, and says so without naming an override it does not
    /// have (it named `--allow-expired`, which `produce` refuses; found by a QA run).
    @Test(arguments: Backend.available)
    func aProductionRefusesAnExpiredLotWithoutPromisingAnOverride(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, _ in
            _ = try await registry.addProduct(Product(article: "CHEESE", unit: "kg", lotSerialClass: "FOOD"))
            _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [StockLine(product: "MILK", picks: [lot("OLD", 5, expires: 1)])],
                                                   header: header()))
            await expectRefusal(.conflict, "lot OLD of MILK expired on \(day0.adding(days: 1)): a production does not consume expired goods; use other stock, or write it off") {
                _ = try await registry.produce(Production(warehouse: "MAIN", inputs: [StockLine(product: "MILK", picks: [.init(number: "OLD", quantity: 1)])],
                                                          outputs: [StockLine(product: "CHEESE", picks: [lot("C1", 1, expires: 100)])], header: header(3)))
            }
        }
    }

    @Test(arguments: Backend.available)
    func issuingMoreThanIsInStockSaysHowMuchThereIs(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, _ in
            _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [
                StockLine(product: "MILK", picks: [lot("A", 5, expires: 30), lot("B", 5, expires: 3)]),
                StockLine(product: "BOLT", quantity: 4)], header: header()))
            await expectRefusal(.conflict, "BOLT: MAIN holds 4 pcs, not the 5 asked for") {
                _ = try await registry.issue(Issue(warehouse: "MAIN", lines: [StockLine(product: "BOLT", quantity: 5)], header: header()))
            }
            await expectRefusal(.conflict, "lot A of MILK: MAIN holds 5 l, not the 6 asked for") {
                _ = try await registry.issue(Issue(warehouse: "MAIN", lines: [StockLine(product: "MILK", picks: [.init(number: "A", quantity: 6)])], header: header()))
            }
            await expectRefusal(.conflict, "MAIN has 5 l available to issue, not the 8 asked for", "5 l expire within the 20 days") {
                _ = try await registry.issue(Issue(warehouse: "MAIN", customer: "SHOP", lines: [StockLine(product: "MILK", quantity: 8)], minimumShelfLifeDays: 20,
                                                   header: header()))
            }
            // Dated before the goods came in: none of it was there, and the refusal says so.
            await expectRefusal(.conflict, "MAIN has 0 l available to issue, not the 8 asked for", "10 l not held on that date and every day since (B, A)") {
                _ = try await registry.issue(Issue(warehouse: "MAIN", customer: "ANY", lines: [StockLine(product: "MILK", quantity: 8)], header: header(-30)))
            }
            #expect(try await registry.stock(product: "BOLT").first?.quantity == 4)
            // An issue takes its stock in one statement at the end: two lines that each fit but
            // together do not are refused whole, with what both ask for; nothing is taken.
            await expectRefusal(.conflict, "lot A of MILK: MAIN holds 5 l, not the 7 asked for") {
                _ = try await registry.issue(Issue(warehouse: "MAIN", lines: [
                    StockLine(product: "MILK", picks: [.init(number: "A", quantity: 3)]), StockLine(product: "BOLT", quantity: 1),
                    StockLine(product: "MILK", picks: [.init(number: "A", quantity: 4)])], header: header()))
            }
            #expect(try await registry.stock(product: "MILK").map(\.quantity) == [5, 5])
            #expect(try await registry.stock(product: "BOLT").first?.quantity == 4)
        }
    }

    /// The warehouse and the partner are read in one statement; each is still refused by name,
    /// the warehouse first.
    @Test(arguments: Backend.available)
    func anUnknownWarehouseOrPartnerIsNamed(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, _ in
            let lines = [StockLine(product: "BOLT", quantity: 1)]
            await expectRefusal(.notFound, "warehouse NOWHERE does not exist") {
                _ = try await registry.issue(Issue(warehouse: "NOWHERE", customer: "NOBODY", lines: lines, header: header()))
            }
            await expectRefusal(.notFound, "partner NOBODY does not exist") {
                _ = try await registry.issue(Issue(warehouse: "MAIN", customer: "NOBODY", lines: lines, header: header()))
            }
            await expectRefusal(.invalidInput, "partner ACME is a supplier, not a customer") {
                _ = try await registry.issue(Issue(warehouse: "MAIN", customer: "ACME", lines: lines, header: header()))
            }
            await expectRefusal(.invalidInput, "partner SHOP is a customer, not a supplier") {
                _ = try await registry.receive(Receipt(warehouse: "MAIN", supplier: "SHOP", lines: lines, header: header()))
            }
            await expectRefusal(.notFound, "warehouse NOWHERE does not exist") {
                _ = try await registry.returnFromCustomer(CustomerReturn(warehouse: "NOWHERE", customer: "SHOP", lines: lines, header: header()))
            }
            let received = try await registry.receive(Receipt(warehouse: "MAIN", supplier: "ACME", lines: [StockLine(product: "BOLT", quantity: 2)], header: header()))
            let issued = try await registry.issue(Issue(warehouse: "MAIN", customer: "SHOP", lines: lines, header: header()))
            #expect(received.movements.map(\.quantity) == [2])
            #expect(issued.movements.map(\.quantity) == [-1])
        }
    }

    @Test(arguments: Backend.available)
    func minimumShelfLifeCountsTheShippingDayInclusively(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, _ in
            _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [
                StockLine(product: "MILK", picks: [lot("D59", 1, expires: 59), lot("D60", 1, expires: 60)])], header: header()))
            #expect(try await registry.proposal(product: "MILK", warehouse: "MAIN", quantity: 2, date: day0, customer: "SHOP").picks.map(\.number) == ["D60"])
            #expect(try await registry.proposal(product: "MILK", warehouse: "MAIN", quantity: 2, date: day0, minimumShelfLifeDays: 59).picks.map(\.number) == ["D59", "D60"])
            await expectRefusal(.conflict, "lot D59 of MILK expires on 2027-01-21, 59 days after 2026-11-23; customer SHOP requires at least 60 days") {
                _ = try await registry.issue(Issue(warehouse: "MAIN", customer: "SHOP", lines: [StockLine(product: "MILK", picks: [.init(number: "D59", quantity: 1)])], header: header()))
            }
            let posted = try await registry.issue(Issue(warehouse: "MAIN", customer: "SHOP", lines: [StockLine(product: "MILK", quantity: 1)], header: header()))
            #expect(posted.movements.map(\.number) == ["D60"])
        }
    }

    @Test(arguments: Backend.available)
    func expiredQuarantinedAndBlockedStockIsNotProposedAndNeedsAnOverride(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, _ in
            _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [
                StockLine(product: "MILK", picks: [lot("EXP", 1, expires: 1), lot("QUA", 1, expires: 50), lot("BLK", 1, expires: 50), lot("OK", 1, expires: 50)])], header: header()))
            _ = try await registry.changeStatus(product: "MILK", number: "QUA", to: .quarantined, user: "qa", reason: "lab test pending")
            _ = try await registry.changeStatus(product: "MILK", number: "BLK", to: .blocked, user: "qa", reason: "recall 2026-17")
            // Two days later EXP has expired (usable through its expiry date, expired from the next day).
            #expect(try await registry.proposal(product: "MILK", warehouse: "MAIN", quantity: 4, date: day0.adding(days: 1)).picks.map(\.number).sorted() == ["EXP", "OK"])
            #expect(try await registry.proposal(product: "MILK", warehouse: "MAIN", quantity: 4, date: day0.adding(days: 2)).picks.map(\.number) == ["OK"])
            let later = header(2)
            func issue(_ number: String, expired: Bool = false, quarantined: Bool = false) async throws -> PostedDocument {
                try await registry.issue(Issue(warehouse: "MAIN", lines: [StockLine(product: "MILK", picks: [.init(number: number, quantity: 1)])],
                                               allowExpired: expired, allowQuarantined: quarantined, header: later))
            }
            await expectRefusal(.conflict, "lot EXP of MILK expired on 2026-11-24") { _ = try await issue("EXP") }
            await expectRefusal(.conflict, "lot QUA of MILK is quarantined") { _ = try await issue("QUA") }
            await expectRefusal(.conflict, "lot BLK of MILK is blocked (recall 2026-17): it cannot be issued until it is released") { _ = try await issue("BLK", expired: true, quarantined: true) }
            #expect(try await issue("EXP", expired: true).movements.first?.override == "expired 2026-11-24")
            #expect(try await issue("QUA", quarantined: true).movements.first?.override == "quarantined")
            let history = try await registry.history(product: "MILK", number: "QUA")
            #expect(history.entries.map(\.what) == ["receipt", "status", "issue"])
            #expect(history.entries[1].user == "qa")
            #expect(history.entries[1].note == "lab test pending")
            #expect(history.entries[2].override == "quarantined")
        }
    }

    @Test(arguments: Backend.available)
    func aTransferKeepsLotIdentityAndNeedsTwoWarehouses(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, _ in
            _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [StockLine(product: "MILK", picks: [lot("A", 10, expires: 30)])], header: header()))
            let posted = try await registry.transfer(Transfer(from: "MAIN", to: "EAST", lines: [StockLine(product: "MILK", quantity: 4)], header: header()))
            #expect(posted.number == "TRF-000001")
            let stock = try await registry.stock(product: "MILK")
            #expect(stock.map { "\($0.warehouse) \($0.number ?? "-") \($0.quantity)" } == ["EAST A 4", "MAIN A 6"])
            await expectRefusal(.invalidInput, "the two warehouses must differ") {
                _ = try await registry.transfer(Transfer(from: "MAIN", to: "MAIN", lines: [StockLine(product: "MILK", quantity: 1)]))
            }
        }
    }

    @Test(arguments: Backend.available)
    func aReturnBringsAShippedSerialBackWithItsHistory(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, _ in
            _ = try await registry.receive(Receipt(warehouse: "MAIN", supplier: "ACME", lines: [.serials("PHONE", ["IMEI-1"])], header: header()))
            _ = try await registry.issue(Issue(warehouse: "MAIN", customer: "ANY", lines: [.serials("PHONE", ["IMEI-1"])], header: header(1)))
            #expect(try await registry.lotSerial(product: "PHONE", number: "IMEI-1")?.status == .shipped)
            await expectRefusal(.notFound, "serial IMEI-9 of PHONE was never shipped") {
                _ = try await registry.returnFromCustomer(CustomerReturn(warehouse: "MAIN", customer: "ANY", lines: [.serials("PHONE", ["IMEI-9"])]))
            }
            _ = try await registry.returnFromCustomer(CustomerReturn(warehouse: "EAST", customer: "ANY", lines: [.serials("PHONE", ["IMEI-1"])], header: header(5)))
            let history = try await registry.history(product: "PHONE", number: "IMEI-1")
            #expect(history.lotSerial.status == .available)
            #expect(history.entries.map { "\($0.what) \($0.warehouse ?? "") \($0.partner ?? "") \($0.quantity ?? 0)" } == [
                "receipt MAIN ACME 1", "issue MAIN ANY -1", "return EAST ANY 1"])
            #expect(history.stock.map(\.warehouse) == ["EAST"])
        }
    }

    /// A return brings back only what its customer was issued, less what they returned before:
    /// no lot never sold to them, no more than they bought, no serial consumed or sold to
    /// someone else; and nothing of a refused return is written.
    @Test(arguments: Backend.available)
    func aReturnBringsBackNoMoreThanItsCustomerWasIssued(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, _ in
            _ = try await registry.receive(Receipt(warehouse: "MAIN", supplier: "ACME", lines: [
                StockLine(product: "MILK", picks: [lot("R1", 10, expires: 200), lot("R2", 5, expires: 200)]),
                .serials("PHONE", ["IMEI-1", "IMEI-2"]),
            ], header: header()))
            _ = try await registry.issue(Issue(warehouse: "MAIN", customer: "SHOP", lines: [
                StockLine(product: "MILK", picks: [.init(number: "R1", quantity: 4)]), .serials("PHONE", ["IMEI-1"]),
            ], header: header(1)))
            _ = try await registry.transfer(Transfer(from: "MAIN", to: "EAST", lines: [StockLine(product: "MILK", picks: [.init(number: "R2", quantity: 5)])],
                                                     header: header(1)))
            _ = try await registry.issue(Issue(warehouse: "MAIN", customer: "ANY", lines: [.serials("PHONE", ["IMEI-2"])], header: header(1)))
            func back(_ customer: String, _ line: StockLine) async throws {
                _ = try await registry.returnFromCustomer(CustomerReturn(warehouse: "MAIN", customer: customer, lines: [line], header: header(2)))
            }
            let before = try await registry.stock(product: "MILK").map { "\($0.warehouse) \($0.number ?? "-") \($0.quantity)" }

            await expectRefusal(.conflict, "lot R2 of MILK was never issued to SHOP: only goods issued to a customer can come back from them") {
                try await back("SHOP", StockLine(product: "MILK", picks: [.init(number: "R2", quantity: 1)]))
            }
            await expectRefusal(.conflict, "lot R1 of MILK: SHOP was issued 4 l and returned 0 l, so at most 4 l can come back, not 5") {
                try await back("SHOP", StockLine(product: "MILK", picks: [.init(number: "R1", quantity: 5)]))
            }
            // Two lines of one return count together.
            await expectRefusal(.conflict, "SHOP was issued 4 l and returned 3 l, so at most 1 l can come back, not 2") {
                _ = try await registry.returnFromCustomer(CustomerReturn(warehouse: "MAIN", customer: "SHOP", lines: [
                    StockLine(product: "MILK", picks: [.init(number: "R1", quantity: 3)]), StockLine(product: "MILK", picks: [.init(number: "R1", quantity: 2)]),
                ], header: header(2)))
            }
            await expectRefusal(.conflict, "serial IMEI-2 of PHONE was never issued to SHOP") {
                try await back("SHOP", .serials("PHONE", ["IMEI-2"]))
            }
            #expect(try await registry.stock(product: "MILK").map { "\($0.warehouse) \($0.number ?? "-") \($0.quantity)" } == before)

            try await back("SHOP", StockLine(product: "MILK", picks: [.init(number: "R1", quantity: 3)]))
            try await back("SHOP", StockLine(product: "MILK", picks: [.init(number: "R1", quantity: 1)]))
            await expectRefusal(.conflict, "lot R1 of MILK already came back from SHOP: all 4 l issued to them were returned") {
                try await back("SHOP", StockLine(product: "MILK", picks: [.init(number: "R1", quantity: 1)]))
            }
            // Dated before the issue it reverses: refused (the balance between would count it twice).
            await expectRefusal(.conflict, "serial IMEI-1 of PHONE was issued to SHOP after \(day0): a return dated \(day0) cannot bring it back") {
                _ = try await registry.returnFromCustomer(CustomerReturn(warehouse: "MAIN", customer: "SHOP", lines: [.serials("PHONE", ["IMEI-1"])],
                                                                         header: header()))
            }
            try await back("SHOP", .serials("PHONE", ["IMEI-1"]))
            try await back("ANY", .serials("PHONE", ["IMEI-2"]))
            await expectRefusal(.conflict, "serial IMEI-2 of PHONE already came back from ANY") {
                try await back("ANY", .serials("PHONE", ["IMEI-2"]))
            }
            #expect(try await registry.stock(product: "MILK").first { $0.warehouse == "MAIN" && $0.number == "R1" }?.quantity == 10)

            // Goods without numbers likewise: no more than the customer was issued, never from
            // one who bought none, and back at the cost they left at.
            _ = try await registry.receive(Receipt(warehouse: "MAIN", supplier: "ACME", lines: [StockLine(product: "BOLT", quantity: 100, unitCost: 0.1)],
                                                   header: header()))
            _ = try await registry.issue(Issue(warehouse: "MAIN", customer: "SHOP", lines: [StockLine(product: "BOLT", quantity: 30)], header: header(1)))
            await expectRefusal(.conflict, "BOLT: SHOP was issued 30 pcs and returned 0 pcs, so at most 30 pcs can come back, not 31") {
                try await back("SHOP", StockLine(product: "BOLT", quantity: 31))
            }
            await expectRefusal(.conflict, "BOLT was never issued to ANY") { try await back("ANY", StockLine(product: "BOLT", quantity: 5)) }
            try await back("SHOP", StockLine(product: "BOLT", quantity: 30))
            let bolts = try await registry.stock(product: "BOLT", warehouse: "MAIN").map(\.quantity)
            #expect(bolts.reduce(0, +) == 100, "\(bolts)")
        }
    }

    /// A document dated before others takes its goods out on its date: an issue or transfer
    /// dated before its goods came in is refused (the balance between would be below zero), one
    /// dated on or after that day posts, and the balance on every day stays at zero or above.
    /// A lot used up in one warehouse while another still holds some (a production line's
    /// component run out) is said to be used up there, not to be "in MAIN, not in LINE".
    @Test(arguments: Backend.available)
    func aLotUsedUpInAWarehouseSaysSo(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, _ in
            _ = try await registry.receive(Receipt(warehouse: "MAIN", supplier: "ACME", lines: [StockLine(product: "MILK", picks: [lot("U1", 10, expires: 200)])],
                                                   header: header()))
            _ = try await registry.transfer(Transfer(from: "MAIN", to: "EAST", lines: [StockLine(product: "MILK", picks: [.init(number: "U1", quantity: 3)])],
                                                     header: header()))
            _ = try await registry.writeOff(WriteOff(warehouse: "EAST", reason: .damaged, lines: [StockLine(product: "MILK", picks: [.init(number: "U1", quantity: 3)])],
                                                     header: header()))
            await expectRefusal(.conflict, "lot U1 of MILK: none is left in EAST (it was used up or moved out; MAIN still holds some): take another lot") {
                _ = try await registry.writeOff(WriteOff(warehouse: "EAST", reason: .damaged, lines: [StockLine(product: "MILK", picks: [.init(number: "U1", quantity: 1)])],
                                                         header: header()))
            }
        }
    }

    @Test(arguments: Backend.available)
    func aBackDatedDocumentCannotTakeGoodsBeforeTheyCameIn(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, _ in
            _ = try await registry.receive(Receipt(warehouse: "MAIN", supplier: "ACME", lines: [
                StockLine(product: "MILK", picks: [lot("B1", 10, expires: 200)]), StockLine(product: "BOLT", quantity: 5),
            ], header: header(5)))
            let milk = StockLine(product: "MILK", picks: [.init(number: "B1", quantity: 4)])
            await expectRefusal(.conflict, "lot B1 of MILK: an issue dated \(day0.adding(days: 2)) would leave MAIN holding -4 l on \(day0.adding(days: 2)): it held only 0 l of it that day; date it \(day0.adding(days: 5)) or later, when MAIN holds enough, or take less") {
                _ = try await registry.issue(Issue(warehouse: "MAIN", customer: "ANY", lines: [milk], header: header(2)))
            }
            await expectRefusal(.conflict, "product BOLT: a transfer dated \(day0.adding(days: 4)) would leave MAIN holding -1 pcs") {
                _ = try await registry.transfer(Transfer(from: "MAIN", to: "EAST", lines: [StockLine(product: "BOLT", quantity: 1)], header: header(4)))
            }
            #expect(try await registry.stock(product: "MILK").map(\.quantity) == [10])
            _ = try await registry.issue(Issue(warehouse: "MAIN", customer: "ANY", lines: [milk], header: header(5)))
            // Back-dated among later documents, but after the goods came in: allowed.
            _ = try await registry.receive(Receipt(warehouse: "MAIN", supplier: "ACME", lines: [StockLine(product: "BOLT", quantity: 1)], header: header(9)))
            _ = try await registry.transfer(Transfer(from: "MAIN", to: "EAST", lines: [StockLine(product: "BOLT", quantity: 5)], header: header(7)))
            await expectRefusal(.conflict, "product BOLT: an issue dated \(day0.adding(days: 8)) would leave MAIN holding -1 pcs on \(day0.adding(days: 8))") {
                _ = try await registry.issue(Issue(warehouse: "MAIN", customer: "ANY", lines: [StockLine(product: "BOLT", quantity: 1)], header: header(8)))
            }
            _ = try await registry.issue(Issue(warehouse: "MAIN", customer: "ANY", lines: [StockLine(product: "BOLT", quantity: 1)], header: header(9)))
            // The goods were there on its date, but a later issue takes them: that issue is named,
            // and the date it names posts (it said "the goods came in after that date", and its
            // advice was refused again: found by a QA run).
            _ = try await registry.issue(Issue(warehouse: "MAIN", customer: "ANY", lines: [StockLine(product: "MILK", picks: [.init(number: "B1", quantity: 5)])], header: header(9)))
            _ = try await registry.receive(Receipt(warehouse: "MAIN", supplier: "ACME", lines: [StockLine(product: "MILK", picks: [lot("B1", 10, expires: 200)])], header: header(10)))
            let writeOff = { (day: Int) in WriteOff(warehouse: "MAIN", reason: .damaged, lines: [StockLine(product: "MILK", picks: [.init(number: "B1", quantity: 3)])], header: header(day)) }
            await expectRefusal(.conflict, "lot B1 of MILK: a write-off dated \(day0.adding(days: 6)) would leave MAIN holding -2 l on \(day0.adding(days: 9)): ISS-000003 takes 5 l that day; date it \(day0.adding(days: 10)) or later, when MAIN holds enough, or take less") {
                _ = try await registry.writeOff(writeOff(6))
            }
            _ = try await registry.writeOff(writeOff(10))
            #expect(try await registry.stock(product: "MILK").map(\.quantity) == [8])
        }
    }

    /// A serial received dated back is in stock at most once on every day since: received again
    /// dated before the issue that took it out, the days between held it twice (2 pcs of one
    /// serial in the balance, or it in two warehouses; found by a QA run). Dated after it: taken.
    @Test(arguments: Backend.available)
    func aSerialReceivedDatedBackIsNeverInStockTwice(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, _ in
            _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [.serials("PHONE", ["BD-1"])], header: header(1)))
            let issued = try await registry.issue(Issue(warehouse: "MAIN", customer: "ANY", lines: [.serials("PHONE", ["BD-1"])], header: header(5)))
            for warehouse in ["MAIN", "EAST"] {
                await expectRefusal(.conflict, "serial BD-1 of PHONE was in stock on \(day0.adding(days: 3)) until \(issued.number) dated \(day0.adding(days: 5)) took it out: dated \(day0.adding(days: 3)), this receipt would hold it twice") {
                    _ = try await registry.receive(Receipt(warehouse: warehouse, lines: [.serials("PHONE", ["BD-1"])], header: header(3)))
                }
            }
            #expect(try await registry.balance(at: day0.adding(days: 4), product: "PHONE").lines.map(\.quantity) == [1])
            _ = try await registry.receive(Receipt(warehouse: "EAST", lines: [.serials("PHONE", ["BD-1"])], header: header(5)))
            #expect(try await registry.stock(product: "PHONE").map { "\($0.warehouse) \($0.quantity)" } == ["EAST 1"])
        }
    }

    @Test(arguments: Backend.available)
    func aWrongSerialIsCorrectedByWriteOffAndReceiptNeverByEditing(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, _ in
            _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [.serials("PHONE", ["SN-TYPO"])], header: header()))
            await expectRefusal(.invalidInput, "name the serials to take") {
                _ = try await registry.writeOff(WriteOff(warehouse: "MAIN", reason: .correction, lines: [StockLine(product: "PHONE", quantity: 1)]))
            }
            let off = try await registry.writeOff(WriteOff(warehouse: "MAIN", reason: .correction, lines: [.serials("PHONE", ["SN-TYPO"])], header: header()))
            #expect(off.number == "WO-000001")
            _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [.serials("PHONE", ["SN-RIGHT"])], header: header()))
            #expect(try await registry.lotSerial(product: "PHONE", number: "SN-TYPO")?.status == .writtenOff)
            #expect(try await registry.history(product: "PHONE", number: "SN-TYPO").entries.map(\.what) == ["receipt", "write-off"])
        }
    }

    @Test(arguments: Backend.available)
    func classesThatAssignOnUseNumberGoodsWhenTheyAreIssued(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, _ in
            _ = try await registry.addClass(LotSerialClass(code: "USE", tracking: .serial, assignment: .use, format: "U{counter:3}"))
            _ = try await registry.addProduct(Product(article: "CABLE", lotSerialClass: "USE"))
            _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [StockLine(product: "CABLE", quantity: 5)], header: header()))
            #expect(try await registry.stock(product: "CABLE").map(\.number) == [nil])
            let posted = try await registry.issue(Issue(warehouse: "MAIN", customer: "ANY", lines: [StockLine(product: "CABLE", quantity: 2)], header: header()))
            #expect(Set(posted.movements.compactMap(\.number)) == ["U001", "U002"])
            #expect(try await registry.lotSerial(product: "CABLE", number: "U001")?.status == .shipped)
            #expect(try await registry.stock(product: "CABLE").first?.quantity == 3)
        }
    }

    /// A lot numbered as it is issued went to its customer like any other: its recall lists the
    /// customer with what they hold, its trace the issue once, and the customer may return it
    /// (found by a QA run: counted with the movement that numbered it, +25 − 25, the delivery was
    /// 0, the customer missing from the recall, and the return refused as never issued).
    @Test(arguments: Backend.available)
    func aLotNumberedAsItIsIssuedIsDeliveredToItsCustomer(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, _ in
            _ = try await registry.addClass(LotSerialClass(code: "USEL", tracking: .lot, assignment: .use, format: "UL{counter:3}"))
            _ = try await registry.addProduct(Product(article: "FLOUR", unit: "kg", lotSerialClass: "USEL"))
            let received = try await registry.receive(Receipt(warehouse: "MAIN", supplier: "ACME", lines: [StockLine(product: "FLOUR", quantity: 50)],
                                                              header: header()))
            let posted = try await registry.issue(Issue(warehouse: "MAIN", customer: "ANY", lines: [StockLine(product: "FLOUR", quantity: 25)],
                                                        header: header(1)))
            // Back to its supplier: the receipt of the stock without numbers it was numbered from
            // (a QA run saw "suppliers: none").
            let back = try await registry.trace(product: "FLOUR", number: "UL001", direction: .backward)
            #expect(back.root.parties.map { "\($0.what) \($0.partner ?? "-") \($0.document) \($0.quantity)" } == ["receipt-unnumbered ACME \(received.number) 50"])
            #expect(back.partners == ["ACME"])
            #expect(Set(posted.movements.compactMap(\.number)) == ["UL001"])
            let recall = try await registry.openRecall(product: "FLOUR", numbers: ["UL001"], reason: "mould", user: "qa")
            let report = try await registry.recallReport(recall.id)
            #expect(report.exposure.map { "\($0.customer ?? "-") \($0.document) \($0.quantity)" } == ["ANY \(posted.number) 25"])
            let trace = try await registry.trace(product: "FLOUR", number: "UL001", direction: .forward)
            #expect(trace.root.parties.map { "\($0.what) \($0.partner ?? "-") \($0.quantity)" } == ["issue ANY 25"])
            _ = try await registry.returnFromCustomer(CustomerReturn(warehouse: "MAIN", customer: "ANY",
                                                                     lines: [StockLine(product: "FLOUR", picks: [StockLine.Pick(number: "UL001", quantity: 1)])], header: header(2)))
            #expect(try await registry.stock(product: "FLOUR").map { "\($0.number ?? "-") \($0.quantity)" }.sorted() == ["- 25", "UL001 1"])
        }
    }

    /// Goods of a class that numbers on use take their dates when they are numbered: a receipt
    /// without numbers that gives an expiry is refused (it would be lost), and the expiry an issue
    /// gives the numbers it makes is held to the rules of any lot's: expired only with an
    /// override, recorded; not with less shelf life than the customer requires (found by a QA
    /// run: both were posted, and the receipt's expiry dropped without a word).
    @Test(arguments: Backend.available)
    func numbersMadeByAnIssueAreHeldToItsExpiryRules(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, _ in
            _ = try await registry.addClass(LotSerialClass(code: "USEL", tracking: .lot, assignment: .use, format: "UL{counter:3}"))
            _ = try await registry.addProduct(Product(article: "FLOUR", unit: "kg", lotSerialClass: "USEL"))
            await expectRefusal(.invalidInput, "line for FLOUR: class USEL numbers its lots when they are used, and goods received without a number keep no date, so an expiry (\(day0.adding(days: 40))) here would be lost") {
                _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [StockLine(product: "FLOUR", quantity: 50, expiry: day0.adding(days: 40))],
                                                       header: header()))
            }
            _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [StockLine(product: "FLOUR", quantity: 50)], header: header()))
            await expectRefusal(.conflict, "line for FLOUR: what it numbers now expired on \(day0.adding(days: -1)): issuing it needs an explicit override") {
                _ = try await registry.issue(Issue(warehouse: "MAIN", customer: "ANY",
                                                   lines: [StockLine(product: "FLOUR", quantity: 1, expiry: day0.adding(days: -1))], header: header()))
            }
            await expectRefusal(.conflict, "line for FLOUR: what it numbers now expires on \(day0.adding(days: 10)), 10 days after \(day0); customer SHOP requires at least 60 days") {
                _ = try await registry.issue(Issue(warehouse: "MAIN", customer: "SHOP",
                                                   lines: [StockLine(product: "FLOUR", quantity: 1, expiry: day0.adding(days: 10))], header: header()))
            }
            #expect(try await registry.stock(product: "FLOUR").map { "\($0.number ?? "-") \($0.quantity)" } == ["- 50"])
            let posted = try await registry.issue(Issue(warehouse: "MAIN", customer: "ANY", lines: [StockLine(product: "FLOUR", quantity: 1, expiry: day0.adding(days: -1))],
                                                        allowExpired: true, header: header()))
            #expect(posted.movements.last?.override == "expired \(day0.adding(days: -1))", "\(posted.movements)")
        }
    }

    /// A quality hold set by hand goes on when the lot comes back after leaving stock whole (a
    /// return, a receipt after a write-off), recorded with the document; without one the lot is
    /// available again. The hold was lost, and the lot proposed again (found by a QA run).
    @Test(arguments: Backend.available)
    func aQualityHoldOutlivesTheLotLeavingStockAndComingBack(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, _ in
            _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [StockLine(product: "MILK", picks: [lot("Q-1", 2, expires: 60), lot("B-1", 2, expires: 60),
                                                                                                                lot("F-1", 2, expires: 60)])], header: header()))
            _ = try await registry.changeStatus(product: "MILK", number: "Q-1", to: .quarantined, user: "qa", reason: "lab")
            _ = try await registry.changeStatus(product: "MILK", number: "B-1", to: .blocked, user: "qa", reason: "torn seals")
            _ = try await registry.issue(Issue(warehouse: "MAIN", customer: "ANY", lines: [StockLine(product: "MILK", picks: [lot("Q-1", 2, expires: 60), lot("F-1", 2, expires: 60)])],
                                               allowQuarantined: true, header: header(1)))
            #expect(try await registry.lotSerial(product: "MILK", number: "Q-1")?.status == .shipped)
            _ = try await registry.writeOff(WriteOff(warehouse: "MAIN", reason: .damaged, lines: [StockLine(product: "MILK", picks: [lot("B-1", 2, expires: 60)])], header: header(1)))
            let back = try await registry.returnFromCustomer(CustomerReturn(warehouse: "MAIN", customer: "ANY",
                                                                            lines: [StockLine(product: "MILK", picks: [lot("Q-1", 1, expires: 60), lot("F-1", 1, expires: 60)])], header: header(2)))
            _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [StockLine(product: "MILK", picks: [lot("B-1", 1, expires: 60)])], header: header(2)))
            #expect(try await registry.lotSerial(product: "MILK", number: "Q-1")?.status == .quarantined)
            #expect(try await registry.lotSerial(product: "MILK", number: "B-1")?.status == .blocked)
            #expect(try await registry.lotSerial(product: "MILK", number: "F-1")?.status == .available)
            let last = try #require(try await registry.history(product: "MILK", number: "Q-1").entries.last(where: { $0.what == "status" }))
            #expect(last.note.contains("back in stock with \(back.number), still quarantined as it was when it left: lab"), "\(last)")
            let proposal = try await registry.proposal(product: "MILK", warehouse: "MAIN", quantity: 3, date: day0.adding(days: 2))
            #expect(proposal.picks.map(\.number) == ["F-1"], "\(proposal.picks)")
        }
    }

    /// A document dated back is proposed, and takes, only what the warehouse held on its date and
    /// kept on every day after: a lot received later is not proposed (a QA run saw LIFO propose
    /// it, and the issue then refused for it while the earlier lot could cover it), and a lot
    /// that dipped later gives only what leaves no day below nothing.
    @Test(arguments: Backend.available)
    func aBackDatedIssueTakesWhatWasHeldOnItsDate(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, _ in
            _ = try await registry.addClass(LotSerialClass(code: "LIFO", tracking: .lot, issueMethod: .lifo, format: "N{counter:3}"))
            _ = try await registry.addProduct(Product(article: "NUT", lotSerialClass: "LIFO"))
            _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [StockLine(product: "NUT", picks: [.init(number: "A", quantity: 10)])], header: header()))
            _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [StockLine(product: "NUT", picks: [.init(number: "B", quantity: 10)])], header: header(4)))
            _ = try await registry.issue(Issue(warehouse: "MAIN", customer: "ANY", lines: [StockLine(product: "NUT", picks: [.init(number: "A", quantity: 6)])],
                                               header: header(5)))
            _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [StockLine(product: "NUT", picks: [.init(number: "A", quantity: 6)])], header: header(6)))
            // On day 2 only A was there, 10 of it, but 6 left on day 5: 4 may go on day 2.
            let back = try await registry.proposal(product: "NUT", warehouse: "MAIN", quantity: 15, date: day0.adding(days: 2))
            #expect(back.picks.map { "\($0.number) \($0.quantity)" } == ["A 4"], "\(back.picks)")
            #expect(back.shortfall == 11)
            let today = try await registry.proposal(product: "NUT", warehouse: "MAIN", quantity: 15, date: registry.today)
            #expect(today.picks.map { "\($0.number) \($0.quantity)" } == ["B 10", "A 5"], "\(today.picks)")
            let posted = try await registry.issue(Issue(warehouse: "MAIN", customer: "ANY", lines: [StockLine(product: "NUT", quantity: 3)], header: header(2)))
            #expect(posted.movements.map { "\($0.number ?? "-") \($0.quantity)" } == ["A -3"], "\(posted.movements)")
            await expectRefusal(.conflict, "MAIN has") {
                _ = try await registry.issue(Issue(warehouse: "MAIN", customer: "ANY", lines: [StockLine(product: "NUT", quantity: 2)], header: header(2)))
            }
        }
    }

    /// A partner code with ':' could never be picked for (TM:PICK:<code> splits there): refused
    /// when the partner is added (found by a QA run).
    @Test func aPartnerCodeWithAColonIsRefused() async throws {
        try await withStockRegistry(.sqlite) { registry, _ in
            await expectRefusal(.invalidInput, "partner code A:B has a ':'") {
                _ = try await registry.addPartner(Partner(code: "A:B", role: .customer))
            }
        }
    }

    /// A product's counter start given as the one in effect (1, never set) is no change, so its
    /// end can be set after numbers were issued; a real change of the start is still refused, and
    /// so is an end below a number issued (found by QA runs: `--counter-start 1 --counter-end N`
    /// was refused, and an end of 1000001 with 1000007 issued was taken).
    @Test(arguments: Backend.available)
    func theCounterStartInEffectIsNoChange(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, _ in
            _ = try await registry.addClass(LotSerialClass(code: "PC", tracking: .serial, format: "P{counter:5}", counterScope: .product))
            _ = try await registry.addProduct(Product(article: "PUMP", lotSerialClass: "PC"))
            _ = try await registry.generate(product: "PUMP", count: 2)
            var pump = try await registry.product("PUMP")
            pump.counterStart = 1
            pump.counterEnd = 49_999
            #expect(try await registry.updateProduct(pump).counterEnd == 49_999)
            pump.counterStart = 2
            await expectRefusal(.conflict, "the start cannot change now") { _ = try await registry.updateProduct(pump) }
            // Nor can the end fall below a number issued (P00002 was).
            pump.counterStart = 1
            pump.counterEnd = 1
            await expectRefusal(.conflict, "its counter has issued numbers up to 2, so its end cannot be 1") { _ = try await registry.updateProduct(pump) }
            pump.counterEnd = 2
            #expect(try await registry.updateProduct(pump).counterEnd == 2)
        }
    }

    /// A class that numbers on use, with some stock numbered ahead (`assign`): an issue takes the
    /// numbered units first in the class's issue order, then numbers the rest, exactly as the
    /// proposal says; and it is refused only when both together fall short.
    @Test(arguments: Backend.available)
    func numberingOnUseTakesStockNumberedAheadFirstAsTheProposalSays(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, _ in
            _ = try await registry.addClass(LotSerialClass(code: "USE", tracking: .serial, assignment: .use, issueMethod: .sequential,
                                                           format: "U{counter:3}"))
            _ = try await registry.addProduct(Product(article: "CABLE", lotSerialClass: "USE"))
            _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [StockLine(product: "CABLE", quantity: 10)], header: header()))
            _ = try await registry.assign(product: "CABLE", warehouse: "MAIN", numbers: ["X-02", "X-01", "X-03"], header: header())

            let proposal = try await registry.proposal(product: "CABLE", warehouse: "MAIN", quantity: 5, date: day0)
            #expect(proposal.picks.map(\.number) == ["X-01", "X-02", "X-03"])
            #expect(proposal.numberedOnIssue == 2 && proposal.shortfall == 0 && proposal.withheld.isEmpty, "\(proposal)")
            let posted = try await registry.issue(Issue(warehouse: "MAIN", customer: "ANY", lines: [StockLine(product: "CABLE", quantity: 5)],
                                                        header: header()))
            #expect(Set(posted.movements.filter { $0.quantity < 0 }.compactMap(\.number)) == ["X-01", "X-02", "X-03", "U001", "U002"],
                    "\(posted.movements)")
            #expect(try await registry.stock(product: "CABLE").map { "\($0.number ?? "-") \($0.quantity)" } == ["- 5"])

            let short = try await registry.proposal(product: "CABLE", warehouse: "MAIN", quantity: 8, date: day0)
            #expect(short.numberedOnIssue == 5 && short.shortfall == 3)
            await expectRefusal(.conflict, "product CABLE: MAIN has 0 pcs numbered and 5 pcs without a number available to issue, not the 8 asked for") {
                _ = try await registry.issue(Issue(warehouse: "MAIN", customer: "ANY", lines: [StockLine(product: "CABLE", quantity: 8)], header: header()))
            }
        }
    }

    @Test(arguments: Backend.available)
    func anUnknownSerialIsRefusedUnlessTheProductAllowsItThenFlagged(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, _ in
            _ = try await registry.addClass(LotSerialClass(code: "PLAIN", tracking: .serial, assignment: .use))
            _ = try await registry.addProduct(Product(article: "TOOL", lotSerialClass: "PLAIN", allowsUnknownSerials: true))
            _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [StockLine(product: "TOOL", quantity: 2), .serials("PHONE", ["P1"])], header: header()))
            await expectRefusal(.notFound, "serial P404 of product PHONE was never received") {
                _ = try await registry.issue(Issue(warehouse: "MAIN", lines: [.serials("PHONE", ["P404"])]))
            }
            let posted = try await registry.issue(Issue(warehouse: "MAIN", customer: "ANY", lines: [.serials("TOOL", ["T-77"])], header: header()))
            #expect(posted.movements.last?.number == "T-77")
            let serial = try #require(try await registry.lotSerial(product: "TOOL", number: "T-77"))
            #expect(serial.flaggedForInvestigation)
            #expect(serial.origin == .unknown)
            #expect(try await registry.stock(product: "TOOL").first?.quantity == 1)
            // Two more unknown serials, one unit left without a number: the second is refused as
            // that, not as "TOOL without a number: MAIN holds 0 pcs" (found by a QA run).
            await expectRefusal(.conflict, "serial T-79 of TOOL was never received: an unknown serial takes a unit of the product's stock without a number, and MAIN has 0 pcs of it left") {
                _ = try await registry.issue(Issue(warehouse: "MAIN", customer: "ANY", lines: [.serials("TOOL", ["T-78", "T-79"])], header: header()))
            }
            #expect(try await registry.stock(product: "TOOL").first?.quantity == 1)
        }
    }

    @Test(arguments: Backend.available)
    func splittingALotKeepsTheLinkToItsParent(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, _ in
            _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [StockLine(product: "MILK", picks: [lot("PAL-1", 10, expires: 30)])], header: header()))
            for bad in [0, 10, 11] {
                await expectRefusal(.invalidInput, "more than 0 and less than the 10 l it holds in MAIN") {
                    _ = try await registry.split(product: "MILK", lot: "PAL-1", warehouse: "MAIN", quantity: Decimal(bad))
                }
            }
            await expectRefusal(.conflict, "split of lot PAL-1: EAST holds none of it") {
                _ = try await registry.split(product: "MILK", lot: "PAL-1", warehouse: "EAST", quantity: 1)
            }
            let (_, child) = try await registry.split(product: "MILK", lot: "PAL-1", warehouse: "MAIN", quantity: 3, header: header())
            #expect(child == "L0001")
            let history = try await registry.history(product: "MILK", number: child)
            #expect(history.splitFrom == "PAL-1")
            #expect(history.lotSerial.expiry == day0.adding(days: 30))
            #expect(try await registry.stock(product: "MILK").map { "\($0.number!) \($0.quantity)" } == ["L0001 3", "PAL-1 7"])
        }
    }

    @Test(arguments: Backend.available)
    func findsLotsByPartOfTheNumberStatusAttributeAndExpiry(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, _ in
            _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [StockLine(product: "MILK", picks: [
                lot("ABC-1", 1, expires: 10), lot("abc-2", 1, expires: 20), lot("XYZ_3", 1, expires: 30)])], header: header()))
            _ = try await registry.setAttributes(product: "MILK", number: "abc-2", [Attribute(name: "fat", value: .number(3))], user: "qa")
            #expect(try await registry.find(LotSerialQuery(text: "abc")).total == 2)
            #expect(try await registry.find(LotSerialQuery(text: "_")).items.map(\.number) == ["XYZ_3"])
            // Any case beyond ASCII too, on SQLite as on PostgreSQL (found by a QA run).
            _ = try await registry.receive(Receipt(warehouse: "EAST", lines: [StockLine(product: "MILK", picks: [lot("Ünï-5", 1, expires: 40)])],
                                                   header: header()))
            for text in ["Ünï", "ünï", "ÜNÏ-5"] {
                #expect(try await registry.find(LotSerialQuery(text: text)).items.map(\.number) == ["Ünï-5"], "\(text)")
            }
            #expect(try await registry.find(LotSerialQuery(attribute: "fat", attributeValue: "3")).items.map(\.number) == ["abc-2"])
            // A number however it is written: 3.00 is 3 (a QA run's 92.50 did not find 92.5).
            #expect(try await registry.find(LotSerialQuery(attribute: "fat", attributeValue: "3.00")).items.map(\.number) == ["abc-2"])
            #expect(try await registry.find(LotSerialQuery(expiresFrom: day0.adding(days: 15), expiresThrough: day0.adding(days: 25))).items.map(\.number) == ["abc-2"])
            let page = try await registry.find(LotSerialQuery(product: "MILK", limit: 2, offset: 3))
            #expect(page.total == 4)
            #expect(page.items.map(\.number) == ["ABC-1"])
        }
    }
}
