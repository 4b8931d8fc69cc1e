import Foundation
import GS1
import Registry
import Testing

/// Stock value at cost, lot by lot: receipts bring their unit cost, everything else moves the
/// cost of the lots and serials it takes, a production costs its inputs plus its added cost, and
/// the value on any day is rebuilt from the ledger. Answers computed by hand.
@Suite struct ValuationTests {
    @Test(arguments: Backend.available)
    func everyDocumentKindMovesTheCostOfWhatItMoves(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, _ in
            _ = try await registry.addProduct(Product(article: "CHEESE", unit: "kg", lotSerialClass: "FOOD"))
            // Day 0: 10 l of A at 2.50, 5 l of B at 3.00, 100 bolts at 0.10, three phones at 200.
            let receipt = try await registry.receive(Receipt(warehouse: "MAIN", supplier: "ACME", lines: [
                StockLine(product: "MILK", picks: [lot("A", 10, expires: 90)], unitCost: 2.5),
                StockLine(product: "MILK", picks: [lot("B", 5, expires: 60)], unitCost: 3),
                StockLine(product: "BOLT", quantity: 100, unitCost: 0.1),
                StockLine(product: "PHONE", picks: ["S1", "S2", "S3"].map { .init(number: $0) }, unitCost: 200),
            ], header: header(0)))
            #expect(receipt.movements.map(\.value) == [25, 15, 10, 200, 200, 200])
            // Day 1: 2 l of B and 40 bolts to EAST, at their cost.
            let transfer = try await registry.transfer(Transfer(from: "MAIN", to: "EAST", lines: [
                StockLine(product: "MILK", picks: [.init(number: "B", quantity: 2)]), StockLine(product: "BOLT", quantity: 40),
            ], header: header(1)))
            #expect(transfer.movements.map { "\($0.warehouse) \($0.value)" } == ["MAIN -6", "EAST 6", "MAIN -4", "EAST 4"])
            // Day 2: 4 l of A, phone S1 and 10 bolts sold.
            let issue = try await registry.issue(Issue(warehouse: "MAIN", customer: "ANY", lines: [
                StockLine(product: "MILK", picks: [.init(number: "A", quantity: 4)]), .serials("PHONE", ["S1"]),
                StockLine(product: "BOLT", quantity: 10),
            ], header: header(2)))
            #expect(issue.movements.map(\.value) == [-10, -200, -1])
            // Day 3: 3 l of A and 20 bolts make 2 kg of cheese C1, with 5.00 of work: 7.50 + 2.00 + 5.00.
            let production = try await registry.produce(Production(warehouse: "MAIN", inputs: [
                StockLine(product: "MILK", picks: [.init(number: "A", quantity: 3)]), StockLine(product: "BOLT", quantity: 20),
            ], outputs: [StockLine(product: "CHEESE", picks: [lot("C1", 2, expires: 30)])], addedCost: 5, header: header(3)))
            #expect(production.movements.map(\.value) == [Decimal(string: "-7.5")!, -2, Decimal(string: "14.5")!])
            // Day 4: 1 l of B damaged in EAST.
            let writeOff = try await registry.writeOff(WriteOff(warehouse: "EAST", reason: .damaged, lines: [
                StockLine(product: "MILK", picks: [.init(number: "B", quantity: 1)]),
            ], header: header(4)))
            #expect(writeOff.movements.map(\.value) == [-3])
            // Day 5: 1 l of A and phone S1 come back, at the cost they left at.
            let back = try await registry.returnFromCustomer(CustomerReturn(warehouse: "MAIN", customer: "ANY", lines: [
                StockLine(product: "MILK", picks: [.init(number: "A", quantity: 1)]), .serials("PHONE", ["S1"]),
            ], header: header(5)))
            #expect(back.movements.map(\.value) == [Decimal(string: "2.5")!, 200])
            // Day 6: 2 l of A split into A-1, which keeps their cost.
            let (split, _) = try await registry.split(product: "MILK", lot: "A", warehouse: "MAIN", quantity: 2, newNumber: "A-1", header: header(6))
            #expect(split.movements.map(\.value) == [-5, 5])
            // Day 7: 4 more litres of A at 3.00: A's cost becomes the average, (2 × 2.50 + 4 × 3.00) / 6.
            _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [StockLine(product: "MILK", picks: [.init(number: "A", quantity: 4)], unitCost: 3)],
                                                   header: header(7)))

            let expected = [
                "BOLT EAST - 40 4", "BOLT MAIN - 30 3", "CHEESE MAIN C1 2 14.5", "MILK EAST B 1 3", "MILK MAIN A 6 17", "MILK MAIN A-1 2 5",
                "MILK MAIN B 3 9", "PHONE MAIN S1 1 200", "PHONE MAIN S2 1 200", "PHONE MAIN S3 1 200",
            ]
            let valuation = try await registry.valuation(at: day0.adding(days: 7))
            #expect(valuation.lines.map { "\($0.product) \($0.warehouse) \($0.number ?? "-") \($0.quantity) \($0.value)" } == expected)
            #expect(valuation.total == Decimal(string: "655.5")!)
            #expect(valuation.lines.first { $0.number == "A" }?.unitCost == Decimal(string: "2.833333")!)
            #expect(valuation.csv.hasPrefix("product,warehouse,number,quantity,unit,unit_cost,value,cost_missing\r\nBOLT,EAST,,40,pcs,0.1,4,\r\n"), "\(valuation.csv)")
            // On day 2, before the production: A 6 l (15.00), B 3 l in MAIN, 2 l in EAST.
            let onDay2 = try await registry.valuation(at: day0.adding(days: 2), product: "MILK")
            #expect(onDay2.lines.map { "\($0.warehouse) \($0.number ?? "-") \($0.quantity) \($0.value)" } == ["EAST B 2 6", "MAIN A 6 15", "MAIN B 3 9"])
            // One warehouse (documents have a warehouse too: the filter is on the movements').
            let east = try await registry.valuation(at: day0.adding(days: 7), warehouse: "EAST")
            #expect(east.lines.map { "\($0.product) \($0.number ?? "-") \($0.value)" } == ["BOLT - 4", "MILK B 3"])
            #expect(try await registry.balance(at: day0.adding(days: 7), product: "MILK", warehouse: "MAIN").lines.map { "\($0.number ?? "-") \($0.quantity)" }
                    == ["A 6", "A-1 2", "B 3"])

            // Balance, statement and valuation agree on every day's end.
            for offset in -1...8 {
                let day = day0.adding(days: offset)
                let balance = try await registry.balance(at: day)
                let valued = try await registry.valuation(at: day)
                #expect(balance.lines.map { "\($0.product) \($0.warehouse) \($0.number ?? "-") \($0.quantity)" }
                        == valued.lines.map { "\($0.product) \($0.warehouse) \($0.number ?? "-") \($0.quantity)" }, "day \(offset)")
                let statement = try await registry.movementReport(from: day0.adding(days: -1), through: day)
                let closing = statement.groups.filter { $0.closing != 0 }.map { "\($0.product) \($0.warehouse) \($0.number ?? "-") \($0.closing)" }
                #expect(closing.sorted() == balance.lines.map { "\($0.product) \($0.warehouse) \($0.number ?? "-") \($0.quantity)" }.sorted(), "day \(offset)")
                // Each statement row carries the value its movement moved.
                let moved = statement.groups.flatMap(\.rows).reduce(Decimal(0)) { $0 + $1.value }
                #expect(moved == valued.total, "day \(offset)")
            }

            // A closed month keeps its value: the same answer from the kept balance.
            _ = try await registry.closePeriod(String(day0.description.prefix(7)), user: "controller")
            #expect(try await registry.valuation(at: day0.adding(days: 7)) == valuation)
            // A month without postings: the stock that was there, unmoved.
            let december = try await registry.movementReport(from: day0.adding(days: 8), through: day0.adding(days: 40), product: "MILK")
            #expect(!december.groups.isEmpty && december.groups.allSatisfy { $0.rows.isEmpty && $0.opening == $0.closing })

            await expectRefusal(.invalidInput, "a unit cost is given on receipts only") {
                _ = try await registry.issue(Issue(warehouse: "MAIN", lines: [StockLine(product: "BOLT", quantity: 1, unitCost: 1)], header: header(9)))
            }
            await expectRefusal(.invalidInput, "unit cost -1 is below zero") {
                _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [StockLine(product: "BOLT", quantity: 1, unitCost: -1)], header: header(9)))
            }
            await expectRefusal(.invalidInput, "added cost", "below zero") {
                _ = try await registry.produce(Production(warehouse: "MAIN", inputs: [StockLine(product: "BOLT", quantity: 1)],
                                                          outputs: [StockLine(product: "BOLT", quantity: 1)], addedCost: -2, header: header(9)))
            }
        }
    }

    /// Goods received without a unit cost, where none was known, are counted at 0 and said to be:
    /// a lot received so and then at 3.00 showed 20 l at 1.50, and nothing told the missing cost
    /// from a cost of 0 (found by a QA run). A cost of 0 given is not missing; a receipt without a
    /// cost into a lot that has one takes it; what is made from such goods is marked too.
    @Test(arguments: Backend.available)
    func goodsReceivedWithoutACostAreSaidToBe(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, _ in
            _ = try await registry.addProduct(Product(article: "CHEESE", unit: "kg", lotSerialClass: "FOOD"))
            _ = try await registry.receive(Receipt(warehouse: "MAIN", supplier: "ACME", lines: [
                StockLine(product: "MILK", picks: [lot("N", 10, expires: 90)]),
                StockLine(product: "MILK", picks: [lot("FREE", 5, expires: 90)], unitCost: 0),
                StockLine(product: "MILK", picks: [lot("A", 5, expires: 90)], unitCost: 2),
                StockLine(product: "BOLT", quantity: 10),
            ], header: header(0)))
            _ = try await registry.receive(Receipt(warehouse: "MAIN", supplier: "ACME", lines: [
                StockLine(product: "MILK", picks: [.init(number: "N", quantity: 10)], unitCost: 3),
                StockLine(product: "MILK", picks: [.init(number: "A", quantity: 5)]),
            ], header: header(1)))
            _ = try await registry.produce(Production(warehouse: "MAIN", inputs: [StockLine(product: "MILK", picks: [.init(number: "N", quantity: 4)])],
                                                      outputs: [StockLine(product: "CHEESE", picks: [lot("CN", 1, expires: 30)])], header: header(2)))
            _ = try await registry.produce(Production(warehouse: "MAIN", inputs: [StockLine(product: "MILK", picks: [.init(number: "A", quantity: 4)])],
                                                      outputs: [StockLine(product: "CHEESE", picks: [lot("CA", 1, expires: 30)])], header: header(2)))
            let valuation = try await registry.valuation(at: day0.adding(days: 2))
            #expect(valuation.lines.map { "\($0.product) \($0.number ?? "-") \($0.value)\($0.costMissing ? " missing" : "")" } == [
                "BOLT - 0 missing", "CHEESE CA 8", "CHEESE CN 6 missing", "MILK A 12", "MILK FREE 0", "MILK N 24 missing",
            ])
            #expect(valuation.linesWithoutCost == 3)
            #expect(valuation.csv.contains("MILK,MAIN,N,16,l,1.5,24,yes\r\n") && valuation.csv.contains("MILK,MAIN,FREE,5,l,0,0,\r\n"), "\(valuation.csv)")
            // Before it was received, nothing is marked.
            #expect(try await registry.valuation(at: day0.adding(days: -1)).linesWithoutCost == 0)
            // A lot split off a marked one is marked; a lot emptied and received again at a cost
            // holds no costless goods any more (a QA run found both marks wrong).
            _ = try await registry.split(product: "MILK", lot: "N", warehouse: "MAIN", quantity: 2, newNumber: "N-1", header: header(3))
            _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [StockLine(product: "MILK", picks: [lot("V", 10, expires: 90)])], header: header(3)))
            _ = try await registry.writeOff(WriteOff(warehouse: "MAIN", reason: .damaged, lines: [StockLine(product: "MILK", picks: [.init(number: "V", quantity: 10)])],
                                                     header: header(4)))
            _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [StockLine(product: "MILK", picks: [.init(number: "V", quantity: 10)], unitCost: 3)],
                                                   header: header(5)))
            let later = try await registry.valuation(at: day0.adding(days: 5), product: "MILK")
            #expect(later.lines.map { "\($0.number ?? "-") \($0.costMissing)" } == ["A false", "FREE false", "N true", "N-1 true", "V false"], "\(later.lines)")
            // On the day it held only the costless goods, it was marked.
            #expect(try await registry.valuation(at: day0.adding(days: 3), product: "MILK").lines.first { $0.number == "V" }?.costMissing == true)
        }
    }

    /// A lot taken to nothing is worth nothing: its last movement takes what is left of its value,
    /// to the millionth, rather than its average unit cost, whose rounding was left behind (a QA
    /// run: 5 at 1.50 and 2 at 2.50, written off as 3 and 4, left 0.000002 of an empty lot, and
    /// the lot's next receipt at 10.00 showed a unit cost of 10.000002). Taken one movement at a
    /// time, and as two lines of one document.
    @Test(arguments: Backend.available)
    func anEmptiedLotLeavesNoValueBehind(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, _ in
            for (number, lines) in [("V1", [[3], [4]]), ("V2", [[3, 4]])] {
                _ = try await registry.receive(Receipt(warehouse: "MAIN", supplier: "ACME", lines: [
                    StockLine(product: "MILK", picks: [lot(number, 5, expires: 90)], unitCost: 1.5),
                    StockLine(product: "MILK", picks: [lot(number, 2, expires: 90)], unitCost: 2.5),
                ], header: header(0)))
                var taken: Decimal = 0
                for amounts in lines {
                    let writeOff = try await registry.writeOff(WriteOff(warehouse: "MAIN", reason: .damaged, lines: amounts.map {
                        StockLine(product: "MILK", picks: [.init(number: number, quantity: Decimal($0))])
                    }, header: header(1)))
                    taken += writeOff.movements.map(\.value).reduce(0, +)
                }
                #expect(taken == -12.5, "\(number): the lot's whole value, 7.50 + 5.00")
                let empty = try await registry.valuation(at: day0.adding(days: 1), product: "MILK")
                #expect(empty.lines.first { $0.number == number }.map { $0.value } ?? 0 == 0, "\(number): \(empty.lines)")
                _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [
                    StockLine(product: "MILK", picks: [.init(number: number, quantity: 1)], unitCost: 10),
                ], header: header(2)))
                let again = try await registry.valuation(at: day0.adding(days: 2), product: "MILK")
                #expect(again.lines.first { $0.number == number }?.unitCost == 10, "\(number): \(again.lines)")
            }
        }
    }

    /// Stock without numbers taken to nothing is worth nothing too: received at 2.00 and at
    /// 0.00 and issued a unit at a time, it left -0.000001 on a valuation line of no quantity
    /// (found by a QA run). The same taken in one document of three lines.
    @Test(arguments: Backend.available)
    func emptiedStockWithoutNumbersLeavesNoValueBehind(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, _ in
            // Round 0: one unit a document, three documents; round 1: three lines in one document.
            for (round, lines) in [(0, [[1], [1], [1]]), (1, [[1, 1, 1]])] {
                _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [
                    StockLine(product: "BOLT", quantity: 1, unitCost: 2), StockLine(product: "BOLT", quantity: 2, unitCost: 0),
                ], header: header(round * 2)))
                var taken: Decimal = 0
                for amounts in lines {
                    let issue = try await registry.issue(Issue(warehouse: "MAIN", customer: "ANY", lines: amounts.map {
                        StockLine(product: "BOLT", quantity: Decimal($0))
                    }, header: header(round * 2 + 1)))
                    taken += issue.movements.map(\.value).reduce(0, +)
                }
                #expect(taken == -2, "round \(round): the stock's whole value, 2.00")
                let empty = try await registry.valuation(at: day0.adding(days: round * 2 + 1), product: "BOLT")
                #expect(empty.total == 0 && empty.lines.allSatisfy { $0.value == 0 }, "round \(round): \(empty.lines)")
            }
        }
    }

    /// A production's inputs are shared by the outputs that consumed them, by quantity, and the
    /// outputs add up to exactly the inputs plus the added cost however it divides.
    /// A return comes back at the cost its goods left at, even after the lot was received again
    /// at another cost: 10 kg issued at 0.70 come back as 7.00, not at the lot's average then.
    @Test(arguments: Backend.available)
    func aReturnComesBackAtTheCostItLeftAt(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, _ in
            _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [StockLine(product: "MILK", picks: [lot("S-1", 40, expires: 200)],
                                                                                       unitCost: Decimal(string: "0.7")!)], header: header(0)))
            let issue = try await registry.issue(Issue(warehouse: "MAIN", customer: "ANY", lines: [
                StockLine(product: "MILK", picks: [.init(number: "S-1", quantity: 10)]),
            ], header: header(1)))
            #expect(issue.movements.map(\.value) == [-7])
            _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [StockLine(product: "MILK", picks: [.init(number: "S-1", quantity: 30)],
                                                                                       unitCost: 1)], header: header(2)))
            let back = try await registry.returnFromCustomer(CustomerReturn(warehouse: "MAIN", customer: "ANY", lines: [
                StockLine(product: "MILK", picks: [.init(number: "S-1", quantity: 4)]), StockLine(product: "MILK", picks: [.init(number: "S-1", quantity: 6)]),
            ], header: header(3)))
            #expect(back.movements.map(\.value) == [Decimal(string: "2.8")!, Decimal(string: "4.2")!], "\(back.movements)")
            let valuation = try await registry.valuation(at: day0.adding(days: 3), product: "MILK")
            #expect(valuation.total == 58, "\(valuation.lines)")  // 28.00 - 7.00 + 30.00 + 7.00
        }
    }

    @Test(arguments: Backend.available)
    func aProductionsOutputsAddUpToItsInputsAndAddedCost(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, _ in
            _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [
                StockLine(product: "MILK", picks: [lot("A", 10, expires: 90)], unitCost: 1),
                StockLine(product: "BOLT", quantity: 10, unitCost: 2),
            ], header: header(0)))
            // Milk (10.00) feeds three phones; bolts (20.00) feed the phones and 2 l of lot M; 1.00 of work shared by all 5 units.
            let made = try await registry.produce(Production(warehouse: "MAIN", inputs: [
                StockLine(product: "MILK", picks: [.init(number: "A", quantity: 10)]), StockLine(product: "BOLT", quantity: 10),
            ], outputs: [
                StockLine(product: "PHONE", picks: ["P1", "P2", "P3"].map { .init(number: $0) }, inputs: [0, 1]),
                StockLine(product: "MILK", picks: [lot("M", 2, expires: 30)], inputs: [1]),
            ], addedCost: 1, header: header(1)))
            let outputs = made.movements.filter { $0.quantity > 0 }
            #expect(outputs.reduce(Decimal(0)) { $0 + $1.value } == 31)
            // Phones: 10 + 20 × 3/5 + 1 × 3/5 = 22.6 over three; lot M: 20 × 2/5 + 1 × 2/5 = 8.4.
            #expect(outputs.map { "\($0.number ?? "-") \($0.value)" } == ["P1 7.533333", "P2 7.533334", "P3 7.533333", "M 8.4"])
        }
    }
    /// A return brings back what the customer still holds at what it left at: issued less what
    /// came back before. Shared over every issue ever, a second return came back at the average
    /// of both issues and value was lost with everything back in stock (found by a QA run).
    @Test(arguments: Backend.available)
    func aReturnAfterAnEarlierReturnBringsBackWhatIsStillOut(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, _ in
            let oil = [StockLine.Pick(number: "A", quantity: 10, expiry: day0.adding(days: 300))]
            let sold = [StockLine(product: "MILK", picks: [.init(number: "A", quantity: 10)])]
            _ = try await registry.receive(Receipt(warehouse: "MAIN", supplier: "ACME", lines: [StockLine(product: "MILK", picks: oil, unitCost: 1)], header: header(0)))
            _ = try await registry.issue(Issue(warehouse: "MAIN", customer: "ANY", lines: sold, header: header(0)))
            _ = try await registry.returnFromCustomer(CustomerReturn(warehouse: "MAIN", customer: "ANY", lines: sold, header: header(0)))
            _ = try await registry.receive(Receipt(warehouse: "MAIN", supplier: "ACME", lines: [StockLine(product: "MILK", picks: oil, unitCost: 3)], header: header(1)))
            let second = try await registry.issue(Issue(warehouse: "MAIN", customer: "ANY", lines: sold, header: header(1)))
            #expect(second.movements.map(\.value) == [-20])
            let back = try await registry.returnFromCustomer(CustomerReturn(warehouse: "MAIN", customer: "ANY", lines: sold, header: header(2)))
            #expect(back.movements.map(\.value) == [20])
            let valuation = try await registry.valuation(at: day0.adding(days: 2))
            #expect(valuation.total == 40, "\(valuation.lines)")
        }
    }

    /// A document dated back takes its goods out at their cost on its date: it took the average
    /// a later receipt made, and the lot was worth -40 with nothing in it on the days between
    /// (found by a QA run). What is left then goes out at what is left.
    @Test(arguments: Backend.available)
    func aBackDatedIssueTakesTheCostOfItsDate(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, _ in
            func receipt(_ day: Int, _ cost: Decimal) -> Receipt {
                Receipt(warehouse: "MAIN", supplier: "ACME", lines: [
                    StockLine(product: "MILK", picks: [.init(number: "O", quantity: 10, expiry: day0.adding(days: 300))], unitCost: cost),
                    StockLine(product: "BOLT", quantity: 10, unitCost: cost),
                ], header: header(day))
            }
            _ = try await registry.receive(receipt(0, 1))
            _ = try await registry.receive(receipt(4, 9))
            // Picks named (one statement each) and a line the registry allocates (taken together).
            let issue = try await registry.issue(Issue(warehouse: "MAIN", customer: "ANY", lines: [
                StockLine(product: "MILK", picks: [.init(number: "O", quantity: 10)]), StockLine(product: "BOLT", quantity: 4),
            ], header: header(2)))
            #expect(issue.movements.map(\.value) == [-10, -4])
            let then = try await registry.valuation(at: day0.adding(days: 2))
            // Nothing of the lot that day, and no value either (a line of 0 l at -40 before).
            #expect(then.lines.map { "\($0.product) \($0.quantity) \($0.value)" } == ["BOLT 6 6"], "\(then.lines)")
            // What is left costs what is left: 90 for the 10 l received at 9, (100 - 4) / 16 = 6 a bolt.
            let rest = try await registry.issue(Issue(warehouse: "MAIN", customer: "ANY", lines: [
                StockLine(product: "MILK", picks: [.init(number: "O", quantity: 5)]), StockLine(product: "BOLT", quantity: 8),
            ], header: header(5)))
            #expect(rest.movements.map(\.value) == [-45, -48])
            let now = try await registry.valuation(at: day0.adding(days: 5))
            #expect(now.total == 93, "\(now.lines)")
        }
    }

    /// Dated back before goods came in at another cost and were taken out since, a document
    /// would change the cost those later documents took them out at, booked already: refused,
    /// saying from when it may be dated (taken at today's average it left the lot worth -17.5
    /// with 5 in it on its date; found by a QA run re-testing the fix above).
    @Test(arguments: Backend.available)
    func aBackDatedIssueThatWouldChangeLaterIssuesCostsIsRefused(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, _ in
            func receipt(_ day: Int, _ cost: Decimal) -> Receipt {
                Receipt(warehouse: "MAIN", supplier: "ACME", lines: [
                    StockLine(product: "MILK", picks: [.init(number: "G", quantity: 10, expiry: day0.adding(days: 300))], unitCost: cost),
                ], header: header(day))
            }
            func issue(_ day: Int, _ quantity: Decimal) async throws -> PostedDocument {
                try await registry.issue(Issue(warehouse: "MAIN", customer: "ANY", lines: [StockLine(product: "MILK", picks: [.init(number: "G", quantity: quantity)])],
                                               header: header(day)))
            }
            _ = try await registry.receive(receipt(0, 1))
            _ = try await registry.receive(receipt(4, 10))
            let later = try await issue(6, 15)
            await expectRefusal(.conflict, "lot G of MILK in MAIN: an issue dated \(day0.adding(days: 2)) would change the cost at which documents after it took it out, booked already (RCT-000002 of \(day0.adding(days: 4)) brought some in at another cost, and \(later.number) of \(day0.adding(days: 6)) took some out since): date it \(day0.adding(days: 6)) or later") {
                _ = try await issue(2, 5)
            }
            // Nor may goods come in dated back at another cost before a way out booked since (a
            // receipt entered late left the later issue at a cost the ledger no longer bore).
            await expectRefusal(.conflict, "lot G of MILK in MAIN: a receipt dated \(day0.adding(days: 5)) would change the cost at which documents after it took it out, booked already (it comes in at another cost than the 5.5 a l of the 20 l it held then, and \(later.number) of \(day0.adding(days: 6)) took some out since): date it \(day0.adding(days: 6)) or later") {
                _ = try await registry.receive(receipt(5, 7))
            }
            // Without a cost, at the cost the lot had on that date: taken, as that cost would be.
            let late = try await registry.receive(Receipt(warehouse: "MAIN", supplier: "ACME", lines: [
                StockLine(product: "MILK", picks: [.init(number: "G", quantity: 2, expiry: day0.adding(days: 300))]),
            ], header: header(5)))
            #expect(late.movements.map(\.value) == [11])
            // At the cost everything there had, it changes no average: taken.
            _ = try await registry.receive(Receipt(warehouse: "MAIN", supplier: "ACME", lines: [StockLine(product: "BOLT", quantity: 10, unitCost: 2)], header: header(0)))
            _ = try await registry.issue(Issue(warehouse: "MAIN", customer: "ANY", lines: [StockLine(product: "BOLT", quantity: 4)], header: header(6)))
            _ = try await registry.receive(Receipt(warehouse: "MAIN", supplier: "ACME", lines: [StockLine(product: "BOLT", quantity: 5, unitCost: 2)], header: header(3)))
            // Dated then, it changes nothing booked: what is left goes at what is left.
            let dated = try await issue(6, 5)
            #expect(dated.movements.map(\.value) == [-27.5])
            let valuation = try await registry.valuation(at: day0.adding(days: 6))
            #expect(valuation.lines.map { "\($0.product) \($0.quantity) \($0.value)" } == ["BOLT 11 22", "MILK 2 11"], "\(valuation.lines)")
        }
    }
    /// Goods without a cost keep their mark when they move: a transfer's way out emptied the lot
    /// for a moment and the mark was lost in the new warehouse, and a unit sold and returned came
    /// back unmarked (found by a QA run at a returns desk). A unit that left after being received
    /// again at a cost comes back without the mark.
    @Test(arguments: Backend.available)
    func goodsWithoutACostKeepTheirMarkThroughTransfersAndReturns(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, _ in
            _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [.serials("PHONE", ["X1", "X2", "X3", "X4"])], header: header(0)))
            _ = try await registry.transfer(Transfer(from: "MAIN", to: "EAST", lines: [.serials("PHONE", ["X2"])], header: header(1)))
            _ = try await registry.issue(Issue(warehouse: "MAIN", customer: "ANY", lines: [.serials("PHONE", ["X3", "X4"])], header: header(1)))
            _ = try await registry.returnFromCustomer(CustomerReturn(warehouse: "MAIN", customer: "ANY", lines: [.serials("PHONE", ["X3"])], header: header(2)))
            // X4 comes back, is written off, bought back at a cost, sold and returned: costed now.
            _ = try await registry.returnFromCustomer(CustomerReturn(warehouse: "MAIN", customer: "ANY", lines: [.serials("PHONE", ["X4"])], header: header(2)))
            _ = try await registry.writeOff(WriteOff(warehouse: "MAIN", reason: .damaged, lines: [.serials("PHONE", ["X4"])], header: header(2)))
            _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [StockLine(product: "PHONE", picks: [.init(number: "X4")], unitCost: 50)],
                                                   header: header(3)))
            _ = try await registry.issue(Issue(warehouse: "MAIN", customer: "ANY", lines: [.serials("PHONE", ["X4"])], header: header(3)))
            _ = try await registry.returnFromCustomer(CustomerReturn(warehouse: "MAIN", customer: "ANY", lines: [.serials("PHONE", ["X4"])], header: header(4)))
            let valuation = try await registry.valuation(at: day0.adding(days: 4))
            #expect(valuation.lines.map { "\($0.warehouse) \($0.number ?? "-") \($0.value) \($0.costMissing)" }
                    == ["EAST X2 0 true", "MAIN X1 0 true", "MAIN X3 0 true", "MAIN X4 50 false"], "\(valuation.lines)")
            // A lot sold without a cost, then received at a cost, then the first goods back: they
            // come back without one, and the lot says so (the costed receipt lifted the mark; a
            // QA run re-testing this).
            _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [StockLine(product: "MILK", picks: [lot("U", 5, expires: 300)])], header: header(1)))
            _ = try await registry.issue(Issue(warehouse: "MAIN", customer: "ANY", lines: [StockLine(product: "MILK", picks: [.init(number: "U", quantity: 5)])],
                                               header: header(2)))
            _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [StockLine(product: "MILK", picks: [lot("U", 5, expires: 300)], unitCost: 3)],
                                                   header: header(3)))
            _ = try await registry.returnFromCustomer(CustomerReturn(warehouse: "MAIN", customer: "ANY",
                                                                     lines: [StockLine(product: "MILK", picks: [.init(number: "U", quantity: 5)])], header: header(4)))
            let lots = try await registry.valuation(at: day0.adding(days: 4), product: "MILK")
            #expect(lots.lines.map { "\($0.number ?? "-") \($0.quantity) \($0.value) \($0.costMissing)" } == ["U 10 15 true"], "\(lots.lines)")
            // Sold twice, once without a cost and once at one, and all of it back: marked.
            _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [StockLine(product: "MILK", picks: [lot("Y", 5, expires: 300)])], header: header(1)))
            _ = try await registry.issue(Issue(warehouse: "MAIN", customer: "SHOP", lines: [StockLine(product: "MILK", picks: [.init(number: "Y", quantity: 5)])],
                                               allowExpired: true, header: header(2)))
            _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [StockLine(product: "MILK", picks: [lot("Y", 5, expires: 300)], unitCost: 2)],
                                                   header: header(3)))
            _ = try await registry.issue(Issue(warehouse: "MAIN", customer: "SHOP", lines: [StockLine(product: "MILK", picks: [.init(number: "Y", quantity: 5)])],
                                               header: header(3)))
            _ = try await registry.returnFromCustomer(CustomerReturn(warehouse: "MAIN", customer: "SHOP",
                                                                     lines: [StockLine(product: "MILK", picks: [.init(number: "Y", quantity: 10)])], header: header(4)))
            let mixed = try await registry.valuation(at: day0.adding(days: 4), product: "MILK")
            #expect(mixed.lines.map { "\($0.number ?? "-") \($0.costMissing)" } == ["U true", "Y true"], "\(mixed.lines)")
        }
    }
}
