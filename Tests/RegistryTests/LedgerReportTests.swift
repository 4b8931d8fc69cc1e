import Foundation
import GS1
import Registry
import Testing

/// The stock statement and the balance on a day, by the documents' dates (relative to day0).
@Suite struct LedgerReportTests {
    @Test(arguments: Backend.available)
    func theStockStatementAndTheBalanceOnADayFollowTheDocumentsDates(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, _ in
            _ = try await registry.receive(Receipt(warehouse: "MAIN", supplier: "ACME", lines: [StockLine(product: "MILK", picks: [lot("A", 10, expires: 90)])],
                                                   header: header(0)))
            _ = try await registry.transfer(Transfer(from: "MAIN", to: "EAST", lines: [StockLine(product: "MILK", picks: [.init(number: "A", quantity: 4)])],
                                                     header: header(1)))
            _ = try await registry.issue(Issue(warehouse: "MAIN", customer: "ANY", lines: [StockLine(product: "MILK", picks: [.init(number: "A", quantity: 3)])],
                                               header: header(2)))
            // Posted last, dated first.
            _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [StockLine(product: "MILK", picks: [lot("B", 2, expires: 90)])],
                                                   header: header(-5)))

            let period = try await registry.movementReport(from: day0, through: day0.adding(days: 1), product: "MILK")
            #expect(period.groups.map { "\($0.number ?? "-") \($0.warehouse) \($0.opening) → \($0.closing)" } == ["A EAST 0 → 4", "A MAIN 0 → 6"])
            let main = try #require(period.groups.last)
            #expect(main.rows.map { "\($0.date) \($0.document) \($0.partner ?? "-") \($0.quantity)" } == [
                "\(day0) RCT-000001 ACME 10", "\(day0.adding(days: 1)) TRF-000001 - -4",
            ])
            // A kind filter hides rows, not stock.
            let issues = try await registry.movementReport(from: day0, through: day0.adding(days: 2), product: "MILK", kind: .issue)
            #expect(issues.groups.map { "\($0.number ?? "-") \($0.opening) \($0.rows.map(\.quantity)) \($0.closing)" } == ["A 0 [-3] 3"])
            let later = try await registry.movementReport(from: day0.adding(days: 2), through: day0.adding(days: 9), warehouse: "MAIN")
            #expect(later.groups.map { "\($0.number ?? "-") \($0.opening) \($0.closing)" } == ["A 6 3"])
            #expect(later.csv.hasPrefix("product,warehouse,number,unit,opening,date,document,kind,partner,quantity,override,closing\r\nMILK,MAIN,A,l,6,"))

            let before = try await registry.balance(at: day0.adding(days: -1))
            #expect(before.lines.map { "\($0.product) \($0.warehouse) \($0.number ?? "-") \($0.quantity)" } == ["MILK MAIN B 2"])
            let after = try await registry.balance(at: day0.adding(days: 2), product: "MILK")
            #expect(after.lines.map { "\($0.warehouse) \($0.number ?? "-") \($0.quantity)" } == ["EAST A 4", "MAIN A 3", "MAIN B 2"])
            await expectRefusal(.invalidInput, "the start is after the end") {
                _ = try await registry.movementReport(from: day0.adding(days: 1), through: day0)
            }
        }
    }
}
